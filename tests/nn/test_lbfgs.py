"""``sknnscratch.nn.lbfgs``: full-batch L-BFGS-B, driven directly.

The network is one identity unit ``a = w x + b`` with the squared error on
the rows x = 0, 1, 2 with targets 1, 3, 5, a convex problem with a known
minimum. Without L2 it is the exact fit w = 2, b = 1 (objective 0). With
alpha = 2 it minimises (sum 1/2 (w x + b - y)^2 + w^2) / 3: the gradient
gives b = 3 - w and (2 + alpha) w = 4, so w = 1, b = 2, residuals 1, 0, -1
and the objective (1 + 1) / 3 = 2/3.
"""

import contextlib
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknnscratch.nn import lbfgs
from sknnscratch.nn.bookkeeping import TrainingState, evaluate, new_history
from sknnscratch.nn.data import Dataset, TrainingData
from sknnscratch.nn.divergence import DivergenceError, DivergenceWarning
from sknnscratch.nn.network import Network
from sknnscratch.nn.training import TrainingConfig

X = np.array([[0.0], [1.0], [2.0]])
Y = np.array([[1.0], [3.0], [5.0]])


def line_network(dtype="f8"):
    return Network([1, 1], [], "identity", "squared_error", [], dtype, None)


def train(network, settings, validation=None, state=None, X=X):
    """train_lbfgs on the rows above; ``rng`` None, as L-BFGS draws nothing."""
    if state is None:
        state = TrainingState(history=new_history("r2"))
    data = TrainingData(Dataset(X, Y), validation, None)
    return lbfgs.train_lbfgs(network, data, settings, state)


def config(**changes):
    """A TrainingConfig for the problem above: R^2, a tight tol, 50 iterations."""
    return TrainingConfig(**{"metric": "r2", "tol": 1e-10, "max_iter": 50, **changes})


@contextlib.contextmanager
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize(
    "alpha, weights, objective", [(0.0, [2.0, 1.0], 0.0), (2.0, [1.0, 2.0], 2 / 3)]
)
def test_finds_the_minimum_of_a_convex_objective(alpha, weights, objective):
    network = line_network()
    with no_warnings():
        state = train(network, config(alpha=alpha))
    assert_allclose(network.params, weights, atol=1e-6)
    assert state.loss == pytest.approx(objective, abs=1e-10)
    # One history entry per iteration: the training loss, no training score.
    assert state.n_iter == len(state.loss_curve) > 1
    assert state.history["epoch"] == list(range(1, state.n_iter + 1))
    assert state.history["loss"] == state.loss_curve
    assert state.loss_curve[-1] == state.loss
    assert set(state.history["r2"] + state.history["val_loss"]) == {None}


def test_a_float32_network_keeps_its_dtype():
    network = line_network("f4")
    with no_warnings():
        train(network, config())
    assert network.params.dtype == np.float32
    assert_allclose(network.params, [2.0, 1.0], atol=1e-4)


def test_the_hook_and_the_validation_score_see_each_iterate(monkeypatch):
    validation = Dataset(np.array([[3.0], [4.0]]), np.array([[6.0], [9.0]]))
    network = line_network()
    iterates, records = [], []

    def hook(record):
        iterates.append(network.params.copy())
        records.append(record)

    # After every evaluation the network holds other weights, as after a
    # trial step of the line search: the iterate must be put back for the
    # hook and the validation score.
    evaluate_objective = network.loss_and_gradient

    def then_other_weights(*args, **kwargs):
        result = evaluate_objective(*args, **kwargs)
        network.params[:] = [-7.0, 7.0]
        return result

    monkeypatch.setattr(network, "loss_and_gradient", then_other_weights)
    state = train(network, config(on_epoch_end=hook), validation)
    assert len(records) == state.n_iter > 1
    for record, params in zip(records, iterates):
        probe = line_network()
        probe.params[:] = params
        # The weights the hook saw are those of the iteration's loss...
        assert probe.objective(probe.predict(X), Y) == pytest.approx(record["loss"])
        # ... and of its validation score.
        val_loss, val_r2 = evaluate(probe, validation, 0.0, "r2")
        assert record["val_loss"] == val_loss and record["val_r2"] == val_r2
    assert state.history["val_loss"] == [r["val_loss"] for r in records]
    assert_allclose(network.params, [2.0, 1.0], atol=1e-6)


def test_a_hook_returning_true_stops_without_a_convergence_warning():
    network = line_network()
    with no_warnings():
        state = train(network, config(on_epoch_end=lambda r: r["epoch"] == 2))
    assert state.n_iter == 2 and len(state.history["epoch"]) == 2


def test_the_iteration_limit_warns_as_scikit_learn_and_a_second_run_continues():
    network = line_network()
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        state = train(network, config(max_iter=1))
    assert state.n_iter == 1
    with pytest.warns(ConvergenceWarning):
        train(network, config(max_iter=1), state=state)
    # The second run starts from the first one's weights and continues the books.
    assert state.n_iter == 2 and state.history["epoch"] == [1, 2]
    assert state.loss_curve[1] < state.loss_curve[0]


def test_ctrl_c_stops_after_the_iteration_in_progress(monkeypatch):
    class Flag:
        requested = False

    flag = Flag()

    @contextlib.contextmanager
    def deferred():
        yield flag

    monkeypatch.setattr(lbfgs, "deferred_keyboard_interrupt", deferred)

    def ctrl_c_in_iteration_2(record):
        flag.requested = record["epoch"] == 2

    network = line_network()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = train(network, config(on_epoch_end=ctrl_c_in_iteration_2))
    assert [str(w.message) for w in caught] == [
        "Training interrupted by user after 2 L-BFGS iterations."
    ]
    assert state.n_iter == 2


def nan_from_evaluation(network, monkeypatch, first_bad):
    """Make the objective NaN from its ``first_bad``-th evaluation on."""
    original = network.loss_and_gradient
    calls = {"n": 0}

    def loss_and_gradient(*args, **kwargs):
        calls["n"] += 1
        loss, output = original(*args, **kwargs)
        if calls["n"] >= first_bad:
            network.grads[...] = np.nan
            return np.nan, output
        return loss, output

    monkeypatch.setattr(network, "loss_and_gradient", loss_and_gradient)


def test_a_non_finite_objective_keeps_the_last_iterate(monkeypatch):
    network = line_network()
    iterates = []
    nan_from_evaluation(network, monkeypatch, first_bad=4)
    remember = config(on_epoch_end=lambda r: iterates.append(network.params.copy()))
    with pytest.warns(DivergenceWarning) as caught:
        state = train(network, remember)
    n = state.n_iter
    assert n == len(iterates) >= 1
    assert str(caught[0].message) == (
        "L-BFGS diverged: the objective became non-finite. Training stopped and "
        f"kept the weights of iteration {n} (the last completed). Scale the input "
        "features (e.g. StandardScaler)."
    )
    assert_array_equal(network.params, iterates[-1])
    assert state.loss == state.loss_curve[-1] and np.isfinite(state.loss)


def test_a_non_finite_objective_before_any_iteration_raises():
    network = line_network()
    network.params[:] = [0.5, 0.0]
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(DivergenceError, match="No iteration completed"):
            train(network, config(), X=X * 1e300)
