"""Plots of a fitted MLP: learning curves, weights, errors and a training movie.

Every function draws on a :class:`matplotlib.figure.Figure` it creates itself
(or one you pass in), never through :mod:`matplotlib.pyplot`.  That way the
plots need no display and no backend choice (saving goes through Agg), they
touch none of pyplot's global state, and a figure is freed as soon as it is
no longer referenced instead of living on in pyplot's registry until
``plt.close``.  Save a figure with ``fig.savefig(path)``; in a notebook,
``display(fig)`` shows it.

The functions read only public fitted attributes (``coefs_``,
``out_activation_``, ``classes_``, ``history_``) and the ``activation``
parameter, so apart from :func:`plot_learning_curves` (which needs
``history_``) they also accept scikit-learn's own ``MLPClassifier``.
:func:`plot_learning_curves`, :func:`plot_first_layer_weights`,
:func:`plot_weight_distributions` and :func:`plot_network_diagram` draw
regressors too (the learning curves then show :math:`R^2`).  The plots of a
classifier's predictions (:func:`plot_confusion_matrix`,
:func:`plot_most_confident_errors`, :func:`animate_decision_boundary`)
refuse a regressor, and :func:`save_report_plots` leaves them out for one.
"""

import math
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.animation import PillowWriter
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.ticker import MaxNLocator, PercentFormatter
from sklearn.base import clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "animate_decision_boundary",
    "plot_confusion_matrix",
    "plot_first_layer_weights",
    "plot_learning_curves",
    "plot_most_confident_errors",
    "plot_network_diagram",
    "plot_weight_distributions",
    "save_report_plots",
]

#: File stem of each plot written by :func:`save_report_plots`.
REPORT_PLOTS = (
    "learning_curves",
    "confusion_matrix",
    "first_layer_weights",
    "weight_distributions",
    "network_diagram",
    "confident_errors",
)

# The score each estimator records in ``history_`` (the classifier's
# 'accuracy', the regressor's 'r2'; see sknnscratch.nn.metrics): its name in
# titles, its name in running text, and whether it is a share (shown in
# percent).
_SCORES = {
    "accuracy": ("Accuracy", "accuracy", True),
    "r2": ("R²", "R²", False),
}

_TRAIN_COLOR = "tab:blue"
_VAL_COLOR = "tab:orange"
_FRAME_GREY = (0.55, 0.55, 0.55, 1.0)


# --- helpers ------------------------------------------------------------------


def _figure(fig, figsize):
    """The figure to draw on: ``fig`` if given, else a new constrained one."""
    if fig is None:
        # Constrained layout keeps titles, labels and colorbars from
        # overlapping whatever the number of panels.
        return Figure(figsize=figsize, layout="constrained")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}.")
    return fig


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_image_shape(image_shape, n_features, what):
    """Validate ``image_shape`` against the number of input features."""
    shape = tuple(image_shape)
    if len(shape) != 2 or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ValueError(
            f"image_shape must be two positive integers (height, width), got "
            f"{image_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"{what} needs one pixel per input feature, but image_shape={shape} "
            f"has {math.prod(shape)} pixels and the model has {n_features} input "
            "features. Pass the image_shape of your data, e.g. (28, 28) for MNIST "
            "or (8, 8) for sklearn's load_digits."
        )
    return shape


def _layer_sizes(estimator):
    """Units per layer, input first, read off the fitted weight matrices."""
    coefs = estimator.coefs_
    return [coefs[0].shape[0], *(c.shape[1] for c in coefs)]


def _hidden_activations(estimator, n_hidden):
    """The activation name of each hidden layer.

    Read from the ``activation`` parameter, as there is no fitted attribute
    for it; a per-layer list that does not match the fitted layers (the
    parameter was changed after fitting) shows as '?' rather than wrongly.
    """
    activation = getattr(estimator, "activation", None)
    if isinstance(activation, str):
        return [activation] * n_hidden
    try:
        names = [str(name) for name in activation]
    except TypeError:
        names = []
    return names if len(names) == n_hidden else ["?"] * n_hidden


