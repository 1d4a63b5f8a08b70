"""Where a classifier goes wrong: its confusion matrix and its most confident
errors.
"""

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.utils.validation import check_is_fitted

from .._utils import check_positive_int
from ..datasets._mnist_format import IMAGE_SHAPE
from ._figures import (
    check_class_names,
    check_classifier,
    check_image_shape,
    figure_or_new,
    grid_shape,
)

__all__ = ["plot_confusion_matrix", "plot_most_confident_errors"]


#: The title's second line for a normalised matrix, by ``normalize``.
_NORMALIZED_NOTE = {
    "true": "\n(each row: share of a true class, sums to 1)",
    "pred": "\n(each column: share of a predicted class, sums to 1)",
}


def plot_confusion_matrix(
    estimator, X, y, *, normalize=None, class_names=None, ax=None
):
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
    class_names : sequence of str, default=None
        The name of each class, in the order of ``estimator.classes_``, to
        label the axes with (such as ``"T-shirt/top"`` for Fashion-MNIST's
        label 0); None labels them with the classes themselves.  Long names
        are drawn slanted.  With names, the matrix has one row and column per
        entry of ``classes_``.
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
    ValueError
        If ``class_names`` does not hold one name per class.
    """
    check_is_fitted(estimator)
    check_classifier(estimator, "plot_confusion_matrix")
    names = None
    if class_names is not None:
        names = check_class_names(estimator, class_names)
    if ax is None:
        ax = Figure(figsize=(7, 6), layout="constrained").add_subplot()
    n_classes = len(estimator.classes_)
    display = ConfusionMatrixDisplay.from_estimator(
        estimator,
        X,
        y,
        # Named classes: the rows and columns are the estimator's classes,
        # whatever labels y holds, so that the names match them.
        labels=None if names is None else estimator.classes_,
        display_labels=names,
        normalize=normalize,
        ax=ax,
        cmap="Blues",
        colorbar=True,
        # Beyond about 20 classes the numbers no longer fit in their cells.
        include_values=n_classes <= 20,
        values_format=None if normalize is None else ".2f",
    )
    if names is not None and max(map(len, names)) > 3:
        # Long names would overlap side by side under the columns.
        for label in ax.get_xticklabels():
            label.set(rotation=45, ha="right", rotation_mode="anchor")
    matrix = display.confusion_matrix
    title = f"Confusion matrix on {_n_rows(X):,} samples"
    if normalize in (None, "all"):
        # Counts, or fractions of all samples: the diagonal holds the hits,
        # so the accuracy comes free, without predicting again.
        accuracy = np.trace(matrix) / matrix.sum()
        title += f": accuracy {accuracy:.2%}"
    title += _NORMALIZED_NOTE.get(normalize, "")
    ax.set_title(title)
    return display


def plot_most_confident_errors(
    estimator,
    X,
    y,
    *,
    image_shape=IMAGE_SHAPE,
    n_images=16,
    class_names=None,
    fig=None,
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
    class_names : sequence of str, default=None
        The name of each class, in the order of ``estimator.classes_``, for
        the titles; None shows the labels themselves.
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
        match X, y is not one label per row, ``n_images`` is not positive or
        ``class_names`` does not hold one name per class.
    """
    check_is_fitted(estimator)
    check_classifier(estimator, "plot_most_confident_errors")
    n_images = check_positive_int(n_images, "n_images")
    names = dict(
        zip(estimator.classes_.tolist(), check_class_names(estimator, class_names))
    )
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (one image per row), got shape {X.shape}.")
    shape = check_image_shape(image_shape, X.shape[1], "plot_most_confident_errors")
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
        fig = figure_or_new(fig, (6, 2.5))
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

    titles = [f"{names.get(y[row], y[row])} → {names[predicted[row]]}" for row in order]
    # A title too long for its panel goes on two lines, the probability last.
    two_lines = max(map(len, titles)) > 14
    separator = "\n" if two_lines else " "
    n_rows, n_cols = grid_shape(len(order))
    fig = figure_or_new(fig, (1.9 * n_cols, (2.3 if two_lines else 2.0) * n_rows + 0.7))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    # One grey scale for all images so their contrast is comparable.
    low, high = float(X[order].min()), float(X[order].max())
    for ax, row, title in zip(axes, order, titles):
        ax.imshow(
            X[row].reshape(shape),
            cmap="gray_r",
            vmin=low,
            vmax=high,
            interpolation="nearest",
        )
        ax.set_title(
            f"{title}{separator}({confidence[row]:.3f})",
            fontsize=9 if two_lines else 10,
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


def _n_rows(X):
    """The number of samples of ``X``, an array or a list of rows."""
    return X.shape[0] if hasattr(X, "shape") else len(X)
