"""The mini-batch loop of ``sknnscratch.nn.training``, driven directly."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknnscratch.nn.bookkeeping import TrainingState
from sknnscratch.nn.data import Dataset, TrainingData
from sknnscratch.nn.network import Network
from sknnscratch.nn.optimizers import OPTIMIZERS
from sknnscratch.nn.schedules import SCHEDULES
from sknnscratch.nn.training import TrainingConfig, train_minibatch


@pytest.mark.parametrize("optimizer_name", ["adam", "sgd"])
def test_divergence_in_a_later_epoch_restores_that_epochs_start(
    optimizer_name, monkeypatch
):
    # The snapshot taken at the start of every epoch reuses its arrays; a
    # divergence in epoch 3 must bring back exactly the weights and optimizer
    # state that epoch 2 ended with, not those of an earlier epoch.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5))
    Y = np.eye(3)[rng.integers(0, 3, size=64)]
    network = Network([5, 8, 3], ["relu"], "softmax", "log_loss", [0.0], "f8", rng)
    network.initialize("glorot_uniform", rng)
    optimizer = OPTIMIZERS[optimizer_name](network.params.size, network.dtype)
    after_epoch = {}

    def remember(record):
        state = {
            k: np.copy(v) if isinstance(v, np.ndarray) else v
            for k, v in optimizer.state_dict().items()
        }
        after_epoch[record["epoch"]] = (network.params.copy(), state)

    batches_per_epoch = 4
    calls = {"n": 0}
    original = network.loss_and_gradient

    def loss_and_gradient(*args, **kwargs):
        calls["n"] += 1
        loss, output = original(*args, **kwargs)
        if calls["n"] == 2 * batches_per_epoch + 2:  # epoch 3, second batch
            loss = np.nan
        return loss, output

    monkeypatch.setattr(network, "loss_and_gradient", loss_and_gradient)
    config = TrainingConfig(
        batch_size=16, max_iter=5, n_iter_no_change=100, on_epoch_end=remember
    )
    state = TrainingState()
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 3"):
        train_minibatch(
            network,
            optimizer,
            SCHEDULES["constant"](0.01),
            TrainingData(Dataset(X, Y), None, rng),
            config,
            state,
        )

    assert state.n_iter == 2
    params, optimizer_state = after_epoch[2]
    assert not np.array_equal(params, after_epoch[1][0])  # epoch 2 moved them
    assert_array_equal(network.params, params)
    for key, value in optimizer.state_dict().items():
        assert_array_equal(value, optimizer_state[key])