def _count(n, noun):
    """'1 unit', '784 units'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _unit_range(first, last):
    return f"unit {first}" if first == last else f"units {first}–{last}"


def _grid_shape(n):
    """Rows and columns of a near-square grid holding ``n`` panels."""
    n_cols = math.ceil(math.sqrt(n))
    return math.ceil(n / n_cols), n_cols


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


def _is_regressor(estimator):
    """Whether ``estimator`` is a scikit-learn regressor (False if unsure)."""
    try:
        return is_regressor(estimator)
    except AttributeError:  # no scikit-learn tags: not a scikit-learn estimator
        return False


def _check_classifier(estimator, what):
    """Refuse, clearly, a fitted estimator that has no classes to plot."""
    if not hasattr(estimator, "classes_"):
        raise TypeError(
            f"{what} draws a classifier's predictions, but "
            f"{type(estimator).__name__} has no classes_ (is it a regressor?). "
            "plot_learning_curves, plot_first_layer_weights, "
            "plot_weight_distributions and plot_network_diagram draw regressors."
        )


def _class_colors(n_classes):
    """One distinct colour per class (RGBA rows)."""
    cmap = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return np.array([cmap(i % cmap.N) for i in range(n_classes)])


# --- learning curves ----------------------------------------------------------


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
    fig = _figure(fig, (11, 4.2))
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
            (key, train_label, _TRAIN_COLOR),
            (f"val_{key}", "validation", _VAL_COLOR),
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


# --- confusion matrix ---------------------------------------------------------


def plot_confusion_matrix(estimator, X, y, *, normalize=None, ax=None):
    """Plot the confusion matrix of ``estimator`` on ``(X, y)``.

    A thin wrapper around
    :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_estimator` that draws on
    a pyplot-free figure and titles the plot with the accuracy.

    Parameters
    ----------
    estimator : fitted classifier
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        True labels.
    normalize : {'true', 'pred', 'all'} or None, default=None
        Normalise counts over the true labels (rows), the predicted labels
        (columns) or all samples; None shows counts.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure's when None.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        Its ``figure_`` is the figure drawn on.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``classes_`` (a regressor).
    """
    check_is_fitted(estimator)
    _check_classifier(estimator, "plot_confusion_matrix")
    if ax is None:
        ax = Figure(figsize=(7, 6), layout="constrained").add_subplot()
    n_classes = len(estimator.classes_)
    display = ConfusionMatrixDisplay.from_estimator(
        estimator,
        X,
        y,
        normalize=normalize,
        ax=ax,
        cmap="Blues",
        colorbar=True,
        # Beyond about 20 classes the numbers no longer fit in their cells.
        include_values=n_classes <= 20,
        values_format=None if normalize is None else ".2f",
    )
    matrix = display.confusion_matrix
    title = f"Confusion matrix on {_n_rows(X):,} samples"
    if normalize in (None, "all"):
        # Counts, or fractions of all samples: the diagonal holds the hits,
        # so the accuracy comes free, without predicting again.
        accuracy = np.trace(matrix) / matrix.sum()
        title += f": accuracy {accuracy:.2%}"
    if normalize == "true":
        title += "\n(each row: share of a true class, sums to 1)"
    elif normalize == "pred":
        title += "\n(each column: share of a predicted class, sums to 1)"
    ax.set_title(title)
    return display


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


# --- weights ------------------------------------------------------------------


def plot_first_layer_weights(estimator, *, image_shape=(28, 28), n_units=64, fig=None):
    """Show the incoming weights of the first layer's units as images.

    Each panel is one unit's weight vector reshaped to ``image_shape``: the
    input pattern that unit responds to.  Blue pixels push the unit up, red
    ones down.

    Parameters
    ----------
    estimator : fitted MLP
        With ``coefs_[0]`` of shape (n_features, n_units_first_layer).
    image_shape : tuple of int, default=(28, 28)
        (height, width) of an input image; must multiply to n_features.
    n_units : int, default=64
        How many units to show (the first ones); capped at the layer's size.
    fig : matplotlib.figure.Figure, default=None
        An empty figure to draw on; a new one when None.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``image_shape`` does not hold n_features pixels, or ``n_units`` is
        not a positive integer.
    """
    check_is_fitted(estimator)
    n_units = _check_positive_int(n_units, "n_units")
    weights = np.asarray(estimator.coefs_[0])
    shape = _check_image_shape(
        image_shape, weights.shape[0], "plot_first_layer_weights"
    )
    n_shown = min(n_units, weights.shape[1])
    shown = weights[:, :n_shown]
    # One symmetric scale shared by all tiles: white means exactly 0, and
    # units can be compared (a near-white unit has learnt little).
    limit = float(np.abs(shown).max()) or 1.0
    n_rows, n_cols = _grid_shape(n_shown)
    # All units tiled into one RGBA image on one Axes: dozens of Axes would
    # cost seconds of layout for the same picture.  Grey gaps frame the
    # tiles, which near-zero borders (never-lit MNIST pixels) would otherwise
    # blur together; unused grid cells stay transparent.
    height, width = shape
    gap = max(1, round(0.08 * max(shape)))
    norm = Normalize(-limit, limit)
    cmap = colormaps["RdBu"]
    step_y, step_x = height + gap, width + gap
    mosaic = np.zeros((n_rows * step_y + gap, n_cols * step_x + gap, 4))
    for unit in range(n_shown):
        row, col = divmod(unit, n_cols)
        top, left = gap + row * step_y, gap + col * step_x
        # A gap-wide grey frame around the tile, then the tile inside it.
        frame = (
            slice(top - gap, top + height + gap),
            slice(left - gap, left + width + gap),
        )
        mosaic[frame] = _FRAME_GREY
        tile = shown[:, unit].reshape(shape)
        mosaic[top : top + height, left : left + width] = cmap(norm(tile))
    fig = _figure(fig, (1.0 * n_cols + 1.6, 1.0 * n_rows + 1.0))
    ax = fig.add_subplot()
    ax.imshow(mosaic, interpolation="nearest")
    # No pixel ticks; each row is labelled with the units it holds instead.
    ax.set_xticks([])
    ax.set_yticks(
        [gap + row * step_y + (height - 1) / 2 for row in range(n_rows)],
        [
            _unit_range(row * n_cols, min((row + 1) * n_cols, n_shown) - 1)
            for row in range(n_rows)
        ],
        fontsize=8,
    )
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7, label="weight")
    n_layers = len(estimator.coefs_)
    kind = "hidden" if n_layers > 1 else "output"
    # An Axes title rather than a suptitle: it stays on top of the image
    # whatever space the equal aspect leaves free in the figure.
    ax.set_title(
        f"Incoming weights of the first {n_shown} of {weights.shape[1]} {kind} "
        "units\n(blue: pixel excites the unit, red: inhibits)"
    )
    return fig


def plot_weight_distributions(estimator, *, fig=None):
    """Plot a histogram of each layer's weights (biases excluded).

    Parameters
    ----------
    estimator : fitted MLP
    fig : matplotlib.figure.Figure, default=None
        An empty figure to draw on; a new one when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One panel per weight matrix, titled with its shape, mean and standard
        deviation.
    """
    check_is_fitted(estimator)
    coefs = estimator.coefs_
    n_cols = min(len(coefs), 3)
    n_rows = math.ceil(len(coefs) / n_cols)
    fig = _figure(fig, (4.2 * n_cols, 3.3 * n_rows + 0.5))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= len(coefs):
            ax.set_axis_off()
            continue
        weights = np.asarray(coefs[i]).ravel()
        n_in, n_out = coefs[i].shape
        role = "output layer" if i == len(coefs) - 1 else f"hidden layer {i + 1}"
        # One filled outline instead of 60 bar patches: same look, faster.
        ax.hist(weights, bins=60, histtype="stepfilled", color=_TRAIN_COLOR, alpha=0.85)
        ax.axvline(0, color="0.3", lw=0.8, ls="--")
        ax.set_title(
            f"{role}: {n_in} → {n_out}\nmean {weights.mean():+.3g}, "
            f"std {weights.std():.3g}",
            fontsize=10,
        )
        ax.set_xlabel("weight")
        ax.set_ylabel("count")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    fig.suptitle("Weight distribution per layer")
    return fig


# --- network diagram ----------------------------------------------------------


def _drawn_units(size, max_units):
    """Which units of a layer to draw, and the slot of the ellipsis (or None).

    A large layer shows its first and last units with an ellipsis between
    them, so the column still reads as "many units".
    """
    if size <= max_units:
        return list(range(size)), None
    n_circles = max_units - 1
    top = (n_circles + 1) // 2
    bottom = n_circles - top
    return list(range(top)) + list(range(size - bottom, size)), top


def plot_network_diagram(estimator, *, max_units_drawn=12, fig=None):
    """Draw the network as columns of units joined by their weights.

    Parameters
    ----------
    estimator : fitted MLP
    max_units_drawn : int, default=12
        Most units drawn per layer; a larger layer shows its first and last
        units around an ellipsis, and its label gives the true count.
    fig : matplotlib.figure.Figure, default=None
        An empty figure to draw on; a new one when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Each column is labelled with the layer's size and activation; edge
        colour is the sign of the weight (blue positive, red negative) and
        edge strength its magnitude relative to the layer's largest drawn
        weight.

    Raises
    ------
    ValueError
        If ``max_units_drawn`` is not an integer >= 2 (one unit and the
        ellipsis).
    """
    check_is_fitted(estimator)
    max_units = _check_positive_int(max_units_drawn, "max_units_drawn", minimum=2)
    sizes = _layer_sizes(estimator)
    n_hidden = len(sizes) - 2
    hidden = _hidden_activations(estimator, n_hidden)
    labels = [
        f"Input\n{_count(sizes[0], 'feature')}",
        *(
            f"Hidden {i + 1}\n{_count(size, 'unit')}\n{name}"
            for i, (size, name) in enumerate(zip(sizes[1:-1], hidden))
        ),
        f"Output\n{_count(sizes[-1], 'unit')}\n{estimator.out_activation_}",
    ]

    n_slots = min(max(sizes), max_units)
    x_gap = 4.0
    radius = 0.32
    fig = _figure(fig, (2.4 * len(sizes) + 1.5, 0.42 * n_slots + 2.4))
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.set_axis_off()

    # Centre of each drawn unit, per layer: {unit index: (x, y)}.
    centres = []
    for layer, size in enumerate(sizes):
        units, ellipsis_slot = _drawn_units(size, max_units)
        n_column = len(units) + (ellipsis_slot is not None)
        slots = [s for s in range(n_column) if s != ellipsis_slot]
        x = layer * x_gap
        ys = [(n_column - 1) / 2 - s for s in slots]
        centres.append({u: (x, y) for u, y in zip(units, ys)})
        if ellipsis_slot is not None:
            y = (n_column - 1) / 2 - ellipsis_slot
            # Three dots drawn as markers: no reliance on a font having "⋮".
            ax.plot([x] * 3, [y + 0.25, y, y - 0.25], "o", color="0.25", ms=2.5)

    cmap = colormaps["RdBu"]
    for layer, coef in enumerate(estimator.coefs_):
        left, right = centres[layer], centres[layer + 1]
        rows, cols = list(left), list(right)
        w = np.asarray(coef)[np.ix_(rows, cols)]
        # Scaled to the whole layer's strongest weight, not the drawn ones':
        # the drawn units may be dead corner pixels with near-zero weights.
        limit = float(np.abs(coef).max()) or 1.0
        colors = cmap(Normalize(-limit, limit)(w.ravel()))
        # Faint for small weights so the strong connections stand out.
        colors[:, 3] = 0.04 + 0.66 * (np.abs(w.ravel()) / limit) ** 1.5
        segments = [[left[i], right[j]] for i in rows for j in cols]
        ax.add_collection(LineCollection(segments, colors=colors, lw=0.9, zorder=1))

    classes = getattr(estimator, "classes_", None)
    for layer, column in enumerate(centres):
        face = "0.85" if layer in (0, len(sizes) - 1) else "white"
        for x, y in column.values():
            ax.add_patch(
                Circle((x, y), radius, facecolor=face, edgecolor="0.2", lw=1, zorder=2)
            )
        x = layer * x_gap
        bottom = -(n_slots - 1) / 2 - radius - 0.35
        ax.text(x, bottom, labels[layer], ha="center", va="top", fontsize=10)
    # Name the output units after the classes they score.
    out_column = centres[-1]
    class_names = {}
    if classes is not None and len(classes) == sizes[-1]:
        class_names = {u: str(classes[u]) for u in out_column}
    elif classes is not None and sizes[-1] == 1 and len(classes) == 2:
        class_names = {0: f"P({classes[1]})"}
    for unit, text in class_names.items():
        x, y = out_column[unit]
        ax.text(x + radius + 0.15, y, text, va="center", fontsize=9)

    half = (n_slots - 1) / 2
    ax.set_xlim(-radius - 0.8, (len(sizes) - 1) * x_gap + radius + 1.4)
    ax.set_ylim(-half - radius - 2.3, half + radius + 0.2)
    n_params = sum(c.size for c in estimator.coefs_) + sum(
        b.size for b in estimator.intercepts_
    )
    arch = " → ".join(f"{s:,}" for s in sizes)
    ax.set_title(f"{type(estimator).__name__}: {arch} ({n_params:,} parameters)")
    # Below the figure, so it cannot cover a column's label.
    fig.legend(
        handles=[
            Line2D([], [], color=cmap(0.9), lw=2, label="positive weight"),
            Line2D([], [], color=cmap(0.1), lw=2, label="negative weight"),
        ],
        title="edges (the larger |w|, the stronger the line)",
        title_fontsize=8,
        loc="outside lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    return fig


# --- errors -------------------------------------------------------------------


def plot_most_confident_errors(
    estimator, X, y, *, image_shape=(28, 28), n_images=16, fig=None
):
    """Show the misclassified images the model was most sure about.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, n_features)
        Images, one per row.
    y : array-like of shape (n_samples,)
        True labels.
    image_shape : tuple of int, default=(28, 28)
        (height, width) of an image; must multiply to n_features.
    n_images : int, default=16
        Most errors shown.
    fig : matplotlib.figure.Figure, default=None
        An empty figure to draw on; a new one when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Errors sorted by the probability given to the wrong class, each
        titled "true → predicted (p)"; a figure saying so when there are no
        errors.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``classes_`` (a regressor).
    ValueError
        If ``image_shape`` does not match the number of features, y does not
        match X, y is not one label per row, or ``n_images`` is not positive.
    """
    check_is_fitted(estimator)
    _check_classifier(estimator, "plot_most_confident_errors")
    n_images = _check_positive_int(n_images, "n_images")
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (one image per row), got shape {X.shape}.")
    shape = _check_image_shape(image_shape, X.shape[1], "plot_most_confident_errors")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must hold one label per row of X ({len(X)}), got shape {y.shape}."
        )
    proba = np.asarray(estimator.predict_proba(X))
    predicted = estimator.classes_[proba.argmax(axis=1)]
    confidence = proba.max(axis=1)
    wrong = np.flatnonzero(predicted != y)
    # Most confident first; stable so ties keep the data's order.
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:n_images]

    if len(order) == 0:
        fig = _figure(fig, (6, 2.5))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"No misclassified samples among {len(X):,}.",
            ha="center",
            va="center",
            fontsize=13,
        )
        fig.suptitle("Most confident errors")
        return fig

    n_rows, n_cols = _grid_shape(len(order))
    fig = _figure(fig, (1.9 * n_cols, 2.0 * n_rows + 0.7))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    # One grey scale for all images so their contrast is comparable.
    low, high = float(X[order].min()), float(X[order].max())
    for ax, row in zip(axes, order):
        ax.imshow(
            X[row].reshape(shape),
            cmap="gray_r",
            vmin=low,
            vmax=high,
            interpolation="nearest",
        )
        ax.set_title(
            f"{y[row]} → {predicted[row]} ({confidence[row]:.3f})",
            fontsize=10,
            color="tab:red",
        )
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(order) :]:
        ax.set_axis_off()
    fig.suptitle(
        f"Most confident errors: {len(wrong):,} of {len(X):,} misclassified "
        f"({len(wrong) / len(X):.1%})\ntitle: true → predicted (probability of "
        "the prediction)"
    )
    return fig


# --- decision boundary movie --------------------------------------------------


def animate_decision_boundary(
    estimator,
    X,
    y,
    path,
    *,
    n_frames=30,
    epochs_per_frame=1,
    fps=5,
    resolution=200,
):
    """Write an animated GIF of a 2-D decision boundary taking shape.

    A clone of ``estimator`` (the estimator itself is left untouched) is
    trained with ``partial_fit`` on all of ``(X, y)``, ``epochs_per_frame``
    epochs per frame; each frame shows the predicted class over a grid
    (paler where the model is less sure) with the training points on top.

    Parameters
    ----------
    estimator : classifier with ``partial_fit``
        Its parameters are used; its fitted state, if any, is not.
        ``early_stopping`` is switched off on the clone, since ``partial_fit``
        trains on every row.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    path : str or path-like
        Where to write the GIF; must end in ``.gif``.  Missing parent folders
        are created.
    n_frames : int, default=30
    epochs_per_frame : int, default=1
    fps : float, default=5
        Frames per second of the GIF.
    resolution : int, default=200
        Grid points per axis of the shaded decision regions.

    Returns
    -------
    path : pathlib.Path
        The GIF written.

    Raises
    ------
    TypeError
        If ``estimator`` is a regressor, which has no classes to draw.
    ValueError
        If X is not of shape (n_samples, 2), y does not match it, an integer
        argument is out of range, ``path`` does not end in ``.gif``, or the
        estimator cannot ``partial_fit`` (e.g. ``solver='lbfgs'``).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            "animate_decision_boundary draws 2-D data: X must have shape "
            f"(n_samples, 2), got shape {X.shape}."
        )
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must hold one label per row of X ({len(X)}), got shape {y.shape}."
        )
    n_frames = _check_positive_int(n_frames, "n_frames")
    epochs_per_frame = _check_positive_int(epochs_per_frame, "epochs_per_frame")
    resolution = _check_positive_int(resolution, "resolution", minimum=2)
    if isinstance(fps, bool) or not isinstance(fps, Real) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}.")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif (an animated GIF), got {path}.")

    model = clone(estimator)
    if _is_regressor(model):
        raise TypeError(
            "animate_decision_boundary draws a classifier's decision regions; "
            f"{type(model).__name__} is a regressor."
        )
    if model.get_params().get("early_stopping"):
        model.set_params(early_stopping=False)
    if not hasattr(model, "partial_fit"):
        raise ValueError(
            f"{type(model).__name__} with these parameters has no partial_fit, "
            "which the animation needs to train epoch by epoch (for "
            "ScratchMLPClassifier, use a step solver such as 'adam' rather "
            "than 'lbfgs')."
        )
    classes = np.unique(y)
    colors = _class_colors(len(classes))

    pad_x = 0.08 * (np.ptp(X[:, 0]) or 1.0)
    pad_y = 0.08 * (np.ptp(X[:, 1]) or 1.0)
    extent = (
        X[:, 0].min() - pad_x,
        X[:, 0].max() + pad_x,
        X[:, 1].min() - pad_y,
        X[:, 1].max() + pad_y,
    )
    grid_x = np.linspace(extent[0], extent[1], resolution)
    grid_y = np.linspace(extent[2], extent[3], resolution)
    mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)
    grid = np.column_stack([mesh_x.ravel(), mesh_y.ravel()])

    fig = Figure(figsize=(6.2, 5.5), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(
        np.ones((resolution, resolution, 3)),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
    )
    size = 22 if len(X) <= 500 else 8
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=colors[np.searchsorted(classes, y)],
        s=size,
        edgecolors="black",
        linewidths=0.5,
    )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    if len(classes) <= 10:
        handles = [
            Line2D([], [], ls="", marker="o", mfc=c, mec="black", label=str(label))
            for c, label in zip(colors, classes)
        ]
        ax.legend(
            handles=handles,
            title="class",
            # Outside the axes, so no point or region is hidden behind it.
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
        )
    fig.supxlabel("shading: predicted class, paler where less confident", fontsize=8)
    title = ax.set_title(" \n ")

    def train_one_frame():
        for _ in range(epochs_per_frame):
            model.partial_fit(X, y, classes=classes)

    def draw_frame(frame):
        proba = np.asarray(model.predict_proba(grid))
        winner = proba.argmax(axis=1)
        # Confidence rescaled so chance level (1/k) is white and certainty
        # the class colour at 60% strength: the points stay visible on top.
        chance = 1.0 / len(classes)
        strength = (proba.max(axis=1) - chance) / (1.0 - chance)
        strength = 0.6 * np.clip(strength, 0.0, 1.0)[:, None]
        rgb = 1.0 - strength * (1.0 - colors[winner, :3])
        image.set_data(rgb.reshape(resolution, resolution, 3))
        accuracy = np.mean(model.predict(X) == y)
        title.set_text(
            f"{type(model).__name__}\nepoch {frame * epochs_per_frame}: "
            f"training accuracy {accuracy:.1%}"
        )

    # The first frame is trained before the GIF is opened, so that data the
    # estimator rejects raise its own error rather than the writer's failure
    # to save zero frames.
    train_one_frame()
    draw_frame(1)
    # Freeze the layout computed for the first frame: the axes cannot jitter
    # as the title changes, and the frames skip the layout's extra dry-run
    # draw (half the rendering time).
    fig.draw_without_rendering()
    fig.set_layout_engine(None)

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PillowWriter(fps=fps)
    try:
        with writer.saving(fig, path, dpi=80):
            writer.grab_frame()
            for frame in range(2, n_frames + 1):
                train_one_frame()
                draw_frame(frame)
                writer.grab_frame()
    except BaseException:
        # No half-made GIF left behind to be mistaken for a finished one.
        path.unlink(missing_ok=True)
        raise
    return path


# --- all of it ----------------------------------------------------------------


def save_report_plots(estimator, X_test, y_test, folder, *, image_shape=(28, 28)):
    """Write the standard report plots of a fitted model as PNG files.

    Parameters
    ----------
    estimator : fitted ScratchMLPClassifier or ScratchMLPRegressor
        For an estimator without ``classes_`` (a regressor), the classifier
        plots (confusion matrix and confident errors) are skipped.
    X_test : array-like of shape (n_samples, n_features)
        Held-out data for the confusion matrix and the errors.
    y_test : array-like of shape (n_samples,)
    folder : str or path-like
        Output folder, created if needed; existing files are overwritten.
    image_shape : tuple of int, default=(28, 28)
        (height, width) of an input image.  When it does not hold
        n_features pixels the data are not images, and the image plots
        (first-layer weights and confident errors) are skipped.

    Returns
    -------
    paths : dict of str to pathlib.Path
        Plot name (the file stem, e.g. 'learning_curves') to file written,
        in the order of :data:`REPORT_PLOTS`.

    Notes
    -----
    The figures are pyplot-free, so nothing stays open once this returns.
    """
    check_is_fitted(estimator)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n_features = estimator.coefs_[0].shape[0]
    images = math.prod(tuple(image_shape)) == n_features
    classifier = hasattr(estimator, "classes_")

    makers = {
        "learning_curves": lambda: plot_learning_curves(estimator),
        "confusion_matrix": lambda: (
            plot_confusion_matrix(estimator, X_test, y_test).figure_
        ),
        "first_layer_weights": lambda: plot_first_layer_weights(
            estimator, image_shape=image_shape
        ),
        "weight_distributions": lambda: plot_weight_distributions(estimator),
        "network_diagram": lambda: plot_network_diagram(estimator),
        "confident_errors": lambda: plot_most_confident_errors(
            estimator, X_test, y_test, image_shape=image_shape
        ),
    }
    paths = {}
    for name in REPORT_PLOTS:
        if not images and name in ("first_layer_weights", "confident_errors"):
            continue
        if not classifier and name in ("confusion_matrix", "confident_errors"):
            continue
        figure = makers[name]()
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        # Drop the figure's artists now rather than when garbage collection
        # gets round to it: MNIST-sized reports hold sizeable images.
        figure.clear()
        paths[name] = path
    return paths
