"""What ScratchMLPClassifier and ScratchMLPRegressor share: the facade's core.

:class:`BaseScratchMLP` does what a scikit-learn estimator must (parameters,
fitted attributes, pickling, callbacks) and hands the numerical work to
:mod:`sknnscratch.nn`, which knows nothing about scikit-learn estimators. A
fit (:meth:`BaseScratchMLP._fit`) reads, in order:

1. validate the parameters and the data (:mod:`sknnscratch._validation`);
2. encode the targets as the network's target matrix (the subclass's hooks);
3. build the network, its optimizer and the training state
   (:mod:`sknnscratch._assembly`);
4. run the engine (:func:`~sknnscratch.nn.training.train_minibatch` or
   :func:`~sknnscratch.nn.lbfgs.train_lbfgs`);
5. store the fitted state as plain attributes.

The two estimators differ only in their targets, which they supply through a
few hooks: how ``y`` becomes the network's target matrix, the output
activation, the metric recorded in ``history_``, and (for the classifier)
class weights.
"""

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._assembly import (
    STATE_ATTRIBUTES,
    batch_size,
    build_network,
    held_out,
    optimizer_and_schedule,
    random_stream,
    training_config,
    training_state,
)
from ._utils import package_version
from ._validation import (
    cast_checked,
    check_augment,
    checked_sample_weight,
    layer_plan,
    validate_for_predict,
    validated_pair,
)
from .callbacks import CallbackSupportMixin, EpochTasks
from .nn.data import Dataset, TrainingData
from .nn.lbfgs import train_lbfgs
from .nn.network import predict
from .nn.training import train_minibatch

__all__ = ["BaseScratchMLP"]

#: Attributes scikit-learn's callback machinery sets for the length of one fit.
_CALLBACK_RUN_PREFIXES = (
    "_callback_",
    "_skl_callbacks_to_teardown",
    "_parent_callback",
)


#: Parameters that earlier versions named differently: old name -> new name.
#: sknnscratch 0.1 called the solver ``optimizer``.
_RENAMED_PARAMETERS = {"optimizer": "solver"}


def _renamed_parameters(values):
    """``values`` (a pickle's state, a model file's parameters) with the names
    of earlier versions replaced by today's, so that old models still load."""
    values = dict(values)
    for old, new in _RENAMED_PARAMETERS.items():
        if old in values and new not in values:
            values[new] = values.pop(old)
    return values


