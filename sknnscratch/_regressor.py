"""ScratchMLPRegressor: the scikit-learn regressor over the NumPy engine.

What is particular to regression lives here: real-valued (multi-output)
targets, an identity output layer (exp for the Poisson loss), :math:`R^2` as
the score. Everything shared with ScratchMLPClassifier (parameters,
validation, the training run) is in :mod:`sknnscratch._base`.
"""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import BaseScratchMLP
from ._fitted_state import (
    NETWORK_STATE,
    REGRESSION_OUTPUTS,
    TRAINING_STATE,
    History,
    Int,
    OneOf,
    input_state,
)
from ._validation import COMMON_PARAMETER_CONSTRAINTS
from .nn.losses import LOSSES

__all__ = ["ScratchMLPRegressor"]


class ScratchMLPRegressor(RegressorMixin, BaseScratchMLP):
    """Multi-layer perceptron regressor on a from-scratch NumPy engine.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: parameters
    shared with it have the same names, defaults and meaning, and the engine
    and options are those of :class:`ScratchMLPClassifier` (optimizers,
    schedules, dropout, per-layer activations, ``history_``, an explicit
    validation set). The output layer is linear (identity), one unit per
    target column; ``loss='huber'`` adds a robust loss. ``loss='poisson'``
    (as ``MLPRegressor``'s) models counts and rates through an exponential
    output.

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
    loss : {'squared_error', 'huber', 'poisson'}, default='squared_error'
        Half the squared error summed over the outputs; the Huber loss
        (quadratic for residuals up to 1, linear beyond, so outliers pull on
        the weights with a bounded force; scale the target so that a typical
        residual is of order 1, e.g. with
        :class:`~sklearn.compose.TransformedTargetRegressor`); or half the
        Poisson deviance, with an exponential output (the log link), for
        non-negative targets such as counts. See :mod:`sknnscratch.nn.losses`.
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), scaled as in
        ``MLPRegressor``: :math:`\\alpha \\lVert W \\rVert^2 / (2 n)` per batch of
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
        Stop when the validation :math:`R^2` (or loss, see
        ``early_stopping_metric``) stops improving, and keep the weights of
        the best epoch. The validation set is ``X_val, y_val`` when given to
        :meth:`fit`, otherwise ``validation_fraction`` of the training data.
        Ignored by 'lbfgs', as in ``MLPRegressor``.
    early_stopping_metric : {'score', 'loss'}, default='score'
        What early stopping watches on the validation set: :math:`R^2`
        (higher is better, as ``MLPRegressor``) or the loss (lower is
        better; with ``loss='huber'`` the robust choice, as outliers in the
        validation set then weigh less).
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
    coefs_, intercepts_ : list of ndarray
        Weight matrix and bias vector of each layer.
    loss_ : float
        Objective (loss plus L2 term) at the last epoch.
    best_loss_ : float or None
        Lowest training loss seen (None with ``early_stopping``).
    loss_curve_ : list of float
        Training loss of every epoch.
    validation_scores_ : list of float or None
        Validation :math:`R^2` of every epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best validation :math:`R^2` with ``early_stopping``.
    best_validation_loss_ : float or None
        Lowest validation loss with ``early_stopping``.
    history_ : dict of lists
        Per epoch: 'epoch', 'loss', 'r2' (running training :math:`R^2`, with
        dropout active), 'val_loss', 'val_r2' (None without a validation set)
        and 'seconds'.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined when X has string feature names (e.g. a DataFrame).
    n_iter_ : int
        Epochs run by the last ``fit`` (or since it, over ``partial_fit``).
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Output units: the number of target columns.
    out_activation_ : str
        'identity', or 'exp' with ``loss='poisson'``.
    t_ : int
        Training samples seen, over all epochs (and over the earlier fits
        with ``warm_start`` or ``partial_fit``); 'invscaling' decays with it.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sknnscratch import ScratchMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> model = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), ScratchMLPRegressor(random_state=0)),
    ...     transformer=StandardScaler(),
    ... ).fit(X, y)
    >>> model.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **COMMON_PARAMETER_CONSTRAINTS,
        "loss": [
            StrOptions(
                {name for name, loss in LOSSES.items() if "regression" in loss.tasks}
            )
        ],
    }

    _metric = "r2"

    #: Every fitted attribute and its rules, in an order where each rule only
    #: looks back; model files hold exactly these (see _fitted_state.py).
    _fitted_state = {
        **input_state(),
        "n_outputs_": Int(low=1),
        "out_activation_": OneOf(REGRESSION_OUTPUTS),
        **NETWORK_STATE,
        **TRAINING_STATE,
        "history_": History(_metric),
    }
    _y_numeric = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        loss="squared_error",
        alpha=0.0001,
        alpha_bias=0.0,
        dropout=0.0,
        augment=None,
        weight_init="glorot_uniform",
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
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, \
n_features), default=None
            An explicit validation set: scored after every epoch into
            ``history_`` ('val_loss', 'val_r2'), and the set that
            ``early_stopping`` watches (then nothing is held out of X). In a
            :class:`~sklearn.pipeline.Pipeline`, have it transformed like X
            with ``Pipeline(..., transform_input=["X_val"])`` (needs
            metadata routing).
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, \
n_targets), default=None
            Targets of ``X_val``, with as many columns as ``y``.
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
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on (X, y), continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit_keeping_state_on_error(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            One column per target; 1-D when the model has a single output
            (as ``MLPRegressor``).
        """
        output = self._forward(X)
        if self.n_outputs_ == 1:
            return output.ravel()
        return output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # --- targets --------------------------------------------------------------

    def _output_activation(self):
        return LOSSES[self.loss].regression_output

    def _target_matrix(self, y, name="y"):
        """``y`` (numeric and finite: checked by ``validate_data``) as a
        matrix of one column per target."""
        if self.loss == "poisson" and np.any(y < 0):
            # The Poisson deviance is undefined for negative targets: the fit
            # would train on NaN.
            raise ValueError(
                f"Some value(s) of {name} are negative which is not allowed for "
                "Poisson regression (loss='poisson')."
            )
        return y[:, None] if y.ndim == 1 else y

    def _encode_targets(self, y, classes, first_pass, incremental):
        """The target matrix; regression has no strata."""
        Y = self._target_matrix(y)
        if not first_pass and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} target columns but the model was fitted "
                f"with {self.n_outputs_}."
            )
        return Y, None

    def _encode_validation_targets(self, y_val):
        return self._target_matrix(y_val, "y_val")
