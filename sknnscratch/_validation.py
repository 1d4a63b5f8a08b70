"""Checks of the MLP estimators' parameters and input data.

The constraints scikit-learn checks for every parameter both estimators have,
the per-layer rules it cannot express, and the input checks of ``fit`` and
``predict``: what the facade runs before anything reaches the engine, so
that bad input gets an error naming the problem and never a wrong model.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

from .nn.activations import ACTIVATIONS
from .nn.initializers import INITIALIZERS
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES

__all__ = [
    "COMMON_PARAMETER_CONSTRAINTS",
    "cast_checked",
    "check_augment",
    "checked_sample_weight",
    "layer_plan",
    "validate_for_predict",
    "validated_pair",
]

#: Constraints of the parameters both estimators have; each adds its own
#: (``loss`` from the losses that serve its task, ``class_weight``).
COMMON_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
    "solver": [StrOptions(set(OPTIMIZERS) | {"lbfgs"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "alpha_bias": [Interval(Real, 0, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple, np.ndarray],
    # A transform of sknnscratch.augment, or any callable (X, rng) -> X.
    "augment": [callable, None],
    "weight_init": [StrOptions(set(INITIALIZERS))],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions(set(SCHEDULES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "decay": [Interval(Real, 0, None, closed="left")],
    "warmup_iter": [Interval(Integral, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "early_stopping_metric": [StrOptions({"score", "loss"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
}


def _per_layer(value, n_hidden, name):
    """One value per hidden layer from a scalar/str or a per-layer sequence."""
    if isinstance(value, str | Real):
        return [value] * n_hidden
    values = list(value)
    if len(values) != n_hidden:
        raise ValueError(
            f"{name} has {len(values)} entries but there are {n_hidden} hidden "
            f"layers; give one value, or one per hidden layer."
        )
    return values


def layer_plan(hidden_layer_sizes, activation, dropout, solver):
    """Hidden sizes, activations and dropout rates, checked per layer."""
    sizes = hidden_layer_sizes
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if not all(isinstance(s, Integral) and s > 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes}.")
    activations = _per_layer(activation, len(sizes), "activation")
    for name in activations:
        # isinstance first: a list entry (activation=[["relu"]]) is not a
        # valid key, and would fail the lookup as "unhashable".
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation {name!r} in activation; allowed: "
                f"{sorted(ACTIVATIONS)}, one name or one per hidden layer."
            )
    rates = _per_layer(dropout, len(sizes), "dropout")
    for rate in rates:
        if not (isinstance(rate, Real) and 0 <= rate < 1):
            raise ValueError(f"dropout rates must be in [0, 1), got {rate!r}.")
    if solver == "lbfgs" and any(rates):
        raise ValueError(
            "dropout is not supported with solver='lbfgs': L-BFGS needs "
            "a deterministic objective. Use dropout=0.0 or a step solver "
            "such as 'adam'."
        )
    return sizes, activations, [float(r) for r in rates]


def check_augment(augment, X, solver):
    """Refuse training data or a solver that ``augment`` cannot work with
    (``X=None``: the solver only, as a check of the parameters)."""
    if solver == "lbfgs":
        raise ValueError(
            "augment is not supported with solver='lbfgs': L-BFGS needs a "
            "deterministic objective. Use augment=None or a step solver such "
            "as 'adam'."
        )
    if X is None:
        return
    if sp.issparse(X):
        raise ValueError(
            "augment transforms dense rows (flattened images); X is a sparse "
            "matrix. Pass a dense array, or use augment=None."
        )
    # The transforms of sknnscratch.augment know their image's width; a
    # user's own callable may not.
    check_width = getattr(augment, "check_width", None)
    if check_width is not None:
        check_width(X.shape[1])


def cast_checked(X, dtype, name="X", remedy="scale the features"):
    """X in the fitted model's dtype, refusing values that overflow it.

    validate_data has already checked X (or y) for NaN and inf; only the cast
    (from float64 to a float32 model) can create an inf. Two reductions find
    that without a bool array the size of X, which would double a fit's peak
    memory.
    """
    data = X.data if sp.issparse(X) else X
    limit = np.finfo(dtype).max
    if data.size and max(data.max(), -data.min()) > limit:
        raise ValueError(
            f"{name} has values beyond {limit:.3g}, too large for the model's "
            f"{np.dtype(dtype)} weights; {remedy}."
        )
    return X.astype(dtype)


def checked_sample_weight(sample_weight, X, name="sample_weight"):
    """Sample weights in X's dtype: non-negative, not all zero (or None)."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    if np.any(sample_weight < 0):
        raise ValueError(f"Negative values in data passed to `{name}`.")
    if not sample_weight.sum() > 0:
        raise ValueError(f"{name} sums to zero: nothing to learn.")
    return sample_weight


def validated_pair(estimator, X, y, *, reset, dtype):
    """``validate_data`` for training data (X and y, or X_val and y_val).

    ``dtype`` is that of the fitted weights, which X is cast to (refusing
    values it cannot hold); None keeps float32 or float64 as given.
    """
    # errstate: scikit-learn's finite check sums X, which for finite values
    # of both signs near the float maximum is inf + -inf.
    with np.errstate(over="ignore", invalid="ignore"):
        X, y = validate_data(
            estimator,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
            y_numeric=estimator._y_numeric,
        )
    if dtype is not None and X.dtype != dtype:
        X = cast_checked(X, dtype)
    return X, y


def validate_for_predict(estimator, X):
    """``validate_data(reset=False)``, with a fast path for plain arrays.

    A 2-D float ndarray without NaN or inf needs no conversion, and
    scikit-learn's full validation costs more than the forward pass of a few
    rows: predicting one row would spend most of its time there. Everything
    else (lists, DataFrames, sparse, other dtypes, a model fitted with
    feature names, and every error) goes through ``validate_data``, so
    messages and warnings are scikit-learn's own.
    """
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in (np.float32, np.float64)
        and 0 < X.shape[0]
        and X.shape[1] == estimator.n_features_in_
        and not hasattr(estimator, "feature_names_in_")
        and np.isfinite(X).all()
    ):
        return X
    return validate_data(
        estimator,
        X,
        accept_sparse=["csr", "csc"],
        dtype=(np.float64, np.float32),
        reset=False,
    )
