"""ScratchMLPClassifier: the scikit-learn facade over the NumPy engine.

This module does what a scikit-learn estimator must (parameters and their
constraints, input validation, labels, sample and class weights, fitted
attributes) and hands the numerical work to :mod:`sknnscratch.nn`, which
knows nothing about scikit-learn estimators.
"""

import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .nn.activations import ACTIVATIONS
from .nn.initializers import INITIALIZERS
from .nn.losses import LOSSES
from .nn.network import Network
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES
from .nn.training import (
    Dataset,
    StochasticConfig,
    TrainingState,
    fit_lbfgs,
    fit_stochastic,
)

__all__ = ["ScratchMLPClassifier"]

#: Fitted attribute holding each field of the engine's TrainingState.
_STATE_ATTRIBUTES = {
    "n_iter": "n_iter_",
    "samples_seen": "t_",
    "loss": "loss_",
    "best_loss": "best_loss_",
    "best_validation_score": "best_validation_score_",
    "no_improvement_count": "_no_improvement_count",
    "learning_rate": "_learning_rate",
    "loss_curve": "loss_curve_",
    "validation_scores": "validation_scores_",
    "history": "history_",
    "best_params": "_best_params",
}

#: Output activation for each kind of classification target.
_OUTPUT_ACTIVATION = {
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel-indicator": "logistic",
}


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


def _cast_checked(X, dtype):
    """X in the fitted model's dtype, refusing values that overflow it.

    validate_data has already checked X for NaN and inf; only the cast (from
    float64 to a float32 model) can create an inf. Two reductions find that
    without a bool array the size of X, which would double a fit's peak memory.
    """
    data = X.data if sp.issparse(X) else X
    limit = np.finfo(dtype).max
    if data.size and max(data.max(), -data.min()) > limit:
        raise ValueError(
            f"X has values beyond {limit:.3g}, too large for the model's {dtype} "
            "weights; scale the features."
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


class ScratchMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier on a from-scratch NumPy engine.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: parameters
    shared with it have the same names, defaults and meaning. Beyond it:
    ``optimizer`` (in place of ``solver``) adds 'adagrad' and 'rmsprop';
    ``dropout``; one activation per hidden layer and 'leaky_relu'/'elu';
    ``loss='squared_error'``; ``weight_init``; ``class_weight``; every
    ``learning_rate`` schedule works with every optimizer; and ``history_``
    records each epoch.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(100,)
        Units of each hidden layer.
    activation : str or list of str, default='relu'
        Hidden-layer activation: 'identity', 'logistic', 'tanh', 'relu',
        'leaky_relu' or 'elu'; one name for all hidden layers or one per layer.
    optimizer : {'sgd', 'adagrad', 'rmsprop', 'adam', 'lbfgs'}, default='adam'
        Weight update rule. 'lbfgs' is full-batch L-BFGS-B through scipy (no
        dropout, no ``partial_fit``), as scikit-learn's ``solver='lbfgs'``.
    loss : {'log_loss', 'squared_error'}, default='log_loss'
        Cross-entropy, or the quadratic cost of the classic from-scratch
        networks (half the squared error between the output and the one-hot
        target).
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), scaled as in
        ``MLPClassifier``: :math:`\\alpha \\lVert W \\rVert^2 / (2 n)` per batch of
        :math:`n` samples.
    dropout : float or list of float, default=0.0
        Inverted-dropout rate of each hidden layer's output in ``[0, 1)``; one
        rate for all hidden layers or one per layer. Active only while
        training; masks drawn from ``random_state``.
    weight_init : {'glorot_uniform', 'he_normal', 'he_uniform'}, \
