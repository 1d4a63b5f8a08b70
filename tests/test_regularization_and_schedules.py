"""The estimators' bias penalty (``alpha_bias``) and per-update learning-rate
schedules (``learning_rate='inverse_time'`` and ``'cosine'``, with ``decay``
and ``warmup_iter``), end to end on a small slice of the digits.

The rate of every optimizer step is recorded by wrapping the optimizer
class's ``step``; the expected rates are those of the documented formulas with
``updates_per_epoch = ceil(n_train / batch_size)``.
"""

import inspect
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch.nn.network import Network
from sknnscratch.nn.optimizers import OPTIMIZERS
from sknnscratch.nn.schedules import SCHEDULES
from sknnscratch.persistence import load, save

STEP_SOLVERS = ["adagrad", "adam", "rmsprop", "sgd"]
BATCH = 50  # 150 rows: 3 updates per epoch


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:150] / 16.0, y[:150]


def classifier(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "max_iter": 4,
        "batch_size": BATCH,
        "random_state": 0,
        "n_iter_no_change": 100,
    }
    return ScratchMLPClassifier(**{**defaults, **params})


def fitted(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def weights(estimator):
    """Every fitted weight and bias as bytes, with the loss curve."""
    arrays = [*estimator.coefs_, *estimator.intercepts_]
    return [a.tobytes() for a in arrays], list(estimator.loss_curve_)


def bias_norm(estimator):
    return sum(float(b @ b) for b in estimator.intercepts_)


@pytest.fixture()
def rates(monkeypatch):
    """The learning rate of every optimizer step taken during the test."""
    seen = []
    for cls in OPTIMIZERS.values():
        step = cls.step

        def recorded(self, params, grads, learning_rate, _step=step):
            seen.append(learning_rate)
            return _step(self, params, grads, learning_rate)

        monkeypatch.setattr(cls, "step", recorded)
    return seen


def cosine(k, lr0, planned, warmup=0):
    if k < warmup:
        return lr0 * (k + 1) / warmup
    progress = min(1.0, (k - warmup) / (planned - warmup))
    return 0.5 * lr0 * (1 + math.cos(math.pi * progress))


# --- alpha_bias --------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_zero_alpha_bias_is_bitwise_the_default(digits, solver):
    X, y = digits
    default = fitted(classifier(solver=solver), X, y)
    for zero in (0.0, 0):
        explicit = fitted(classifier(solver=solver, alpha_bias=zero), X, y)
        assert weights(explicit) == weights(default)
    reg_default = fitted(ScratchMLPRegressor(max_iter=3, random_state=0), X, y)
    reg_zero = fitted(
        ScratchMLPRegressor(max_iter=3, random_state=0, alpha_bias=0.0), X, y
    )
    assert weights(reg_zero) == weights(reg_default)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_positive_alpha_bias_shrinks_the_biases(digits, solver):
    X, y = digits
    params = {"solver": solver, "learning_rate_init": 0.05, "max_iter": 15}
    free = fitted(classifier(**params), X, y)
    penalized = fitted(classifier(alpha_bias=20.0, **params), X, y)
    assert weights(penalized) != weights(free)
    assert bias_norm(penalized) < 0.9 * bias_norm(free)
    # The weights themselves are not what the penalty is on.
    assert penalized.alpha_bias == 20.0 and penalized.alpha == free.alpha


def objective_by_hand(estimator, X, y, alpha, alpha_bias):
    """Mean log loss (probabilities clipped as the engine does) plus
    (alpha ||W||^2 + alpha_bias ||b||^2) / (2 n)."""
    proba = np.clip(estimator.predict_proba(X), np.finfo(float).eps, None)
    data = -np.mean(np.log(proba[np.arange(len(y)), y]))
    w2 = sum(float(c.ravel() @ c.ravel()) for c in estimator.coefs_)
    return data + 0.5 * (alpha * w2 + alpha_bias * bias_norm(estimator)) / len(y)


def network_objective(estimator, X, Y, alpha, alpha_bias):
    """Network.objective at the fitted weights."""
    units = [X.shape[1], *(c.shape[1] for c in estimator.coefs_)]
    hidden = estimator._hidden_activations
    net = Network(
        units,
        hidden,
        estimator.out_activation_,
        estimator.loss,
        [0.0] * len(hidden),
        X.dtype,
        np.random.default_rng(0),
    )
    net.set_weights(estimator.coefs_, estimator.intercepts_)
    return net.objective(net.predict(X), Y, None, alpha, alpha_bias)


def test_lbfgs_loss_includes_the_bias_penalty(digits):
    X, y = digits
    est = fitted(classifier(solver="lbfgs", alpha=0.5, alpha_bias=3.0), X, y)
    expected = objective_by_hand(est, X, y, 0.5, 3.0)
    assert est.loss_ == pytest.approx(expected, rel=1e-9)
    Y = np.eye(10)[y]
    assert est.loss_ == pytest.approx(network_objective(est, X, Y, 0.5, 3.0), rel=1e-12)
    without = objective_by_hand(est, X, y, 0.5, 0.0)
    assert est.loss_ - without == pytest.approx(1.5 * bias_norm(est) / len(y))


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_step_solver_loss_includes_the_bias_penalty(digits, solver):
    # One full-batch epoch on fitted weights: loss_ is the objective at the
    # weights before that epoch's single update.
    X, y = digits
    est = fitted(classifier(solver=solver, alpha=0.5, alpha_bias=3.0), X, y)
    expected = objective_by_hand(est, X, y, 0.5, 3.0)
    est.set_params(warm_start=True, max_iter=1, batch_size=len(X), shuffle=False)
    fitted(est, X, y)
    assert est.loss_ == pytest.approx(expected, rel=1e-9)


def test_regressor_loss_includes_the_bias_penalty(digits):
    X, y = digits
    target = y / 9.0
    est = fitted(
        ScratchMLPRegressor(
            hidden_layer_sizes=(6,),
            solver="lbfgs",
            max_iter=10,
            alpha=0.2,
            alpha_bias=4.0,
            random_state=0,
        ),
        X,
        target,
    )
    data = 0.5 * np.mean((est.predict(X) - target) ** 2)
    w2 = sum(float(c.ravel() @ c.ravel()) for c in est.coefs_)
    penalty = 0.5 * (0.2 * w2 + 4.0 * bias_norm(est)) / len(X)
    assert est.loss_ == pytest.approx(data + penalty, rel=1e-9)


def test_validation_loss_includes_the_bias_penalty(digits):
    X, y = digits
    X_val, y_val = X[100:], y[100:]
    est = fitted(
        classifier(alpha=0.5, alpha_bias=3.0),
        X[:100],
        y[:100],
        X_val=X_val,
        y_val=y_val,
    )
    expected = objective_by_hand(est, X_val, y_val, 0.5, 3.0)
    assert est.history_["val_loss"][-1] == pytest.approx(expected, rel=1e-9)


# --- per-update schedules ----------------------------------------------------


@pytest.mark.parametrize("solver", STEP_SOLVERS)
@pytest.mark.parametrize("schedule", ["inverse_time", "cosine"])
def test_per_update_schedules_drive_every_step_solver(digits, rates, solver, schedule):
    X, y = digits
    params = {
        "solver": solver,
        "learning_rate": schedule,
        "learning_rate_init": 0.02,
        "decay": 0.25,
        "warmup_iter": 1,
    }
    est = fitted(classifier(**params), X, y)
    if schedule == "inverse_time":
        expected = [0.02 / (1 + 0.25 * k) for k in range(12)]
    else:
        expected = [cosine(k, 0.02, planned=12, warmup=3) for k in range(12)]
    assert rates == pytest.approx(expected, rel=1e-12)
    assert est._optimizer_state["t"] == 12 and est.n_iter_ == 4
    assert all(np.isfinite(c).all() for c in est.coefs_)
    # Reproducible bit for bit, and not the constant schedule's fit.
    again = fitted(classifier(**params), X, y)
    assert weights(again) == weights(est)
    constant = fitted(classifier(**{**params, "learning_rate": "constant"}), X, y)
    assert weights(constant) != weights(est)


def test_cosine_rates_written_out(digits, rates):
    # max_iter=4 epochs of 3 updates, warm-up 1 epoch: 0.1 * (1, 2, 3) / 3,
    # then 0.05 * (1 + cos(pi * j / 9)) for j = 0..8.
    X, y = digits
    fitted(
        classifier(
            solver="sgd", learning_rate="cosine", learning_rate_init=0.1, warmup_iter=1
        ),
        X,
        y,
    )
    assert rates == pytest.approx(
        [
            *[0.03333333333333333, 0.06666666666666667, 0.1],
            *[0.1, 0.09698463103929542, 0.08830222215594891, 0.075],
            *[0.058682408883346526, 0.041317591116653485, 0.025],
            *[0.011697777844051101, 0.003015368960704584],
        ],
        rel=1e-12,
    )


def test_cosine_plans_with_the_rows_left_after_early_stopping(digits, rates):
    # 150 rows, 30 held out: 120 training rows in batches of 40, 3 updates
    # per epoch (150 rows would make 4).
    X, y = digits
    est = fitted(
        classifier(
            learning_rate="cosine",
            learning_rate_init=0.01,
            batch_size=40,
            early_stopping=True,
            validation_fraction=0.2,
        ),
        X,
        y,
    )
    assert est.n_iter_ == 4
    assert rates == pytest.approx([cosine(k, 0.01, planned=12) for k in range(12)])


@pytest.mark.parametrize("schedule", ["inverse_time", "cosine"])
def test_lbfgs_ignores_the_learning_rate_schedule(digits, schedule):
    X, y = digits
    base = {"solver": "lbfgs", "max_iter": 8}
    constant = fitted(classifier(**base), X, y)
    scheduled = fitted(
        classifier(**base, learning_rate=schedule, decay=0.9, warmup_iter=3), X, y
    )
    assert weights(scheduled) == weights(constant)
    assert scheduled.loss_ == constant.loss_


def test_cosine_partial_fit_continues_the_count(digits, rates, tmp_path):
    # T = 4 calls of 3 updates = 12, warm-up W = 3: after n calls the next
    # rate is that of update k = 3n: 0.1, 0.05 * (1 + cos(pi/3)) = 0.075,
    # 0.05 * (1 + cos(2 pi/3)) = 0.025, then 0 at and past T.
    X, y = digits
    est = classifier(
        solver="sgd", learning_rate="cosine", learning_rate_init=0.1, warmup_iter=1
    )
    expected_after = [0.1, 0.075, 0.025, 0.0, 0.0]
    for n, expected in enumerate(expected_after, start=1):
        est.partial_fit(X, y, classes=np.arange(10))
        assert est._optimizer_state["t"] == 3 * n
        assert est._learning_rate == pytest.approx(expected, abs=1e-15)
        if n == 2:
            save(est, tmp_path / "model.safetensors")
    assert rates == pytest.approx(
        [cosine(k, 0.1, planned=12, warmup=3) for k in range(15)], abs=1e-15
    )
    # A model file keeps the count: the third call on the loaded copy is the
    # third call on the original.
    del rates[:]
    loaded = load(tmp_path / "model.safetensors")
    loaded.partial_fit(X, y)
    assert loaded._learning_rate == pytest.approx(0.025)
    assert rates == pytest.approx([cosine(k, 0.1, 12, 3) for k in range(6, 9)])


def test_cosine_partial_fit_keeps_the_first_calls_plan(digits, rates):
    # Chunks of 150, 50 and 150 rows (3, 1 and 3 updates): the plan is the
    # first call's, T = 2 calls x 3 updates = 6, whatever size later chunks
    # have; a small chunk neither shortens nor stretches it.
    X, y = digits
    est = classifier(solver="sgd", learning_rate="cosine", learning_rate_init=0.1)
    est.max_iter = 2
    est.partial_fit(X, y, classes=np.arange(10))
    est.partial_fit(X[:50], y[:50])
    assert est._updates_per_epoch == 3
    est.partial_fit(X, y)
    assert rates == pytest.approx([cosine(k, 0.1, planned=6) for k in range(7)])
    assert rates[3] > 0  # the small chunk trains at the planned rate


def test_inverse_time_partial_fit_continues_the_count(digits):
    X, y = digits
    est = classifier(learning_rate="inverse_time", learning_rate_init=0.01, decay=0.5)
    for n in range(1, 4):
        est.partial_fit(X, y, classes=np.arange(10))
        assert est._learning_rate == pytest.approx(0.01 / (1 + 0.5 * 3 * n))


@pytest.mark.parametrize("warm_start", [True, False])
def test_a_fit_after_partial_fit_restarts_the_count(digits, rates, warm_start):
    X, y = digits
    est = classifier(
        solver="sgd",
        learning_rate="cosine",
        learning_rate_init=0.1,
        warmup_iter=1,
        warm_start=warm_start,
    )
    est.partial_fit(X, y, classes=np.arange(10))
    est.partial_fit(X, y)
    coefs = [c.copy() for c in est.coefs_]
    del rates[:]
    fitted(est, X, y)
    assert rates == pytest.approx([cosine(k, 0.1, 12, 3) for k in range(12)])
    assert est._optimizer_state["t"] == 12
    assert est._learning_rate == 0.0
    # Warm start: a new run from the fitted weights, not from fresh ones.
    fresh = fitted(classifier(**est.get_params()), X, y)
    same = weights(fresh) == weights(est)
    assert same is not warm_start
    assert not np.array_equal(coefs[0], est.coefs_[0])


def test_regressor_with_cosine_and_bias_penalty_is_reproducible(digits, rates):
    X, y = digits
    params = {
        "hidden_layer_sizes": (6,),
        "max_iter": 3,
        "batch_size": 75,
        "learning_rate": "cosine",
        "learning_rate_init": 0.01,
        "alpha_bias": 1.0,
        "random_state": 1,
    }
    first = fitted(ScratchMLPRegressor(**params), X, y / 9.0)
    assert rates[:6] == pytest.approx([cosine(k, 0.01, 6) for k in range(6)])
    second = fitted(ScratchMLPRegressor(**params), X, y / 9.0)
    assert weights(first) == weights(second)


# --- parameters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("alpha_bias", -0.1),
        ("alpha_bias", "big"),
        ("decay", -1e-3),
        ("decay", "fast"),
        ("warmup_iter", -1),
        ("warmup_iter", 1.5),
        ("warmup_iter", "2"),
        ("learning_rate", "linear"),
    ],
)
@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_bad_parameters_are_refused(digits, cls, param, value):
    X, y = digits
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        cls(**{param: value, "max_iter": 1}).fit(X, y)


def test_boundary_parameters_are_accepted(digits, rates):
    X, y = digits
    # decay=0: inverse_time is the constant rate; warmup_iter=0: no warm-up.
    fitted(
        classifier(learning_rate="inverse_time", decay=0.0, learning_rate_init=0.03),
        X,
        y,
    )
    assert rates == [0.03] * 12
    del rates[:]
    fitted(
        classifier(learning_rate="cosine", warmup_iter=0, learning_rate_init=0.03),
        X,
        y,
    )
    assert rates[0] == 0.03


def test_defaults_and_schedule_arguments():
    est = ScratchMLPClassifier()
    assert (est.alpha_bias, est.decay, est.warmup_iter) == (0.0, 1e-3, 0)
    assert est.augment is None
    # Every schedule argument is an estimator parameter of the same name,
    # except the plan the facade computes.
    params = set(est.get_params()) | {"updates_per_epoch"}
    for name, schedule in SCHEDULES.items():
        arguments = set(inspect.signature(schedule).parameters)
        assert arguments <= params, name
