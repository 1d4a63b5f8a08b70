"""Property-based tests: any input either works or fails cleanly.

For random shapes (1-40 rows, 1-6 features), dtypes (bool, int8, int64,
float16/32/64, object arrays of numbers), values (huge, tiny, constant
columns, NaN, inf), dense or sparse (CSR/CSC) storage and labels (ints,
strings, bools, floats; 1 to 4 classes; multilabel indicators), every call to
``fit``, ``partial_fit``, ``predict`` and ``predict_proba`` either

* succeeds, with finite probabilities in [0, 1] whose rows sum to 1 (each
  label's probability on its own for multilabel targets) and predictions
  taken from ``classes_``, or
* raises ``ValueError`` or ``TypeError`` with a non-empty message,

and no ``RuntimeWarning`` (overflow, invalid value, ...) escapes. Non-finite
input must be rejected; valid input (finite, of the fitted width, with at
least two classes) must be accepted, unless it has huge values, which may
also be refused with a ValueError. Small networks and ``max_iter=5`` keep
each example to milliseconds.

Run with ``--hypothesis-show-statistics`` to see how many examples each test
generated.
"""

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier

# On top of the suite's "reproducible" profile (tests/conftest.py: the same
# examples on every run, no deadline; a typical example takes 5-30 ms).
PROPERTY_SETTINGS = settings(
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_ROWS, MAX_FEATURES = 40, 6

#: Values whose products and squares overflow: near the top of each float
#: type's range, the int64 extremes (9.2e18, whose squares reach 1e37 and
#: whose gradients blow up within a few epochs) and Python ints beyond int64.
HUGE_VALUES = {
    "float64": [1e300, -1e300, 1.7e308, -1.7e308],
    "float32": [3e38, -3e38],
    "float16": [],
    "int8": [],
    "int64": [-(2**63), 2**63 - 1],
    "object": [1e300, 2**70],
}
#: Other values at the edges: subnormals, the float16 maximum, the int8
#: extremes, and large but tame magnitudes.
EDGE_VALUES = {
    "float64": [1e-300, -1e-300, 5e-324, 1e6],
    "float32": [1e-38, 1e-45, 1e6],
    "float16": [65504.0, -65504.0, 6e-8, 1e-4],
    "int8": [-128, 127],
    "int64": [-(2**31), 2**31 - 1],
    "object": [-1e-300, 2**40, 1e6],
}
DTYPES = ["float64", "float32", "float16", "int8", "int64", "bool", "object"]


@dataclass
class Matrix:
    """A generated X with what it is made of, for failure messages."""

    X: object
    dtype: str
    storage: str
    finite: bool

    def __repr__(self):
        dense = self.X.toarray() if sp.issparse(self.X) else self.X
        return (
            f"Matrix({self.storage} {self.dtype} {dense.shape}, finite="
            f"{self.finite}, values={dense.tolist()!r})"
        )


def _elements(dtype, huge):
    """Strategy for one entry of an X of ``dtype`` (as a Python number)."""
    if dtype == "bool":
        return st.booleans()
    edges = EDGE_VALUES[dtype] + (HUGE_VALUES[dtype] if huge else [])
    if dtype in ("int8", "int64"):
        return st.one_of(st.integers(-10, 10), st.sampled_from(edges))
    if dtype == "object":  # Python numbers: ints (beyond int64 too) and floats
        ordinary = st.one_of(st.integers(-10, 10), st.floats(-10, 10))
    else:
        width = {"float64": 64, "float32": 32, "float16": 16}[dtype]
        ordinary = st.floats(-10, 10, width=width)
    return st.one_of(ordinary, st.sampled_from(edges))


@st.composite
def matrices(draw, huge, n_rows=None, n_features=None):
    """An X: any shape, dtype, values; dense or CSR/CSC.

    ``huge`` adds the values of HUGE_VALUES (1e300, 3e38, int64 extremes).
    """
    n_rows = n_rows or draw(st.integers(1, MAX_ROWS))
    n_features = n_features or draw(st.integers(1, MAX_FEATURES))
    dtype = draw(st.sampled_from(DTYPES))
    values = draw(
        st.lists(
            _elements(dtype, huge),
            min_size=n_rows * n_features,
            max_size=n_rows * n_features,
        )
    )
    X = np.array(values, dtype=dtype).reshape(n_rows, n_features)
    if draw(st.booleans()):  # a constant column
        column = draw(st.integers(0, n_features - 1))
        X[:, column] = X[0, column]
    finite = True
    # One example in five gets a NaN or an infinity.
    if dtype in ("float64", "float32", "float16", "object") and draw(
        st.sampled_from([False] * 4 + [True])
    ):
        special = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        X[draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_features - 1))] = (
            special
        )
        finite = False
    storage = "dense"
    # scipy.sparse has no float16 or object matrices.
    if dtype not in ("float16", "object"):
        storage = draw(st.sampled_from(["dense", "csr", "csc"]))
        if storage != "dense":
            X = sp.csr_matrix(X) if storage == "csr" else sp.csc_matrix(X)
    return Matrix(X, dtype, storage, finite)


