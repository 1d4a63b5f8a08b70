"""The training loops: mini-batch epochs for the step optimizers, and L-BFGS.

One epoch of :func:`fit_stochastic`, in order:

1. shuffle the row order (``rng``, from ``random_state``);
2. for each mini-batch: forward pass, loss, backward pass
   (:meth:`~sknnscratch.nn.network.Network.loss_and_gradient`), then
   ``optimizer.update`` with the schedule's current learning rate;
3. record the epoch in the history (training loss and running score,
   validation loss and score when there is a validation set, seconds); the
   score is a metric of :mod:`~sknnscratch.nn.metrics` (accuracy for a
   classifier, R² for a regressor);
4. count epochs without improvement (training loss, or with early stopping
   the validation score or loss) and let the schedule decide at a plateau:
   stop, or lower the learning rate.

Two things can end an epoch early:

- the loss (or a weight) becomes inf or NaN: training has diverged. The
  weights and optimizer state of the last completed epoch (those at the start
  of this one) are restored and checked once by a forward pass over the
  training rows. If they give finite outputs, a warning names the epoch and
  suggests a lower ``learning_rate_init``; if no epoch of this run completed,
  or the kept weights overflow anyway, there is nothing usable and
  :class:`DivergenceError` is raised, as scikit-learn's MLP raises its
  ``ValueError`` for non-finite weights;
- Ctrl-C: the current batch finishes, training stops there and warns.
"""

import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.optimize import _check_optimize_result

from .metrics import METRICS

__all__ = [
    "Dataset",
    "DivergenceError",
    "DivergenceWarning",
    "StochasticConfig",
    "TrainingState",
    "fit_lbfgs",
    "fit_stochastic",
    "history_keys",
    "new_history",
]


class DivergenceError(ValueError):
    """Training diverged and left no usable weights.

    A ``ValueError`` whose message starts as scikit-learn's MLP's does for
    non-finite weights, so code written for it catches and matches ours; then
    come ``what`` happened (kept as an attribute too) and the ``advice``.
    """

    def __init__(self, what, advice):
        super().__init__(
            "Solver produced non-finite parameter weights. The input data may "
            f"contain large values and need to be preprocessed. ({what} {advice})"
        )
        self.what = what


class DivergenceWarning(ConvergenceWarning):
    """Training diverged; it stopped and kept earlier weights that still work.

    A ``ConvergenceWarning``, so filters written for scikit-learn's warnings
    apply; its own class, so that a caller can tell it from a budget that ran
    out.
    """


def history_keys(metric="accuracy"):
    """The keys of a history whose score is ``metric`` (a METRICS name)."""
    return ("epoch", "loss", metric, "val_loss", f"val_{metric}", "seconds")


def new_history(metric="accuracy"):
    """An empty per-epoch history: a dict of equally long lists."""
    return {key: [] for key in history_keys(metric)}


@dataclass
class Dataset:
    """A design matrix with its target matrix and optional sample weights."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    def __len__(self):
        return self.X.shape[0]

    def rows(self, index, x_buffer=None):
        """The rows ``index`` (a slice or integer array) as a new Dataset.

        With ``x_buffer``, dense rows picked by an integer array are gathered
        into it (reused batch after batch) instead of a fresh array.
        """
        weights = self.sample_weight
        if x_buffer is not None and not sp.issparse(self.X):
            # mode="clip": with the default "raise", NumPy gathers into a
            # temporary and copies that into ``out`` (twice the memory traffic);
            # ``index`` comes from a permutation, so it is always in range.
            X = np.take(self.X, index, axis=0, out=x_buffer[: len(index)], mode="clip")
        else:
            X = self.X[index]
        return Dataset(X, self.Y[index], None if weights is None else weights[index])


@dataclass
class StochasticConfig:
    """Settings of a mini-batch training run (the estimator's parameters)."""

    batch_size: int
    max_iter: int
    shuffle: bool = True
    alpha: float = 0.0
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


class _InterruptFlag:
    requested = False


@contextmanager
def _deferred_keyboard_interrupt():
    """Turn the first Ctrl-C into a flag the loop checks between batches.

    A KeyboardInterrupt raised in the middle of an optimizer update would leave
    the weights half-updated; deferring it to the batch boundary keeps the
    model consistent. A second Ctrl-C goes straight to the previous handler.

    Any Python-level handler is deferred so, not only Python's default: an
    application's own (``asyncio.run``'s, a server's) is called for the first
    Ctrl-C once training has stopped and the handler is back in place (it may
    raise). Left alone: SIG_IGN (Ctrl-C is to be ignored, as for ``command &``
    in a shell script), SIG_DFL (Ctrl-C kills the process), and threads other
    than the main one, which cannot install handlers (joblib workers get the
    plain KeyboardInterrupt path).
    """
    flag = _InterruptFlag()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield flag
        return

    def handler(signum, frame):
        flag.requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
    # Python's default would only raise the KeyboardInterrupt the loop has
    # just turned into a clean stop; an application's handler must not miss
    # the Ctrl-C.
    if flag.requested and previous is not signal.default_int_handler:
        signal.raise_signal(signal.SIGINT)


def _evaluate(network, data, alpha, metric):
    """Objective and score of the network on a dataset, without dropout."""
    output = network.predict(data.X)
    loss = network.objective(output, data.Y, data.sample_weight, alpha)
    score = METRICS[metric](
        data.Y, output, network.output_activation, data.sample_weight
    )
    return loss, score


def fit_stochastic(network, optimizer, schedule, train, validation, config, state, rng):
    """Train ``network`` with mini-batches; update ``state`` in place.

    Parameters
    ----------
    network : Network
    optimizer : Optimizer
        One of :data:`~sknnscratch.nn.optimizers.OPTIMIZERS`, built for
        ``network.params``.
    schedule : object
        One of :data:`~sknnscratch.nn.schedules.SCHEDULES`.
    train : Dataset
    validation : Dataset or None
        Scored after every epoch; drives stopping when
        ``config.early_stopping``.
    config : StochasticConfig
    state : TrainingState
    rng : numpy.random.Generator
        Shuffles the rows (dropout masks come from the network's own
        generator, normally the same one).

    Returns
    -------
    state : TrainingState
    """
    params, grads = network.params, network.grads
    n_samples = len(train)
    batch_size = min(config.batch_size, n_samples)
    dense_input = not sp.issparse(train.X)
    batch_buffer = (
        np.empty((batch_size, train.X.shape[1]), dtype=train.X.dtype)
        if dense_input and config.shuffle
        else None
    )
    snapshot = np.empty_like(params)
    optimizer_snapshot = None
    n_epochs = 1 if config.single_epoch else config.max_iter
    metric = METRICS[config.metric]
    val_key = f"val_{config.metric}"

    with _deferred_keyboard_interrupt() as interrupt:
        # completed: epochs of this run so far (of the history: of every run).
        for completed in range(n_epochs):
            epoch = len(state.history["epoch"]) + 1
            np.copyto(snapshot, params)
            optimizer_snapshot = _copy_state(optimizer.state_dict(), optimizer_snapshot)
            started = time.perf_counter()
            order = rng.permutation(n_samples) if config.shuffle else None
            loss_sum = 0.0
            # The running training score, summed batch by batch (see metrics).
            score_statistics = 0.0
            batches_done = 0
            diverged_loss = None
            try:
                for start in range(0, n_samples, batch_size):
                    stop = min(start + batch_size, n_samples)
                    if order is None:
                        batch = train.rows(slice(start, stop))
                    else:
                        batch = train.rows(order[start:stop], batch_buffer)
                    loss, output = network.loss_and_gradient(
                        batch.X, batch.Y, batch.sample_weight, config.alpha
                    )
                    if not np.isfinite(loss):
                        diverged_loss = loss
                        break
                    optimizer.update(params, grads, schedule.learning_rate)
                    loss_sum += loss * (stop - start)
                    # Weighted by sample weight, like the validation score.
                    score_statistics = score_statistics + metric.statistics(
                        batch.Y, output, network.output_activation, batch.sample_weight
                    )
                    batches_done += 1
                    if interrupt.requested:
                        raise KeyboardInterrupt
            except KeyboardInterrupt:
                if interrupt.requested:
                    kept = "after that batch"
                else:
                    # Raised mid-update: only the epoch's start is consistent.
                    _restore(network, optimizer, snapshot, optimizer_snapshot)
                    kept = "from the start of the epoch"
                warnings.warn(
                    f"Training interrupted by user in epoch {epoch} after "
                    f"{batches_done} batches; the model keeps its weights {kept}.",
                    UserWarning,
                    stacklevel=3,
                )
                return _finish(network, state, config)

            # The optimizer state too: a squared gradient that overflowed to
            # inf leaves the weights finite but frozen (g / sqrt(inf) = 0).
            if diverged_loss is None and (
                not np.isfinite(params).all()
                or not all(
                    np.isfinite(value).all()
                    for value in optimizer.state_dict().values()
                    if isinstance(value, np.ndarray)
                )
            ):
                diverged_loss = np.inf
            if diverged_loss is not None:
                _restore(network, optimizer, snapshot, optimizer_snapshot)
                return _diverged(
                    network,
                    train,
                    state,
                    config,
                    schedule,
                    epoch,
                    completed,
                    diverged_loss,
                )

            state.n_iter += 1
            state.samples_seen += n_samples
            state.loss = loss_sum / n_samples
            state.loss_curve.append(state.loss)
            record = {
                "epoch": epoch,
                "loss": state.loss,
                config.metric: metric.from_statistics(score_statistics),
                "val_loss": None,
                val_key: None,
            }
            if validation is not None:
                record["val_loss"], record[val_key] = _evaluate(
                    network, validation, config.alpha, config.metric
                )
            record["seconds"] = time.perf_counter() - started
            for key in history_keys(config.metric):
                state.history[key].append(record[key])
            if config.verbose:
                _print_epoch(record, config.metric)
            # The hook (progress display, scikit-learn callbacks) may ask to
            # stop by returning True.
            stop_requested = config.on_epoch_end is not None and bool(
                config.on_epoch_end(record)
            )

            _count_improvement(state, record, config, params)
            schedule.on_epoch_end(state.samples_seen)
            state.learning_rate = schedule.learning_rate
            if state.no_improvement_count > config.n_iter_no_change:
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
                if stop:
                    break
                state.no_improvement_count = 0
            if stop_requested:
                break
        else:
            if not config.single_epoch:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
    return _finish(network, state, config)


def _count_improvement(state, record, config, params):
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


def _finish(network, state, config):
    """With early stopping, end on the best weights seen on the validation set."""
    if config.early_stopping and state.best_params is not None:
        np.copyto(network.params, state.best_params)
    return state


def _copy_state(state, into=None):
    """Copy an optimizer's ``state_dict`` into the arrays of ``into`` (or new ones).

    The epoch-start snapshot reuses its arrays: a fresh copy every epoch would
    hold two copies of the optimizer state at once (the new one and the one
    being replaced), a few parameter-vectors' worth of peak memory.
    """
    if into is None:
        return {k: np.copy(v) for k, v in state.items()}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.copyto(into[key], value)
        else:
            into[key] = value
    return into


def _restore(network, optimizer, params, optimizer_state):
    np.copyto(network.params, params)
    optimizer.load_state_dict(optimizer_state)


def _diverged(network, train, state, config, schedule, epoch, completed, loss):
    """End a run whose loss or weights became non-finite in ``epoch``.

    The weights of the last completed epoch are back in place (the caller
    restored them); with early stopping, those of the best epoch on the
    validation set take their place, as at any other end of training.
    """
    _finish(network, state, config)
    if config.early_stopping and state.best_params is not None:
        kept = "the weights of the best epoch on the validation set"
    else:
        kept = f"the weights of epoch {epoch - 1} (the last completed)"
    _keep_or_raise(
        network,
        train,
        f"Training diverged in epoch {epoch}: the loss became {loss}.",
        kept if completed else None,
        "epoch",
        f"Try a lower learning_rate_init (it is {schedule.learning_rate_init:g}), "
        "or scale the input features (e.g. StandardScaler).",
    )
    return state


def _keep_or_raise(network, train, what, kept, step, advice):
    """Keep the weights in place after a divergence, or raise.

    ``kept`` says which weights these are, None if this run completed no
    ``step`` (epoch or iteration) and there are none of its own. They are
    kept, with a :class:`DivergenceWarning`, only if one forward pass over the
    training rows gives finite outputs with them: weights of 1e200 are
    finite, yet useless. Otherwise :class:`DivergenceError`.
    """
    if kept is None:
        raise DivergenceError(f"{what} No {step} completed.", advice)
    if not np.isfinite(network.predict(train.X)).all():
        raise DivergenceError(
            f"{what} {kept[0].upper()}{kept[1:]} give non-finite outputs on the "
            "training data.",
            advice,
        )
    warnings.warn(
        f"{what} Training stopped and kept {kept}. {advice}",
        DivergenceWarning,
        stacklevel=5,
    )


def _print_epoch(record, metric):
    line = f"Iteration {record['epoch']}, loss = {record['loss']:.8f}"
    if record["val_loss"] is not None:
        line += (
            f", val_loss = {record['val_loss']:.8f}"
            f", val_{metric} = {record[f'val_{metric}']:.4f}"
        )
    print(f"{line} ({record['seconds']:.2f} s)")


def fit_lbfgs(
    network,
    train,
    alpha,
    max_iter,
    max_fun,
    tol,
    verbose,
    state,
    on_epoch_end=None,
    validation=None,
    metric="accuracy",
):
    """Full-batch training with scipy's L-BFGS-B, as scikit-learn's 'lbfgs'.

    L-BFGS needs the exact objective, so there is no dropout and no mini-batch;
    ``state.history`` gets one entry per L-BFGS iteration, with the validation
    loss and score when a ``validation`` Dataset is given (the training score
    would cost a pass over the data per iteration, so it is None).

    Like scikit-learn, a stop for any reason but convergence (the iteration
    or evaluation limit, a failed line search, ...) gives a
    ``ConvergenceWarning`` with scipy's message; a stop the user asked for
    (Ctrl-C, an epoch hook returning True) does not. If the objective became
    non-finite, the last iterate is kept when its outputs are finite, as the
    stochastic loop keeps its last completed epoch; else
    :class:`DivergenceError`.
    """
    started = [time.perf_counter()]
    # scipy works in float64 whatever the network's dtype.
    initial = network.params.astype(np.float64)
    # The last iterate scipy reported: the last completed iteration's weights.
    last_iterate = np.empty_like(initial)
    n_iter_before = state.n_iter

    def objective(flat):
        network.params[...] = flat
        loss, _ = network.loss_and_gradient(
            train.X, train.Y, train.sample_weight, alpha, training=False
        )
        return loss, network.grads.astype(np.float64)

    with _deferred_keyboard_interrupt() as interrupt:
        stop_requested = [False]

        def callback(intermediate_result):
            now = time.perf_counter()
            state.n_iter += 1
            state.loss_curve.append(float(intermediate_result.fun))
            np.copyto(last_iterate, intermediate_result.x)
            keys = history_keys(metric)
            record = dict.fromkeys(keys)
            record["epoch"] = len(state.history["epoch"]) + 1
            record["loss"] = float(intermediate_result.fun)
            # The network holds the last weights scipy evaluated, not
            # necessarily this iterate's: the hook and the validation score
            # must see the iterate.
            network.params[...] = intermediate_result.x
            if validation is not None:
                record["val_loss"], record[f"val_{metric}"] = _evaluate(
                    network, validation, alpha, metric
                )
            record["seconds"] = now - started[0]
            for key in keys:
                state.history[key].append(record[key])
            started[0] = now
            if verbose:
                print(f"Iteration {state.n_iter}, loss = {intermediate_result.fun:.8f}")
            stop_requested[0] = on_epoch_end is not None and bool(on_epoch_end(record))
            if interrupt.requested or stop_requested[0]:
                raise StopIteration

        result = scipy.optimize.minimize(
            objective,
            initial,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
    if interrupt.requested:
        warnings.warn(
            f"Training interrupted by user after {state.n_iter} L-BFGS iterations.",
            UserWarning,
            stacklevel=3,
        )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        kept = None
        if state.n_iter > n_iter_before:
            network.params[...] = last_iterate
            kept = f"the weights of iteration {state.n_iter} (the last completed)"
        _keep_or_raise(
            network,
            train,
            "L-BFGS diverged: the objective became non-finite.",
            kept,
            "iteration",
            "Scale the input features (e.g. StandardScaler).",
        )
        state.loss = state.loss_curve[-1]
        return state
    network.params[...] = result.x
    state.loss = float(result.fun)
    if not (interrupt.requested or stop_requested[0]):
        # scikit-learn's own check: the same ConvergenceWarning, worded as
        # the installed scikit-learn words it, for any unconverged stop.
        _check_optimize_result("lbfgs", result, max_iter)
    return state
