"""Saving and loading fitted estimators: our safetensors format, skops, joblib, pickle.

The format tests read and write model files with struct, json, hashlib and
``safetensors.numpy`` only, re-implementing the documented layout and
checksum (see ``sknnscratch.persistence``), so they also check that the
documented format is what the code implements.
"""

import hashlib
import json
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from safetensors.numpy import load_file
from safetensors.numpy import save as safetensors_bytes
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import sknnscratch
from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor, persistence
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch._callbacks import HAS_SKLEARN_CALLBACKS
from sknnscratch.nn.losses import LOSSES
from sknnscratch.persistence import ModelFileError, load, save

#: The documented layout: the JSON document is the header's only __metadata__
#: value, under this key, with exactly these keys.
METADATA_KEY = "sknnscratch"
DOCUMENT_KEYS = set(
    "format format_version sknnscratch_version sklearn_version numpy_version "
    "estimator params attributes checksum".split()
)
REGRESSION_LOSSES = sorted(
    n for n, loss in LOSSES.items() if "regression" in loss.tasks
)
STRINGS = np.array(["ant", "bee", "cat"])

# --- fitted estimators of every kind ---------------------------------------------


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=60, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return X, y


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _mlp(**params):
    return ScratchMLPClassifier(
        **{"hidden_layer_sizes": (6,), "max_iter": 4, "random_state": 0, **params}
    )


def _regressor(**params):
    return ScratchMLPRegressor(
        **{"hidden_layer_sizes": (6,), "max_iter": 4, "random_state": 0, **params}
    )


#: X/y makers, from the classification data.
XY = {
    "ints": lambda X, y: (X, y),
    "binary": lambda X, y: (X, (y == 1).astype(int)),
    "bools": lambda X, y: (X, y == 1),
    "strings": lambda X, y: (X, STRINGS[y]),
    "objects": lambda X, y: (X, STRINGS[y].astype(object)),
    "one-class": lambda X, y: (X, np.full(len(y), "only")),
    "float32": lambda X, y: (X.astype(np.float32), y),
    "frame": lambda X, y: (pd.DataFrame(X, columns=list("abcde")), STRINGS[y]),
    "multilabel": lambda X, y: make_multilabel_classification(60, 5, random_state=0),
    "real": lambda X, y: (X, X[:, 0] * 2.0 + y),
    "2-reals": lambda X, y: (X, np.column_stack([X[:, 0] + y, X[:, 1] - y])),
    "counts": lambda X, y: (X, y + (X[:, 0] > 0)),
}
#: (id, estimator factory, X/y maker) for every kind of fitted model.
CASES = [
    ("binary-int", _mlp, "binary"),
    ("binary-bool", _mlp, "bools"),
    ("multiclass-str", _mlp, "strings"),
    ("multilabel", _mlp, "multilabel"),
    ("lbfgs", lambda: _mlp(solver="lbfgs"), "strings"),
    (
        "sgd-dropout-2-layers",
        lambda: _mlp(solver="sgd", dropout=0.3, hidden_layer_sizes=(6, 4)),
        "ints",
    ),
    ("float32", _mlp, "float32"),
    (
        "no-hidden-adagrad",
        lambda: _mlp(hidden_layer_sizes=(), solver="adagrad"),
        "strings",
    ),
    (
        "early-stop-balanced",
        lambda: _mlp(early_stopping=True, class_weight="balanced"),
        "strings",
    ),
    ("class-weight-int-keys", lambda: _mlp(class_weight={0: 3.0}), "binary"),
    ("dataframe-rmsprop", lambda: _mlp(solver="rmsprop"), "frame"),
    ("regressor", _regressor, "real"),
    (
        "huber-early-stop-2-out",
        lambda: _regressor(loss="huber", early_stopping=True),
        "2-reals",
    ),
    ("regressor-lbfgs", lambda: _regressor(solver="lbfgs"), "real"),
    ("poisson", lambda: _regressor(loss="poisson"), "counts"),
    ("single-class", _mlp, "one-class"),
    ("darkness", AverageDarknessClassifier, "strings"),
    ("darkness-object-labels", AverageDarknessClassifier, "objects"),
]


@pytest.fixture(params=CASES, ids=[case[0] for case in CASES])
def fitted_case(request, data):
    _, factory, xy = request.param
    X, y = XY[xy](*data)
    return _fit(factory(), X, y), X, y


def _outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def assert_same_outputs(left, right, X):
    """Bitwise-equal probabilities (or regression outputs) and predictions."""
    assert_same_state(_outputs(left, X), _outputs(right, X), "outputs")
    assert_same_state(left.predict(X), right.predict(X), "predict")


def assert_same_state(left, right, where="state"):
    """Equal values of the same types, arrays with the same dtype and bytes.
    Dict keys are compared as sets: attribute order may differ."""
    assert type(left) is type(right), f"{where}: {type(left)} != {type(right)}"
    if isinstance(left, np.ndarray):
        assert (left.dtype, left.shape) == (right.dtype, right.shape), where
        if left.dtype == object:
            assert left.tolist() == right.tolist(), where
        else:
            assert left.tobytes() == right.tobytes(), where
    elif isinstance(left, dict):
        assert set(left) == set(right), f"{where}: {set(left) ^ set(right)}"
        for key in left:
            assert_same_state(left[key], right[key], f"{where}[{key!r}]")
    elif isinstance(left, list | tuple):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right)):
            assert_same_state(a, b, f"{where}[{i}]")
    elif isinstance(left, float) and np.isnan(left):
        assert np.isnan(right), where
    else:
        assert left == right, where


