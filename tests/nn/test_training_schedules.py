"""The training loop's per-update events and batch transforms, driven directly:
the rate each optimizer step gets, ``augmented`` batches, and the bias
penalty in the validation loss."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknnscratch.nn.bookkeeping import TrainingState, evaluate
from sknnscratch.nn.data import Dataset, TrainingData, augmented, minibatches
from sknnscratch.nn.network import Network
from sknnscratch.nn.optimizers import OPTIMIZERS
from sknnscratch.nn.schedules import SCHEDULES
from sknnscratch.nn.training import TrainingConfig, train_minibatch

N_ROWS, BATCH = 20, 6  # 4 updates per epoch: batches of 6, 6, 6 and 2 rows


def problem(seed=0, n=N_ROWS):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = np.eye(3)[rng.integers(0, 3, size=n)]
    network = Network([4, 5, 3], ["tanh"], "softmax", "log_loss", [0.0], "f8", rng)
    network.initialize("glorot_uniform", rng)
    return network, X, Y


def recording(optimizer):
    """Record the learning rate of every step ``optimizer`` takes."""
    rates = []
    step = optimizer.step

    def recorded_step(params, grads, learning_rate):
        rates.append(learning_rate)
        return step(params, grads, learning_rate)

    optimizer.step = recorded_step
    return rates


def run(network, optimizer, schedule, data, **config):
    """train_minibatch without the convergence warning of a short run."""
    settings = {"batch_size": BATCH, "max_iter": 3, "n_iter_no_change": 100}
    config = TrainingConfig(**{**settings, **config})
    state = TrainingState()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        train_minibatch(network, optimizer, schedule, data, config, state)
    return state


def expected_cosine(k, lr0=0.1, planned=12, warmup=4):
    if k < warmup:
        return lr0 * (k + 1) / warmup
    progress = min(1.0, (k - warmup) / (planned - warmup))
    return 0.5 * lr0 * (1 + np.cos(np.pi * progress))


SCHEDULE_CASES = {
    "inverse_time": (
        lambda: SCHEDULES["inverse_time"](0.1, decay=0.5),
        lambda k: 0.1 / (1 + 0.5 * k),
    ),
    # 3 epochs of 4 updates, warm-up over the first epoch's 4.
    "cosine": (
        lambda: SCHEDULES["cosine"](
            0.1, max_iter=3, updates_per_epoch=4, warmup_iter=1
        ),
        expected_cosine,
    ),
    "constant": (lambda: SCHEDULES["constant"](0.1), lambda k: 0.1),
}


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_each_step_gets_the_schedules_rate(name, optimizer_name):
    make_schedule, rate = SCHEDULE_CASES[name]
    network, X, Y = problem()
    optimizer = OPTIMIZERS[optimizer_name](network.params.size, network.dtype)
    rates = recording(optimizer)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(1))
    state = run(network, optimizer, make_schedule(), data)
    assert state.n_iter == 3 and optimizer.t == 12
    assert rates == pytest.approx([rate(k) for k in range(12)], rel=1e-12)
    # The state's rate is that of the next update, the 13th.
    assert state.learning_rate == pytest.approx(rate(12), rel=1e-12, abs=1e-15)


def test_cosine_concrete_rates_with_warmup():
    # The same run written out: warm-up 0.025, 0.05, 0.075, 0.1, then
    # 0.05 * (1 + cos(pi * j / 8)) for j = 0..7.
    network, X, Y = problem()
    optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
    rates = recording(optimizer)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(1))
    run(network, optimizer, SCHEDULE_CASES["cosine"][0](), data)
    assert rates == pytest.approx(
        [
            *[0.025, 0.05, 0.075, 0.1],
            *[0.1, 0.09619397662556434, 0.08535533905932738, 0.06913417161825449],
            *[0.05, 0.030865828381745515, 0.014644660940672627, 0.00380602337443566],
        ],
        rel=1e-12,
    )


def test_invscaling_changes_only_between_epochs():
    network, X, Y = problem()
    optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
    rates = recording(optimizer)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(1))
    run(network, optimizer, SCHEDULES["invscaling"](0.1, power_t=0.5), data)
    epochs = [rates[i : i + 4] for i in range(0, 12, 4)]
    assert epochs[0] == [0.1] * 4
    assert epochs[1] == pytest.approx([0.1 / 21**0.5] * 4)
    assert epochs[2] == pytest.approx([0.1 / 41**0.5] * 4)


@pytest.mark.parametrize("name", ["inverse_time", "cosine"])
def test_single_epoch_runs_continue_the_count_of_the_optimizer(name):
    # partial_fit: one epoch per run, with the optimizer (and its t) kept.
    make_schedule, rate = SCHEDULE_CASES[name]
    network, X, Y = problem()
    optimizer = OPTIMIZERS["adam"](network.params.size, network.dtype)
    rates = recording(optimizer)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(1))
    for _ in range(3):
        # A fresh schedule every call, as the estimator builds one.
        run(network, optimizer, make_schedule(), data, single_epoch=True)
    assert optimizer.t == 12
    assert rates == pytest.approx([rate(k) for k in range(12)], rel=1e-12)


def test_a_restored_optimizer_count_sets_the_first_rate():
    network, X, Y = problem()
    optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
    optimizer.load_state_dict({**optimizer.state_dict(), "t": 6})
    rates = recording(optimizer)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(1))
    schedule = SCHEDULE_CASES["cosine"][0]()
    assert schedule.learning_rate == 0.025  # rate(0) until the run starts
    run(network, optimizer, schedule, data, single_epoch=True)
    assert rates == pytest.approx([expected_cosine(k) for k in range(6, 10)])


# --- augmented batches -------------------------------------------------------


def test_augmented_replaces_rows_and_keeps_targets_and_weights():
    X = np.arange(12.0).reshape(6, 2)
    Y = np.eye(2)[[0, 1, 0, 1, 1, 0]]
    weights = np.linspace(0.5, 3.0, 6)
    rng = np.random.default_rng(0)
    seen = []

    def transform(rows, generator):
        seen.append((rows.copy(), generator))
        return -rows

    batches = list(augmented(minibatches(Dataset(X, Y, weights), 4), transform, rng))
    assert [len(b) for b in batches] == [4, 2]
    assert_array_equal(np.vstack([b.X for b in batches]), -X)
    assert_array_equal(np.vstack([b.Y for b in batches]), Y)
    assert_array_equal(np.concatenate([b.sample_weight for b in batches]), weights)
    assert all(generator is rng for _, generator in seen)
    assert_array_equal(np.vstack([rows for rows, _ in seen]), X)


def test_augmented_is_lazy():
    calls = []
    X, Y = np.zeros((6, 2)), np.zeros((6, 1))
    batches = augmented(
        minibatches(Dataset(X, Y), 2), lambda r, g: calls.append(1) or r, None
    )
    assert calls == []
    next(batches)
    assert calls == [1]


@pytest.mark.parametrize("shuffle", [True, False])
def test_training_on_transformed_batches_is_training_on_transformed_rows(shuffle):
    # A transform that draws nothing: training with it is bitwise training
    # on the transformed rows (same shuffles, same steps).
    def transform(rows, rng):
        return 2.0 * rows[:, ::-1] - 0.5

    results = []
    for augment, rows in ((transform, None), (None, transform)):
        network, X, Y = problem()
        X = X if rows is None else rows(X, None)
        optimizer = OPTIMIZERS["adam"](network.params.size, network.dtype)
        data = TrainingData(Dataset(X, Y), None, np.random.default_rng(3))
        state = run(
            network,
            optimizer,
            SCHEDULES["constant"](0.05),
            data,
            augment=augment,
            shuffle=shuffle,
        )
        results.append((network.params.copy(), state.loss_curve))
    assert results[0][0].tobytes() == results[1][0].tobytes()
    assert results[0][1] == results[1][1]
    # And it is not training on the untransformed rows.
    network, X, Y = problem()
    optimizer = OPTIMIZERS["adam"](network.params.size, network.dtype)
    data = TrainingData(Dataset(X, Y), None, np.random.default_rng(3))
    run(network, optimizer, SCHEDULES["constant"](0.05), data, shuffle=shuffle)
    assert not np.array_equal(network.params, results[0][0])


def test_augment_sees_training_batches_only_with_the_runs_stream():
    network, X, Y = problem()
    rng = np.random.default_rng(5)
    X_val = np.full((7, 4), 100.0)  # rows no training batch holds
    Y_val = np.eye(3)[[0, 1, 2, 0, 1, 2, 0]]
    calls = []

    def transform(rows, generator):
        calls.append((len(rows), float(np.abs(rows).max()), generator))
        return rows

    optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
    data = TrainingData(Dataset(X, Y), Dataset(X_val, Y_val), rng)
    state = run(
        network, optimizer, SCHEDULES["constant"](0.01), data, augment=transform
    )
    assert state.n_iter == 3 and len(state.history["val_loss"]) == 3
    assert [n for n, _, _ in calls] == [6, 6, 6, 2] * 3
    assert sum(n for n, _, _ in calls) == N_ROWS * 3
    assert max(top for _, top, _ in calls) < 100.0  # never a validation row
    assert all(generator is rng for _, _, generator in calls)


# --- the bias penalty in the training loop -----------------------------------


def test_validation_loss_includes_the_bias_penalty():
    network, X, Y = problem()
    network.params[network.n_weights :] = 0.75
    validation = Dataset(X[:8], Y[:8])
    plain, score = evaluate(network, validation, 0.1, "accuracy")
    loss, same_score = evaluate(network, validation, 0.1, "accuracy", 2.0)
    biases = network.params[network.n_weights :]
    assert loss - plain == pytest.approx(0.5 * 2.0 * biases @ biases / 8)
    assert same_score == score
    # record_epoch passes the config's alpha_bias on.
    optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
    data = TrainingData(Dataset(X, Y), validation, np.random.default_rng(0))
    config = {"alpha": 0.1, "alpha_bias": 2.0, "max_iter": 1}
    state = run(network, optimizer, SCHEDULES["constant"](0.01), data, **config)
    expected, _ = evaluate(network, validation, 0.1, "accuracy", 2.0)
    assert state.history["val_loss"] == [expected]


def test_training_with_bias_penalty_shrinks_the_biases():
    norms = {}
    for alpha_bias in (0.0, 50.0):
        network, X, Y = problem()
        network.params[network.n_weights :] = 1.0
        optimizer = OPTIMIZERS["sgd"](network.params.size, network.dtype)
        data = TrainingData(Dataset(X, Y), None, np.random.default_rng(2))
        run(
            network,
            optimizer,
            SCHEDULES["constant"](0.01),
            data,
            alpha_bias=alpha_bias,
            max_iter=5,
        )
        biases = network.params[network.n_weights :]
        norms[alpha_bias] = float(biases @ biases)
    assert norms[50.0] < 0.5 * norms[0.0]
