"""Saving and loading fitted estimators: our format, skops, joblib and pickle.

The format tests read and write the archive with zipfile/hashlib/json only,
following docs/security.md, so they also check that the specification there
is what ``sknnscratch.persistence`` implements.
"""

import hashlib
import io
import json
import os
import pickle
import struct
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import sknnscratch
from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor, persistence
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch.persistence import ModelFileError, load, save

JSON_MEMBER = "sknnscratch.json"


# --- fitted estimators of every kind ------------------------------------------------


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


def _cases():
    """(id, estimator factory, X/y maker) for every kind of fitted model."""
    strings = np.array(["ant", "bee", "cat"])

    def multiclass_strings(X, y):
        return X, strings[y]

    def binary_ints(X, y):
        return X, (y == 1).astype(int)

    def binary_bools(X, y):
        return X, y == 1

    def multilabel(X, y):
        X, Y = make_multilabel_classification(
            n_samples=60, n_features=5, n_classes=3, random_state=0
        )
        return X, Y

    def float32(X, y):
        return X.astype(np.float32), y

    def dataframe(X, y):
        frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        return frame, strings[y].astype(object)

    def object_labels(X, y):
        return X, strings[y].astype(object)

    def real_targets(X, y):
        return X, X[:, 0] * 2.0 + y

    def two_real_targets(X, y):
        return X, np.column_stack([X[:, 0] * 2.0 + y, X[:, 1] - y])

    def counts(X, y):
        return X, y + (X[:, 0] > 0)

    def one_class(X, y):
        return X, np.full(len(y), "only")

    return [
        ("binary-int", _mlp, binary_ints),
        ("binary-bool", _mlp, binary_bools),
        ("multiclass-str", _mlp, multiclass_strings),
        ("multilabel", _mlp, multilabel),
        ("lbfgs", lambda: _mlp(solver="lbfgs"), multiclass_strings),
        (
            "sgd-dropout-float32",
            lambda: _mlp(solver="sgd", dropout=0.3, hidden_layer_sizes=(6, 4)),
            float32,
        ),
        (
            "early-stopping-balanced",
            lambda: _mlp(early_stopping=True, class_weight="balanced"),
            multiclass_strings,
        ),
        ("class-weight-int-keys", lambda: _mlp(class_weight={0: 3.0}), binary_ints),
        ("dataframe", lambda: _mlp(solver="rmsprop"), dataframe),
        ("regressor", lambda: _regressor(), real_targets),
        (
            "regressor-huber-early-stopping-2-outputs",
            lambda: _regressor(loss="huber", early_stopping=True),
            two_real_targets,
        ),
        ("regressor-lbfgs", lambda: _regressor(solver="lbfgs"), real_targets),
        ("regressor-poisson", lambda: _regressor(loss="poisson"), counts),
        ("single-class", _mlp, one_class),
        ("darkness", AverageDarknessClassifier, multiclass_strings),
        ("darkness-object-labels", AverageDarknessClassifier, object_labels),
    ]


CASES = _cases()


@pytest.fixture(params=CASES, ids=[case[0] for case in CASES])
def fitted_case(request, data):
    _, factory, make_xy = request.param
    X, y = make_xy(*data)
    return _fit(factory(), X, y), X, y


def _outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def assert_same_outputs(left, right, X):
    """Bitwise-equal probabilities (or labels, for the darkness baseline)."""
    assert_same_state(_outputs(left, X), _outputs(right, X), "outputs")


def assert_same_state(left, right, where="state"):
    """Equal values of the same types, arrays with the same dtype and bytes."""
    assert type(left) is type(right), f"{where}: {type(left)} != {type(right)}"
    if isinstance(left, np.ndarray):
        assert left.dtype == right.dtype, where
        assert left.shape == right.shape, where
        if left.dtype == object:
            assert left.tolist() == right.tolist(), where
        else:
            assert left.tobytes() == right.tobytes(), where
    elif isinstance(left, dict):
        assert list(left) == list(right), where
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


# --- round trips ------------------------------------------------------------------


