"""What the plots share: the figure they draw on, argument checks, colours."""

import math
from numbers import Integral

from matplotlib.figure import Figure

from ..datasets._mnist_format import IMAGE_SHAPE

__all__ = [
    "TRAIN_COLOR",
    "VAL_COLOR",
    "check_class_names",
    "check_classifier",
    "check_image_shape",
    "figure_or_new",
    "grid_shape",
]

# Training and validation keep their colours across the plots.
TRAIN_COLOR = "tab:blue"
VAL_COLOR = "tab:orange"


def figure_or_new(fig, figsize):
    """The figure to draw on: ``fig`` if given, else a new constrained one."""
    if fig is None:
        # Constrained layout keeps titles, labels and colorbars from
        # overlapping whatever the number of panels.
        return Figure(figsize=figsize, layout="constrained")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}.")
    return fig


def check_image_shape(image_shape, n_features, what):
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
            "features. Pass the image_shape of your data, e.g. "
            f"{IMAGE_SHAPE} for MNIST or (8, 8) for sklearn's load_digits."
        )
    return shape


def grid_shape(n):
    """Rows and columns of a near-square grid holding ``n`` panels."""
    n_cols = math.ceil(math.sqrt(n))
    return math.ceil(n / n_cols), n_cols


def check_classifier(estimator, what):
    """Refuse, clearly, a fitted estimator that has no classes to plot."""
    if not hasattr(estimator, "classes_"):
        raise TypeError(
            f"{what} draws a classifier's predictions, but "
            f"{type(estimator).__name__} has no classes_ (is it a regressor?). "
            "plot_learning_curves, plot_first_layer_weights, "
            "plot_weight_distributions and plot_network_diagram draw regressors."
        )


def check_class_names(estimator, class_names):
    """The name of each of ``estimator.classes_``, as a list of str.

    ``class_names`` names the classes in the order of ``classes_``; None
    names each class by its label.

    Raises
    ------
    ValueError
        If ``class_names`` does not hold one name per class.
    """
    classes = estimator.classes_
    if class_names is None:
        return [str(label) for label in classes]
    if isinstance(class_names, str):  # a str is a sequence too
        class_names = [class_names]
    names = [str(name) for name in class_names]
    if len(names) != len(classes):
        raise ValueError(
            f"class_names must hold one name per class, in the order of "
            f"classes_ ({len(classes)} classes), got {len(names)} names."
        )
    return names
