"""The mini-batch training loop of the step optimizers (sgd, adam, ...).

:func:`run_epoch` is backpropagation in its textbook form. For every
mini-batch of the training rows:

1. forward pass: the network's output for the batch;
2. loss: the objective :math:`J` of that output against the targets;
3. backward pass: the gradient :math:`\\partial J / \\partial \\theta` of every
   weight and bias, into ``network.grads``;
4. update: the optimizer's step on ``network.params``, with the schedule's
   current learning rate (which a per-update schedule then moves on).

(Steps 1-3 are :meth:`~sknnscratch.nn.network.Network.loss_and_gradient`.)

:func:`train_minibatch` repeats epochs, shuffling the rows before each, and
keeps the books beside them (:mod:`~sknnscratch.nn.bookkeeping`: history,
plateaus and stopping; :mod:`~sknnscratch.nn.divergence`: a loss or weight
that becomes inf or NaN; :mod:`~sknnscratch.nn.interrupts`: Ctrl-C).
Full-batch L-BFGS is in :mod:`~sknnscratch.nn.lbfgs`.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._warn import warn
from .bookkeeping import (
    EpochTotals,
    count_improvement,
    finish,
    plateau_reached,
    record_epoch,
)
from .data import augmented, minibatches
from .divergence import EpochStart, is_finite, keep_or_raise
from .interrupts import deferred_keyboard_interrupt, until_interrupted

__all__ = ["TrainingConfig", "run_epoch", "train_minibatch"]


@dataclass
class TrainingConfig:
    """Settings of a training run (the estimator's parameters)."""

    batch_size: int = 200
    max_iter: int = 200
    shuffle: bool = True
    alpha: float = 0.0  # L2 penalty of the weights
    alpha_bias: float = 0.0  # L2 penalty of the biases
    # A transform of the training batches' rows (see sknnscratch.augment),
    # called as augment(X, rng); never applied to validation rows.
    augment: object = None
    tol: float = 1e-4
    n_iter_no_change: int = 10
    early_stopping: bool = False
    # What early stopping watches on the validation set: 'score' (higher is
    # better) or 'loss' (lower is better).
    early_stopping_metric: str = "score"
    metric: str = "accuracy"  # key of METRICS: the score in the history
    verbose: bool = False
    single_epoch: bool = False  # partial_fit: one pass, no convergence warning
    # Called with each epoch's history record; returning True stops training.
    on_epoch_end: object = None
    max_fun: int = 15000  # L-BFGS only: the budget of objective evaluations


def run_epoch(network, optimizer, schedule, batches, config, totals):
    """One pass over the training rows, one update per mini-batch.

    Returns None, or the loss if it became inf or NaN (training diverged:
    the epoch stops before that batch's update). ``config`` gives the L2
    penalties; ``totals`` sums the epoch's loss and score.
    """
    for batch in batches:
        # Forward pass, loss and backward pass: network.grads holds dJ/dtheta.
        loss, output = network.loss_and_gradient(
            batch.X, batch.Y, batch.sample_weight, config.alpha, config.alpha_bias
        )
        if not np.isfinite(loss):
            return loss
        # Update: theta <- theta + (the optimizer's step).
        optimizer.step(network.params, network.grads, schedule.learning_rate)
        # The optimizer counts its updates (t); a per-update schedule sets
        # the next one's rate from that count.
        schedule.on_update(optimizer.t)
        totals.add(batch, loss, output, network.output_activation)
    return None


def train_minibatch(network, optimizer, schedule, data, config, state):
    """Train ``network`` epoch by epoch; update ``state`` in place.

    Parameters
    ----------
    network : Network
    optimizer : Optimizer
        One of :data:`~sknnscratch.nn.optimizers.OPTIMIZERS`, built for
        ``network.params``.
    schedule : object
        One of :data:`~sknnscratch.nn.schedules.SCHEDULES`.
    data : TrainingData
        The training rows, the validation rows (scored after every epoch;
        they drive stopping when ``config.early_stopping``) and the random
        stream that shuffles the rows (dropout masks come from the network's
        own generator, normally the same one).
    config : TrainingConfig
    state : TrainingState

    Returns
    -------
    state : TrainingState
    """
    train = data.train
    batch_size = min(config.batch_size, len(train))
    # One array reused to gather every shuffled batch (see Dataset.rows).
    buffer = None
    if config.shuffle and not sp.issparse(train.X):
        buffer = np.empty((batch_size, train.X.shape[1]), dtype=train.X.dtype)
    epoch_start = EpochStart(network, optimizer)
    n_epochs = 1 if config.single_epoch else config.max_iter
    schedule.on_update(optimizer.t)  # the rate of this run's first update

    with deferred_keyboard_interrupt() as interrupt:
        # completed: epochs of this run so far (of the history: of every run).
        for completed in range(n_epochs):
            epoch_start.take()
            totals = EpochTotals(config.metric)
            order = data.rng.permutation(len(train)) if config.shuffle else None
            batches = minibatches(train, batch_size, order, buffer)
            if config.augment is not None:
                batches = augmented(batches, config.augment, data.rng)
            try:
                diverged_loss = run_epoch(
                    network,
                    optimizer,
                    schedule,
                    until_interrupted(batches, interrupt),
                    config,
                    totals,
                )
            except KeyboardInterrupt:
                _stop_for_interrupt(epoch_start, interrupt, state, totals)
                return finish(network, state, config)
            if diverged_loss is None and not is_finite(network, optimizer):
                diverged_loss = np.inf
            if diverged_loss is not None:
                epoch_start.restore()
                return _diverged(
                    network, train, state, config, schedule, completed, diverged_loss
                )

            record = record_epoch(
                state, totals, len(train), network, data.validation, config
            )
            # The hook (callbacks, a progress display) may ask to stop.
            stop_requested = config.on_epoch_end is not None and bool(
                config.on_epoch_end(record)
            )
            count_improvement(state, record, config, network.params)
            schedule.on_epoch_end(state.samples_seen)
            state.learning_rate = schedule.learning_rate
            if plateau_reached(state, schedule, config) or stop_requested:
                break
        else:
            if not config.single_epoch:
                warn(
                    f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
    return finish(network, state, config)


def _stop_for_interrupt(epoch_start, interrupt, state, totals):
    """Ctrl-C: keep the weights after the last full batch, and warn."""
    if interrupt.requested:
        kept = "after that batch"
    else:
        # Raised mid-update: only the epoch's start is consistent.
        epoch_start.restore()
        kept = "from the start of the epoch"
    epoch = len(state.history["epoch"]) + 1
    warn(
        f"Training interrupted by user in epoch {epoch} after "
        f"{totals.n_batches} batches; the model keeps its weights {kept}.",
        UserWarning,
    )


def _diverged(network, train, state, config, schedule, completed, loss):
    """End a run whose ``loss`` (or weights) became non-finite after
    ``completed`` epochs of this run.

    The weights of the last completed epoch are back in place (the caller
    restored them); with early stopping, those of the best epoch on the
    validation set take their place, as at any other end of training.
    """
    epoch = len(state.history["epoch"]) + 1
    finish(network, state, config)
    if config.early_stopping and state.best_params is not None:
        kept = "the weights of the best epoch on the validation set"
    else:
        kept = f"the weights of epoch {epoch - 1} (the last completed)"
    keep_or_raise(
        network,
        train,
        f"Training diverged in epoch {epoch}: the loss became {loss}.",
        kept if completed else None,
        "epoch",
        f"Try a lower learning_rate_init (it is {schedule.learning_rate_init:g}), "
        "or scale the input features (e.g. StandardScaler).",
    )
    return state
