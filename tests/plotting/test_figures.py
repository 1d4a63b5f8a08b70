"""sknnscratch.plotting._figures: what every plot shares.

The figure drawn on, the image shape (MNIST's by default) and the refusal of
a regressor by the plots that need classes.
"""

import inspect

import pytest

from sknnscratch import ScratchMLPRegressor
from sknnscratch.datasets._mnist_format import IMAGE_SHAPE
from sknnscratch.plotting import (
    animate_decision_boundary,
    plot_confusion_matrix,
    plot_first_layer_weights,
    plot_most_confident_errors,
    plot_network_diagram,
    plot_weight_distributions,
    save_report_plots,
)

from ._support import texts_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_classifier_plots_refuse_a_regressor(reg_val, regression, tmp_path):
    X, y = regression
    message = "draws a classifier's predictions, but ScratchMLPRegressor has no"
    with pytest.raises(TypeError, match=message):
        plot_confusion_matrix(reg_val, X, y)
    with pytest.raises(TypeError, match=message):
        plot_most_confident_errors(reg_val, X, y, image_shape=(2, 2))
    with pytest.raises(TypeError, match="ScratchMLPRegressor is a regressor"):
        animate_decision_boundary(
            ScratchMLPRegressor(), X[:, :2], y, tmp_path / "movie.gif"
        )
    assert not (tmp_path / "movie.gif").exists()
    # The plots of the weights draw regressors as they do classifiers.
    assert "4 → 16 → 1" in texts_of(plot_network_diagram(reg_val))
    assert len(plot_weight_distributions(reg_val).axes) == 2
    plot_first_layer_weights(reg_val, image_shape=(2, 2))


def test_fig_must_be_a_matplotlib_figure(clf):
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure, got dict"):
        plot_weight_distributions(clf, fig={})


@pytest.mark.parametrize(
    "plot", [plot_first_layer_weights, plot_most_confident_errors, save_report_plots]
)
def test_image_shape_defaults_to_the_mnist_image_shape(plot):
    # The datasets package states the MNIST shape once; the plots use it.
    default = inspect.signature(plot).parameters["image_shape"].default
    assert default is IMAGE_SHAPE
    assert IMAGE_SHAPE == (28, 28)
