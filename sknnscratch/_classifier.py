"""ScratchMLPClassifier: the scikit-learn classifier over the NumPy engine.

What is particular to classification lives here: labels (binary, multiclass,
multilabel), class weights, probabilities. Everything shared with
ScratchMLPRegressor (parameters, validation, the training run) is in
:mod:`sknnscratch._base`.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._base import COMMON_PARAMETER_CONSTRAINTS, BaseScratchMLP
from ._fitted_state import (
    NETWORK_STATE,
    TRAINING_STATE,
    History,
    Int,
    Labels,
    OneOf,
    Tensor,
    input_state,
    optional,
)
from .nn.losses import LOSSES

__all__ = ["ScratchMLPClassifier"]

#: Output activation for each kind of classification target.
_OUTPUT_ACTIVATION = {
    "single": "logistic",
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel-indicator": "logistic",
}

#: The kind of a (not multilabel) target by its number of classes; more than
#: two is 'multiclass'.
_LABEL_TYPE_BY_COUNT = {1: "single", 2: "binary"}


def _label_types(fitted):
    """The kinds of target ``classes_`` can belong to."""
    count = len(fitted["classes_"])
    return {"multilabel-indicator", _LABEL_TYPE_BY_COUNT.get(count, "multiclass")}


def _n_outputs(fitted):
    """Output units: one for a single class or two classes, else one per class."""
    single_output = fitted["_label_type"] in ("single", "binary")
    return 1 if single_output else len(fitted["classes_"])


def class_weight_per_class(class_weight, classes):
    """A ``class_weight`` dict as one weight per class of ``classes``.

    Each weight must be a finite number of at least 0, and one at least
    positive: a negative weight would train the model to misclassify its
    class, and all zeros train nothing. Classes the dict leaves out weigh 1.
    (The command line checks ``--class-weight`` with it too, against the ten
    digits.)
    """
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has classes not in the data: {sorted(unknown)}."
        )
    for label, weight in class_weight.items():
        if not (
            isinstance(weight, Real)
            and not isinstance(weight, bool)
            and np.isfinite(weight)
            and weight >= 0
        ):
            raise ValueError(
                f"class_weight of class {label!r} must be a finite number of at "
                f"least 0, got {weight!r}."
            )
    per_class = np.array(
        [class_weight.get(c, 1.0) for c in classes.tolist()], dtype=np.float64
    )
    if not per_class.any():
        raise ValueError(
            "class_weight gives every class a weight of 0: nothing to learn."
        )
    return per_class


class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    """Multi-layer perceptron classifier on a from-scratch NumPy engine.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: parameters
    shared with it have the same names, defaults and meaning. Beyond it:
    ``solver`` adds 'adagrad' and 'rmsprop';
    ``dropout``; one activation per hidden layer and 'leaky_relu'/'elu';
    ``loss='squared_error'``; ``weight_init``; ``class_weight``; every
    ``learning_rate`` schedule works with every solver; and ``history_``
    records each epoch.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(100,)
        Units of each hidden layer.
    activation : str or list of str, default='relu'
        Hidden-layer activation: 'identity', 'logistic', 'tanh', 'relu',
        'leaky_relu' or 'elu'; one name for all hidden layers or one per layer.
    solver : {'sgd', 'adagrad', 'rmsprop', 'adam', 'lbfgs'}, default='adam'
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
        Stop when the validation accuracy (or loss, see
        ``early_stopping_metric``) stops improving, and keep the weights of
        the best epoch. The validation set is ``X_val, y_val`` when given to
        :meth:`fit`, otherwise ``validation_fraction`` of the training data
        (stratified). Ignored by 'lbfgs', as in ``MLPClassifier``.
    early_stopping_metric : {'score', 'loss'}, default='score'
        What early stopping watches on the validation set: the accuracy
        (higher is better, as ``MLPClassifier``) or the loss (lower is
        better; smoother, and it notices over-confident predictions that
        accuracy does not).
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping`` when no
        ``X_val`` is given, in ``[0, 1)`` (0 holds out no row, so early
        stopping then needs ``X_val``).
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Numerical-stability term of 'adam', 'adagrad' and 'rmsprop'.
    rho : float, default=0.9
        Decay rate of 'rmsprop''s moving average of squared gradients.
    n_iter_no_change : int or np.inf, default=10
        Epochs without ``tol`` improvement before the schedule acts (stop, or
        divide the learning rate by 5 for 'adaptive'); ``np.inf`` never acts.
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
    best_validation_loss_ : float or None
        Lowest validation loss with ``early_stopping``.
    history_ : dict of lists
        Per epoch: 'epoch', 'loss', 'accuracy' (running training accuracy,
        with dropout active), 'val_loss', 'val_accuracy' (None without a
        validation set) and 'seconds'.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
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
        Training samples seen, over all epochs (and over the earlier fits
        with ``warm_start`` or ``partial_fit``); 'invscaling' decays with it.

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
        **COMMON_PARAMETER_CONSTRAINTS,
        "loss": [
            StrOptions(
                {
                    name
                    for name, loss in LOSSES.items()
                    if "classification" in loss.tasks
                }
            )
        ],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    _metric = "accuracy"

    #: Every fitted attribute and its rules, in an order where each rule only
    #: looks back; model files hold exactly these (see _fitted_state.py).
    _fitted_state = {
        **input_state(),
        "classes_": Labels("classes"),
        "_label_type": OneOf(_label_types),
        "n_outputs_": Int(low=1, rule=_n_outputs),
        "out_activation_": OneOf(lambda f: {_OUTPUT_ACTIVATION[f["_label_type"]]}),
        # With class_weight='balanced': the (weighted) rows seen per class.
        "_class_counts": optional(
            Tensor(
                "class_counts", (np.dtype(np.float64),), lambda f: (len(f["classes_"]),)
            )
        ),
        **NETWORK_STATE,
        **TRAINING_STATE,
        "history_": History(_metric),
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
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
        early_stopping_metric="score",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            loss=loss,
            alpha=alpha,
            dropout=dropout,
            weight_init=weight_init,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            early_stopping_metric=early_stopping_metric,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )
        self.class_weight = class_weight

    # --- public API -----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32, anything else in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, \
