"""sknnscratch.plotting._weights: first-layer weights as images, and the
histogram of each layer's weights.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError

from sknnscratch import ScratchMLPClassifier
from sknnscratch.plotting import plot_first_layer_weights, plot_weight_distributions

from ._support import DIGIT_SHAPE, texts_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_first_layer_weights(clf):
    fig = plot_first_layer_weights(clf, image_shape=DIGIT_SHAPE)
    assert isinstance(fig, Figure)
    assert "first 16 of 16 hidden units" in texts_of(fig)

    fig = plot_first_layer_weights(clf, image_shape=DIGIT_SHAPE, n_units=5)
    assert "first 5 of 16" in texts_of(fig)


def test_first_layer_weights_symmetric_scale(clf):
    fig = plot_first_layer_weights(clf, image_shape=DIGIT_SHAPE)
    colorbar_ax = fig.axes[-1]
    low, high = colorbar_ax.get_ylim()
    assert low == pytest.approx(-high)
    assert high == pytest.approx(np.abs(clf.coefs_[0]).max())


def test_first_layer_weights_bad_input(clf):
    with pytest.raises(ValueError, match=r"image_shape=\(28, 28\) has 784 pixels"):
        plot_first_layer_weights(clf)
    with pytest.raises(ValueError, match="two positive integers"):
        plot_first_layer_weights(clf, image_shape=(64,))
    with pytest.raises(ValueError, match="n_units"):
        plot_first_layer_weights(clf, image_shape=DIGIT_SHAPE, n_units=0)
    with pytest.raises(NotFittedError):
        plot_first_layer_weights(ScratchMLPClassifier(), image_shape=DIGIT_SHAPE)


def test_weight_distributions(digits):
    X, y = digits
    deep = ScratchMLPClassifier(
        hidden_layer_sizes=(16, 8), max_iter=2, random_state=0
    ).fit(X, y)
    fig = plot_weight_distributions(deep)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(panels) == len(deep.coefs_) == 3
    for ax, coef in zip(panels, deep.coefs_):
        assert f"{coef.shape[0]} → {coef.shape[1]}" in ax.get_title()
        assert f"std {coef.std():.3g}" in ax.get_title()