@dataclass
class Labels:
    """A generated y and every class it may hold (for partial_fit)."""

    y: np.ndarray
    classes: object
    kind: str

    @property
    def discrete(self):
        """Class labels rather than a continuous target (non-integral floats)."""
        if self.kind != "float":
            return True
        return bool(np.all(self.classes == np.round(self.classes)))

    @property
    def fit_must_accept(self):
        """fit needs at least two classes in y (any multilabel indicator)."""
        if self.kind == "multilabel":
            return True
        return self.discrete and len(np.unique(self.y)) >= 2

    @property
    def partial_fit_must_accept(self):
        """partial_fit needs at least two classes in ``classes``."""
        if self.kind == "multilabel":
            return True
        return self.discrete and len(self.classes) >= 2


@st.composite
def labels(draw, n_rows):
    kind = draw(st.sampled_from(["int", "str", "bool", "float", "multilabel"]))
    if kind == "multilabel":
        n_labels = draw(st.integers(2, 4))
        cells = draw(
            st.lists(
                st.booleans(), min_size=n_rows * n_labels, max_size=n_rows * n_labels
            )
        )
        y = np.array(cells, dtype=int).reshape(n_rows, n_labels)
        return Labels(y, None, kind)
    n_classes = draw(st.integers(1, 2 if kind == "bool" else 4))
    pool_strategy = {
        "int": st.integers(-5, 2**40),
        "str": st.text("abcé", min_size=1, max_size=3),
        "bool": st.booleans(),
        # Integral floats are classes; others make a continuous target.
        "float": st.one_of(st.integers(-3, 3).map(float), st.floats(-3, 3)),
    }[kind]
    pool = draw(
        st.lists(pool_strategy, min_size=n_classes, max_size=n_classes, unique=True)
    )
    y = np.array(
        draw(st.lists(st.sampled_from(pool), min_size=n_rows, max_size=n_rows))
    )
    return Labels(y, np.array(sorted(pool)), kind)


estimator_params = st.fixed_dictionaries(
    {
        "solver": st.sampled_from(["adam", "sgd", "rmsprop", "adagrad", "lbfgs"]),
        "activation": st.sampled_from(
            ["relu", "logistic", "tanh", "identity", "leaky_relu", "elu"]
        ),
        "loss": st.sampled_from(["log_loss", "squared_error"]),
        "hidden_layer_sizes": st.sampled_from([(3,), (4, 2)]),
    }
)


def _make(params, **extra):
    return ScratchMLPClassifier(max_iter=5, random_state=0, **params, **extra)


class Rejected(Exception):
    """The call raised a clean ValueError/TypeError: the property holds."""


