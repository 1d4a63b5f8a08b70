"""ScratchMLPClassifier: the scikit-learn classifier over the NumPy engine.

What is particular to classification lives here: labels (binary, multiclass,
multilabel), class weights, probabilities. Everything shared with
ScratchMLPRegressor (parameters, validation, the training run) is in
:mod:`sknnscratch._base`.
"""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call

from ._base import BaseScratchMLP
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
from ._labels import (
    OUTPUT_ACTIVATION,
    check_same_kind,
    checked_labels,
    class_index,
    class_weighted,
    indicator_matrix,
    label_metadata,
    label_types,
    n_outputs,
    one_hot,
    same_classes,
)
from ._validation import COMMON_PARAMETER_CONSTRAINTS
from .nn.losses import LOSSES

__all__ = ["ScratchMLPClassifier"]


class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    """Multi-layer perceptron classifier on a from-scratch NumPy engine.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: parameters
    shared with it have the same names, defaults and meaning. Beyond it:
    ``solver`` adds 'adagrad' and 'rmsprop'; ``dropout``; ``augment``;
    ``alpha_bias``; one activation per hidden layer and 'leaky_relu'/'elu';
    ``loss='squared_error'``; ``weight_init``; ``class_weight``; per-update
    schedules, and every schedule works with every solver; and ``history_``
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
    alpha_bias : float, default=0.0
        L2 penalty on the biases, scaled as ``alpha`` (the user guide converts
        other conventions).
    dropout : float or list of float, default=0.0
        Inverted-dropout rate of each hidden layer's output in ``[0, 1)``; one
        rate for all hidden layers or one per layer. Active only while
        training; masks drawn from ``random_state``.
    augment : callable or None, default=None
        A transform of the training batches' rows (:mod:`sknnscratch.augment`);
        never applied to validation rows, ``predict`` or ``score``.
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
    learning_rate : {'constant', 'invscaling', 'adaptive', 'inverse_time', \
'cosine'}, default='constant'
        Learning-rate schedule (see :mod:`sknnscratch.nn.schedules`), for
        every step optimizer; the last two change it at every update.
    learning_rate_init : float, default=0.001
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    decay : float, default=1e-3
        'inverse_time' uses ``learning_rate_init / (1 + decay * k)`` after k updates.
    warmup_iter : int, default=0
        Epochs of linear warm-up of 'cosine', which ends at 0 after ``max_iter``.
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
        "_label_type": OneOf(label_types),
        "n_outputs_": Int(low=1, rule=n_outputs),
        "out_activation_": OneOf(lambda f: {OUTPUT_ACTIVATION[f["_label_type"]]}),
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
        alpha_bias=0.0,
        dropout=0.0,
        augment=None,
        weight_init="glorot_uniform",
        class_weight=None,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        decay=1e-3,
        warmup_iter=0,
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
            alpha_bias=alpha_bias,
            dropout=dropout,
            augment=augment,
            weight_init=weight_init,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            decay=decay,
            warmup_iter=warmup_iter,
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

    # --- targets (see sknnscratch._labels) -----------------------------------

    def _output_activation(self):
        return OUTPUT_ACTIVATION[self._label_type]

    def _encode_targets(self, y, classes, first_pass, incremental):
        """Check y, set label metadata on a first pass; return (Y, class index)."""
        y, y_type = checked_labels(y, "y")
        if first_pass:
            self.classes_, self._label_type = label_metadata(
                y, y_type, classes, incremental
            )
        else:
            check_same_kind(self._label_type, y_type, "y")
            if incremental:
                # scikit-learn's own check: classes may be repeated, not
                # changed (a ValueError in its words).
                _check_partial_fit_first_call(self, classes)
        if self._label_type == "multilabel-indicator":
            return indicator_matrix(y, len(self.classes_), "y"), None
        if self.warm_start and not first_pass and not incremental:
            same_classes(self.classes_, y)
        index = class_index(self.classes_, y, "y")
        return one_hot(index, len(self.classes_), self._label_type), index

    def _encode_validation_targets(self, y_val):
        """Indicator matrix of ``y_val`` in the fitted classes."""
        y_val, y_type = checked_labels(y_val, "y_val")
        check_same_kind(self._label_type, y_type, "y_val")
        if self._label_type == "multilabel-indicator":
            return indicator_matrix(y_val, len(self.classes_), "y_val")
        index = class_index(self.classes_, y_val, "y_val")
        return one_hot(index, len(self.classes_), self._label_type)

    def _as_training_targets(self, Y, dtype, name="y"):
        """The indicator matrix as it is: one byte per entry (see one_hot)."""
        return Y.astype(np.uint8, copy=False)

    def _class_weighted(self, sample_weight, X, Y, index, incremental):
        """Sample weights times class weights (None when all are 1)."""
        if self.class_weight is None:
            return sample_weight
        if sample_weight is None:
            sample_weight = np.ones(X.shape[0], dtype=X.dtype)
        previous = getattr(self, "_class_counts", None) if incremental else None
        weights, counts = class_weighted(
            self.class_weight, self.classes_, sample_weight, Y, index, previous
        )
        if counts is not None:
            self._class_counts = counts
        return weights