def test_round_trip_restores_every_attribute_and_prediction(fitted_case, tmp_path):
    estimator, X, _ = fitted_case
    path = tmp_path / "model.npz"
    save(estimator, path)
    loaded = load(path)

    assert type(loaded) is type(estimator)
    assert_same_state(vars(estimator), vars(loaded), "vars")
    # Bitwise: the bytes of the outputs, not approximately equal values.
    assert_same_outputs(loaded, estimator, X)
    assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_the_file_is_an_npz_that_numpy_reads_without_pickle(fitted_case, tmp_path):
    estimator, _, _ = fitted_case
    path = tmp_path / "model.npz"
    save(estimator, path)
    with np.load(path, allow_pickle=False) as archive:
        document = json.loads(archive[JSON_MEMBER])
        arrays = {name: archive[name] for name in document["arrays"]}
    assert document["format"] == "sknnscratch-model"
    assert document["format_version"] == 1
    assert document["sknnscratch_version"] == sknnscratch.__version__
    assert document["estimator"] == type(estimator).__name__
    assert all(a.dtype != object for a in arrays.values())


def test_saving_the_same_model_twice_gives_the_same_bytes(data, tmp_path):
    estimator = _fit(_mlp(), *data)
    save(estimator, tmp_path / "a.npz")
    save(estimator, tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


@pytest.mark.parametrize("solver", ["sgd", "adam", "adagrad", "rmsprop"])
def test_partial_fit_continues_exactly_after_a_round_trip(data, tmp_path, solver):
    X, y = data
    # Dropout draws masks from the saved random stream; shuffle draws too.
    original = _mlp(solver=solver, dropout=0.4, learning_rate="adaptive")
    original.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    save(original, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")

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
    save(original, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    loaded._rng_state = np.random.default_rng(0).bit_generator.state
    original.partial_fit(X[30:], y[30:])
    loaded.partial_fit(X[30:], y[30:])
    assert not np.array_equal(original.coefs_[0], loaded.coefs_[0])


def test_big_integers_and_tuples_round_trip_exactly(data, tmp_path):
    estimator = _fit(_mlp(hidden_layer_sizes=(5, 3)), *data)
    estimator.extra_ = {
        "big": 2**127 + 12345,
        "negative": -(2**100),
        "nan": float("nan"),
        "inf": -float("inf"),
        "scalar": np.float32(0.1),
        "int8": np.int8(-7),
        "flag": np.bool_(True),
        "tuple": (1, ("a", None)),
        "non-string keys": {1: "one", (2, 3): [4.5]},
        "__type__": "a key that looks like a tag",
        "empty": np.zeros((0, 3)),
    }
    save(estimator, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    state = estimator._rng_state["state"]["state"]
    assert state > 2**64  # PCG64's state is 128 bits: beyond any float
    assert loaded._rng_state == estimator._rng_state
    assert loaded.hidden_layer_sizes == (5, 3)
    assert_same_state(estimator.extra_, loaded.extra_, "extra_")


def test_string_labels_in_object_arrays_come_back_as_object_arrays(data, tmp_path):
    X, y = data
    labels = np.array(["x", "yy", "zzz"], dtype=object)[y]
    estimator = AverageDarknessClassifier().fit(X, labels)
    assert estimator.classes_.dtype == object
    save(estimator, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert loaded.classes_.dtype == object
    assert type(loaded.predict(X)[0]) is str
    assert_array_equal(loaded.predict(X), estimator.predict(X))


# --- what cannot be saved ------------------------------------------------------------


def test_saving_an_unfitted_estimator_raises_and_writes_nothing(tmp_path):
    with pytest.raises(NotFittedError):
        save(ScratchMLPClassifier(), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_a_random_state_instance_is_refused_with_a_clear_message(data, tmp_path):
    estimator = _fit(_mlp(), *data).set_params(random_state=np.random.RandomState(0))
    with pytest.raises(TypeError, match="random_state.*RandomState.*set_params"):
        save(estimator, tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_non_plain_data_is_refused_naming_the_attribute(data, tmp_path):
    estimator = _fit(_mlp(), *data)
    estimator.custom_ = {"callback": print}
    with pytest.raises(TypeError, match=r"attribute 'custom_'\['callback'\]"):
        save(estimator, tmp_path / "model.npz")
    estimator.custom_ = np.array([object()], dtype=object)
    with pytest.raises(TypeError, match="object array of non-strings"):
        save(estimator, tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_the_progress_hook_is_not_saved(data, tmp_path):
    estimator = _fit(_mlp(), *data)
    hook = lambda *args: None  # noqa: E731
    estimator._on_epoch_end = hook
    save(estimator, tmp_path / "model.npz")
    assert not hasattr(load(tmp_path / "model.npz"), "_on_epoch_end")
    # Saving has no side effect on the estimator being saved.
    assert estimator._on_epoch_end is hook


def test_only_allowlisted_classes_are_saved(data, tmp_path):
    class Subclass(ScratchMLPClassifier):
        pass

    with pytest.raises(TypeError, match="only .* can be saved"):
        save(_fit(Subclass(hidden_layer_sizes=(3,), max_iter=2), *data), tmp_path / "m")


# --- faults: every bad file raises ModelFileError ------------------------------------


@pytest.fixture()
def saved(data, tmp_path):
    """A small saved model: (path, its bytes, the estimator)."""
    estimator = _fit(_mlp(solver="sgd"), *data)
    path = tmp_path / "model.npz"
    save(estimator, path)
    return path, path.read_bytes(), estimator


def read_members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def spec_checksum(document, members):
    """The checksum as docs/security.md specifies it, written independently."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    digest = hashlib.sha256(
        json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode("ascii")
    )
    names = document.get("arrays")
    # (Junk in "arrays", from the fuzz test below, hashes as no arrays.)
    for name in names if isinstance(names, list) else []:
        data = members.get(f"{name}.npy", b"")
        name = str(name)
        digest.update(name.encode() + b".npy\0" + struct.pack("<Q", len(data)))
        digest.update(data)
    return digest.hexdigest()


def rewrite(path, edit=None, members_edit=None, recompute=True, compression=None):
    """Rewrite the archive at ``path`` as a valid zip with edited content.

    zipfile recomputes each member's CRC, so only our own checks can notice.
    """
    members = read_members(path.read_bytes())
    document = json.loads(members[JSON_MEMBER])
    if edit:
        edit(document)
    if members_edit:
        members_edit(members)
    if recompute:
        document["checksum"]["hexdigest"] = spec_checksum(document, members)
    members[JSON_MEMBER] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w", compression or zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def load_error(path):
    with pytest.raises(ModelFileError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_a_file_of_version_0_1_with_optimizer_loads_as_solver(saved, data):
    # sknnscratch 0.1 named the solver parameter 'optimizer'.
    path, _, estimator = saved

    def as_version_0_1(document):
        document["params"]["optimizer"] = document["params"].pop("solver")
        document["sknnscratch_version"] = "0.1.0"

    rewrite(path, as_version_0_1)
    with pytest.warns(UserWarning, match="saved by sknnscratch 0.1.0"):
        loaded = load(path)
    assert loaded.solver == estimator.solver == "sgd"
    assert_same_outputs(loaded, estimator, data[0])


def test_the_spec_checksum_matches_the_file(saved):
    path, data, _ = saved
    members = read_members(data)
    document = json.loads(members[JSON_MEMBER])
    assert spec_checksum(document, members) == document["checksum"]["hexdigest"]


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert "empty" in load_error(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(saved, keep):
    path, data, _ = saved
    path.write_bytes(data[: int(len(data) * keep)])
    assert "truncated" in load_error(path)


def test_a_flipped_byte_in_the_weights(saved):
    path, data, estimator = saved
    weights = estimator.coefs_[0].tobytes()
    position = data.index(weights) + len(weights) // 2
    corrupted = bytearray(data)
    corrupted[position] ^= 0x01
    path.write_bytes(bytes(corrupted))
    message = load_error(path)
    assert "corrupted" in message and "CRC" in message


def test_every_flipped_byte_is_detected_or_harmless(saved):
    # Flip one bit at many positions (headers, JSON, arrays, central
    # directory): load either raises ModelFileError or, where zip ignores the
    # byte (e.g. a timestamp in a local header), gives the very same model.
    path, data, estimator = saved
    X = np.linspace(-2, 2, 15).reshape(3, 5)
    expected = estimator.predict_proba(X).tobytes()
    outcomes = {"error": 0, "same": 0}
    for position in range(0, len(data), max(1, len(data) // 400)):
        corrupted = bytearray(data)
        corrupted[position] ^= 0x10
        path.write_bytes(bytes(corrupted))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                loaded = load(path)
        except ModelFileError:
            outcomes["error"] += 1
            continue
        assert loaded.predict_proba(X).tobytes() == expected, position
        outcomes["same"] += 1
    assert outcomes["error"] > 0.8 * sum(outcomes.values()), outcomes


def test_a_tampered_json_value_fails_the_checksum(saved):
    path, _, _ = saved

    def edit(document):
        document["params"]["alpha"] = 0.5

    rewrite(path, edit, recompute=False)
    message = load_error(path)
    assert "checksum mismatch" in message


def test_a_tampered_array_fails_the_checksum(saved):
    path, _, estimator = saved
    weights = estimator.coefs_[0].tobytes()

    def edit(members):
        for name, data in members.items():
            if weights in data:
                members[name] = data.replace(weights, weights[::-1])

    rewrite(path, members_edit=edit, recompute=False)
    assert "checksum mismatch" in load_error(path)


def test_a_random_npz_is_a_foreign_file(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    message = load_error(path)
    assert "not a sknnscratch model file" in message and "weights.npy" in message


def test_a_text_file_is_a_foreign_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a model\n")
    assert "not a sknnscratch model file" in load_error(path)


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("xz", 3), ("bz2", 3)])
def test_a_joblib_pickle_is_a_foreign_file_and_is_never_unpickled(
    saved, tmp_path, monkeypatch, compress
):
    _, _, estimator = saved
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path, compress=compress)

    def explode(*args, **kwargs):
        raise AssertionError("load must never unpickle")

    monkeypatch.setattr(pickle, "load", explode)
    monkeypatch.setattr(pickle, "loads", explode)
    monkeypatch.setattr(joblib, "load", explode)
    message = load_error(path)
    assert "not a sknnscratch model file" in message
    assert "joblib" in message


def test_a_zip_with_our_member_name_but_another_format(saved):
    path, _, _ = saved

    def edit(document):
        document["format"] = "someone-else"

    rewrite(path, edit)
    assert "not a sknnscratch model file" in load_error(path)


def test_a_missing_member(saved):
    path, _, _ = saved

    def drop(members):
        del members["a1.npy"]

    rewrite(path, members_edit=drop, recompute=False)
    assert "member 'a1.npy' is missing" in load_error(path)


def test_a_missing_json_key(saved):
    path, _, _ = saved
    rewrite(path, lambda document: document.pop("attributes"))
    assert "no 'attributes' key" in load_error(path)


def test_a_newer_format_version(saved):
    path, _, _ = saved

    def edit(document):
        document["format_version"] = 2

    rewrite(path, edit)
    message = load_error(path)
    assert "format version 2 is newer" in message and "Upgrade" in message


def test_a_compressed_member_is_refused(saved):
    # Only stored members: their size on disk then bounds their size in memory.
    path, _, _ = saved
    rewrite(path, compression=zipfile.ZIP_DEFLATED)
    assert "is compressed" in load_error(path)


def test_a_missing_path_is_not_a_model_file_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


# Files crafted by someone who knows the format and recomputes the checksum:
# still nothing runs, and inconsistent content is refused.


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d.update(estimator="os.system"), "unknown estimator"),
        (lambda d: d.update(estimator="Pipeline"), "unknown estimator"),
        (lambda d: d["attributes"].update(__class__=1), "invalid attribute name"),
        (lambda d: d["attributes"].update(predict=1), "shadow"),
        (lambda d: d["params"].update(evil=1), "no parameters ['evil']"),
        (
            lambda d: d["attributes"].update(x_={"__type__": "pickle", "v": ""}),
            "unknown __type__ 'pickle'",
        ),
        (
            lambda d: d["attributes"].update(x_={"__type__": "int", "value": "1e9"}),
            "invalid integer",
        ),
        (
            lambda d: d["attributes"].update(
                x_={"__type__": "numpy.scalar", "dtype": "O", "value": 1}
            ),
            "dtype object is not allowed",
        ),
        (
            lambda d: d["attributes"].update(coefs_=[]),
            "coefs_ and intercepts_ must be lists",
        ),
        (
            lambda d: d["attributes"].update(_hidden_activations=["__import__"]),
            "known activation",
        ),
        (lambda d: d["attributes"].update(n_features_in_=7), "do not chain"),
    ],
    ids=[
        "module-path-class",
        "unlisted-class",
        "dunder-attribute",
        "method-shadowing",
        "unknown-param",
        "unknown-tag",
        "bad-int",
        "object-scalar",
        "empty-coefs",
        "bad-activation",
        "shape-mismatch",
    ],
)
def test_crafted_content_with_a_valid_checksum_is_refused(saved, edit, expected):
    path, _, _ = saved
    rewrite(path, edit)
    assert expected in load_error(path)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda d: d["attributes"].update(out_activation_="softmax"),
            "out_activation_ of a regressor with loss='squared_error' must be "
            "'identity'",
        ),
        (
            lambda d: d["attributes"].update(out_activation_="exp"),
            "out_activation_ of a regressor with loss='squared_error' must be "
            "'identity'",
        ),
        (
            lambda d: d["params"].update(loss="log_loss"),
            "loss must name a regression loss",
        ),
        (
            lambda d: d["attributes"].update(n_outputs_=3),
            "n_outputs_ does not match the output layer",
        ),
        (lambda d: d["attributes"].update(n_features_in_=2), "do not chain"),
    ],
    ids=[
        "softmax-output",
        "exp-output",
        "classifier-loss",
        "output-count",
        "shape-mismatch",
    ],
)
def test_crafted_regressor_content_is_refused(data, tmp_path, edit, expected):
    X, y = data
    path = tmp_path / "regressor.npz"
    save(_fit(_regressor(), X, X[:, 0] + y), path)
    rewrite(path, edit)
    assert expected in load_error(path)


def test_an_object_array_member_is_refused_without_unpickling(saved, monkeypatch):
    path, _, _ = saved

    def replace(members):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.array([{"a": 1}], dtype=object))
        members["a0.npy"] = buffer.getvalue()

    rewrite(path, members_edit=replace)
    monkeypatch.setattr(pickle, "loads", lambda *a: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a: pytest.fail("unpickled"))
    assert "dtype object is not allowed" in load_error(path)


def test_an_array_header_larger_than_its_data_is_refused(saved):
    path, _, _ = saved

    def lie(members):
        buffer = io.BytesIO()
        header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
        np.lib.format.write_array_header_1_0(buffer, header)
        members["a0.npy"] = buffer.getvalue() + b"\0" * 64

    rewrite(path, members_edit=lie)
    assert "announces 8000000000000 bytes" in load_error(path)


def test_another_package_version_warns_on_load(saved, monkeypatch):
    path, _, estimator = saved
    monkeypatch.setattr(sknnscratch, "__version__", "0.0.1")
    save(estimator, path)
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="saved by sknnscratch 0.0.1 .* loaded by"):
        load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save(estimator, path)
        load(path)


# --- atomic writes ------------------------------------------------------------------


def _temporaries(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


@pytest.mark.parametrize("exception", [KeyboardInterrupt(), OSError("disk full")])
def test_an_interrupted_save_keeps_the_old_file_and_no_temporary(
    saved, monkeypatch, exception
):
    path, old_bytes, estimator = saved
    newer = _fit(_mlp(solver="adam"), np.eye(5), [0, 1, 2, 0, 1])
    original_writestr = zipfile.ZipFile.writestr
    calls = []

    def writestr_then_fail(self, info, data, *args, **kwargs):
        calls.append(info)
        if len(calls) == 3:
            # The temporary file exists and already holds two members.
            (temporary,) = _temporaries(path.parent)
            assert (path.parent / temporary).stat().st_size > 0
            raise exception
        return original_writestr(self, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr_then_fail)
    with pytest.raises(type(exception)):
        save(newer, path)
    monkeypatch.undo()

    assert len(calls) == 3
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == old_bytes
    assert_same_state(vars(load(path)), vars(estimator))


@pytest.mark.parametrize("target", ["fsync", "replace"])
def test_a_failing_fsync_or_rename_keeps_the_old_file(saved, monkeypatch, target):
    path, old_bytes, _ = saved

    def fail(*args):
        raise OSError(f"simulated {target} failure")

    monkeypatch.setattr(persistence.os, target, fail)
    with pytest.raises(OSError, match=f"simulated {target}"):
        save(_fit(_mlp(), np.eye(5), [0, 1, 2, 0, 1]), path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == old_bytes


def test_an_interrupted_first_save_leaves_nothing(data, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence.os, "fsync", lambda fd: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        save(_fit(_mlp(), *data), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_the_file_gets_the_usual_permissions(saved):
    path, _, _ = saved
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# --- skops -------------------------------------------------------------------------


def test_skops_loads_with_only_the_estimator_class_trusted(fitted_case, tmp_path):
    sio = pytest.importorskip("skops.io")
    estimator, X, _ = fitted_case
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    name = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    # Every other type in the fitted state (arrays, dicts, lists, NumPy
    # scalars, the rng state) is plain data that skops trusts by default.
    assert sio.get_untrusted_types(file=path) == [name]
    loaded = sio.load(path, trusted=[name])
    assert_same_outputs(loaded, estimator, X)
    if hasattr(estimator, "partial_fit") and not estimator.early_stopping:
        estimator.partial_fit(X, estimator.predict(X))
        loaded.partial_fit(X, loaded.predict(X))
        assert_same_state(estimator.coefs_, loaded.coefs_)


# --- joblib and pickle -------------------------------------------------------------


@pytest.mark.parametrize("dumper", ["pickle", "joblib"])
def test_joblib_and_pickle_round_trip(fitted_case, tmp_path, dumper):
    estimator, X, _ = fitted_case
    if dumper == "pickle":
        loaded = pickle.loads(pickle.dumps(estimator))
    else:
        joblib.dump(estimator, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    assert_same_outputs(loaded, estimator, X)


def test_unpickling_a_model_from_another_version_warns(data):
    estimator = _fit(_mlp(), *data)
    state = estimator.__getstate__()
    assert state["_sknnscratch_version"] == sknnscratch.__version__
    state["_sknnscratch_version"] = "0.0.1"
    # What pickle.loads does with the state of an object.
    clone = ScratchMLPClassifier.__new__(ScratchMLPClassifier)
    with pytest.warns(UserWarning, match=r"0\.0\.1.*" + sknnscratch.__version__):
        clone.__setstate__(state)
    assert not hasattr(clone, "_sknnscratch_version")
    assert_array_equal(clone.predict_proba(data[0]), estimator.predict_proba(data[0]))


def test_pickling_warns_across_versions_only(data, monkeypatch):
    estimator = _fit(_mlp(), *data)
    monkeypatch.setattr(sknnscratch, "__version__", "0.0.1")
    pickled = pickle.dumps(estimator)
    monkeypatch.undo()
    with pytest.warns(UserWarning, match=r"0\.0\.1"):
        pickle.loads(pickled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(pickle.dumps(estimator))
    assert not hasattr(restored, "_sknnscratch_version")


def _json_paths(value, path=()):
    """Every (path, value) in a JSON tree, containers included.

    Of a list, only the first two items: the others (epochs of the loss
    curve, say) are more of the same.
    """
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from _json_paths(item, (*path, index))


JUNK = [None, -1, "x", [[1]], {}, {"__type__": 7}, {"__type__": "int"}]


def test_any_single_edit_either_fails_cleanly_or_still_predicts(saved):
    # Each node of the document (except the checksum) replaced by each junk
    # value, with the checksum recomputed as an attacker would: load raises
    # ModelFileError (nothing else), or gives a model that still predicts.
    path, data, estimator = saved
    X = np.linspace(-1, 1, 10).reshape(2, 5)
    document = json.loads(read_members(data)[JSON_MEMBER])
    targets = [p for p, _ in _json_paths(document) if p and p[0] != "checksum"]
    outcomes = {"refused": 0, "loaded": 0}
    for target in targets:
        for junk in JUNK:

            def edit(document, target=target, junk=junk):
                node = document
                for key in target[:-1]:
                    node = node[key]
                node[target[-1]] = junk

            path.write_bytes(data)
            rewrite(path, edit)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    loaded = load(path)
            except ModelFileError:
                outcomes["refused"] += 1
                continue
            outcomes["loaded"] += 1
            proba = loaded.predict_proba(X)
            assert proba.shape == (2, len(loaded.classes_)), (target, junk)
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes
