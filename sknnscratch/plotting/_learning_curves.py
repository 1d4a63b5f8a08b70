"""Learning curves: the loss and score an estimator recorded per epoch."""

from collections.abc import Mapping

import numpy as np
from matplotlib.ticker import MaxNLocator, PercentFormatter
from sklearn.exceptions import NotFittedError

from ._figures import TRAIN_COLOR, VAL_COLOR, figure_or_new

__all__ = ["plot_learning_curves"]

# The score each estimator records in ``history_`` (the classifier's
# 'accuracy', the regressor's 'r2'; see sknnscratch.nn.metrics): its name in
# titles, its name in running text, and whether it is a share (shown in
# percent).
_SCORES = {
    "accuracy": ("Accuracy", "accuracy", True),
    "r2": ("R²", "R²", False),
}


def plot_learning_curves(history, *, fig=None):
    """Plot loss and score per epoch, for training and validation.

    The score is the one the estimator records: accuracy for a classifier,
    :math:`R^2` for a regressor.

    Parameters
    ----------
    history : dict or fitted estimator
        An estimator's ``history_`` (a dict of equally long lists with keys
        'epoch', 'loss', 'val_loss' and the score: 'accuracy' and
        'val_accuracy' for a classifier, 'r2' and 'val_r2' for a
        regressor), or the fitted estimator itself.  None entries (no
        validation split, or no score recorded by 'lbfgs') are left out of
        the curves.
    fig : matplotlib.figure.Figure, default=None
        An empty figure to draw on; a new one when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two panels: loss per epoch and score (accuracy or :math:`R^2`) per
        epoch.  The training loss and score are running means over each
        epoch's batches (with dropout active), so they can lag the
        validation curves early on.  A dotted line marks the epoch of best
        validation score (of lowest validation loss for an estimator with
        ``early_stopping_metric='loss'``): with ``early_stopping``, the
        epoch whose weights the model keeps.

    Raises
    ------
    ValueError
        If the history is empty, has no 'loss' or lists of unequal lengths.
    sklearn.exceptions.NotFittedError
        If an unfitted estimator is passed.
    """
    # L-BFGS records one full-batch objective per iteration and no score;
    # the labels say so rather than calling its steps epochs.
    lbfgs = getattr(history, "solver", None) == "lbfgs"
    # Early stopping on the validation loss keeps the epoch of lowest loss,
    # not of best score; only the estimator, not its history, says so.
    best_by_loss = bool(getattr(history, "early_stopping", False)) and (
        getattr(history, "early_stopping_metric", None) == "loss"
    )
    history = _as_history(history)
    score = _score_key(history)
    title_name, score_name, is_share = _SCORES[score]
    n_epochs = len(history["loss"])
    epochs = list(history.get("epoch") or range(1, n_epochs + 1))
    step = "iteration" if lbfgs else "epoch"
    fig = figure_or_new(fig, (11, 4.2))
    ax_loss, ax_score = fig.subplots(1, 2)
    # Markers make a short run (or a single epoch) visible; on long runs they
    # would only clutter the line.
    marker = "o" if n_epochs <= 40 else None

    val_epochs, val_scores = _present(epochs, history.get(f"val_{score}"))
    best_epoch = best_label = None
    if best_by_loss:
        loss_epochs, val_losses = _present(epochs, history.get("val_loss"))
        if val_losses:
            # argmin, as argmax below: the first of equal values, the one kept.
            best_epoch = loss_epochs[int(np.argmin(val_losses))]
            best_label = "lowest validation loss"
    elif val_scores:
        best_epoch = val_epochs[int(np.argmax(val_scores))]
        best_label = f"best validation {score_name}"
    # Stochastic training curves are running means over each epoch's
    # batches, taken while the weights were still changing.
    train_label = "training" if lbfgs else "training (running)"

    panels = (
        (ax_loss, "loss", "Loss", "loss"),
        (ax_score, score, title_name, score_name),
    )
    for ax, key, title, name in panels:
        ax.set_title(f"{title} per {step}")
        curves = (
            (key, train_label, TRAIN_COLOR),
            (f"val_{key}", "validation", VAL_COLOR),
        )
        drawn = False
        for curve_key, label, color in curves:
            x, values = _present(epochs, history.get(curve_key))
            if x:
                ax.plot(x, values, marker=marker, ms=4, color=color, label=label)
                drawn = True
        if not drawn:
            # An empty panel with a note, not axes whose ticks suggest data.
            note = f"no {name} recorded"
            if lbfgs:
                note += "\n(solver='lbfgs' records the loss only)"
            ax.text(
                0.5,
                0.5,
                note,
                ha="center",
                va="center",
                color="0.4",
                transform=ax.transAxes,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        if best_epoch is not None:
            ax.axvline(
                best_epoch,
                color="0.3",
                ls=":",
                lw=1.2,
                label=f"{best_label} ({step} {best_epoch})",
            )
        ax.set_xlabel(step)
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
        if key == score and is_share:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))

    summary = f"{n_epochs} {step}{'s' if n_epochs != 1 else ''}"
    final_loss = history["loss"][-1]
    if final_loss is not None:
        summary += f"; final training loss {final_loss:.4g}"
    if val_scores:
        best = max(val_scores)
        summary += f"; best validation {score_name} "
        summary += f"{best:.2%}" if is_share else f"{best:.4g}"
    else:
        summary += "; no validation split"
    fig.suptitle(f"Learning curves ({summary})")
    return fig


def _present(epochs, values):
    """The (epoch, value) pairs whose value was recorded (not None)."""
    if values is None:
        return [], []
    pairs = [(e, v) for e, v in zip(epochs, values) if v is not None]
    return [e for e, _ in pairs], [v for _, v in pairs]


def _as_history(history):
    """A history dict from an estimator's ``history_`` or the dict itself."""
    if isinstance(history, Mapping):
        result = dict(history)
    elif hasattr(history, "history_"):
        result = dict(history.history_)
    elif hasattr(history, "get_params"):
        raise NotFittedError(
            f"This {type(history).__name__} has no history_: fit it before "
            "plotting its learning curves."
        )
    else:
        raise TypeError(
            "history must be a fitted estimator or its history_ dict, got "
            f"{type(history).__name__}."
        )
    if "loss" not in result:
        raise ValueError(
            "history has no 'loss' entry; expected the keys 'epoch', 'loss', "
            "'accuracy' or 'r2', 'val_loss', 'val_accuracy' or 'val_r2', got "
            f"{sorted(result)}."
        )
    n_epochs = len(result["loss"])
    if n_epochs == 0:
        raise ValueError("history is empty: the model has not trained an epoch.")
    lengths = {k: len(v) for k, v in result.items() if v is not None}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"history lists differ in length: {lengths}.")
    return result


def _score_key(history):
    """The score a history records: 'accuracy' or 'r2', read off its keys.

    A history with neither (only the loss, say) counts as a classifier's,
    whose accuracy panel then says that none was recorded.
    """
    for key in _SCORES:
        if key in history or f"val_{key}" in history:
            return key
    return "accuracy"
