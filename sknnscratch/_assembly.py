"""From an estimator's parameters to the engine's objects, and back.

The facade (:class:`~sknnscratch._base.BaseScratchMLP`) validates its input
and encodes the targets; this module builds what the engine
(:mod:`sknnscratch.nn`) trains with (the network, the optimizer and the
schedule, the training settings and state) and says which fitted attribute
holds each piece of the state the engine leaves.
"""

import inspect

import numpy as np
from sklearn.model_selection import train_test_split

from ._fitted_state import BIT_GENERATORS
from ._utils import as_generator
from .nn._warn import warn
from .nn.bookkeeping import TrainingState, new_history
from .nn.data import TrainingData
from .nn.network import Network
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES
from .nn.training import TrainingConfig

__all__ = [
    "STATE_ATTRIBUTES",
    "batch_size",
    "build_network",
    "held_out",
    "optimizer_and_schedule",
    "random_stream",
    "training_config",
    "training_state",
]

#: Fitted attribute holding each field of the engine's TrainingState.
STATE_ATTRIBUTES = {
    "n_iter": "n_iter_",
    "samples_seen": "t_",
    "loss": "loss_",
    "best_loss": "best_loss_",
    "best_validation_score": "best_validation_score_",
    "best_validation_loss": "best_validation_loss_",
    "no_improvement_count": "_no_improvement_count",
    "learning_rate": "_learning_rate",
    "loss_curve": "loss_curve_",
    "validation_scores": "validation_scores_",
    "history": "history_",
    "best_params": "_best_params",
}


def random_stream(estimator, resume):
    """The Generator of every random draw of a fit: from ``random_state``, or
    for a ``partial_fit`` that continues, where the last call left it."""
    if not resume:
        return as_generator(estimator.random_state)
    state = estimator._rng_state
    # PCG64 (default_rng's), or PCG64DXSM from a model file that holds it.
    bit_generator = BIT_GENERATORS[state["bit_generator"]]()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def build_network(estimator, layer_units, plan, dtype, rng, first_pass):
    """The network: fresh weights on a first pass, else the fitted ones.

    ``plan`` is ``(activations, dropout rates, output activation)``.
    """
    activations, dropout, out_activation = plan
    if not first_pass:
        fitted = [estimator.coefs_[0].shape[0], *(c.shape[1] for c in estimator.coefs_)]
        if fitted != layer_units:
            raise ValueError(
                f"The fitted network has layer sizes {fitted} but the "
                f"parameters ask for {layer_units}; refit without warm_start."
            )
    network = Network(
        layer_units, activations, out_activation, estimator.loss, dropout, dtype, rng
    )
    if first_pass:
        network.initialize(estimator.weight_init, rng)
    else:
        network.set_weights(estimator.coefs_, estimator.intercepts_)
    return network


def training_state(estimator, first_pass, incremental):
    """A fresh TrainingState, or the fitted one to continue from."""
    if first_pass:
        state = TrainingState(history=new_history(estimator._metric))
    else:
        # Copies of the fitted lists: the engine appends to its own, so that
        # a fit that fails leaves the fitted ones as they were.
        state = TrainingState(
            **{f: _copied(getattr(estimator, a)) for f, a in STATE_ATTRIBUTES.items()}
        )
        if not incremental:
            # warm_start fit: a new run on the old weights, judged afresh,
            # with the epoch log carried on. The count of samples seen (t_)
            # carries on too, as in scikit-learn, so 'invscaling' continues
            # its decay rather than starting again.
            state = TrainingState(
                samples_seen=state.samples_seen,
                loss_curve=state.loss_curve,
                history=state.history,
            )
    # L-BFGS ignores early_stopping, as scikit-learn's 'lbfgs' does.
    stops_early = estimator.early_stopping and estimator.solver != "lbfgs"
    if not stops_early and state.best_loss is None:
        # Continuing without early stopping a fit that had it: the training
        # loss is watched from now on (scikit-learn's MLP fails here).
        state.best_loss = np.inf
    if stops_early and state.validation_scores is None:
        state.validation_scores = []
        state.best_validation_score = -np.inf
        state.best_validation_loss = np.inf
        state.best_loss = None
    return state