@contextmanager
def clean_call(what, *inputs):
    """Run a call under the property: clean errors pass, anything else fails.

    RuntimeWarnings become errors, so an overflow inside the estimator fails
    the test with the call and its input in the message; convergence warnings
    (max_iter=5) are expected.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            yield
        except (ValueError, TypeError) as exc:
            if not str(exc).strip():
                pytest.fail(f"{what} raised {type(exc).__name__} with no message")
            raise Rejected from exc
        except RuntimeWarning as exc:
            pytest.fail(f"{what} let a RuntimeWarning escape ({exc}) for {inputs}")
        except Exception as exc:  # any other type breaks the contract
            pytest.fail(f"{what} raised {type(exc).__name__}: {exc} for {inputs}")


def check_outputs(estimator, matrix, what, huge):
    """predict_proba and predict on ``matrix`` satisfy the property.

    Invalid input must be rejected. Valid input must be accepted unless it
    has huge values: for those, a ValueError saying that they overflow is as
    good an answer as finite probabilities.
    """
    n_rows = matrix.X.shape[0]
    try:
        with clean_call(f"{what}: predict_proba", matrix):
            proba = estimator.predict_proba(matrix.X)
    except Rejected:
        proba = None
    valid = matrix.finite and matrix.X.shape[1] == estimator.n_features_in_
    if not valid:
        assert proba is None, f"{what}: predict_proba accepted invalid {matrix}"
    elif not huge:
        assert proba is not None, f"{what}: predict_proba rejected valid {matrix}"
    if proba is not None:
        n_outputs = len(estimator.classes_)
        assert proba.shape == (n_rows, n_outputs), what
        assert np.all(np.isfinite(proba)), f"{what}: non-finite proba for {matrix}"
        assert np.all((proba >= 0) & (proba <= 1)), f"{what}: proba out of [0, 1]"
        if estimator._label_type != "multilabel-indicator":
            tolerance = 1e-5 if proba.dtype == np.float32 else 1e-10
            np.testing.assert_allclose(
                proba.sum(axis=1), 1, atol=tolerance, err_msg=f"{what}: {matrix}"
            )
    try:
        with clean_call(f"{what}: predict", matrix):
            predicted = estimator.predict(matrix.X)
    except Rejected:
        assert proba is None, f"{what}: predict failed where predict_proba worked"
        return
    assert proba is not None, f"{what}: predict worked where predict_proba failed"
    if estimator._label_type == "multilabel-indicator":
        assert predicted.shape == proba.shape
        assert set(np.unique(predicted)) <= {0, 1}
    else:
        assert predicted.shape == (n_rows,)
        assert np.isin(predicted, estimator.classes_).all()


# --- the properties ---------------------------------------------------------------
# Each property runs twice: on values up to 1e6 in magnitude (plus
# subnormals, the float16 maximum and int8/int32-sized extremes), where it
# holds today, and with HUGE_VALUES added (1e300, 1.7e308, 3e38 in float32,
# the int64 extremes, 2**70), where it fails until the estimator handles
# overflow (see the minimal examples at the end). Same property, wider values.


def fit_property(data, params, huge):
    matrix = data.draw(matrices(huge), label="X")
    target = data.draw(labels(matrix.X.shape[0]), label="y")
    estimator = _make(params)
    try:
        with clean_call("fit", matrix, target):
            estimator.fit(matrix.X, target.y)
    except Rejected as rejected:
        event(f"fit rejected the input ({type(rejected.__cause__).__name__})")
        # Valid input must not be rejected: the property is not met by an
        # estimator that refuses everything.
        assert huge or not (matrix.finite and target.fit_must_accept), (
            f"fit rejected valid input: {rejected.__cause__} for {matrix}, {target}"
        )
        return
    event("fit accepted the input")
    assert matrix.finite, f"fit accepted non-finite input {matrix}"
    check_outputs(estimator, matrix, "after fit, on the training X", huge)
    # Unseen input of any kind with the same number of features.
    other = data.draw(matrices(huge, n_features=matrix.X.shape[1]), label="X_new")
    check_outputs(estimator, other, "after fit, on new X", huge)


def partial_fit_property(data, params, huge):
    if params["solver"] == "lbfgs":
        params = {**params, "solver": "adam"}  # lbfgs has no partial_fit
    matrix = data.draw(matrices(huge), label="X")
    target = data.draw(labels(matrix.X.shape[0]), label="y")
    estimator = _make(params)
    try:
        with clean_call("partial_fit", matrix, target):
            estimator.partial_fit(matrix.X, target.y, classes=target.classes)
            # A second chunk continues from the first: optimizer state and
            # the random stream are reused.
            estimator.partial_fit(matrix.X, target.y)
    except Rejected as rejected:
        event(f"partial_fit rejected the input ({type(rejected.__cause__).__name__})")
        assert huge or not (matrix.finite and target.partial_fit_must_accept), (
            f"partial_fit rejected valid input: {rejected.__cause__} for {matrix}, "
            f"{target}"
        )
        return
    event("partial_fit accepted the input")
    assert matrix.finite, f"partial_fit accepted non-finite input {matrix}"
    check_outputs(estimator, matrix, "after partial_fit", huge)


def predict_property(data, kind, params, huge):
    """A model fitted on tame data predicts on any input of the right width."""
    n_features = data.draw(st.integers(1, MAX_FEATURES), label="n_features")
    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(30, n_features))
    y = {
        "binary": np.arange(30) % 2,
        "multiclass": np.array(["a", "b", "c"])[np.arange(30) % 3],
        "multilabel": np.c_[np.arange(30) % 2, np.arange(30) % 3 == 0],
    }[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = _make(params).fit(X, y)
    # The right width, or (sometimes) a wrong one that must be rejected.
    width = data.draw(st.sampled_from([n_features] * 4 + [n_features + 1]))
    matrix = data.draw(matrices(huge, n_features=width), label="X")
    check_outputs(estimator, matrix, f"{kind} model", huge)


target_kinds = st.sampled_from(["binary", "multiclass", "multilabel"])


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), params=estimator_params)
def test_fit_then_predict(data, params):
    fit_property(data, params, huge=False)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), params=estimator_params)
def test_fit_then_predict_huge_values(data, params):
    fit_property(data, params, huge=True)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), params=estimator_params)
def test_partial_fit_then_predict(data, params):
    partial_fit_property(data, params, huge=False)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), params=estimator_params)
def test_partial_fit_then_predict_huge_values(data, params):
    partial_fit_property(data, params, huge=True)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), kind=target_kinds, params=estimator_params)
def test_predict_on_any_input(data, kind, params):
    predict_property(data, kind, params, huge=False)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(data=st.data(), kind=target_kinds, params=estimator_params)
def test_predict_on_any_input_huge_values(data, kind, params):
    predict_property(data, kind, params, huge=True)


# --- minimal examples of the overflow bugs ---------------------------------------
# Shrunk by hand from what the *_huge_values properties find. Each asserts
# the same contract: a clean ValueError, or a result with finite outputs, and
# no RuntimeWarning.


@contextmanager
def no_runtime_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _tame_model(**params):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ScratchMLPClassifier(
            hidden_layer_sizes=(2,), max_iter=5, random_state=0, **params
        ).fit(X, [0, 1, 2, 2])


def test_overflow_predict_proba_of_finite_input_is_never_nan():
    # Default relu model; X @ W overflows to +inf in one hidden unit and -inf
    # in another, and inf - inf in the output layer is NaN.
    model = _tame_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            proba = model.predict_proba([[1.7e308, -1.7e308]])
        except ValueError:
            return
    assert np.isfinite(proba).all(), proba


def test_overflow_predict_proba_leaks_no_runtime_warning():
    model = _tame_model()
    with no_runtime_warning():
        try:
            model.predict_proba([[1.7e308, -1.7e308]])
        except ValueError:
            pass


def test_overflow_input_validation_leaks_no_runtime_warning():
    # Finite float64 input whose sum is inf + (-inf): scikit-learn's finite
    # check (np.sum under errstate(over="ignore") only) warns "invalid value
    # encountered in reduce" before the estimator sees the data.
    X = np.zeros((4, 4))
    X.flat[[0, 8]] = 1.7e308
    X.flat[[1, 9]] = -1.7e308
    model = ScratchMLPClassifier(hidden_layer_sizes=(2,), max_iter=5, random_state=0)
    with no_runtime_warning():
        try:
            model.fit(X, [0, 1, 0, 1])
        except ValueError:
            pass


@pytest.mark.parametrize("solver", ["adam", "rmsprop", "adagrad", "sgd"])
def test_overflow_fit_on_huge_finite_input_leaks_no_runtime_warning(solver):
    # adam/rmsprop/adagrad: the squared gradient overflows to inf, which then
    # silently freezes the weights (the step g / sqrt(inf) is 0). sgd: the
    # forward pass overflows before the divergence check restores the weights.
    X = np.array([[0.0], [1.0], [2.0], [3.0]]) * 1e200
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(3,), solver=solver, max_iter=5, random_state=0
    )
    with no_runtime_warning():
        try:
            model.fit(X, [0, 0, 1, 1])
        except ValueError:
            return
    assert all(np.isfinite(c).all() for c in model.coefs_)
