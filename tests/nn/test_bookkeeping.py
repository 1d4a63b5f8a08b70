"""``sknnscratch.nn.bookkeeping``: the books kept beside the arithmetic.

The numbers are worked out by hand. The network of the evaluation tests is
one identity unit, ``a = 2 x + 1`` (squared error), on the rows x = 0, 1, 2
with targets 1, 2, 7: outputs 1, 3, 5, residuals 0, 1, -2, per-row losses
0, 0.5, 2. With sample weights (1, 2, 1) and alpha = 0.3 the objective is
(0 + 1 + 2 + 0.3 / 2 * 2^2) / 4 = 0.9; the weighted mean target is 3, so
SS_tot = 4 + 2 + 16 = 22, SS_res = 0 + 2 + 4 = 6 and R^2 = 1 - 6/22 = 8/11.
"""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.nn.bookkeeping import (
    EpochTotals,
    TrainingState,
    count_improvement,
    evaluate,
    finish,
    history_keys,
    new_history,
    plateau_reached,
    record_epoch,
)
from sknnscratch.nn.data import Dataset
from sknnscratch.nn.network import Network
from sknnscratch.nn.schedules import SCHEDULES
from sknnscratch.nn.training import TrainingConfig

#: The validation rows of the module docstring (read, never written).
VALIDATION = Dataset(
    np.array([[0.0], [1.0], [2.0]]),
    np.array([[1.0], [2.0], [7.0]]),
    np.array([1.0, 2.0, 1.0]),
)


def line_network(weight=2.0, bias=1.0):
    """One identity unit a = weight * x + bias, with the squared error."""
    network = Network([1, 1], [], "identity", "squared_error", [], "f8", None)
    network.params[:] = [weight, bias]
    return network


def early_stopping_state():
    """A state as a fresh fit with early stopping starts it."""
    return TrainingState(
        validation_scores=[],
        best_validation_score=-np.inf,
        best_validation_loss=np.inf,
        best_loss=None,
    )


# --- the history ------------------------------------------------------------------


def test_history_keys_follow_the_metric():
    assert history_keys("r2") == (
        "epoch",
        "loss",
        "r2",
        "val_loss",
        "val_r2",
        "seconds",
    )
    history = new_history("r2")
    assert list(history) == list(history_keys("r2"))
    history["loss"].append(1.0)
    # Every key has a list of its own, and every new history is empty.
    assert history["epoch"] == [] and new_history("r2")["loss"] == []


def test_every_training_state_starts_with_lists_of_its_own():
    a, b = TrainingState(), TrainingState()
    a.loss_curve.append(1.0)
    a.history["loss"].append(1.0)
    assert b.loss_curve == [] and b.history["loss"] == []
    assert list(a.history) == list(history_keys("accuracy"))
    # Plain data: asdict needs no custom conversion.
    assert dataclasses.asdict(b)["n_iter"] == 0


# --- one epoch's totals and record ------------------------------------------------


def test_epoch_totals_sum_the_loss_per_row_and_the_score_statistics():
    totals = EpochTotals("accuracy")
    # Batch 1: rows of class 0 and 1, both predicted 0, weights 1 and 3:
    # right weight 1 of 4. Batch 2: one row of class 1, predicted 1, weight 2.
    first = Dataset(np.zeros((2, 1)), np.array([[1, 0], [0, 1]]), np.array([1.0, 3.0]))
    second = Dataset(np.zeros((1, 1)), np.array([[0, 1]]), np.array([2.0]))
    totals.add(first, 0.5, np.array([[0.9, 0.1], [0.8, 0.2]]), "softmax")
    totals.add(second, 2.0, np.array([[0.3, 0.7]]), "softmax")
    # The loss is each batch's mean loss times its rows, as scikit-learn sums
    # it (0.5 * 2 + 2.0 * 1); the score's statistics are weighted.
    assert totals.loss_sum == 3.0
    assert totals.n_batches == 2
    assert_array_equal(totals.score_statistics, [3.0, 6.0])
    assert totals.metric.from_statistics(totals.score_statistics) == 0.5


