"""``sknnscratch.nn.divergence``: detecting divergence, going back, and
keeping only weights that still work."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknnscratch.nn.data import Dataset
from sknnscratch.nn.divergence import (
    DivergenceError,
    DivergenceWarning,
    EpochStart,
    is_finite,
    keep_or_raise,
)
from sknnscratch.nn.network import Network
from sknnscratch.nn.optimizers import OPTIMIZERS, Adam

#: The start of scikit-learn's MLP error for non-finite weights.
SKLEARN_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def small_network(seed=0):
    rng = np.random.default_rng(seed)
    network = Network([3, 4, 2], ["tanh"], "softmax", "log_loss", [0.0], "f8", rng)
    network.initialize("glorot_uniform", rng)
    return network


def snapshot(network, optimizer):
    """Copies of the weights and of every optimizer state entry."""
    state = {key: np.copy(value) for key, value in optimizer.state_dict().items()}
    return network.params.copy(), state


def assert_state(network, optimizer, expected):
    params, state = expected
    assert_array_equal(network.params, params)
    current = optimizer.state_dict()
    assert current.keys() == state.keys()
    for key, value in state.items():
        assert_array_equal(current[key], value)


def steps(network, optimizer, n, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        optimizer.step(network.params, rng.normal(size=network.params.size), 0.1)


# --- the error and the warning ----------------------------------------------------


def test_the_error_is_scikit_learns_value_error_with_what_and_advice():
    error = DivergenceError("The loss became nan.", "Scale X.")
    assert isinstance(error, ValueError)
    assert str(error) == f"{SKLEARN_MESSAGE} (The loss became nan. Scale X.)"
    assert error.what == "The loss became nan."


def test_the_warning_is_a_convergence_warning_of_its_own():
    assert issubclass(DivergenceWarning, ConvergenceWarning)
    assert DivergenceWarning is not ConvergenceWarning


# --- is_finite --------------------------------------------------------------------


def test_is_finite_checks_the_weights_and_the_optimizer_state():
    network = small_network()
    optimizer = Adam(network.params.size, network.dtype)
    steps(network, optimizer, 2, seed=1)
    assert is_finite(network, optimizer)
    # An overflowed squared gradient leaves the weights finite but frozen.
    optimizer.second_moment[3] = np.inf
    assert not is_finite(network, optimizer)
    optimizer.second_moment[3] = 0.0
    network.params[0] = np.nan
    assert not is_finite(network, optimizer)


# --- EpochStart -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_epoch_start_restores_weights_and_optimizer_state_exactly(name):
    network = small_network()
    optimizer = OPTIMIZERS[name](network.params.size, network.dtype)
    steps(network, optimizer, 3, seed=1)  # a state that is not all zeros
    start = EpochStart(network, optimizer)
    start.take()
    expected = snapshot(network, optimizer)
    steps(network, optimizer, 2, seed=2)
    assert optimizer.t == 5 and not np.array_equal(network.params, expected[0])
    start.restore()
    assert_state(network, optimizer, expected)
    # The snapshot is a copy: training on after a restore does not change it.
    steps(network, optimizer, 2, seed=3)
    start.restore()
    assert_state(network, optimizer, expected)


def test_epoch_start_reuses_its_arrays_and_keeps_the_latest_epoch():
    network = small_network()
    optimizer = Adam(network.params.size, network.dtype)
    start = EpochStart(network, optimizer)

    def kept_arrays():
        state = start.optimizer_state
        return [start.params, state["first_moment"], state["second_moment"]]

    start.take()
    first = kept_arrays()
    steps(network, optimizer, 2, seed=1)
    start.take()  # the start of the next epoch replaces the first, in place
    assert all(now is before for now, before in zip(kept_arrays(), first))
    expected = snapshot(network, optimizer)
    steps(network, optimizer, 2, seed=2)
    start.restore()
    assert_state(network, optimizer, expected)
    assert optimizer.t == 2


# --- keep_or_raise ----------------------------------------------------------------


def identity_network(weight):
    """One identity unit a = weight * x."""
    network = Network([1, 1], [], "identity", "squared_error", [], "f8", None)
    network.params[:] = [weight, 0.0]
    return network


TRAIN = Dataset(np.array([[1.0], [1e200]]), np.zeros((2, 1)))


def test_kept_weights_with_finite_outputs_warn_naming_them():
    network = identity_network(1.0)
    with pytest.warns(DivergenceWarning) as caught:
        keep_or_raise(
            network, TRAIN, "It diverged.", "the weights of epoch 2", "epoch", "Fix."
        )
    assert [str(w.message) for w in caught] == [
        "It diverged. Training stopped and kept the weights of epoch 2. Fix."
    ]
    assert_array_equal(network.params, [1.0, 0.0])  # kept in place


def test_no_completed_step_raises():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning besides
        with pytest.raises(DivergenceError) as caught:
            keep_or_raise(
                identity_network(1.0), TRAIN, "It diverged.", None, "epoch", "Fix."
            )
    assert str(caught.value).endswith("(It diverged. No epoch completed. Fix.)")
    assert caught.value.what == "It diverged. No epoch completed."


def test_kept_weights_that_overflow_on_the_training_rows_raise():
    # 1e200 is a finite weight, but 1e200 * 1e200 is not a finite output.
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        with pytest.raises(DivergenceError, match=r"\(It diverged\. The weights of "):
            keep_or_raise(
                identity_network(1e200),
                TRAIN,
                "It diverged.",
                "the weights of iteration 4",
                "iteration",
                "Fix.",
            )