def _without_timings(estimator):
    """vars() without the wall-clock seconds of each epoch, which never repeat."""
    state = dict(vars(estimator))
    state["history_"] = {k: v for k, v in state["history_"].items() if k != "seconds"}
    return state


@pytest.fixture(scope="module")
def models(data):
    """Small fitted models to save, corrupt and craft files from (never mutated)."""
    X, y = data
    return {
        "multiclass": _fit(_mlp(solver="sgd"), X, y),
        "binary": _fit(_mlp(), X, y == 1),
        "strings": _fit(_mlp(solver="lbfgs"), X, STRINGS[y]),
        "regressor": _fit(_regressor(), X, X[:, 0] + y),
    }


@pytest.fixture()
def saved(models, tmp_path):
    """The saved multiclass model: (path, its bytes, the estimator)."""
    path = tmp_path / "model.safetensors"
    save(models["multiclass"], path)
    return path, path.read_bytes(), models["multiclass"]


# --- the documented format, written independently ---------------------------------


def spec_checksum(document, tensors):
    """SHA-256 of the document without "checksum" as canonical JSON, then of each
    tensor in sorted name order: name (UTF-8), NUL, byte count (8 bytes,
    little-endian), the little-endian bytes."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )
    for name in sorted(tensors):
        array = tensors[name]
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        digest.update(name.encode() + b"\0" + struct.pack("<Q", len(data)) + data)
    return digest.hexdigest()


def read_raw(path):
    """(header dict, data bytes) of a safetensors file, parsed by hand."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def pack(header, data=b"", *, size=None):
    """A safetensors file: 8-byte LE header length, the JSON header (padded
    with spaces to ``size`` bytes if given), the data."""
    text = json.dumps(header).encode()
    text += b" " * ((size or len(text)) - len(text))
    return struct.pack("<Q", len(text)) + text + data


def read_model(path):
    """(JSON document, tensors) of a model file, without sknnscratch's loader."""
    header, _ = read_raw(path)
    return json.loads(header["__metadata__"][METADATA_KEY]), load_file(path)


def rewrite(path, edit=None, edit_tensors=None, *, checksum=True, text=None):
    """Rewrite a model file with its document and/or tensors edited and (as
    anyone can) the checksum recomputed, so that only the loader's own checks
    can notice; ``text`` post-processes the document's JSON text."""
    document, tensors = read_model(path)
    if edit:
        edit(document)
    if edit_tensors:
        edit_tensors(tensors)
    if checksum:
        document["checksum"] = spec_checksum(document, tensors)
    metadata = json.dumps(document)
    metadata = text(metadata) if text else metadata
    path.write_bytes(safetensors_bytes(tensors, {METADATA_KEY: metadata}))


def load_error(path, match=None):
    with pytest.raises(ModelFileError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    return str(info.value)


# Crafts: functions that turn a saved model file into a bad one.


def at(keys, value, **options):
    """Set the document's value at the dotted path ``keys`` (``value`` DROP
    removes it); the checksum is recomputed unless ``checksum=False``."""

    def edit(document):
        *parents, last = keys.split(".")
        for key in parents:
            document = document[key]
        if value is DROP:
            del document[last]
        else:
            document[last] = value

    return lambda path: rewrite(path, edit, **options)


DROP = object()


def tensor(name, change):
    """Replace the tensor ``name`` by ``change(it)``; None removes it."""

    def edit(tensors):
        old = tensors.pop(name, None)
        if change:
            tensors[name] = change(old)

    return lambda path: rewrite(path, edit_tensors=edit)


def raw(edit):
    """Edit the tensor table (``edit(header, data)``), bypassing safetensors."""

    def craft(path):
        header, data = read_raw(path)
        edit(header, data)
        path.write_bytes(pack(header, data))

    return craft


def entry(name, **fields):
    return raw(lambda header, data: header[name].update(fields))


def length_field(length):
    """The header length field replaced, the rest of the file unchanged."""
    return lambda path: path.write_bytes(
        struct.pack("<Q", length) + path.read_bytes()[8:]
    )


def padded(size):
    """The header padded with spaces to exactly ``size`` bytes: still valid."""
    return lambda path: path.write_bytes(pack(*read_raw(path), size=size))


def f32(array):
    return array.astype(np.float32)


# --- round trips ----------------------------------------------------------------


def test_round_trip_restores_every_attribute_and_prediction(fitted_case, tmp_path):
    estimator, X, _ = fitted_case
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning
        loaded = load(path)
    assert type(loaded) is type(estimator)
    # Every attribute (history_'s seconds too), with its type and dtype.
    assert_same_state(vars(estimator), vars(loaded), "vars")
    assert_same_state(estimator.get_params(), loaded.get_params(), "params")
    assert_same_outputs(loaded, estimator, X)


def test_the_file_is_the_documented_safetensors_layout(fitted_case, tmp_path):
    # Also the interop promise: any safetensors reader gets the weights.
    estimator, _, _ = fitted_case
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    assert set(read_raw(path)[0]["__metadata__"]) == {METADATA_KEY}
    document, tensors = read_model(path)
    assert set(document) == DOCUMENT_KEYS
    assert (document["format"], document["format_version"]) == ("sknnscratch-model", 2)
    assert document["sknnscratch_version"] == sknnscratch.__version__
    assert document["sklearn_version"] == sklearn.__version__
    assert document["numpy_version"] == np.__version__
    assert document["estimator"] == type(estimator).__name__
    assert document["checksum"] == spec_checksum(document, tensors)
    assert all(a.dtype.kind in "biuf" for a in tensors.values())
    if hasattr(estimator, "coefs_"):
        units = [estimator.n_features_in_, *(c.shape[1] for c in estimator.coefs_)]
        for i, (coef, bias) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
            assert tensors[f"coefs.{i}"].shape == (units[i], units[i + 1])
            assert_same_state(tensors[f"coefs.{i}"], coef, f"coefs.{i}")
            assert_same_state(tensors[f"intercepts.{i}"], bias, f"intercepts.{i}")
        sizes = list(estimator.hidden_layer_sizes)
        assert document["params"]["hidden_layer_sizes"] == {"tuple": sizes}


def test_a_file_rewritten_to_the_spec_loads(saved, data):
    # The tests' own writer and checksum are the loader's format: a file they
    # rewrite, with an informational field changed, loads the same model.
    path, _, estimator = saved
    at("numpy_version", "0.0")(path)
    assert_same_state(vars(load(path)), vars(estimator))


def test_saving_the_same_model_twice_gives_the_same_bytes(saved, tmp_path):
    path, data, estimator = saved
    save(estimator, tmp_path / "again.safetensors")
    assert (tmp_path / "again.safetensors").read_bytes() == data


# Like tests/test_property.py: the same examples on every run, no deadline.
PROPERTY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)


