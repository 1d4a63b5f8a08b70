"""What training records beside the arithmetic: history, improvement, stopping.

The training loops (:mod:`~sknnscratch.nn.training`, :mod:`~sknnscratch.nn.lbfgs`)
call these after every epoch:

1. :class:`EpochTotals` sums the loss and the running score batch by batch;
2. :func:`record_epoch` turns them into the epoch's record (training loss and
   score; validation loss and score when there is a validation set; seconds),
   appends it to the history and prints it when verbose;
3. :func:`count_improvement` counts epochs without improvement (of the
   training loss, or with early stopping of the validation score or loss)
   and keeps the best weights seen on the validation set;
4. :func:`plateau_reached` lets the schedule decide at a plateau: stop, or
   lower the learning rate.

All of it lives in a :class:`TrainingState` of plain numbers, lists and
arrays, which the estimators store as fitted attributes.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from .metrics import METRICS

__all__ = [
    "EpochTotals",
    "TrainingState",
    "count_improvement",
    "evaluate",
    "finish",
    "history_keys",
    "new_history",
    "plateau_reached",
    "record_epoch",
]


def history_keys(metric="accuracy"):
    """The keys of a history whose score is ``metric`` (a METRICS name)."""
    return ("epoch", "loss", metric, "val_loss", f"val_{metric}", "seconds")


def new_history(metric="accuracy"):
    """An empty per-epoch history: a dict of equally long lists."""
    return {key: [] for key in history_keys(metric)}


@dataclass
class TrainingState:
    """Everything training accumulates across epochs and ``partial_fit`` calls.

    Plain numbers, lists and arrays only, so that a fitted estimator persists
    as plain data (``dataclasses.asdict`` gives a dict of them).
    """

    n_iter: int = 0
    samples_seen: int = 0
    loss: float | None = None
    best_loss: float | None = np.inf
    best_validation_score: float | None = None
    best_validation_loss: float | None = None
    no_improvement_count: int = 0
    learning_rate: float | None = None
    loss_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    history: dict = field(default_factory=new_history)
    best_params: np.ndarray | None = None


class EpochTotals:
    """The training loss and running score of one epoch, summed batch by batch."""

    def __init__(self, metric):
        self.metric = METRICS[metric]
        self.started = time.perf_counter()
        self.loss_sum = 0.0
        self.score_statistics = 0.0
        self.n_batches = 0

    def add(self, batch, loss, output, output_activation):
        """Count one batch: its mean loss and its score's statistics
        (weighted by sample weight, like the validation score)."""
        self.loss_sum += loss * len(batch)
        self.score_statistics = self.score_statistics + self.metric.statistics(
            batch.Y, output, output_activation, batch.sample_weight
        )
        self.n_batches += 1


def evaluate(network, data, alpha, metric, alpha_bias=0.0):
    """Objective and score of the network on a dataset, without dropout."""
    output = network.predict(data.X)
    loss = network.objective(output, data.Y, data.sample_weight, alpha, alpha_bias)
    score = METRICS[metric](
        data.Y, output, network.output_activation, data.sample_weight
    )
    return loss, score


def record_epoch(state, totals, n_samples, network, validation, config):
    """Close an epoch: update ``state`` and its history; return the record."""
    state.n_iter += 1
    state.samples_seen += n_samples
    state.loss = totals.loss_sum / n_samples
    state.loss_curve.append(state.loss)
    val_key = f"val_{config.metric}"
    record = {
        "epoch": len(state.history["epoch"]) + 1,
        "loss": state.loss,
        config.metric: totals.metric.from_statistics(totals.score_statistics),
        "val_loss": None,
        val_key: None,
    }
    if validation is not None:
        record["val_loss"], record[val_key] = evaluate(
            network, validation, config.alpha, config.metric, config.alpha_bias
        )
    record["seconds"] = time.perf_counter() - totals.started
    for key in history_keys(config.metric):
        state.history[key].append(record[key])
    if config.verbose:
        print_epoch(record, config.metric)
    return record


def print_epoch(record, metric):
    """One line per epoch for ``verbose=True``, worded as scikit-learn's."""
    line = f"Iteration {record['epoch']}, loss = {record['loss']:.8f}"
    if record["val_loss"] is not None:
        line += (
            f", val_loss = {record['val_loss']:.8f}"
            f", val_{metric} = {record[f'val_{metric}']:.4f}"
        )
    print(f"{line} ({record['seconds']:.2f} s)")


def count_improvement(state, record, config, params):
    """Update the no-improvement counter as scikit-learn's MLP does.

    With early stopping the watched value is the validation score (higher is
    better) or, with ``early_stopping_metric='loss'``, the validation loss
    negated, so that one rule serves both; the weights of the best epoch by
    that value are kept.
    """
    if config.early_stopping:
        score = record[f"val_{config.metric}"]
        val_loss = record["val_loss"]
        state.validation_scores.append(score)
        if config.early_stopping_metric == "loss":
            watched, best = -val_loss, -state.best_validation_loss
        else:
            watched, best = score, state.best_validation_score
        if watched < best + config.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if watched > best:
            state.best_params = params.copy()
        state.best_validation_score = max(state.best_validation_score, score)
        state.best_validation_loss = min(state.best_validation_loss, val_loss)
    else:
        if state.loss > state.best_loss - config.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        state.best_loss = min(state.best_loss, state.loss)


def plateau_reached(state, schedule, config):
    """After ``n_iter_no_change`` epochs without improvement, let the schedule
    decide; True when training should stop."""
    if state.no_improvement_count <= config.n_iter_no_change:
        return False
    stop, note = schedule.on_plateau()
    state.learning_rate = schedule.learning_rate
    if config.verbose:
        watched = (
            f"Validation {config.early_stopping_metric}"
            if config.early_stopping
            else "Training loss"
        )
        print(
            f"{watched} did not improve more than tol={config.tol:f} "
            f"for {config.n_iter_no_change} consecutive epochs. {note}"
        )
    if not stop:
        state.no_improvement_count = 0
    return stop


def finish(network, state, config):
    """With early stopping, end on the best weights seen on the validation set."""
    if config.early_stopping and state.best_params is not None:
        np.copyto(network.params, state.best_params)
    return state
