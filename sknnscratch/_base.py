"""What ScratchMLPClassifier and ScratchMLPRegressor share: the facade's core.

:class:`BaseScratchMLP` does what a scikit-learn estimator must (parameters and
their constraints, input validation, sample weights, an optional validation
set, fitted attributes, callbacks) and hands the numerical work to
:mod:`sknnscratch.nn`, which knows nothing about scikit-learn estimators. The
two estimators differ only in their targets, which they supply through a few
hooks: how ``y`` becomes the network's target matrix, the output activation,
the metric recorded in ``history_``, and (for the classifier) class weights.
"""

import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, EpochCallbacks
from .nn.activations import ACTIVATIONS
from .nn.initializers import INITIALIZERS
from .nn.network import Network
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES
from .nn.training import (
    Dataset,
    StochasticConfig,
    TrainingState,
    fit_lbfgs,
    fit_stochastic,
    new_history,
)

__all__ = ["BaseScratchMLP"]

#: Fitted attribute holding each field of the engine's TrainingState.
_STATE_ATTRIBUTES = {
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


def _package_version():
    # Read at call time: the package's __init__ imports this module before it
    # defines __version__.
    from . import __version__

    return __version__


def _make_rng(random_state):
    """A NumPy Generator from a scikit-learn style ``random_state``.

    ``None`` gives fresh entropy from the OS, never the global ``np.random``
    state; an int seeds the generator; a ``RandomState`` instance is asked for
    a seed, so the caller's instance drives the result.
    """
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


def _cast_checked(X, dtype, name="X", remedy="scale the features"):
    """X in the fitted model's dtype, refusing values that overflow it.

    validate_data has already checked X (or y) for NaN and inf; only the cast
    (from float64 to a float32 model) can create an inf. Two reductions find
    that without a bool array the size of X, which would double a fit's peak
    memory.
    """
    data = X.data if sp.issparse(X) else X
    limit = np.finfo(dtype).max
    if data.size and max(data.max(), -data.min()) > limit:
        raise ValueError(
            f"{name} has values beyond {limit:.3g}, too large for the model's "
            f"{np.dtype(dtype)} weights; {remedy}."
        )
    return X.astype(dtype)


def _per_layer(value, n_hidden, name):
    """One value per hidden layer from a scalar/str or a per-layer sequence."""
    if isinstance(value, str | Real):
        return [value] * n_hidden
    values = list(value)
    if len(values) != n_hidden:
        raise ValueError(
            f"{name} has {len(values)} entries but there are {n_hidden} hidden "
            f"layers; give one value, or one per hidden layer."
        )
    return values


#: Constraints of the parameters both estimators have; each adds its own
#: (``loss`` from the losses that serve its task, ``class_weight``).
COMMON_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
    "solver": [StrOptions(set(OPTIMIZERS) | {"lbfgs"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple, np.ndarray],
    "weight_init": [StrOptions(set(INITIALIZERS))],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions(set(SCHEDULES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "early_stopping_metric": [StrOptions({"score", "loss"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
}


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
        dropout,
        weight_init,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
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
        self.dropout = dropout
        self.weight_init = weight_init
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
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
        # popping from it would strip the live estimator of its hook.
        state = dict(super().__getstate__())
        # A progress hook set by the CLI is a live function: never persist it.
        state.pop("_on_epoch_end", None)
        # Recorded so that unpickling into another version can warn.
        state["_sknnscratch_version"] = _package_version()
        return state

    def __setstate__(self, state):
        state = _renamed_parameters(state)
        saved = state.pop("_sknnscratch_version", None)
        current = _package_version()
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
        return _cast_checked(Y, dtype, name, "scale the target")

    def _class_weighted(self, sample_weight, X, Y, strata, incremental):
        """Sample weights times class weights; the regressor has none."""
        return sample_weight

    # --- validation -------------------------------------------------------------

    def _layer_plan(self):
        """Hidden sizes, activations and dropout rates, checked per layer."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {sizes}."
            )
        activations = _per_layer(self.activation, len(sizes), "activation")
        for name in activations:
            # isinstance first: a list entry (activation=[["relu"]]) is not a
            # valid key, and would fail the lookup as "unhashable".
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise ValueError(
                    f"Unknown activation {name!r} in activation; allowed: "
                    f"{sorted(ACTIVATIONS)}, one name or one per hidden layer."
                )
        rates = _per_layer(self.dropout, len(sizes), "dropout")
        for rate in rates:
            if not (isinstance(rate, Real) and 0 <= rate < 1):
                raise ValueError(f"dropout rates must be in [0, 1), got {rate!r}.")
        if self.solver == "lbfgs" and any(rates):
            raise ValueError(
                "dropout is not supported with solver='lbfgs': L-BFGS needs "
                "a deterministic objective. Use dropout=0.0 or a step solver "
                "such as 'adam'."
            )
        return sizes, activations, [float(r) for r in rates]

    def _check_parameters(self):
        """Every check ``fit`` makes of the parameters alone: scikit-learn's
        constraints, then the per-layer rules (a loaded model's too)."""
        self._validate_params()
        self._layer_plan()

    def _checked_sample_weight(self, sample_weight, X, name="sample_weight"):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if np.any(sample_weight < 0):
            raise ValueError(f"Negative values in data passed to `{name}`.")
        if not sample_weight.sum() > 0:
            raise ValueError(f"{name} sums to zero: nothing to learn.")
        return sample_weight

    def _forward(self, X):
        """Validated input through the fitted network; returns a fresh array."""
        check_is_fitted(self)
        # Finite but huge values overflow: in scikit-learn's finite check
        # (inf + -inf in a sum), in a cast to float32, in the matrix
        # products. The output is checked instead of letting NumPy's
        # RuntimeWarnings through, or NaN probabilities out.
        with np.errstate(over="ignore", invalid="ignore"):
            X = self._validate_for_predict(X)
            dtype = self.coefs_[0].dtype
            if X.dtype != dtype:
                X = X.astype(dtype)
            network = Network.for_inference(
                self.coefs_,
                self.intercepts_,
                self._hidden_activations,
                self.out_activation_,
            )
            output = network.predict(X)
        if not np.isfinite(output).all():
            raise ValueError(
                "The network's output is not finite for some rows of X: their "
                "values are too large for the fitted weights (the forward pass "
                "overflowed). Scale the features as for training, e.g. with "
                "StandardScaler."
            )
        return output

    def _validate_for_predict(self, X):
        """``validate_data(reset=False)``, with a fast path for plain arrays.

        A 2-D float ndarray without NaN or inf needs no conversion, and
        scikit-learn's full validation costs more than the forward pass of a
        few rows: predicting one row would spend most of its time there.
        Everything else (lists, DataFrames, sparse, other dtypes, a model fitted
        with feature names, and every error) goes through ``validate_data``,
        so messages and warnings are scikit-learn's own.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and 0 < X.shape[0]
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        ):
            return X
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _validated_pair(self, X, y, *, reset, dtype):
        """``validate_data`` for training data (X and y, or X_val and y_val).

        ``dtype`` is that of the fitted weights, which X is cast to (refusing
        values it cannot hold); None keeps float32 or float64 as given.
        """
        # errstate: scikit-learn's finite check sums X, which for finite
        # values of both signs near the float maximum is inf + -inf.
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=(np.float64, np.float32),
                reset=reset,
                y_numeric=self._y_numeric,
            )
        if dtype is not None and X.dtype != dtype:
            X = _cast_checked(X, dtype)
        return X, y

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
        X_val, y_val = self._validated_pair(X_val, y_val, reset=False, dtype=dtype)
        Y_val = self._as_training_targets(
            self._encode_validation_targets(y_val), dtype, "y_val"
        )
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} target columns, y has {n_outputs}."
            )
        weights = self._checked_sample_weight(
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
        fitted = hasattr(self, "coefs_")
        first_pass = not fitted or not (self.warm_start or incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        sizes, activations, dropout = self._layer_plan()

        X, y = self._validated_pair(
            X, y, reset=first_pass, dtype=None if first_pass else self.coefs_[0].dtype
        )
        Y, strata = self._encode_targets(y, classes, first_pass, incremental)
        Y = self._as_training_targets(Y, X.dtype)
        sample_weight = self._checked_sample_weight(sample_weight, X)
        sample_weight = self._class_weighted(sample_weight, X, Y, strata, incremental)
        validation = self._validation_set(
            X_val, y_val, sample_weight_val, X.dtype, Y.shape[1]
        )

        layer_units = [X.shape[1], *sizes, Y.shape[1]]
        if not first_pass:
            fitted_units = [self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_)]
            if fitted_units != layer_units:
                raise ValueError(
                    f"The fitted network has layer sizes {fitted_units} but the "
                    f"parameters ask for {layer_units}; refit without warm_start."
                )
        if incremental and not first_pass:
            rng = self._continued_rng()
        else:
            rng = _make_rng(self.random_state)
        out_activation = self._output_activation()
        network = Network(
            layer_units, activations, out_activation, self.loss, dropout, X.dtype, rng
        )
        if first_pass:
            network.initialize(self.weight_init, rng)
        else:
            network.set_weights(self.coefs_, self.intercepts_)

        state = self._training_state(first_pass, incremental)
        train = Dataset(X, Y, sample_weight)
        callbacks = EpochCallbacks(
            self,
            max_epochs=1 if incremental else self.max_iter,
            task_name="partial_fit" if incremental else "fit",
            on_epoch_end=getattr(self, "_on_epoch_end", None),
            X=X,
            y=y,
            sample_weight=sample_weight,
            network=network,
            hidden_activations=activations,
            output_activation=out_activation,
        )
        # Overflow while training is the engine's to detect and report (a
        # non-finite loss, weight or optimizer state restores the last finite
        # weights with a ConvergenceWarning); NumPy's RuntimeWarnings would
        # only repeat it, less helpfully.
        with np.errstate(over="ignore", invalid="ignore"), callbacks:
            if self.solver == "lbfgs":
                fit_lbfgs(
                    network,
                    train,
                    self.alpha,
                    self.max_iter,
                    self.max_fun,
                    self.tol,
                    self.verbose,
                    state,
                    on_epoch_end=callbacks.on_epoch_end,
                    validation=validation,
                    metric=self._metric,
                )
                state.best_loss = state.loss
            else:
                if self.early_stopping and validation is None:
                    train, validation = self._validation_split(train, strata, rng)
                self._fit_stochastic(
                    network,
                    train,
                    validation,
                    state,
                    rng,
                    single_epoch=incremental,
                    resume=incremental and not first_pass,
                    on_epoch_end=callbacks.on_epoch_end,
                )

        self.coefs_ = [c.copy() for c in network.coefs]
        self.intercepts_ = [b.copy() for b in network.intercepts]
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = out_activation
        self._hidden_activations = activations
        self._rng_state = rng.bit_generator.state
        for field, attribute in _STATE_ATTRIBUTES.items():
            setattr(self, attribute, getattr(state, field))
        return self

    def _continued_rng(self):
        """partial_fit continues the random stream where the last call left it."""
        rng = np.random.default_rng()
        rng.bit_generator.state = self._rng_state
        return rng

    def _training_state(self, first_pass, incremental):
        """A fresh TrainingState, or the fitted one to continue from."""
        if first_pass:
            state = TrainingState(history=new_history(self._metric))
        else:
            state = TrainingState(
                **{f: getattr(self, a) for f, a in _STATE_ATTRIBUTES.items()}
            )
            if not incremental:
                # warm_start fit: a new run on the old weights, judged afresh,
                # with the epoch log carried on. The count of samples seen
                # (t_) carries on too, as in scikit-learn, so 'invscaling'
                # continues its decay rather than starting again.
                state = TrainingState(
                    samples_seen=state.samples_seen,
                    loss_curve=state.loss_curve,
                    history=state.history,
                )
        # L-BFGS ignores early_stopping, as scikit-learn's 'lbfgs' does.
        stops_early = self.early_stopping and self.solver != "lbfgs"
        if stops_early and state.validation_scores is None:
            state.validation_scores = []
            state.best_validation_score = -np.inf
            state.best_validation_loss = np.inf
            state.best_loss = None
        return state

    def _fit_stochastic(
        self,
        network,
        train,
        validation,
        state,
        rng,
        *,
        single_epoch,
        resume,
        on_epoch_end,
    ):
        """Mini-batch training: one epoch for ``partial_fit`` (``single_epoch``),
        continuing the optimizer of the last call when ``resume``."""
        optimizer_class = OPTIMIZERS[self.solver]
        # Hyperparameters are the estimator parameters of the same names
        # (momentum, beta_1, rho, ...), read off the optimizer's signature.
        hyper = {
            name: getattr(self, name)
            for name in inspect.signature(optimizer_class).parameters
            if name not in ("n_params", "dtype")
        }
        optimizer = optimizer_class(network.params.size, network.dtype, **hyper)
        schedule = SCHEDULES[self.learning_rate](self.learning_rate_init, self.power_t)
        if resume:
            saved = getattr(self, "_optimizer_state", {})
            if saved.get("name") == self.solver:
                optimizer.load_state_dict(saved)
            if self._learning_rate is not None:
                schedule.learning_rate = self._learning_rate

        n_train = len(train)
        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It "
                    "is going to be clipped",
                    stacklevel=4,
                )
            batch_size = min(self.batch_size, n_train)
        config = StochasticConfig(
            batch_size=batch_size,
            max_iter=self.max_iter,
            shuffle=self.shuffle,
            alpha=self.alpha,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping,
            early_stopping_metric=self.early_stopping_metric,
            metric=self._metric,
            verbose=bool(self.verbose),
            single_epoch=single_epoch,
            on_epoch_end=on_epoch_end,
        )
        fit_stochastic(
            network, optimizer, schedule, train, validation, config, state, rng
        )
        self._optimizer_state = {"name": self.solver, **optimizer.state_dict()}

    def _validation_split(self, train, strata, rng):
        """Hold out ``validation_fraction`` of the rows (stratified if given)."""
        indices = np.arange(len(train))
        seed = int(rng.integers(np.iinfo(np.int32).max))
        try:
            train_idx, val_idx = train_test_split(
                indices,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=strata,
            )
        except ValueError:
            # A class too rare to stratify on: an unstratified split still
            # gives a usable validation set.
            train_idx, val_idx = train_test_split(
                indices, test_size=self.validation_fraction, random_state=seed
            )
        if len(val_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train.rows(np.sort(train_idx)), train.rows(np.sort(val_idx))
