"""Full-batch training with scipy's L-BFGS-B, as scikit-learn's 'lbfgs' solver.

L-BFGS needs the exact objective, so there is no dropout and no mini-batch:
every evaluation is one forward and backward pass over the whole training
set, and scipy chooses the steps from the gradient's history.
"""

import time

import numpy as np
import scipy.optimize
from sklearn.utils.optimize import _check_optimize_result

from ._warn import warn
from .bookkeeping import evaluate, history_keys
from .divergence import keep_or_raise
from .interrupts import deferred_keyboard_interrupt

__all__ = ["train_lbfgs"]


def train_lbfgs(network, data, config, state):
    """Minimise the objective over the whole training set with L-BFGS-B.

    ``state.history`` gets one entry per L-BFGS iteration, with the
    validation loss and score when ``data.validation`` is given (the training
    score would cost a pass over the data per iteration, so it is None).

    Like scikit-learn, a stop for any reason but convergence (the iteration
    or evaluation limit, a failed line search, ...) gives a
    ``ConvergenceWarning`` with scipy's message; a stop the user asked for
    (Ctrl-C, an epoch hook returning True) does not. If the objective became
    non-finite, the last iterate is kept when its outputs are finite, as the
    mini-batch loop keeps its last completed epoch; else
    :class:`~sknnscratch.nn.divergence.DivergenceError`.

    Parameters
    ----------
    network : Network
    data : TrainingData
        ``data.rng`` is not used: L-BFGS draws nothing at random.
    config : TrainingConfig
        Reads ``alpha``, ``alpha_bias``, ``max_iter``, ``max_fun``, ``tol``,
        ``verbose``, ``metric`` and ``on_epoch_end``.
    state : TrainingState

    Returns
    -------
    state : TrainingState
    """
    train, validation = data.train, data.validation
    started = [time.perf_counter()]
    # scipy works in float64 whatever the network's dtype.
    initial = network.params.astype(np.float64)
    # The last iterate scipy reported: the last completed iteration's weights.
    last_iterate = np.empty_like(initial)
    n_iter_before = state.n_iter

    def objective(flat):
        network.params[...] = flat
        loss, _ = network.loss_and_gradient(
            train.X,
            train.Y,
            train.sample_weight,
            config.alpha,
            config.alpha_bias,
            training=False,
        )
        return loss, network.grads.astype(np.float64)

    with deferred_keyboard_interrupt() as interrupt:
        stop_requested = [False]

        def callback(intermediate_result):
            now = time.perf_counter()
            state.n_iter += 1
            state.loss_curve.append(float(intermediate_result.fun))
            np.copyto(last_iterate, intermediate_result.x)
            keys = history_keys(config.metric)
            record = dict.fromkeys(keys)
            record["epoch"] = len(state.history["epoch"]) + 1
            record["loss"] = float(intermediate_result.fun)
            # The network holds the last weights scipy evaluated, not
            # necessarily this iterate's: the hook and the validation score
            # must see the iterate.
            network.params[...] = intermediate_result.x
            if validation is not None:
                record["val_loss"], record[f"val_{config.metric}"] = evaluate(
                    network, validation, config.alpha, config.metric, config.alpha_bias
                )
            record["seconds"] = now - started[0]
            for key in keys:
                state.history[key].append(record[key])
            started[0] = now
            if config.verbose:
                print(f"Iteration {state.n_iter}, loss = {intermediate_result.fun:.8f}")
            hook = config.on_epoch_end
            stop_requested[0] = hook is not None and bool(hook(record))
            if interrupt.requested or stop_requested[0]:
                raise StopIteration

        result = scipy.optimize.minimize(
            objective,
            initial,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={
                "maxfun": config.max_fun,
                "maxiter": config.max_iter,
                "gtol": config.tol,
            },
        )
    if interrupt.requested:
        warn(
            f"Training interrupted by user after {state.n_iter} L-BFGS iterations.",
            UserWarning,
        )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        kept = None
        if state.n_iter > n_iter_before:
            network.params[...] = last_iterate
            kept = f"the weights of iteration {state.n_iter} (the last completed)"
        keep_or_raise(
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
        _check_optimize_result("lbfgs", result, config.max_iter)
    return state