default='glorot_uniform'
        Initializer of the weights (see :mod:`sknnscratch.nn.initializers`).
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplying ``sample_weight``. 'balanced'
        uses ``n_samples / (n_classes * count(class))`` with weighted counts;
        in ``partial_fit`` the counts are those of all rows seen so far. For
        multilabel targets only 'balanced' applies: each label is balanced on
        its own and a row's weight is the product over labels (as
        ``sklearn.utils.class_weight.compute_sample_weight`` does).
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is ``min(200, n_samples)``. Ignored by 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule (see :mod:`sknnscratch.nn.schedules`), for
        every step optimizer.
    learning_rate_init : float, default=0.001
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs ('lbfgs': of iterations).
    shuffle : bool, default=True
        Shuffle the rows at each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds every random draw: initial weights, shuffling, dropout masks and
        the early-stopping split. ``None`` draws fresh entropy (never the
        global NumPy state).
    tol : float, default=1e-4
        Improvement of the loss (or validation score with ``early_stopping``)
        below which an epoch counts as no improvement.
    verbose : bool, default=False
        Print the loss (and validation metrics) after every epoch.
    warm_start : bool, default=False
        Start ``fit`` from the previous weights instead of new ones.
    momentum : float, default=0.9
        Momentum of 'sgd'; 0 is plain gradient descent.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when
        its accuracy stops improving, and keep the best weights. Ignored by
        'lbfgs', as in ``MLPClassifier``.
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Numerical-stability term of 'adam', 'adagrad' and 'rmsprop'.
    rho : float, default=0.9
        Decay rate of 'rmsprop''s moving average of squared gradients.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before the schedule acts (stop, or
        divide the learning rate by 5 for 'adaptive').
    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_, intercepts_ : list of ndarray
        Weight matrix and bias vector of each layer.
    loss_ : float
        Objective (loss plus L2 term) at the last epoch.
    best_loss_ : float or None
        Lowest training loss seen (None with ``early_stopping``).
    loss_curve_ : list of float
        Training loss of every epoch.
    validation_scores_ : list of float or None
        Validation accuracy of every epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best validation accuracy with ``early_stopping``.
    history_ : dict of lists
        Per epoch: 'epoch', 'loss', 'accuracy' (running training accuracy,
        with dropout active), 'val_loss', 'val_accuracy' (None without a
        validation split) and 'seconds'.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string feature names (e.g. a DataFrame).
    n_iter_ : int
        Epochs run by the last ``fit`` (or since it, over ``partial_fit``).
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Output units.
    out_activation_ : str
        'softmax' (multiclass) or 'logistic' (binary, multilabel).
    t_ : int
        Training samples seen, over all epochs.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknnscratch import ScratchMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ScratchMLPClassifier(max_iter=500, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "optimizer": [StrOptions(set(OPTIMIZERS) | {"lbfgs"})],
        "loss": [StrOptions(set(LOSSES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple, np.ndarray],
        "weight_init": [StrOptions(set(INITIALIZERS))],
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adam",
        loss="log_loss",
        alpha=0.0001,
        dropout=0.0,
        weight_init="glorot_uniform",
        class_weight=None,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.loss = loss
        self.alpha = alpha
        self.dropout = dropout
        self.weight_init = weight_init
        self.class_weight = class_weight
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
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # --- public API -----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32, anything else in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_keeping_state_on_error(
            X, y, sample_weight, classes=None, incremental=False
        )

    def _partial_fit_available(self):
        if self.optimizer == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the step optimizers, not "
                f"optimizer={self.optimizer!r}."
            )
        return True

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on (X, y), continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole problem; required on the first call
            (ignored for a multilabel indicator ``y``), as ``y`` of one chunk
            need not contain them all.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit_keeping_state_on_error(
            X, y, sample_weight, classes=classes, incremental=True
        )

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1, except for multilabel targets where each column is
            the probability of its label.
        """
        output = self._forward(X)
        if self._label_type == "binary":
            return np.hstack([1 - output, output])
        return output

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class of each row (indicator rows for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        output = self._forward(X)
        if self._label_type == "multiclass":
            return self.classes_[output.argmax(axis=1)]
        if self._label_type == "binary":
            return self.classes_[(output[:, 0] > 0.5).astype(int)]
        return (output > 0.5).astype(int)

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
        state = dict(state)
        saved = state.pop("_sknnscratch_version", None)
        current = _package_version()
        if saved != current:
            warnings.warn(
                f"Unpickling a ScratchMLPClassifier saved by sknnscratch "
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
        tags.classifier_tags.multi_label = True
        return tags

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
            if name not in ACTIVATIONS:
                raise ValueError(
                    f"Unknown activation {name!r} in activation; allowed: "
                    f"{sorted(ACTIVATIONS)}."
                )
        rates = _per_layer(self.dropout, len(sizes), "dropout")
        for rate in rates:
            if not (isinstance(rate, Real) and 0 <= rate < 1):
                raise ValueError(f"dropout rates must be in [0, 1), got {rate!r}.")
        if self.optimizer == "lbfgs" and any(rates):
            raise ValueError(
                "dropout is not supported with optimizer='lbfgs': L-BFGS needs "
                "a deterministic objective. Use dropout=0.0 or a step optimizer "
                "such as 'adam'."
            )
        return sizes, activations, [float(r) for r in rates]

    def _encode_targets(self, y, classes, first_pass, incremental):
        """Check y, set label metadata on a first pass, return the target matrix."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        if first_pass:
            if y_type == "multilabel-indicator":
                label_type = y_type
                self.classes_ = np.arange(y.shape[1])
            else:
                if incremental and classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit."
                    )
                all_labels = unique_labels(y if classes is None else classes)
                if len(all_labels) < 2:
                    raise ValueError(
                        "The classifier needs samples of at least 2 classes in the "
                        f"data, but the data contains only one class: "
                        f"{all_labels[0]!r}."
                    )
                label_type = "binary" if len(all_labels) == 2 else "multiclass"
                self.classes_ = all_labels
            self._label_type = label_type
        elif (y_type == "multilabel-indicator") != (
            self._label_type == "multilabel-indicator"
        ):
            raise ValueError(
                f"y is {y_type} but the model was fitted on {self._label_type} targets."
            )

        if self._label_type == "multilabel-indicator":
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {y.shape[1]} labels, the model {len(self.classes_)}."
                )
            return np.asarray(y), None
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_.tolist()}: "
                f"{np.unique(y[unknown]).tolist()}."
            )
        if self.warm_start and not first_pass and not incremental:
            if len(np.unique(index)) != len(self.classes_):
                raise ValueError(
                    "warm_start can only be used where y has the same classes as "
                    f"in the previous call to fit: {self.classes_.tolist()}."
                )
        if self._label_type == "binary":
            return (index == 1)[:, None], index
        return np.eye(len(self.classes_), dtype=bool)[index], index

    def _weights(self, sample_weight, X, Y, class_index, incremental):
        """Sample weights times class weights (None when all are 1)."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
            if np.any(sample_weight < 0):
                raise ValueError("Negative values in data passed to `sample_weight`.")
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight sums to zero: nothing to learn.")
        if self.class_weight is None:
            return sample_weight
        base = np.ones(X.shape[0], dtype=X.dtype)
        if sample_weight is not None:
            base = sample_weight
        if class_index is None:  # multilabel
            if not isinstance(self.class_weight, str):
                raise ValueError(
                    "A class_weight dict is not supported for multilabel targets; "
                    "use class_weight='balanced' or sample_weight."
                )
            return (compute_sample_weight("balanced", Y) * base).astype(X.dtype)
        if isinstance(self.class_weight, str):  # 'balanced'
            counts = np.bincount(
                class_index, weights=base, minlength=len(self.classes_)
            )
            if incremental:
                # partial_fit balances over every row seen so far: one chunk's
                # counts need not reflect the data's.
                counts = counts + getattr(self, "_class_counts", 0)
            self._class_counts = counts
            per_class = counts.sum() / (len(self.classes_) * np.maximum(counts, 1e-12))
        else:
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has classes not in the data: {sorted(unknown)}."
                )
            per_class = np.array(
                [self.class_weight.get(c, 1.0) for c in self.classes_.tolist()]
            )
        return per_class[class_index].astype(X.dtype) * base

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

    # --- training -------------------------------------------------------------

    def _fit_keeping_state_on_error(self, X, y, sample_weight, classes, incremental):
        # Any error (bad input found late, a class missing, Ctrl-C outside the
        # training loop) must leave a fitted model exactly as it was, so the
        # attributes are put back if _fit raises.
        saved = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight, classes, incremental)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit(self, X, y, sample_weight, classes, incremental):
        fitted = hasattr(self, "coefs_")
        first_pass = not fitted or not (self.warm_start or incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        sizes, activations, dropout = self._layer_plan()

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
                reset=first_pass,
            )
        if not first_pass and X.dtype != self.coefs_[0].dtype:
            X = _cast_checked(X, self.coefs_[0].dtype)
        Y, class_index = self._encode_targets(y, classes, first_pass, incremental)
        Y = Y.astype(X.dtype)
        sample_weight = self._weights(sample_weight, X, Y, class_index, incremental)

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
        out_activation = _OUTPUT_ACTIVATION[self._label_type]
        network = Network(
            layer_units, activations, out_activation, self.loss, dropout, X.dtype, rng
        )
        if first_pass:
            network.initialize(self.weight_init, rng)
        else:
            network.set_weights(self.coefs_, self.intercepts_)

        state = self._training_state(first_pass, incremental)
        train = Dataset(X, Y, sample_weight)
        # Overflow while training is the engine's to detect and report (a
        # non-finite loss, weight or optimizer state restores the last finite
        # weights with a ConvergenceWarning); NumPy's RuntimeWarnings would
        # only repeat it, less helpfully.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.optimizer == "lbfgs":
                fit_lbfgs(
                    network,
                    train,
                    self.alpha,
                    self.max_iter,
                    self.max_fun,
                    self.tol,
                    self.verbose,
                    state,
                    on_epoch_end=getattr(self, "_on_epoch_end", None),
                )
                state.best_loss = state.loss
            else:
                self._fit_stochastic(
                    network, train, class_index, state, rng, incremental, first_pass
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
            state = TrainingState()
        else:
            state = TrainingState(
                **{f: getattr(self, a) for f, a in _STATE_ATTRIBUTES.items()}
            )
            if not incremental:
                # warm_start fit: a new run on the old weights, judged afresh,
                # with the epoch log carried on.
                state = TrainingState(
                    loss_curve=state.loss_curve, history=state.history
                )
        # L-BFGS ignores early_stopping, as scikit-learn's 'lbfgs' does.
        stops_early = self.early_stopping and self.optimizer != "lbfgs"
        if stops_early and state.validation_scores is None:
            state.validation_scores = []
            state.best_validation_score = -np.inf
            state.best_loss = None
        return state

    def _fit_stochastic(
        self, network, train, class_index, state, rng, incremental, first_pass
    ):
        validation = None
        if self.early_stopping:
            train, validation = self._validation_split(train, class_index, rng)

        optimizer_class = OPTIMIZERS[self.optimizer]
        # Hyperparameters are the estimator parameters of the same names
        # (momentum, beta_1, rho, ...), read off the optimizer's signature.
        hyper = {
            name: getattr(self, name)
            for name in inspect.signature(optimizer_class).parameters
            if name not in ("n_params", "dtype")
        }
        optimizer = optimizer_class(network.params.size, network.dtype, **hyper)
        schedule = SCHEDULES[self.learning_rate](self.learning_rate_init, self.power_t)
        if incremental and not first_pass:
            saved = getattr(self, "_optimizer_state", {})
            if saved.get("name") == self.optimizer:
                optimizer.load_state_dict(saved)
            if self._learning_rate is not None:
                schedule.learning_rate = self._learning_rate

        n_train = len(train)
        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(
                    "Got `batch_size` larger than sample size. It is going to be "
                    "clipped.",
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
            verbose=bool(self.verbose),
            single_epoch=incremental,
            # A hook for progress displays (the CLI's); not a parameter, so
            # clone() and get_params() ignore it.
            on_epoch_end=getattr(self, "_on_epoch_end", None),
        )
        fit_stochastic(
            network, optimizer, schedule, train, validation, config, state, rng
        )
        self._optimizer_state = {"name": self.optimizer, **optimizer.state_dict()}

    def _validation_split(self, train, class_index, rng):
        """Hold out ``validation_fraction`` of the rows, stratified by class."""
        indices = np.arange(len(train))
        seed = int(rng.integers(np.iinfo(np.int32).max))
        try:
            train_idx, val_idx = train_test_split(
                indices,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=class_index,
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
