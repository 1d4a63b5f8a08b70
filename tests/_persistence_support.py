"""Shared by the two persistence test files, ``test_persistence.py`` and
``test_persistence_faults.py``; not a test module (its name starts with ``_``,
so pytest does not collect it).

Fitted estimators of every kind (the ``data``, ``fitted_case``, ``models`` and
``saved`` fixtures, which each test file imports by name so that pytest finds
them there and only there, with no ``conftest.py``), comparisons of fitted
state, and the documented format written independently: model files read and
written with struct, json, hashlib and ``safetensors.numpy`` only,
re-implementing the documented layout and checksum (see
``sknnscratch.persistence``), so that the tests also check that the documented
format is what the code implements.
"""

import hashlib
import json
import struct
import warnings

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file
from safetensors.numpy import save as safetensors_bytes
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch._baseline import AverageDarknessClassifier
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