def _copied(value):
    """A list or a dict of lists copied one level down; anything else as is."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return {key: list(column) for key, column in value.items()}
    return value


def training_config(estimator, single_epoch, on_epoch_end):
    """The engine's settings: the estimator's parameters of the same names.

    ``batch_size`` is left to :func:`batch_size`, once the training rows are
    known (early stopping may hold some out).
    """
    return TrainingConfig(
        max_iter=estimator.max_iter,
        shuffle=estimator.shuffle,
        alpha=estimator.alpha,
        alpha_bias=estimator.alpha_bias,
        augment=estimator.augment,
        tol=estimator.tol,
        n_iter_no_change=estimator.n_iter_no_change,
        early_stopping=estimator.early_stopping,
        early_stopping_metric=estimator.early_stopping_metric,
        metric=estimator._metric,
        verbose=bool(estimator.verbose),
        single_epoch=single_epoch,
        on_epoch_end=on_epoch_end,
        max_fun=estimator.max_fun,
    )


def batch_size(estimator, n_train):
    """``batch_size`` for ``n_train`` rows: 'auto' is min(200, n_train)."""
    if estimator.batch_size == "auto":
        return min(200, n_train)
    if estimator.batch_size > n_train:
        warn(
            "Got `batch_size` less than 1 or larger than sample size. It "
            "is going to be clipped",
            UserWarning,
        )
    return min(estimator.batch_size, n_train)


def optimizer_and_schedule(estimator, network, resume, updates_per_epoch):
    """The step rule and the learning-rate schedule, continuing those of the
    last ``partial_fit`` call when ``resume``.

    ``updates_per_epoch`` (the mini-batches of an epoch) lets a per-update
    schedule plan its run; the optimizer's update count (restored with its
    state when resuming) says where in the run it is.
    """
    optimizer_class = OPTIMIZERS[estimator.solver]
    sizes = {"n_params": network.params.size, "dtype": network.dtype}
    optimizer = optimizer_class(**_arguments(optimizer_class, estimator, sizes))
    schedule_class = SCHEDULES[estimator.learning_rate]
    plan = {"updates_per_epoch": updates_per_epoch}
    schedule = schedule_class(**_arguments(schedule_class, estimator, plan))
    if resume:
        saved = getattr(estimator, "_optimizer_state", {})
        if saved.get("name") == estimator.solver:
            optimizer.load_state_dict(saved)
        if estimator._learning_rate is not None:
            schedule.learning_rate = estimator._learning_rate
    return optimizer, schedule


def _arguments(engine_class, estimator, given):
    """The arguments of ``engine_class``, read off its signature: those in
    ``given``, and for the others the estimator parameters of the same names
    (learning_rate_init, momentum, beta_1, power_t, decay, ...)."""
    return {
        name: given[name] if name in given else getattr(estimator, name)
        for name in inspect.signature(engine_class).parameters
    }


def held_out(data, strata, fraction):
    """``data`` with ``fraction`` of its rows moved to the validation set."""
    train = data.train
    indices = np.arange(len(train))
    seed = int(data.rng.integers(np.iinfo(np.int32).max))
    try:
        train_idx, val_idx = train_test_split(
            indices, test_size=fraction, random_state=seed, stratify=strata
        )
    except ValueError:
        # A class too rare to stratify on: an unstratified split still gives
        # a usable validation set.
        train_idx, val_idx = train_test_split(
            indices, test_size=fraction, random_state=seed
        )
    if len(val_idx) < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    return TrainingData(
        train.rows(np.sort(train_idx)), train.rows(np.sort(val_idx)), data.rng
    )
