"""scikit-learn's callback API (``sklearn.callback``) for the MLP estimators.

scikit-learn 1.9 added callbacks to estimators: ``est.set_callbacks(
ProgressBar(), ScoringMonitor(scoring="accuracy"))`` shows a progress bar and
records a score while ``fit`` runs. An estimator takes part by opening a root
"fit" task when training starts and one sub-task per step it wants reported;
here a step is an epoch (an L-BFGS iteration for ``solver='lbfgs'``).

The engine (:mod:`sknnscratch.nn.training`) knows nothing of this: it calls an
``on_epoch_end(record)`` hook after every epoch and stops when the hook returns
True. :class:`EpochCallbacks` turns those calls into scikit-learn's task tree,
so the training loop stays free of scikit-learn.

On scikit-learn older than 1.9, ``sklearn.callback`` does not exist: a
fallback mixin keeps the estimators importable and working, and
``set_callbacks`` raises an error that says which version is needed.
"""

try:
    from sklearn.callback import CallbackSupportMixin

    HAS_SKLEARN_CALLBACKS = True
except ImportError:  # scikit-learn < 1.9: no callbacks, same code paths
    HAS_SKLEARN_CALLBACKS = False

    class _NoCallbackContext:
        """Stands in for ``CallbackContext``: every call does nothing."""

        def subcontext(self, *args, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False  # no callback asked to stop

    class CallbackSupportMixin:
        """Fallback for scikit-learn < 1.9: no callbacks can be set."""

        def set_callbacks(self, *callbacks):
            raise RuntimeError(
                "Callbacks need scikit-learn >= 1.9 (the sklearn.callback "
                "module); this is an older scikit-learn."
            )

        def _init_callback_context(self, task_name="fit", **kwargs):
            return _NoCallbackContext()


__all__ = ["HAS_SKLEARN_CALLBACKS", "CallbackSupportMixin", "EpochCallbacks"]


class EpochCallbacks:
    """One training run as a scikit-learn "fit" task with a sub-task per epoch.

    Use as a context manager around the engine's run, and pass
    :meth:`on_epoch_end` as the engine's hook::

        with EpochCallbacks(estimator, max_epochs, X=X, y=y, ...) as callbacks:
            fit_stochastic(..., on_epoch_end=callbacks.on_epoch_end)

    The public ``fit``/``partial_fit`` must be wrapped by scikit-learn's
    ``_fit_context`` (or ``with_callbacks``), which tears the callbacks down
    whatever happens.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted, with its target metadata (``classes_``,
        ``n_features_in_``) already set.
    max_epochs : int
        Upper bound on the epochs of this run (the progress bar's length).
    on_epoch_end : callable or None
        Another hook to call first with each epoch's record (the CLI's
        progress display).
    X, y : array-like
        The training data as the estimator received it (labels, not the
        target matrix): ``ScoringMonitor`` scores ``predict(X)`` against ``y``.
    sample_weight : ndarray or None
        Passed to the callbacks as metadata.
    network : Network
        The network being trained; its weights at an epoch's end make the
        model a callback may score ("reconstruction attributes").
    hidden_activations, output_activation : list of str, str
        What prediction needs besides the weights.
    """

    def __init__(
        self,
        estimator,
        max_epochs,
        on_epoch_end=None,
        *,
        X,
        y,
        sample_weight=None,
        network,
        hidden_activations,
        output_activation,
        task_name="fit",
    ):
        self.estimator = estimator
        self.max_epochs = max_epochs
        self._hook = on_epoch_end
        self._task = dict(
            estimator=estimator,
            X=X,
            y=y,
            metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        )
        self.network = network
        self.hidden_activations = list(hidden_activations)
        self.output_activation = output_activation
        self.task_name = task_name
        self._context = None
        self._epochs = 0

    def _fitted_attributes(self):
        """The attributes that make a copy of the estimator predict as now."""
        network = self.network
        return {
            "coefs_": [c.copy() for c in network.coefs],
            "intercepts_": [b.copy() for b in network.intercepts],
            "n_layers_": len(network.layer_units),
            "n_outputs_": network.layer_units[-1],
            "out_activation_": self.output_activation,
            "_hidden_activations": self.hidden_activations,
        }

    def __enter__(self):
        # max_subtasks is a hard bound (scikit-learn raises beyond it).
        self._context = self.estimator._init_callback_context(
            task_name=self.task_name, max_subtasks=self.max_epochs
        )
        self._context.call_on_fit_task_begin(**self._task)
        return self

    def on_epoch_end(self, record):
        """The engine's per-epoch hook; True asks the engine to stop."""
        stop = bool(self._hook(record)) if self._hook is not None else False
        # Without callbacks there is nothing to report: no sub-task, and no
        # copy of the weights.
        if not getattr(self.estimator, "_skl_callbacks", None):
            return stop
        if self._epochs >= self.max_epochs:
            return stop
        self._epochs += 1
        epoch = self._context.subcontext(task_name="epoch")
        epoch.call_on_fit_task_begin(**self._task)
        stop |= bool(
            epoch.call_on_fit_task_end(
                **self._task, reconstruction_attributes=self._fitted_attributes
            )
        )
        return stop

    def __exit__(self, exc_type, exc, traceback):
        # The end of the root task only for a run that completed; on an error
        # the decorator's teardown still runs.
        if exc_type is None:
            self._context.call_on_fit_task_end(
                **self._task, reconstruction_attributes=self._fitted_attributes
            )
        return False