def test_evaluate_gives_the_objective_and_the_weighted_score():
    loss, score = evaluate(line_network(), VALIDATION, 0.3, "r2")
    assert loss == pytest.approx(0.9)
    assert score == pytest.approx(8 / 11)


def epoch_totals(loss_sum):
    """The totals of an epoch whose losses sum to ``loss_sum``."""
    totals = EpochTotals("r2")
    totals.loss_sum = loss_sum
    # Statistics of R^2 for outputs 1, 3 against targets 1, 2 (unweighted):
    # sum r^2 = 1, sum y = 3, sum y^2 = 5, 2 rows: R^2 = 1 - 1 / 0.5 = -1.
    totals.score_statistics = np.array([1.0, 3.0, 5.0, 2.0])
    return totals


def test_record_epoch_updates_the_state_and_appends_the_record(capsys):
    state = TrainingState(history=new_history("r2"), samples_seen=10)
    config = TrainingConfig(metric="r2", alpha=0.3)
    record = record_epoch(state, epoch_totals(6.0), 4, line_network(), None, config)
    assert (state.n_iter, state.samples_seen, state.loss) == (1, 14, 1.5)
    assert state.loss_curve == [1.5]
    assert record["epoch"] == 1 and record["loss"] == 1.5 and record["r2"] == -1.0
    assert record["val_loss"] is None and record["val_r2"] is None
    assert record["seconds"] >= 0
    assert {key: values[-1] for key, values in state.history.items()} == record
    assert capsys.readouterr().out == ""  # not verbose

    # The second epoch, with a validation set and verbose output.
    config.verbose = True
    record = record_epoch(
        state, epoch_totals(2.0), 4, line_network(), VALIDATION, config
    )
    assert record["epoch"] == 2 and state.n_iter == 2 and state.loss == 0.5
    assert record["val_loss"] == pytest.approx(0.9)
    assert record["val_r2"] == pytest.approx(8 / 11)
    assert state.loss_curve == [1.5, 0.5]
    assert state.history["val_loss"] == [None, record["val_loss"]]
    assert capsys.readouterr().out.startswith(
        "Iteration 2, loss = 0.50000000, val_loss = 0.90000000, val_r2 = 0.7273 ("
    )


def test_record_epoch_numbers_epochs_after_those_of_earlier_runs():
    # A warm start carries the history on but starts n_iter again.
    state = TrainingState(history=new_history("r2"))
    state.history["epoch"].extend([1, 2, 3])
    record = record_epoch(
        state, epoch_totals(1.0), 2, line_network(), None, TrainingConfig(metric="r2")
    )
    assert record["epoch"] == 4 and state.n_iter == 1


# --- improvement ------------------------------------------------------------------


def test_count_improvement_of_the_training_loss():
    # tol = 0.1: an epoch counts as an improvement only if its loss is below
    # the best so far minus tol; 0.95 is a new best, yet no improvement.
    state = TrainingState()
    config = TrainingConfig(tol=0.1)
    counts, best = [], []
    for loss in [1.0, 0.95, 0.8, 0.85, 0.75, 0.6]:
        state.loss = loss
        count_improvement(state, {}, config, np.zeros(2))
        counts.append(state.no_improvement_count)
        best.append(state.best_loss)
    assert counts == [0, 1, 0, 1, 2, 0]
    assert best == [1.0, 0.95, 0.8, 0.8, 0.75, 0.6]
    assert state.best_params is None  # weights are kept with early stopping only


def run_early_stopping(metric, val_losses, scores):
    """count_improvement over epochs whose weights are (epoch, epoch)."""
    state = early_stopping_state()
    config = TrainingConfig(
        tol=0.01, early_stopping=True, early_stopping_metric=metric, metric="r2"
    )
    params = np.zeros(2)
    counts = []
    for epoch, (val_loss, score) in enumerate(zip(val_losses, scores), 1):
        params[:] = epoch
        count_improvement(
            state, {"val_loss": val_loss, "val_r2": score}, config, params
        )
        counts.append(state.no_improvement_count)
    params[:] = -1  # the kept weights are a copy
    return state, counts


