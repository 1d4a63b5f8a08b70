"""``sknnscratch._validation``: the checks of parameters and input data that
the facade runs before anything reaches the engine."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.utils._param_validation import (
    InvalidParameterError,
    validate_parameter_constraints,
)

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch._base import BaseScratchMLP
from sknnscratch._validation import (
    COMMON_PARAMETER_CONSTRAINTS,
    cast_checked,
    checked_sample_weight,
    layer_plan,
    validate_for_predict,
    validated_pair,
)

FLOAT32_MAX = float(np.finfo(np.float32).max)


def expecting(n_features, **attributes):
    """An unfitted regressor that expects ``n_features`` columns, as a fitted
    one would (validate_data reads only these attributes)."""
    estimator = ScratchMLPRegressor()
    estimator.n_features_in_ = n_features
    for name, value in attributes.items():
        setattr(estimator, name, value)
    return estimator


# --- parameter constraints --------------------------------------------------------


def test_every_shared_parameter_but_loss_has_a_constraint():
    shared = set(inspect.signature(BaseScratchMLP.__init__).parameters)
    assert set(COMMON_PARAMETER_CONSTRAINTS) == shared - {"self", "loss"}


@pytest.mark.parametrize(
    "name, good, bad",
    [
        ("solver", ["sgd", "adagrad", "rmsprop", "adam", "lbfgs"], ["adamw"]),
        ("validation_fraction", [0.0, 0.5], [1.0, -0.1]),
        ("momentum", [0.0, 1.0], [1.1]),
        ("beta_1", [0.0, 0.9], [1.0]),
        ("n_iter_no_change", [1, np.inf], [0, 2.5]),
        ("batch_size", ["auto", 1], [0, "all"]),
        ("learning_rate_init", [1e-9], [0.0]),
        (
            "learning_rate",
            ["constant", "invscaling", "adaptive", "inverse_time", "cosine"],
            ["cosine_annealing", "exponential"],
        ),
        ("alpha_bias", [0.0, 5e-4], [-1e-4]),
        ("decay", [0.0, 5e-7], [-1.0]),
        ("warmup_iter", [0, 3], [-1, 1.5]),
        ("dropout", [0.0, [0.1, 0.2]], [1.0]),
    ],
)
def test_constraints_accept_and_refuse_as_documented(name, good, bad):
    constraints = {name: COMMON_PARAMETER_CONSTRAINTS[name]}
    for value in good:
        validate_parameter_constraints(constraints, {name: value}, "MLP")
    for value in bad:
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            validate_parameter_constraints(constraints, {name: value}, "MLP")


# --- layer_plan -------------------------------------------------------------------


def test_layer_plan_gives_one_activation_and_rate_per_hidden_layer():
    assert layer_plan(5, "relu", 0.0, "adam") == ([5], ["relu"], [0.0])
    sizes, activations, rates = layer_plan(
        (8, np.int64(4)), ["tanh", "elu"], np.array([0.5, np.float32(0.25)]), "sgd"
    )
    assert sizes == [8, 4] and activations == ["tanh", "elu"]
    assert rates == [0.5, 0.25] and all(type(r) is float for r in rates)
    assert layer_plan([3, 3, 3], "logistic", 0.1, "adam")[1:] == (
        ["logistic"] * 3,
        [0.1] * 3,
    )


@pytest.mark.parametrize(
    "sizes, activation, dropout, solver, match",
    [
        ((4, 0), "relu", 0.0, "adam", r"positive integers, got \[4, 0\]"),
        ((4, 2.5), "relu", 0.0, "adam", "positive integers"),
        ((4, 4), ["relu"], 0.0, "adam", "activation has 1 entries but there are 2"),
        ((4,), "swish", 0.0, "adam", "Unknown activation 'swish'.*'relu'"),
        ((4,), [["relu"]], 0.0, "adam", r"Unknown activation \['relu'\]"),
        ((4, 4), "relu", [0.1, 0.2, 0.3], "adam", "dropout has 3 entries"),
        ((4,), "relu", 1.0, "adam", r"dropout rates must be in \[0, 1\), got 1.0"),
        ((4,), "relu", [-0.1], "adam", "dropout rates must be in"),
        ((4,), "relu", ["0.1"], "adam", "dropout rates must be in"),
        ((4,), "relu", 0.2, "lbfgs", "dropout is not supported with solver='lbfgs'"),
    ],
)
def test_layer_plan_errors_name_the_problem(sizes, activation, dropout, solver, match):
    with pytest.raises(ValueError, match=match):
        layer_plan(sizes, activation, dropout, solver)


def test_lbfgs_takes_layers_without_dropout():
    assert layer_plan((4, 4), "relu", [0.0, 0.0], "lbfgs")[2] == [0.0, 0.0]


# --- cast_checked -----------------------------------------------------------------


def test_cast_checked_casts_values_the_dtype_holds():
    X = np.array([[FLOAT32_MAX, -FLOAT32_MAX], [1.5, 0.0]])
    cast = cast_checked(X, np.float32)
    assert cast.dtype == np.float32 and np.isfinite(cast).all()
    assert_array_equal(cast, X.astype(np.float32))
    assert cast_checked(np.empty((0, 3)), np.float32).dtype == np.float32


@pytest.mark.parametrize("value", [1e39, -1e39])
@pytest.mark.parametrize("sparse", [False, True])
def test_cast_checked_refuses_values_that_would_overflow(value, sparse):
    X = np.array([[0.0, value], [1.0, 0.0]])
    X = sp.csr_matrix(X) if sparse else X
    with pytest.raises(
        ValueError,
        match=r"y_val has values beyond 3.4e\+38, too large for the model's "
        r"float32 weights; scale the target\.",
    ):
        cast_checked(X, np.float32, "y_val", "scale the target")


def test_cast_checked_keeps_sparse_input_sparse():
    cast = cast_checked(sp.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0]])), np.float32)
    assert sp.issparse(cast) and cast.dtype == np.float32
    assert_array_equal(cast.toarray(), [[0, 2], [3, 0]])


# --- checked_sample_weight --------------------------------------------------------


def test_checked_sample_weight_in_the_dtype_of_x():
    X = np.zeros((3, 2), dtype=np.float32)
    assert checked_sample_weight(None, X) is None
    weights = checked_sample_weight([1, 0, 2], X)
    assert weights.dtype == np.float32
    assert_array_equal(weights, [1, 0, 2])


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1.0, -0.5, 1.0], "Negative values in data passed to `sample_weight_val`"),
        # scikit-learn >= 1.7 says so first, in its own words.
        ([0.0, 0.0, 0.0], "sums to zero|at least one non-zero"),
        ([1.0, 1.0], "sample_weight.shape == \\(2,\\), expected \\(3,\\)"),
    ],
)
def test_checked_sample_weight_refuses_weights_with_nothing_to_learn(weights, match):
    with pytest.raises(ValueError, match=match):
        checked_sample_weight(weights, np.zeros((3, 2)), name="sample_weight_val")


# --- validated_pair ---------------------------------------------------------------


def test_validated_pair_keeps_float32_and_makes_the_rest_float64():
    X32 = np.ones((3, 2), dtype=np.float32)
    X, y = validated_pair(ScratchMLPRegressor(), X32, [1, 2, 3], reset=True, dtype=None)
    assert X.dtype == np.float32
    assert_array_equal(y, [1, 2, 3])
    X, _ = validated_pair(ScratchMLPRegressor(), [[1, 2]], [0], reset=True, dtype=None)
    assert X.dtype == np.float64


def test_validated_pair_resets_or_checks_the_number_of_features():
    estimator = ScratchMLPRegressor()
    validated_pair(estimator, np.ones((2, 4)), [0.0, 1.0], reset=True, dtype=None)
    assert estimator.n_features_in_ == 4
    with pytest.raises(ValueError, match="X has 3 features, but .* expecting 4"):
        validated_pair(estimator, np.ones((2, 3)), [0, 1], reset=False, dtype=None)


def test_validated_pair_casts_to_the_fitted_dtype_refusing_overflow():
    estimator = expecting(2)
    X, _ = validated_pair(estimator, [[1.0, 2.0]], [0.0], reset=False, dtype=np.float32)
    assert X.dtype == np.float32
    with pytest.raises(ValueError, match="X has values beyond"):
        validated_pair(estimator, [[1e39, 0.0]], [0.0], reset=False, dtype=np.float32)


def test_validated_pair_accepts_sparse_input_as_csr_or_csc():
    X = sp.coo_matrix(np.eye(3))
    X, _ = validated_pair(ScratchMLPRegressor(), X, [0, 1, 2], reset=True, dtype=None)
    assert X.format in ("csr", "csc")


def test_validated_pair_checks_huge_finite_values_without_runtime_warnings():
    # scikit-learn's finite check sums X; NumPy sums 8 columns in 8 partial
    # sums, here 1.7e308 + 1.7e308 = inf and -inf, and inf + -inf warns.
    X = np.zeros((2, 8))
    X[:, 0], X[:, 1] = 1.7e308, -1.7e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_checked, _ = validated_pair(
            ScratchMLPRegressor(), X, [0.0, 1.0], reset=True, dtype=None
        )
    assert_array_equal(X_checked, X)


def test_validated_pair_makes_object_targets_numeric_for_a_regressor_only():
    X = np.ones((2, 2))
    numbers = np.array([1, 2], dtype=object)
    _, y = validated_pair(ScratchMLPRegressor(), X, numbers, reset=True, dtype=None)
    assert y.dtype == np.float64
    labels = np.array(["a", "b"], dtype=object)
    with pytest.raises(ValueError, match="could not convert string to float"):
        validated_pair(ScratchMLPRegressor(), X, labels, reset=True, dtype=None)
    _, y = validated_pair(ScratchMLPClassifier(), X, labels, reset=True, dtype=None)
    assert y.dtype == object


# --- validate_for_predict ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_plain_float_array_takes_the_fast_path_unchanged(dtype):
    X = np.ones((2, 3), dtype=dtype)
    assert validate_for_predict(expecting(3), X) is X


def test_other_input_is_converted_by_scikit_learn():
    X = validate_for_predict(expecting(2), [[1, 2], [3, 4]])
    assert isinstance(X, np.ndarray) and X.dtype == np.float64
    X = validate_for_predict(expecting(2), np.array([[1, 2]], dtype=np.int32))
    assert X.dtype == np.float64
    X = validate_for_predict(expecting(2), sp.coo_matrix(np.eye(2)))
    assert X.format in ("csr", "csc")


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan, 0.0]]), "Input X contains NaN"),
        (np.array([[1.0, np.inf, 0.0]]), "Input X contains infinity"),
        (np.ones((2, 4)), "X has 4 features, but ScratchMLPRegressor is expecting 3"),
        (np.ones((0, 3)), r"Found array with 0 sample\(s\)"),
        (np.ones(3), "Expected 2D array"),
    ],
)
def test_bad_input_gets_scikit_learns_own_errors(X, match):
    with pytest.raises(ValueError, match=match):
        validate_for_predict(expecting(3), X)


def test_a_model_fitted_with_feature_names_checks_them():
    estimator = expecting(2, feature_names_in_=np.array(["a", "b"], dtype=object))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        validate_for_predict(estimator, np.ones((1, 2)))
