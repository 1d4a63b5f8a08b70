"""The learnt weights: first-layer units as images, histograms per layer."""

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator
from sklearn.utils.validation import check_is_fitted

from .._utils import check_positive_int
from ..datasets._mnist_format import IMAGE_SHAPE
from ._figures import TRAIN_COLOR, check_image_shape, figure_or_new, grid_shape

__all__ = ["plot_first_layer_weights", "plot_weight_distributions"]

# The frame around each tile of the first-layer mosaic.
_FRAME_GREY = (0.55, 0.55, 0.55, 1.0)


def plot_first_layer_weights(
    estimator, *, image_shape=IMAGE_SHAPE, n_units=64, fig=None
):
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
    n_units = check_positive_int(n_units, "n_units")
    weights = np.asarray(estimator.coefs_[0])
    shape = check_image_shape(image_shape, weights.shape[0], "plot_first_layer_weights")
    n_shown = min(n_units, weights.shape[1])
    shown = weights[:, :n_shown]
    # One symmetric scale shared by all tiles: white means exactly 0, and
    # units can be compared (a near-white unit has learnt little).
    limit = float(np.abs(shown).max()) or 1.0
    n_rows, n_cols = grid_shape(n_shown)
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
    fig = figure_or_new(fig, (1.0 * n_cols + 1.6, 1.0 * n_rows + 1.0))
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
    fig = figure_or_new(fig, (4.2 * n_cols, 3.3 * n_rows + 0.5))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= len(coefs):
            ax.set_axis_off()
            continue
        weights = np.asarray(coefs[i]).ravel()
        n_in, n_out = coefs[i].shape
        role = "output layer" if i == len(coefs) - 1 else f"hidden layer {i + 1}"
        # One filled outline instead of 60 bar patches: same look, faster.
        ax.hist(weights, bins=60, histtype="stepfilled", color=TRAIN_COLOR, alpha=0.85)
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


def _unit_range(first, last):
    """'unit 3', 'units 0–7': the units a row of tiles holds."""
    return f"unit {first}" if first == last else f"units {first}–{last}"
