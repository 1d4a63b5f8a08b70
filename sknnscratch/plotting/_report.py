"""The standard report: every plot that fits the model, saved as PNG files."""

import math
from pathlib import Path

from sklearn.utils.validation import check_is_fitted

from ..datasets._mnist_format import IMAGE_SHAPE
from ._errors import plot_confusion_matrix, plot_most_confident_errors
from ._figures import check_class_names
from ._learning_curves import plot_learning_curves
from ._network import plot_network_diagram
from ._weights import plot_first_layer_weights, plot_weight_distributions

__all__ = ["REPORT_PLOTS", "save_report_plots"]

#: File stem of each plot written by :func:`save_report_plots`.
REPORT_PLOTS = (
    "learning_curves",
    "confusion_matrix",
    "first_layer_weights",
    "weight_distributions",
    "network_diagram",
    "confident_errors",
)


def save_report_plots(
    estimator, X_test, y_test, folder, *, image_shape=IMAGE_SHAPE, class_names=None
):
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
    class_names : sequence of str, default=None
        The name of each class, in the order of ``estimator.classes_``, for
        the confusion matrix, the confident errors and the network diagram
        (``sknnscratch compare --dataset fashion-mnist`` passes Fashion-MNIST's
        ten names); None shows the labels themselves.  Ignored for a
        regressor.

    Returns
    -------
    paths : dict of str to pathlib.Path
        Plot name (the file stem, e.g. 'learning_curves') to file written,
        in the order of :data:`REPORT_PLOTS`.

    Raises
    ------
    ValueError
        If ``class_names`` does not hold one name per class; nothing is
        written.

    Notes
    -----
    The figures are pyplot-free, so nothing stays open once this returns.
    """
    check_is_fitted(estimator)
    n_features = estimator.coefs_[0].shape[0]
    images = math.prod(tuple(image_shape)) == n_features
    classifier = hasattr(estimator, "classes_")
    if not classifier:
        class_names = None
    elif class_names is not None:
        class_names = check_class_names(estimator, class_names)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    makers = {
        "learning_curves": lambda: plot_learning_curves(estimator),
        "confusion_matrix": lambda: (
            plot_confusion_matrix(
                estimator, X_test, y_test, class_names=class_names
            ).figure_
        ),
        "first_layer_weights": lambda: plot_first_layer_weights(
            estimator, image_shape=image_shape
        ),
        "weight_distributions": lambda: plot_weight_distributions(estimator),
        "network_diagram": lambda: plot_network_diagram(
            estimator, class_names=class_names
        ),
        "confident_errors": lambda: plot_most_confident_errors(
            estimator,
            X_test,
            y_test,
            image_shape=image_shape,
            class_names=class_names,
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