@PROPERTY_SETTINGS
@given(
    hidden=st.lists(st.integers(1, 6), max_size=2).map(tuple),
    solver=st.sampled_from(["sgd", "adam", "adagrad", "rmsprop", "lbfgs"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    target=st.sampled_from(
        ["ints", "strings", "bools", "multilabel", *REGRESSION_LOSSES]
    ),
    early_stopping=st.booleans(),
    max_iter=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_random_small_models_round_trip(
    tmp_path, hidden, solver, dtype, target, early_stopping, max_iter, seed
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 3)).astype(dtype)
    ints = rng.permutation(np.arange(30) % 3)
    y = {
        "ints": ints,
        "strings": STRINGS[ints],
        "bools": ints == 1,
        "multilabel": np.column_stack([ints == 0, ints != 1, rng.random(30) < 0.5]),
        "poisson": rng.poisson(2.0, size=30),
    }.get(target, X[:, 0] + rng.normal(size=30))
    params = dict(hidden_layer_sizes=hidden, solver=solver, max_iter=max_iter)
    params.update(early_stopping=early_stopping, random_state=seed)
    if target in REGRESSION_LOSSES:
        estimator = ScratchMLPRegressor(loss=target, **params)
    else:
        estimator = ScratchMLPClassifier(**params)
    _fit(estimator, X, y)
    save(estimator, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert_same_state(vars(estimator), vars(loaded), "vars")
    assert_same_outputs(loaded, estimator, X)


@pytest.mark.parametrize(
    "mask, value",
    [(0xFF, 0x80), (0xFFFF, 0x0178), (0xFFFF, 0x5E78), (0xFFFF, 0x9C78)],
    ids=["pickle-0x80", "zlib-x01", "zlib-x5e", "zlib-x9c"],
)
def test_any_header_length_is_read(saved, data, mask, value):
    # The length field is binary: its first bytes may be anything, such as
    # another format's signature (b"\x80" for a pickle, b"x\x9c" for zlib).
    # save pads headers to a multiple of 8, so 1 model in 32 has a length of
    # 0x...80; such a file must load like any other.
    path, _, estimator = saved
    header, _ = read_raw(path)
    natural = len(json.dumps(header))
    size = (natural - value + mask) // (mask + 1) * (mask + 1) + value
    assert size % 8 == 0 and size & mask == value
    padded(size)(path)
    assert_same_outputs(load(path), estimator, data[0])


def test_a_header_at_the_bound_is_read(saved, data):
    path, _, estimator = saved
    padded(persistence.MAX_HEADER_BYTES)(path)
    assert_same_outputs(load(path), estimator, data[0])


def test_parameters_changed_after_fit_round_trip(data, tmp_path):
    # Fitted attributes describe the last fit, whatever set_params did since:
    # the loader must not require the parameters to agree with them.
    X, y = data
    classifier = _fit(_mlp(), X, y).set_params(
        activation="tanh", hidden_layer_sizes=(2,)
    )
    regressor = _fit(_regressor(), X, X[:, 0]).set_params(loss="poisson")
    for estimator in (classifier, regressor):
        save(estimator, tmp_path / "model.safetensors")
        loaded = load(tmp_path / "model.safetensors")
        assert_same_state(vars(estimator), vars(loaded), "vars")
        assert_same_outputs(loaded, estimator, X)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adagrad", "rmsprop"])
def test_partial_fit_continues_exactly_after_a_round_trip(data, tmp_path, solver):
    X, y = data
    # Dropout draws masks from the saved random stream; shuffle draws too.
    original = _mlp(solver=solver, dropout=0.4, learning_rate="adaptive")
    original.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    save(original, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")

    before = [c.copy() for c in original.coefs_]
    original.partial_fit(X[30:], y[30:])
    loaded.partial_fit(X[30:], y[30:])

    assert any(not np.array_equal(b, c) for b, c in zip(before, original.coefs_))
    assert_same_state(_without_timings(original), _without_timings(loaded))


def test_a_fresh_random_stream_would_differ(data, tmp_path):
    # Guards the test above: if the rng state were not restored (a fresh
    # stream from random_state), the weights after partial_fit would differ.
    X, y = data
    original = _mlp(dropout=0.4)
    original.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    save(original, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    loaded._rng_state = np.random.default_rng(0).bit_generator.state
    original.partial_fit(X[30:], y[30:])
    loaded.partial_fit(X[30:], y[30:])
    assert not np.array_equal(original.coefs_[0], loaded.coefs_[0])


def test_big_integers_and_tuples_round_trip_exactly(data, tmp_path):
    estimator = _fit(_mlp(hidden_layer_sizes=(5, 3), class_weight={1: 2.5}), *data)
    save(estimator, tmp_path / "model.safetensors")
    document, _ = read_model(tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    state = estimator._rng_state["state"]
    assert state["state"] > 2**64  # PCG64's state is 128 bits: beyond any double,
    # hence decimal strings in the JSON, which no JSON reader rounds.
    assert document["attributes"]["_rng_state"]["state"]["state"] == str(state["state"])
    assert loaded._rng_state == estimator._rng_state
    assert loaded.hidden_layer_sizes == (5, 3)
    assert loaded.class_weight == {1: 2.5}
    assert type(next(iter(loaded.class_weight))) is int


def test_string_labels_in_object_arrays_come_back_as_object_arrays(data, tmp_path):
    X, y = data
    labels = np.array(["x", "yy", "zzz"], dtype=object)[y]
    estimator = AverageDarknessClassifier().fit(X, labels)
    assert estimator.classes_.dtype == object
    save(estimator, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.classes_.dtype == object
    assert type(loaded.predict(X)[0]) is str
    assert_array_equal(loaded.predict(X), estimator.predict(X))


# --- what cannot be saved, and what is not saved -----------------------------------


class CountTasks:
    """A plain scikit-learn callback that counts finished tasks."""

    ends = 0

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ends += 1
        return False

    def teardown(self, estimator, context):
        pass


def _long_feature_name(data):
    X, y = data
    name = "x" * persistence.MAX_HEADER_BYTES
    return AverageDarknessClassifier().fit(pd.DataFrame(X[:, :1], columns=[name]), y)


def _wide_labels_model(data):
    # 5,000 labels, as wide as the longest: 5,000 x 1,000 x 4 bytes.
    labels = np.array([str(i) for i in range(4999)] + ["x" * 1000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # as many classes as rows
        return AverageDarknessClassifier().fit(np.eye(5000, 2), labels)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda data: ScratchMLPClassifier(), NotFittedError, None),
        (
            lambda data: _fit(_mlp(), *data).set_params(
                random_state=np.random.RandomState(0)
            ),
            TypeError,
            "random_state.*RandomState.*set_params",
        ),
        (
            lambda data: setattr(m := _fit(_mlp(), *data), "foo_", 1) or m,
            TypeError,
            r"does not declare: \['foo_'\]",
        ),
        (
            lambda data: _fit(
                type("Subclass", (ScratchMLPClassifier,), {})(max_iter=2), *data
            ),
            TypeError,
            "only .* can be saved",
        ),
        (_long_feature_name, ValueError, "header would take"),
        (_wide_labels_model, ValueError, "classes_ takes"),
    ],
    ids=[
        "unfitted",
        "random-state-instance",
        "undeclared-attribute",
        "subclass",
        "header-too-long",
        "wide-labels",
    ],
)
def test_what_cannot_be_saved_raises_and_writes_nothing(
    data, tmp_path, make, error, match
):
    estimator = make(data)
    with pytest.raises(error, match=match):
        save(estimator, tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_the_progress_hook_is_not_saved(data, tmp_path):
    estimator = _fit(_mlp(), *data)
    hook = lambda *args: None  # noqa: E731
    estimator._on_epoch_end = hook
    save(estimator, tmp_path / "model.safetensors")
    assert not hasattr(load(tmp_path / "model.safetensors"), "_on_epoch_end")
    # Saving has no side effect on the estimator being saved.
    assert estimator._on_epoch_end is hook


@pytest.mark.skipif(not HAS_SKLEARN_CALLBACKS, reason="needs scikit-learn >= 1.9")
def test_callbacks_are_not_saved(data, tmp_path):
    callback = CountTasks()
    estimator = _fit(_mlp().set_callbacks(callback), *data)
    assert callback.ends > 0 and estimator._skl_callbacks == [callback]
    save(estimator, tmp_path / "model.safetensors")
    document, _ = read_model(tmp_path / "model.safetensors")
    assert not any("callback" in key for key in document["attributes"])
    loaded = load(tmp_path / "model.safetensors")
    assert not any("callback" in key for key in vars(loaded))
    assert_same_outputs(loaded, estimator, data[0])


# --- faults: every bad file raises ModelFileError ----------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    load_error(path, "the file is empty")


#: Missing tensor bytes: the safetensors library's words, or the loader's own.
TRUNCATED_DATA = "truncated|not fully covered"


def _header_end(data):
    return 8 + struct.unpack("<Q", data[:8])[0]


@pytest.mark.parametrize(
    "cut, match",
    [
        (lambda data: 4, "truncated|not a safetensors file"),
        (lambda data: 8, "truncated|not a safetensors file"),
        (lambda data: 9, "truncated"),
        (lambda data: _header_end(data) // 2, "truncated"),
        (lambda data: _header_end(data), TRUNCATED_DATA),
        (lambda data: (_header_end(data) + len(data)) // 2, TRUNCATED_DATA),
        (lambda data: len(data) - 1, TRUNCATED_DATA),
    ],
    ids=["4-bytes", "8-bytes", "9-bytes", "mid-header", "no-data", "mid-data", "-1"],
)
def test_truncated_file(saved, cut, match):
    path, data, _ = saved
    path.write_bytes(data[: cut(data)])
    load_error(path, match)


def test_a_flipped_bit_in_the_weights_fails_the_checksum(saved):
    path, data, estimator = saved
    weights = estimator.coefs_[0].tobytes()
    corrupted = bytearray(data)
    corrupted[data.index(weights) + len(weights) // 2] ^= 0x01
    path.write_bytes(bytes(corrupted))
    load_error(path, "checksum mismatch")


def test_a_tampered_json_value_fails_the_checksum(saved):
    path, _, _ = saved
    at("params.alpha", 0.5, checksum=False)(path)
    load_error(path, "checksum mismatch")


def test_every_flipped_byte_is_detected_or_harmless(tmp_path):
    # One bit of every byte of a small file (a different bit from byte to
    # byte): load raises ModelFileError, never another exception, or gives a
    # model with the very same predictions.
    X = np.linspace(-2, 2, 12).reshape(6, 2)
    estimator = _fit(
        _mlp(hidden_layer_sizes=(2,), solver="sgd", max_iter=1), X, [0, 1] * 3
    )
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    data = path.read_bytes()
    expected = estimator.predict_proba(X).tobytes()
    errors = 0
    for position in range(len(data)):
        corrupted = bytearray(data)
        corrupted[position] ^= 1 << (position % 8)
        path.write_bytes(bytes(corrupted))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                loaded = load(path)
        except ModelFileError:
            errors += 1
            continue
        assert loaded.predict_proba(X).tobytes() == expected, position
    assert errors > 0.95 * len(data), errors


def _old_npz(path):
    # What sknnscratch 0.2 wrote: a zip of a JSON member and .npy members.
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sknnscratch.json", json.dumps({"format_version": 1}))
        archive.writestr("a0.npy", b"\x93NUMPY")


@pytest.mark.parametrize(
    "write, match",
    [
        (
            lambda path: path.write_bytes(safetensors_bytes({"weight": np.ones(3)})),
            "without the 'sknnscratch' metadata",
        ),
        (
            lambda path: path.write_bytes(
                safetensors_bytes({"w": np.ones(2)}, {"format": "pt"})
            ),
            "without the 'sknnscratch' metadata",
        ),
        (
            lambda path: path.write_text("hello, this is not a model\n"),
            "not a safetensors file",
        ),
        (
            lambda path: np.save(path.with_suffix(".npy"), np.ones(3)),
            "single-array .npy",
        ),
        (_old_npz, r"zip archive.*sknnscratch 0\.2.*\(\.npz\).*no longer reads"),
    ],
    ids=["other-safetensors", "other-safetensors-metadata", "text", "npy", "old-npz"],
)
def test_a_foreign_file_is_refused(tmp_path, write, match):
    path = tmp_path / "file.npy"
    write(path)
    assert "not a sknnscratch model file" in load_error(path, match)


@pytest.mark.parametrize(
    "dumper, option",
    [("pickle", 0), ("pickle", 5)]
    + [("joblib", c) for c in (0, 3, ("gzip", 3), ("xz", 3), ("bz2", 3), ("lzma", 3))],
    ids=["pickle-0", "pickle-5", "joblib", "zlib", "gzip", "xz", "bz2", "lzma"],
)
def test_a_pickle_or_joblib_file_is_refused_and_never_unpickled(
    models, tmp_path, monkeypatch, dumper, option
):
    path = tmp_path / "model.pkl"
    if dumper == "pickle":
        path.write_bytes(pickle.dumps(models["multiclass"], protocol=option))
    else:
        joblib.dump(models["multiclass"], path, compress=option)

    def explode(*args, **kwargs):
        raise AssertionError("load must never unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, explode)
    monkeypatch.setattr(joblib, "load", explode)
    load_error(path, "not a sknnscratch model file")


def test_a_newer_format_version_asks_to_upgrade(saved):
    path, _, _ = saved
    at("format_version", 3)(path)  # checksum recomputed: only the version is wrong
    load_error(path, "format version 3 is newer.*Upgrade sknnscratch")


def test_a_missing_path_is_not_a_model_file_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.safetensors")


# --- crafted files: valid checksums, content that breaks the schema ------------------

#: Deep nesting, built as text: json.dumps itself would hit the recursion limit.
NESTED = "[" * 100_000 + "]" * 100_000
TOO_LONG = persistence.MAX_HEADER_BYTES + 1


def _overlap(header, data):
    header["coefs.1"]["data_offsets"] = header["coefs.0"]["data_offsets"]


def _beyond(header, data):
    header["coefs.0"]["data_offsets"] = [len(data), len(data) + 240]


def _nested_metadata(header, data):
    header["__metadata__"][METADATA_KEY] = NESTED


def _nest(text):
    return text.replace('"@"', NESTED)


def _huge_version(path):
    at("sknnscratch_version", "x" * 50_000_000)(path)


def _wide_labels(path):
    # Short labels and one long one: as a unicode array, 60,001 x 1,000 x 4 bytes.
    values = [str(i) for i in range(60_000)] + ["x" * 1000]
    at("attributes.classes_", {"dtype": "<U1000", "values": values})(path)


def _three_outputs(path):
    # 3 labels, multiclass, 3 outputs: consistent, but the network has 1.
    def edit(document):
        attributes = document["attributes"]
        attributes.update(_label_type="multiclass", n_outputs_=3)
        attributes.update(out_activation_="softmax")

    rewrite(path, edit, lambda tensors: tensors.update(classes=np.arange(3)))


#: id -> (craft, what the message must match); the multiclass model's file
#: unless the id starts with "<model>/".
CRAFTS = {
    # The tensor table, checked by the library and the loader's dtype rules.
    # The safetensors library's own messages: descriptive in recent releases,
    # the names of its error variants in older ones (0.4.3, the floor).
    "huge-shape": (entry("coefs.0", shape=[10**12, 6]), "(?i)shape|offset|InvalidInfo"),
    "overflowing-shape": (entry("coefs.0", shape=[2**62, 2**62]), "(?i)overflow"),
    "overlapping-offsets": (raw(_overlap), "(?i)offset|InvalidInfo"),
    "out-of-range-offsets": (raw(_beyond), "(?i)offset"),
    "unknown-dtype": (entry("coefs.0", dtype="X64"), "X64|HeaderDeserialization"),
    "bf16-coefs": (entry("coefs.0", dtype="BF16", shape=[5, 24]), r"coefs\.0.*BF16"),
    "f8-coefs": (entry("coefs.0", dtype="F8_E4M3", shape=[5, 48]), r"coefs\.0.*F8"),
    "f16-coefs": (entry("coefs.0", dtype="F16", shape=[5, 24]), r"coefs\.0.*F16"),
    "f32-intercepts": (tensor("intercepts.0", f32), r"intercepts\.0.*F32"),
    "header-beyond-file": (length_field(10_000), "truncated"),
    "header-claims-2**63": (length_field(2**63), "refused unread"),
    "header-claims-over-bound": (length_field(TOO_LONG), "refused unread"),
    "header-over-bound": (padded(TOO_LONG), "refused unread"),
    "nested-header": (raw(lambda h, d: h.update(x=[[[[]]]])), "header"),
    "no-metadata": (raw(lambda h, d: h.pop("__metadata__")), "not a sknnscratch"),
    "nested-metadata": (raw(_nested_metadata), "RecursionError"),
    # Tensors and the JSON document (every checksum recomputed).
    "missing-tensor": (tensor("intercepts.1", None), r"'intercepts\.1' is missing"),
    "extra-tensor": (tensor("extra", lambda _: np.ones(2)), "unknown tensors 'extra'"),
    "extra-attribute": (at("attributes.foo_", 1), "unknown attributes 'foo_'"),
    "dunder-attribute": (at("attributes.__class__", "x"), "unknown attributes"),
    "missing-attribute": (at("attributes.n_outputs_", DROP), "'n_outputs_' is missing"),
    "coefs-1-rows": (tensor("coefs.1", lambda a: a[:-1]), r"coefs\.1.*\(5, 3\)"),
    "n-features": (at("attributes.n_features_in_", 4), r"coefs\.0.*\(5, 6\)"),
    "n-layers": (at("attributes.n_layers_", 5), "coefs_"),
    "4-labels-3-outputs": (tensor("classes", lambda _: np.arange(4)), "n_outputs_"),
    "duplicate-labels": (tensor("classes", lambda _: np.zeros(3, int)), "classes_"),
    "activation": (at("attributes._hidden_activations", ["os"]), "_hidden_activ"),
    "optimizer-dtype": (tensor("optimizer.velocity", f32), r"optimizer\.velocity.*F32"),
    "optimizer-name": (at("attributes._optimizer_state.name", "adam"), "_optimizer"),
    "history-length": (tensor("history.loss", lambda a: a[:-1]), r"history\.loss"),
    "rng-129-bits": (at("attributes._rng_state.state.state", str(2**128)), "_rng"),
    "unknown-estimator": (at("estimator", "os.system"), "unknown estimator 'os"),
    "unlisted-estimator": (at("estimator", "Pipeline"), "unknown estimator"),
    "unknown-parameter": (at("params.evil", 1), "no parameters 'evil'"),
    "activation-param": (at("params.activation", "nope"), "invalid param.*activation"),
    "negative-size": (at("params.hidden_layer_sizes", {"tuple": [-3]}), "hidden_layer"),
    "bad-parameter-tag": (
        at("params.alpha", {"pickle": "x"}),
        "invalid value of parameter 'alpha'",
    ),
    "nan-constant": (at("params.alpha", float("nan")), "JSON constant NaN"),
    "infinity-constant": (at("attributes.loss_", float("inf")), "constant Infinity"),
    "minus-infinity": (at("params.tol", -float("inf")), "JSON constant -Infinity"),
    "nested-parameter": (at("params.alpha", "@", text=_nest), "RecursionError"),
    "50-MB-string": (_huge_version, "refused unread"),
    "format": (at("format", "someone-else"), "not a sknnscratch model file"),
    "format-version-1": (at("format_version", 1), "invalid format_version 1"),
    "format-version-bool": (at("format_version", True), "invalid format_version"),
    "extra-document-key": (at("more", 1), "the document's keys must be"),
    "missing-checksum": (at("checksum", DROP, checksum=False), "the document's keys"),
    # Ill-shaped values: the message must still name the entry.
    "rng-state-list": (at("attributes._rng_state.state", [5]), "_rng_state"),
    "optimizer-name-list": (at("attributes._optimizer_state.name", []), "_optimizer"),
    "estimator-list": (at("estimator", ["ScratchMLPClassifier"]), "estimator"),
    "class-weight-pair": (at("params.class_weight", {"dict": [[1]]}), "class_weight"),
    "version-list": (at("sknnscratch_version", [0, 3]), "sknnscratch_version"),
    "nan-labels": (
        tensor("classes", lambda _: np.array([np.nan, np.nan, 1])),
        "classes_",
    ),
    # Other models: "<model>/<id>".
    "binary/3-labels": (tensor("classes", lambda _: np.arange(3)), "_label_type"),
    "binary/3-labels-3-outputs": (_three_outputs, r"coefs\.1.*\(6, 1\)"),
    "strings/U100000000": (at("attributes.classes_.dtype", "<U100000000"), "classes_"),
    "strings/ints": (at("attributes.classes_.values", [1, 2, 3]), "classes_"),
    "strings/wide": (_wide_labels, "classes_"),
    "regressor/softmax": (at("attributes.out_activation_", "softmax"), "out_activ"),
    "regressor/log-loss": (at("params.loss", "log_loss"), "invalid parameters.*loss"),
    "regressor/outputs": (at("attributes.n_outputs_", 3), r"coefs\.1.*\(6, 1\)"),
}


def _model(name):
    return name.split("/")[0] if "/" in name else "multiclass"


@pytest.mark.parametrize("name", CRAFTS)
def test_a_crafted_file_is_refused_naming_the_problem(models, tmp_path, name):
    craft, match = CRAFTS[name]
    kind = _model(name)
    path = tmp_path / "model.safetensors"
    save(models[kind], path)
    craft(path)
    load_error(path, match)


# --- memory: crafted files are refused without allocating what they claim ----------

#: Peak RSS growth allowed (KiB) while refusing a
#: crafted file of at most a few MB: the header is read (MAX_HEADER_BYTES at
#: most: the library's parse, the JSON document, its canonical form), nothing
#: that the file merely claims (terabytes of tensors, 400 MB label arrays,
#: 10**12 layers) may be allocated.
SMALL_FILE_BOUND_KIB = 64 * 1024
#: For the 50 MB file, refused from its first 9 bytes: a bound well below its
#: size shows it was never read.
UNREAD_FILE_BOUND_KIB = 8 * 1024
#: Address space a child may add (KiB): a loader that allocates what a file
#: claims then fails fast with a MemoryError instead of exhausting the machine.
CHILD_ADDRESS_SPACE_KIB = 1024 * 1024
#: The child: the growth of its peak RSS (KiB) while load refuses the file.
#: Not ru_maxrss, which Linux carries over exec from the parent (a child of
#: pytest would report pytest's own peak): the child's high-water mark VmHWM,
#: first reset to the current RSS (Linux >= 4.0; else the growth is
#: overestimated by what the imports freed, a safe error).
MEASURE_LOAD = """
import resource, sys
from sknnscratch import ModelFileError, load

def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(key))

_, hard = resource.getrlimit(resource.RLIMIT_AS)
cap = (status("VmSize:") + int(sys.argv[2])) * 1024
if hard == resource.RLIM_INFINITY or cap < hard:
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
except OSError:
    pass
before = status("VmRSS:")
try:
    load(sys.argv[1])
except ModelFileError as error:
    print(str(error)[:300], file=sys.stderr)
else:
    sys.exit("loaded")
print(status("VmHWM:") - before)
"""
UNDER_BOUND = "x" * (persistence.MAX_HEADER_BYTES - 8192)
#: id -> (craft, bound): crafts of CRAFTS, and two more.
MEMORY_CASES = {
    **{
        name: (CRAFTS[name][0], SMALL_FILE_BOUND_KIB)
        for name in [
            "huge-shape",
            "header-over-bound",
            "header-claims-over-bound",
            "header-claims-2**63",
            "nested-metadata",
            "nested-parameter",
            "strings/U100000000",
            "strings/wide",
        ]
    },
    "50-MB-string": (CRAFTS["50-MB-string"][0], UNREAD_FILE_BOUND_KIB),
    # A small number that the loader must not take as a count of things to build.
    "10**12-layers": (at("attributes.n_layers_", 10**12), SMALL_FILE_BOUND_KIB),
    # The largest header the loader reads (the checksum then fails).
    "header-at-bound": (
        at("sklearn_version", UNDER_BOUND, checksum=False),
        SMALL_FILE_BOUND_KIB,
    ),
}


@pytest.fixture(scope="module")
def memory_runs(models, tmp_path_factory):
    """Each memory case's file, loaded by a child process of its own; the
    children run at once (each measures only itself), to keep the tests quick."""
    directory = tmp_path_factory.mktemp("memory")
    runs = {}
    for name, (craft, _) in MEMORY_CASES.items():
        path = directory / f"{name.replace('/', '-')}.safetensors"
        save(models[_model(name)], path)
        craft(path)
        command = [sys.executable, "-c", MEASURE_LOAD, str(path)]
        command.append(str(CHILD_ADDRESS_SPACE_KIB))
        runs[name] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    yield runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
@pytest.mark.parametrize("name", MEMORY_CASES)
def test_a_crafted_file_is_refused_in_bounded_memory(memory_runs, name):
    # The timeout only stops a runaway child; what is checked is memory.
    out, err = memory_runs[name].communicate(timeout=300)
    assert memory_runs[name].returncode == 0, err
    growth = int(out)
    print(f"{name}: peak RSS +{growth} KiB; {err.strip()[-100:]}")
    assert growth < MEMORY_CASES[name][1], (growth, err)
    assert "MemoryError" not in err


# --- atomic writes -------------------------------------------------------------------


def _temporaries(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


@pytest.mark.parametrize("exception", [KeyboardInterrupt(), OSError("disk full")])
def test_an_interrupted_save_keeps_the_old_file_and_no_temporary(
    saved, data, monkeypatch, exception
):
    path, old_bytes, estimator = saved
    newer = _fit(_mlp(solver="adam"), *data)
    real_fdopen = os.fdopen

    class HalfWritten:
        """The temporary file, interrupted halfway through the write."""

        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.file.close()

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            (temporary,) = _temporaries(path.parent)
            assert (path.parent / temporary).stat().st_size == len(data) // 2 > 0
            raise exception

    monkeypatch.setattr(
        persistence.os, "fdopen", lambda *a: HalfWritten(real_fdopen(*a))
    )
    with pytest.raises(type(exception)):
        save(newer, path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == old_bytes
    assert_same_state(vars(load(path)), vars(estimator))


@pytest.mark.parametrize("target", ["fsync", "replace"])
def test_a_failing_fsync_or_rename_keeps_the_old_file(saved, data, monkeypatch, target):
    path, old_bytes, _ = saved
    newer = _fit(_mlp(solver="adam"), *data)

    def fail(*args):
        raise OSError(f"simulated {target} failure")

    monkeypatch.setattr(persistence.os, target, fail)
    with pytest.raises(OSError, match=f"simulated {target}"):
        save(newer, path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == old_bytes


def test_an_interrupted_first_save_leaves_nothing(models, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence.os, "fsync", lambda fd: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        save(models["multiclass"], tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_an_existing_temporary_name_is_skipped_not_overwritten(saved, monkeypatch):
    path, data, estimator = saved
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(persistence.secrets, "token_hex", lambda n: next(names))
    other = path.parent / f".{path.name}.aaaaaaaaaaaa.tmp"
    other.write_bytes(b"another writer's file")
    path.unlink()
    save(estimator, path)
    assert other.read_bytes() == b"another writer's file"
    assert sorted(os.listdir(path.parent)) == sorted([path.name, other.name])
    assert path.read_bytes() == data


def test_the_file_gets_the_usual_permissions(saved):
    path, _, _ = saved
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# --- versions ----------------------------------------------------------------------


def test_another_package_version_warns_on_load(saved, monkeypatch):
    path, _, estimator = saved
    monkeypatch.setattr(sknnscratch, "__version__", "0.0.1")
    save(estimator, path)
    monkeypatch.undo()
    assert read_model(path)[0]["sknnscratch_version"] == "0.0.1"
    with pytest.warns(UserWarning, match="saved by sknnscratch 0.0.1 .* loaded by"):
        load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save(estimator, path)
        load(path)


# --- skops, joblib and pickle --------------------------------------------------------


def test_skops_loads_with_only_the_estimator_class_trusted(fitted_case, tmp_path):
    sio = pytest.importorskip("skops.io")
    estimator, X, _ = fitted_case
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    name = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    # Every other type in the fitted state (arrays, dicts, lists, the rng
    # state) is plain data that skops trusts by default.
    assert sio.get_untrusted_types(file=path) == [name]
    loaded = sio.load(path, trusted=[name])
    assert_same_outputs(loaded, estimator, X)
    if hasattr(estimator, "partial_fit") and not estimator.early_stopping:
        estimator.partial_fit(X, estimator.predict(X))
        loaded.partial_fit(X, loaded.predict(X))
        assert_same_state(estimator.coefs_, loaded.coefs_)


@pytest.mark.parametrize("dumper", ["pickle", "joblib"])
def test_joblib_and_pickle_round_trip(fitted_case, tmp_path, dumper):
    estimator, X, _ = fitted_case
    if dumper == "pickle":
        loaded = pickle.loads(pickle.dumps(estimator))
    else:
        joblib.dump(estimator, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    assert_same_outputs(loaded, estimator, X)


def test_unpickling_a_model_from_another_version_warns(models, data):
    estimator = models["multiclass"]
    state = estimator.__getstate__()
    assert state["_sknnscratch_version"] == sknnscratch.__version__
    state["_sknnscratch_version"] = "0.0.1"
    # What pickle.loads does with the state of an object.
    clone = ScratchMLPClassifier.__new__(ScratchMLPClassifier)
    with pytest.warns(UserWarning, match=r"0\.0\.1.*" + sknnscratch.__version__):
        clone.__setstate__(state)
    assert not hasattr(clone, "_sknnscratch_version")
    assert_array_equal(clone.predict_proba(data[0]), estimator.predict_proba(data[0]))


def test_pickling_warns_across_versions_only(models, monkeypatch):
    estimator = models["multiclass"]
    monkeypatch.setattr(sknnscratch, "__version__", "0.0.1")
    pickled = pickle.dumps(estimator)
    monkeypatch.undo()
    with pytest.warns(UserWarning, match=r"0\.0\.1"):
        pickle.loads(pickled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(pickle.dumps(estimator))
    assert not hasattr(restored, "_sknnscratch_version")
