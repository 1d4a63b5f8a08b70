"""sknnscratch.plotting._network: the network diagram."""

import pytest
from matplotlib.figure import Figure

from sknnscratch import ScratchMLPClassifier
from sknnscratch.plotting import plot_network_diagram

from ._support import texts_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_network_diagram(clf):
    fig = plot_network_diagram(clf)
    assert isinstance(fig, Figure)
    text = texts_of(fig)
    for expected in ("64 features", "16 units", "relu", "10 units", "softmax"):
        assert expected in text
    assert "64 → 16 → 10" in text


def test_network_diagram_ellipsis_and_per_layer_activations(digits):
    X, y = digits
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(6, 3), activation=["tanh", "logistic"], max_iter=1
    ).fit(X, y)
    fig = plot_network_diagram(model, max_units_drawn=4)
    ax = fig.axes[0]
    # A layer larger than 4 gets 3 circles and the ellipsis in its 4 slots:
    # 64 inputs, 6 and 3 hidden units, 10 outputs.
    assert len(ax.patches) == 3 + 3 + 3 + 3
    assert len([ln for ln in ax.get_lines() if ln.get_marker() == "o"]) == 3
    text = texts_of(fig)
    assert "tanh" in text and "logistic" in text and "softmax" in text
    assert "6 units" in text  # the true count of the elided layer


def test_network_diagram_bad_input(clf):
    with pytest.raises(ValueError, match="max_units_drawn"):
        plot_network_diagram(clf, max_units_drawn=1)


def test_network_diagram_names_the_output_units(clf):
    names = [f"class {digit}" for digit in range(10)]
    text = texts_of(plot_network_diagram(clf, class_names=names, max_units_drawn=20))
    assert all(name in text for name in names)
    with pytest.raises(ValueError, match="one name per class"):
        plot_network_diagram(clf, class_names=names[:3])
