"""The network diagram: layers as columns of units joined by their weights."""

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from sklearn.utils.validation import check_is_fitted

from .._utils import check_positive_int
from ._figures import check_class_names, figure_or_new

__all__ = ["plot_network_diagram"]


def plot_network_diagram(estimator, *, max_units_drawn=12, class_names=None, fig=None):
    """Draw the network as columns of units joined by their weights.

    Parameters
    ----------
    estimator : fitted MLP
    max_units_drawn : int, default=12
        Most units drawn per layer; a larger layer shows its first and last
        units around an ellipsis, and its label gives the true count.
    class_names : sequence of str, default=None
        The name of each class, in the order of ``estimator.classes_``, to
        label a classifier's output units with; None labels them with the
        classes themselves.
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
        ellipsis), or ``class_names`` does not hold one name per class.
    """
    check_is_fitted(estimator)
    classes = None
    if hasattr(estimator, "classes_"):
        classes = check_class_names(estimator, class_names)
    max_units = check_positive_int(max_units_drawn, "max_units_drawn", minimum=2)
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
    fig = figure_or_new(fig, (2.4 * len(sizes) + 1.5, 0.42 * n_slots + 2.4))
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
    unit_names = {}
    if classes is not None and len(classes) == sizes[-1]:
        unit_names = {u: classes[u] for u in out_column}
    elif classes is not None and sizes[-1] == 1 and len(classes) == 2:
        unit_names = {0: f"P({classes[1]})"}
    for unit, text in unit_names.items():
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
