"""Saving and loading fitted estimators: our safetensors format, skops, joblib, pickle.

Round trips of every kind of fitted model (and of random small ones), what
cannot be saved and what is not saved, atomic writes, versions, and skops,
joblib and pickle. The format tests read and write model files with the
independent reader and writer of ``_persistence_support`` (struct, json,
hashlib and ``safetensors.numpy`` only, re-implementing the documented layout
and checksum), so they also check that the documented format is what the code
implements. Bad and crafted files are ``test_persistence_faults.py``'s.
"""

import json
import os
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

import sknnscratch
from sknnscratch import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    _model_file,
    persistence,
)
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch.callbacks import HAS_SKLEARN_CALLBACKS
from sknnscratch.persistence import load, save

# isort: split
# tests/'s own helpers (pytest puts tests/ on sys.path), which ruff would sort
# among the third-party imports.
from _persistence_support import (
    DOCUMENT_KEYS,
    METADATA_KEY,
    REGRESSION_LOSSES,
    STRINGS,
    _fit,
    _mlp,
    _regressor,
    _without_timings,
    assert_same_outputs,
    assert_same_state,
    at,
    padded,
    read_model,
    read_raw,
    rewrite,
    spec_checksum,
)

# The fixtures, imported by name so that pytest finds them in this module (a
# conftest.py would show them to every test module). Imported as themselves
# (an explicit re-export): ruff then reports neither an unused import (F401)
# nor the tests' parameters of the same names as redefinitions (F811).
from _persistence_support import data as data
from _persistence_support import fitted_case as fitted_case
from _persistence_support import models as models
from _persistence_support import saved as saved

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


# On top of the suite's "reproducible" profile (tests/conftest.py: the same
# examples on every run, no deadline).
PROPERTY_SETTINGS = settings(
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
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


def test_an_adam_model_of_version_0_3_continues_its_partial_fit(data, tmp_path):
    # sknnscratch 0.3 saved Adam's state as the sums u = m / (1 - beta_1) and
    # w = v / (1 - beta_2), as the tensors optimizer.gradient_sum and
    # optimizer.squared_gradient_sum. Such a file still loads, and partial_fit
    # continues as from the moments, up to rounding.
    X, y = data
    original = _mlp(solver="adam")
    original.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    path = tmp_path / "model.safetensors"
    save(original, path)

    def as_sums(document):
        document["attributes"]["_optimizer_state"]["slots"] = {
            "gradient_sum": "optimizer.gradient_sum",
            "squared_gradient_sum": "optimizer.squared_gradient_sum",
        }

    def sums(tensors):
        m = tensors.pop("optimizer.first_moment")
        v = tensors.pop("optimizer.second_moment")
        tensors["optimizer.gradient_sum"] = m / (1 - original.beta_1)
        tensors["optimizer.squared_gradient_sum"] = v / (1 - original.beta_2)

    rewrite(path, as_sums, sums)
    loaded = load(path)
    assert set(loaded._optimizer_state) == {
        "name",
        "t",
        "gradient_sum",
        "squared_gradient_sum",
    }
    original.partial_fit(X[30:], y[30:])
    loaded.partial_fit(X[30:], y[30:])
    for ours, theirs in zip(loaded.coefs_, original.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    # Saved again, the model has today's slots.
    save(loaded, path)
    assert set(load(path)._optimizer_state) == {
        "name",
        "t",
        "first_moment",
        "second_moment",
    }


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
        (
            lambda data: delattr(m := _fit(_mlp(), *data), "n_layers_") or m,
            TypeError,
            r"lacks the fitted attributes \['n_layers_'\]",
        ),
        (_long_feature_name, ValueError, "header would take"),
        (_wide_labels_model, ValueError, "classes_ takes"),
    ],
    ids=[
        "unfitted",
        "random-state-instance",
        "undeclared-attribute",
        "missing-attribute",
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
        _model_file.os, "fdopen", lambda *a: HalfWritten(real_fdopen(*a))
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

    monkeypatch.setattr(_model_file.os, target, fail)
    with pytest.raises(OSError, match=f"simulated {target}"):
        save(newer, path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name]
    assert path.read_bytes() == old_bytes


def test_an_interrupted_first_save_leaves_nothing(models, tmp_path, monkeypatch):
    monkeypatch.setattr(_model_file.os, "fsync", lambda fd: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        save(models["multiclass"], tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


def test_an_existing_temporary_name_is_skipped_not_overwritten(saved, monkeypatch):
    path, data, estimator = saved
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(_model_file.secrets, "token_hex", lambda n: next(names))
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