def test_count_improvement_of_the_validation_score_keeps_the_best_weights():
    # 0.505 is better than 0.5 by less than tol: no improvement, but the
    # weights are the best so far and are kept; the tie at 0.6 keeps epoch 3.
    scores = [0.5, 0.505, 0.6, 0.55, 0.6]
    state, counts = run_early_stopping("score", [5.0, 1.0, 4.0, 2.0, 3.0], scores)
    assert counts == [0, 1, 0, 1, 2]
    assert_array_equal(state.best_params, [3.0, 3.0])
    assert state.validation_scores == scores
    assert state.best_validation_score == 0.6
    assert state.best_validation_loss == 1.0  # tracked, though not watched


def test_count_improvement_of_the_validation_loss_keeps_the_best_weights():
    # The same rule on the negated loss; the score is tracked, not watched.
    val_losses = [1.0, 0.995, 0.8, 0.9, 0.8]
    state, counts = run_early_stopping("loss", val_losses, [0.9, 0.8, 0.7, 0.95, 0.6])
    assert counts == [0, 1, 0, 1, 2]
    assert_array_equal(state.best_params, [3.0, 3.0])
    assert state.best_validation_loss == 0.8
    assert state.best_validation_score == 0.95
    assert state.validation_scores == [0.9, 0.8, 0.7, 0.95, 0.6]


# --- plateaus ---------------------------------------------------------------------


def test_plateau_with_the_adaptive_schedule_lowers_the_rate_then_stops(capsys):
    schedule = SCHEDULES["adaptive"](1e-3)
    config = TrainingConfig(n_iter_no_change=2, tol=1e-4, verbose=True)
    state = TrainingState(no_improvement_count=2, learning_rate=1e-3)
    # n_iter_no_change epochs without improvement are not yet a plateau.
    assert plateau_reached(state, schedule, config) is False
    assert schedule.learning_rate == 1e-3 and state.no_improvement_count == 2
    assert capsys.readouterr().out == ""

    state.no_improvement_count = 3
    assert plateau_reached(state, schedule, config) is False
    assert state.learning_rate == schedule.learning_rate == pytest.approx(2e-4)
    assert state.no_improvement_count == 0  # counting starts again
    assert capsys.readouterr().out == (
        "Training loss did not improve more than tol=0.000100 for 2 consecutive "
        "epochs. Setting learning rate to 0.000200\n"
    )

    schedule.learning_rate = 1e-6  # at the floor: the next plateau stops
    state.no_improvement_count = 3
    assert plateau_reached(state, schedule, config) is True
    assert state.no_improvement_count == 3
    assert "Learning rate too small. Stopping." in capsys.readouterr().out


@pytest.mark.parametrize("metric", ["score", "loss"])
def test_plateau_with_a_constant_rate_stops_and_names_what_was_watched(metric, capsys):
    config = TrainingConfig(
        n_iter_no_change=1,
        early_stopping=True,
        early_stopping_metric=metric,
        verbose=True,
    )
    state = TrainingState(no_improvement_count=2)
    assert plateau_reached(state, SCHEDULES["constant"](0.1), config) is True
    assert state.learning_rate == 0.1
    assert capsys.readouterr().out.startswith(
        f"Validation {metric} did not improve more than tol=0.000100 for 1 "
    )


# --- the end of training ----------------------------------------------------------


@pytest.mark.parametrize(
    "early_stopping, best_params, expected",
    [
        (True, np.array([5.0, 6.0]), [5.0, 6.0]),
        (True, None, [2.0, 1.0]),  # no epoch scored yet: nothing to go back to
        (False, np.array([5.0, 6.0]), [2.0, 1.0]),
    ],
)
def test_finish_ends_on_the_best_weights_with_early_stopping_only(
    early_stopping, best_params, expected
):
    network = line_network()
    params = network.params
    state = TrainingState(best_params=best_params)
    config = TrainingConfig(early_stopping=early_stopping)
    assert finish(network, state, config) is state
    assert_array_equal(network.params, expected)
    assert network.params is params  # in place: the layers' views still see them