n_features), default=None
            An explicit validation set: scored after every epoch into
            ``history_`` ('val_loss', 'val_accuracy'), and the set that
            ``early_stopping`` watches (then nothing is held out of X). In a
            :class:`~sklearn.pipeline.Pipeline`, have it transformed like X
            with ``Pipeline(..., transform_input=["X_val"])`` (needs
            metadata routing).
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, \
n_labels), default=None
            Labels of ``X_val``; only classes seen in ``y``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_keeping_state_on_error(
            X,
            y,
            sample_weight,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

    @available_if(BaseScratchMLP._partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on (X, y), continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole problem; required on the first call
            (ignored for a multilabel indicator ``y``), as ``y`` of one chunk
            need not contain them all. Later calls may repeat it but not
            change it (a ``ValueError``, as in ``MLPClassifier``).

        Returns
        -------
        self : object
            The updated estimator.
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
        if self._label_type == "single":
            return np.ones_like(output)
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
        if self._label_type == "single":
            return np.repeat(self.classes_, len(output))
        return (output > 0.5).astype(int)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # --- targets --------------------------------------------------------------

    def _output_activation(self):
        return _OUTPUT_ACTIVATION[self._label_type]

    def _encode_targets(self, y, classes, first_pass, incremental):
        """Check y, set label metadata on a first pass; return (Y, class index)."""
        y, y_type = self._checked_labels(y, "y")
        if first_pass:
            self._set_label_metadata(y, y_type, classes, incremental)
        else:
            self._check_same_kind(y_type, "y")
            if incremental:
                # scikit-learn's own check: classes may be repeated, not
                # changed (a ValueError in its words).
                _check_partial_fit_first_call(self, classes)
        if self._label_type == "multilabel-indicator":
            return self._indicator_matrix(y, "y"), None
        if self.warm_start and not first_pass and not incremental:
            seen = unique_labels(y)
            if set(seen.tolist()) != set(self.classes_.tolist()):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    "as in the previous call to fit. Previously got "
                    f"{self.classes_}, `y` has {seen}"
                )
        index = self._class_index(y, "y")
        return self._one_hot(index), index

    def _encode_validation_targets(self, y_val):
        """Indicator matrix of ``y_val`` in the fitted classes."""
        y_val, y_type = self._checked_labels(y_val, "y_val")
        self._check_same_kind(y_type, "y_val")
        if self._label_type == "multilabel-indicator":
            return self._indicator_matrix(y_val, "y_val")
        return self._one_hot(self._class_index(y_val, "y_val"))

    def _checked_labels(self, y, name):
        """Labels as a 1-d array (or an indicator matrix), and their kind."""
        if sp.issparse(y):
            # A sparse indicator matrix, as scikit-learn accepts; the network
            # trains on a dense one (one byte per entry, see
            # _as_training_targets).
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y, type_of_target(y, input_name=name)

    def _set_label_metadata(self, y, y_type, classes, incremental):
        """``classes_`` and the kind of target, from the first fit's labels."""
        if y_type == "multilabel-indicator":
            self._label_type = y_type
            self.classes_ = np.arange(y.shape[1])
            return
        if incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        self.classes_ = unique_labels(y if classes is None else classes)
        # One class is accepted, as by scikit-learn: every prediction is that
        # class, with probability 1.
        self._label_type = _LABEL_TYPE_BY_COUNT.get(len(self.classes_), "multiclass")

    def _check_same_kind(self, y_type, name):
        if (y_type == "multilabel-indicator") != (
            self._label_type == "multilabel-indicator"
        ):
            raise ValueError(
                f"{name} is {y_type} but the model was fitted on "
                f"{self._label_type} targets."
            )

    def _indicator_matrix(self, y, name):
        """A multilabel ``y`` as a 0/1 matrix; other values are refused.

        ``type_of_target`` calls any matrix of two integer values an
        indicator (-1/+1, 0/2); training on those values as if they were 0/1
        would learn something else without a word.
        """
        y = np.asarray(y)
        if y.shape[1] != len(self.classes_):
            raise ValueError(
                f"{name} has {y.shape[1]} labels, the model {len(self.classes_)}."
            )
        values = np.unique(y)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(
                f"A multilabel indicator {name} must hold only 0 and 1 (or "
                f"booleans); it holds {values.tolist()}."
            )
        return y.astype(np.uint8)

    def _one_hot(self, index):
        """The indicator matrix the network trains on, from class indices."""
        if self._label_type == "single":
            return np.ones((len(index), 1), dtype=np.uint8)
        if self._label_type == "binary":
            return (index == 1)[:, None].astype(np.uint8)
        return np.eye(len(self.classes_), dtype=np.uint8)[index]

    def _as_training_targets(self, Y, dtype, name="y"):
        """The indicator matrix as one byte per entry (0 or 1), not a float.

        A float copy would be the largest array a fit allocates after the
        data (2.3 MiB for MNIST in float32, 4.6 MiB in float64, against
        0.6 MiB). Every use in the engine combines it with float arrays,
        which promotes it exactly. ``uint8`` rather than ``bool``: the binary
        log-loss computes ``1 - Y``. ``_encode_targets`` already builds it as
        ``uint8``, so there is no copy here.
        """
        return Y.astype(np.uint8, copy=False)

    def _class_index(self, y, name):
        """Index of each label of ``y`` in ``classes_``; unknown labels raise."""
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            # scikit-learn's wording, so that a match= written for it matches.
            raise ValueError(
                f"`{name}` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. '{name}' has {unique_labels(y)}."
            )
        return index

    def _class_weighted(self, sample_weight, X, Y, class_index, incremental):
        """Sample weights times class weights (None when all are 1)."""
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
            per_class = class_weight_per_class(self.class_weight, self.classes_)
        weights = per_class[class_index].astype(X.dtype) * base
        if not weights.sum() > 0:
            raise ValueError(
                "Every row weighs 0 once class_weight multiplies sample_weight: "
                "nothing to learn."
            )
        return weights
