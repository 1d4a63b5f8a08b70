"""Watching and stopping a fit epoch by epoch: callbacks for the MLP estimators.

Every estimator has ``set_callbacks(*callbacks)``; ``set_callbacks()`` with no
argument removes them. Two kinds of callback are accepted:

* an :class:`EpochCallback` (subclass it and write ``on_epoch_end``): called
  after every epoch (every L-BFGS iteration for ``solver='lbfgs'``, the one
  epoch of a ``partial_fit`` call) with the epoch's record, the same dict that
  is appended to ``history_``. It works with every supported scikit-learn.
  The command line's progress display is one of these::

      class PrintLoss(EpochCallback):
          def on_epoch_end(self, estimator, record):
              print(record["epoch"], record["loss"])
              return record["loss"] < 0.01  # True stops training

      ScratchMLPClassifier().set_callbacks(PrintLoss()).fit(X, y)

* with scikit-learn >= 1.9, any callback of scikit-learn's own API
  (``sklearn.callback``: ``ProgressBar()``, ``ScoringMonitor(...)``): an
  estimator opens a root "fit" (or "partial_fit") task when training starts
  and one sub-task per epoch.

The engine (:mod:`sknnscratch.nn.training`) knows nothing of either: it calls
an ``on_epoch_end(record)`` hook after every epoch and stops when the hook
returns True. ``EpochTasks`` (private) turns those calls into both kinds of
callback, so the training loop stays free of scikit-learn.

Callbacks are live objects: they are not part of the model, and neither
pickling nor :func:`sknnscratch.save` keeps them.
"""

try:
    from sklearn.callback import CallbackSupportMixin

    _SKLEARN_CALLBACKS = True
except ImportError:  # scikit-learn < 1.9: no callbacks, same code paths
    _SKLEARN_CALLBACKS = False

    class _NoCallbackContext:
        """Stands in for ``CallbackContext``: every call does nothing."""

        def subcontext(self, *args, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False  # no scikit-learn callback to ask

    class CallbackSupportMixin:
        """``set_callbacks`` for scikit-learn < 1.9: EpochCallbacks only."""

        def set_callbacks(self, *callbacks):
            """Set the callbacks of the next fits (none removes them)."""
            for callback in callbacks:
                if not isinstance(callback, EpochCallback):
                    raise TypeError(
                        f"{callback!r} is not an EpochCallback instance: on this "
                        "scikit-learn (older than 1.9, without sklearn.callback) "
                        "only sknnscratch.callbacks.EpochCallback instances can "
                        "be set."
                    )
            if callbacks:
                self._skl_callbacks = list(callbacks)
            else:
                self.__dict__.pop("_skl_callbacks", None)
            return self

        def _init_callback_context(self, task_name="fit", **kwargs):
            return _NoCallbackContext()


__all__ = ["HAS_SKLEARN_CALLBACKS", "EpochCallback"]

#: Whether the installed scikit-learn has its own callback API
#: (``sklearn.callback``, scikit-learn 1.9 and later).
HAS_SKLEARN_CALLBACKS = _SKLEARN_CALLBACKS


class EpochCallback:
    """Base class of a callback called after every epoch of a fit.

    Subclass it and override :meth:`on_epoch_end`; set it with
    ``estimator.set_callbacks(callback)``. The other methods exist so that
    scikit-learn (>= 1.9) accepts the callback as one of its own; they do
    nothing.
    """

    def on_epoch_end(self, estimator, record):
        """Called after each epoch; return True to stop training there.

        Parameters
        ----------
        estimator : ScratchMLPClassifier or ScratchMLPRegressor
            The estimator being fitted (its fitted attributes are set only
            when the fit ends).
        record : dict
            The epoch's entry of ``history_``: ``epoch`` (counting every fit
            of a ``warm_start`` or ``partial_fit`` run), ``loss``, the
            training score (``accuracy`` or ``r2``; None for L-BFGS),
            ``val_loss`` and ``val_accuracy``/``val_r2`` (None without a
            validation set) and ``seconds``.

        Returns
        -------
        stop : bool or None
            True stops training after this epoch, as early stopping would.
        """
        return False

    # scikit-learn's FitCallback protocol (sklearn.callback, >= 1.9).

    def setup(self, estimator, context):
        """Nothing to set up."""

    def on_fit_task_begin(self, estimator, context, **kwargs):
        """Nothing to do when a task begins."""

    def on_fit_task_end(self, estimator, context, **kwargs):
        """Epochs are reported through :meth:`on_epoch_end` instead."""
        return False

    def teardown(self, estimator, context):
        """Nothing to tear down."""


def _epoch_callbacks(estimator):
    """The EpochCallbacks set on ``estimator``."""
    return [
        callback
        for callback in getattr(estimator, "_skl_callbacks", None) or ()
        if isinstance(callback, EpochCallback)
    ]


class EpochTasks:
    """One training run as a scikit-learn "fit" task with a sub-task per epoch.

    Use as a context manager around the engine's run, and pass
    :meth:`on_epoch_end` as the engine's hook::

        with EpochTasks(estimator, max_epochs, X=X, y=y, ...) as tasks:
            config = TrainingConfig(on_epoch_end=tasks.on_epoch_end)
            train_minibatch(network, optimizer, schedule, data, config, state)

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
    X, y : array-like
        The training data as the estimator received it (labels, not the
        target matrix): ``ScoringMonitor`` scores ``predict(X)`` against ``y``.
    sample_weight : ndarray or None
        Passed to the callbacks as metadata.
    network : Network
        The network being trained; its weights and activations at an
        epoch's end make the model a callback may score ("reconstruction
        attributes").
    """

    def __init__(
        self,
        estimator,
        max_epochs,
        *,
        X,
        y,
        sample_weight=None,
        network,
        task_name="fit",
    ):
        self.estimator = estimator
        self.max_epochs = max_epochs
        self._task = dict(
            estimator=estimator,
            X=X,
            y=y,
            metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        )
        self.network = network
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
            "out_activation_": network.output_activation,
            "_hidden_activations": network.activations[:-1],
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
        stop = False
        for callback in _epoch_callbacks(self.estimator):
            stop |= bool(callback.on_epoch_end(self.estimator, record))
        # Without scikit-learn callbacks there is nothing more to report: no
        # sub-task, and no copy of the weights.
        if not HAS_SKLEARN_CALLBACKS or not getattr(
            self.estimator, "_skl_callbacks", None
        ):
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