class BaseScratchMLP(CallbackSupportMixin, BaseEstimator):
    """Shared facade of the MLP estimators; not for direct use.

    Subclasses set ``_metric`` (a key of :data:`sknnscratch.nn.metrics.METRICS`)
    and implement ``_encode_targets``, ``_encode_validation_targets`` and
    ``_output_activation``; the classifier also overrides
    ``_class_weighted``.
    """

    _metric = None
    _y_numeric = False

    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        loss,
        alpha,
        alpha_bias,
        dropout,
        augment,
        weight_init,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        decay,
        warmup_iter,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        early_stopping_metric,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        rho,
        n_iter_no_change,
        max_fun,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.loss = loss
        self.alpha = alpha
        self.alpha_bias = alpha_bias
        self.dropout = dropout
        self.augment = augment
        self.weight_init = weight_init
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay = decay
        self.warmup_iter = warmup_iter
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.early_stopping_metric = early_stopping_metric
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # --- pickling ---------------------------------------------------------------

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__, and
        # popping from it would strip the live estimator of its callbacks.
        state = dict(super().__getstate__())
        # Callbacks are live objects (a progress bar, an open file): never
        # part of a pickled model.
        state.pop("_skl_callbacks", None)
        # Recorded so that unpickling into another version can warn.
        state["_sknnscratch_version"] = package_version()
        return state

    def __setstate__(self, state):
        state = _renamed_parameters(state)
        saved = state.pop("_sknnscratch_version", None)
        current = package_version()
        if saved != current:
            warnings.warn(
                f"Unpickling a {type(self).__name__} saved by sknnscratch "
                f"{saved or '0.1.0 or older'} into sknnscratch {current}: the "
                "fitted state may not be compatible, and predictions may "
                "differ or fail. Refit the model, or save it with "
                "sknnscratch.persistence.save, whose files say what they hold.",
                UserWarning,
                stacklevel=2,
            )
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _partial_fit_available(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    # --- hooks for the subclasses -----------------------------------------------

    def _encode_targets(self, y, classes, first_pass, incremental):
        """Check ``y``; return the target matrix and the strata (or None).

        On a first pass, also set the target metadata (``classes_``...).
        The strata (class index of each row) stratify the early-stopping split
        and weight the classes.
        """
        raise NotImplementedError

    def _encode_validation_targets(self, y_val):
        """The target matrix of ``y_val``, checked against the fitted targets."""
        raise NotImplementedError

    def _output_activation(self):
        raise NotImplementedError

    def _as_training_targets(self, Y, dtype, name="y"):
        """The target matrix as the engine trains on it: here, in ``dtype``
        (refusing targets too large for it, as X is)."""
        return cast_checked(Y, dtype, name, "scale the target")

    def _class_weighted(self, sample_weight, X, Y, strata, incremental):
        """Sample weights times class weights; the regressor has none."""
        return sample_weight

    # --- validation -------------------------------------------------------------

    def _layer_plan(self):
        """Hidden sizes, activations and dropout rates, checked per layer."""
        return layer_plan(
            self.hidden_layer_sizes, self.activation, self.dropout, self.solver
        )

    def _check_parameters(self):
        """Every check ``fit`` makes of the parameters alone: scikit-learn's
        constraints, then the per-layer rules (a loaded model's too)."""
        self._validate_params()
        self._layer_plan()
        if self.augment is not None:
            check_augment(self.augment, None, self.solver)

    def _forward(self, X):
        """Validated input through the fitted network; returns a fresh array."""
        check_is_fitted(self)
        # Finite but huge values overflow: in scikit-learn's finite check
        # (inf + -inf in a sum), in a cast to float32, in the matrix
        # products. The output is checked instead of letting NumPy's
        # RuntimeWarnings through, or NaN probabilities out.
        with np.errstate(over="ignore", invalid="ignore"):
            X = validate_for_predict(self, X)
            dtype = self.coefs_[0].dtype
            if X.dtype != dtype:
                X = X.astype(dtype)
            activations = [*self._hidden_activations, self.out_activation_]
            output = predict(self.coefs_, self.intercepts_, activations, X)
        if not np.isfinite(output).all():
            raise ValueError(
                "The network's output is not finite for some rows of X: their "
                "values are too large for the fitted weights (the forward pass "
                "overflowed). Scale the features as for training, e.g. with "
                "StandardScaler."
            )
        return output

    def _validation_set(self, X_val, y_val, sample_weight_val, dtype, n_outputs):
        """The explicit validation set as a Dataset, checked like X and y."""
        if (X_val is None) != (y_val is None):
            raise ValueError(
                "X_val and y_val must be given together: got only "
                f"{'X_val' if y_val is None else 'y_val'}."
            )
        if X_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val needs X_val and y_val.")
            return None
        X_val, y_val = validated_pair(self, X_val, y_val, reset=False, dtype=dtype)
        Y_val = self._as_training_targets(
            self._encode_validation_targets(y_val), dtype, "y_val"
        )
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} target columns, y has {n_outputs}."
            )
        weights = checked_sample_weight(
            sample_weight_val, X_val, name="sample_weight_val"
        )
        return Dataset(X_val, Y_val, weights)

    # --- training -------------------------------------------------------------

    def _fit_keeping_state_on_error(self, X, y, sample_weight, **options):
        # Any error (bad input found late, a class missing, Ctrl-C outside the
        # training loop) must leave a fitted model exactly as it was, so the
        # attributes are put back if _fit raises.
        saved = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight, **options)
        except BaseException:
            # Except scikit-learn's callback bookkeeping of this very call:
            # its teardown (which, e.g., stops a progress bar's thread) runs
            # after this and needs it.
            running = {
                key: value
                for key, value in self.__dict__.items()
                if key.startswith(_CALLBACK_RUN_PREFIXES)
            }
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(running)
            raise

    def _fit(
        self,
        X,
        y,
        sample_weight,
        classes=None,
        incremental=False,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Where every fit starts (``fit``, ``partial_fit``, a warm start)."""
        fitted = hasattr(self, "coefs_")
        first_pass = not fitted or not (self.warm_start or incremental)
        resume = incremental and not first_pass  # partial_fit continuing
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")

        # 1. Validate the parameters and the data.
        sizes, activations, dropout = self._layer_plan()
        dtype = None if first_pass else self.coefs_[0].dtype
        X, y = validated_pair(self, X, y, reset=first_pass, dtype=dtype)
        if self.augment is not None:
            check_augment(self.augment, X, self.solver)

        # 2. Encode the targets as the matrix the network trains on.
        Y, strata = self._encode_targets(y, classes, first_pass, incremental)
        Y = self._as_training_targets(Y, X.dtype)
        sample_weight = checked_sample_weight(sample_weight, X)
        sample_weight = self._class_weighted(sample_weight, X, Y, strata, incremental)
        validation = self._validation_set(
            X_val, y_val, sample_weight_val, X.dtype, Y.shape[1]
        )

        # 3. Build the network and the training state.
        layer_units = [X.shape[1], *sizes, Y.shape[1]]
        rng = random_stream(self, resume)
        out_activation = self._output_activation()
        plan = (activations, dropout, out_activation)
        network = build_network(self, layer_units, plan, X.dtype, rng, first_pass)
        state = training_state(self, first_pass, incremental)
        data = TrainingData(Dataset(X, Y, sample_weight), validation, rng)

        # 4. Run the engine, reporting every epoch to the callbacks. Overflow
        # while training is the engine's to detect and report (a non-finite
        # loss, weight or optimizer state restores the last finite weights
        # with a ConvergenceWarning); NumPy's RuntimeWarnings would only
        # repeat it, less helpfully.
        tasks = EpochTasks(
            self,
            max_epochs=1 if incremental else self.max_iter,
            task_name="partial_fit" if incremental else "fit",
            X=X,
            y=y,
            sample_weight=sample_weight,
            network=network,
        )
        with np.errstate(over="ignore", invalid="ignore"), tasks:
            config = training_config(self, incremental, tasks.on_epoch_end)
            if self.solver == "lbfgs":
                train_lbfgs(network, data, config, state)
                state.best_loss = state.loss
            else:
                if self.early_stopping and validation is None:
                    data = held_out(data, strata, self.validation_fraction)
                config.batch_size = batch_size(self, len(data.train))
                updates_per_epoch = math.ceil(len(data.train) / config.batch_size)
                if resume:
                    # The plan of the run's first call: a later chunk of
                    # another size must not shorten or stretch it.
                    updates_per_epoch = getattr(
                        self, "_updates_per_epoch", updates_per_epoch
                    )
                optimizer, schedule = optimizer_and_schedule(
                    self, network, resume, updates_per_epoch
                )
                train_minibatch(network, optimizer, schedule, data, config, state)
                self._optimizer_state = {"name": self.solver, **optimizer.state_dict()}
                self._updates_per_epoch = updates_per_epoch

        # 5. Store the fitted state: plain arrays, lists and numbers.
        self.coefs_ = [c.copy() for c in network.coefs]
        self.intercepts_ = [b.copy() for b in network.intercepts]
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = out_activation
        self._hidden_activations = activations
        self._rng_state = rng.bit_generator.state
        for field, attribute in STATE_ATTRIBUTES.items():
            setattr(self, attribute, getattr(state, field))
        return self
