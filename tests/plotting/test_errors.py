"""sknnscratch.plotting._errors: a classifier's confusion matrix and its most
confident errors.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import make_spiral
from sknnscratch.plotting import (
    plot_confusion_matrix,
    plot_most_confident_errors,
    plot_network_diagram,
)

from ._support import DIGIT_SHAPE, save, texts_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_confusion_matrix(clf, digits):
    X, y = digits
    display = plot_confusion_matrix(clf, X, y)
    assert isinstance(display, ConfusionMatrixDisplay)
    assert display.confusion_matrix.sum() == len(y)
    assert f"{clf.score(X, y):.2%}" in display.ax_.get_title()


def test_confusion_matrix_normalized_on_given_axes(clf, digits):
    X, y = digits
    ax = Figure().add_subplot()
    display = plot_confusion_matrix(clf, X, y, normalize="true", ax=ax)
    assert display.ax_ is ax
    np.testing.assert_allclose(display.confusion_matrix.sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        plot_confusion_matrix(clf, X, y, normalize="rows")


def test_most_confident_errors(clf, digits):
    X, y = digits
    fig = plot_most_confident_errors(clf, X, y, image_shape=DIGIT_SHAPE, n_images=9)
    assert isinstance(fig, Figure)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titled) == 9
    probabilities = [float(t.split("(")[1].rstrip(")")) for t in titled]
    assert probabilities == sorted(probabilities, reverse=True)
    true, predicted = titled[0].split(" (")[0].split(" → ")
    assert true != predicted


def test_most_confident_errors_without_errors(clf, digits, tmp_path):
    X, y = digits
    right = clf.predict(X) == y
    fig = plot_most_confident_errors(clf, X[right], y[right], image_shape=DIGIT_SHAPE)
    assert "No misclassified samples" in texts_of(fig)
    save(fig, tmp_path / "none.png")


def test_most_confident_errors_bad_input(clf, digits):
    X, y = digits
    with pytest.raises(ValueError, match="image_shape"):
        plot_most_confident_errors(clf, X, y)
    with pytest.raises(ValueError, match="one label per row"):
        plot_most_confident_errors(clf, X, y[:-1], image_shape=DIGIT_SHAPE)
    with pytest.raises(ValueError, match="n_images"):
        plot_most_confident_errors(clf, X, y, image_shape=DIGIT_SHAPE, n_images=0)


def test_binary_classifier(tmp_path):
    X, y = make_spiral(n_samples=80, n_classes=2, random_state=0)
    labels = np.array(["left", "right"])[y]
    model = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, labels)
    text = texts_of(plot_network_diagram(model))
    assert "P(right)" in text and "logistic" in text
    display = plot_confusion_matrix(model, X, labels)
    assert display.confusion_matrix.shape == (2, 2)
    fig = plot_most_confident_errors(model, X, labels, image_shape=(1, 2))
    save(fig, tmp_path / "errors.png")


# --- class names ------------------------------------------------------------------

#: Names for the ten digits of load_digits, long enough to be slanted.
NAMES = [f"class {digit}" for digit in range(10)]


def test_confusion_matrix_labels_the_classes_by_name(clf, digits):
    X, y = digits
    display = plot_confusion_matrix(clf, X, y, class_names=NAMES)
    ticks = [label.get_text() for label in display.ax_.get_xticklabels()]
    assert ticks == NAMES
    assert [label.get_text() for label in display.ax_.get_yticklabels()] == NAMES
    assert all(label.get_rotation() == 45 for label in display.ax_.get_xticklabels())
    assert display.confusion_matrix.sum() == len(y)


def test_most_confident_errors_titles_name_the_classes(clf, digits, tmp_path):
    X, y = digits
    fig = plot_most_confident_errors(
        clf, X, y, image_shape=DIGIT_SHAPE, n_images=4, class_names=NAMES
    )
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titled) == 4
    for title in titled:
        # Too long for one line: the probability goes on the second.
        pair, probability = title.split("\n")
        true, predicted = pair.split(" → ")
        assert true in NAMES and predicted in NAMES and true != predicted
        assert 0 < float(probability.strip("()")) <= 1
    save(fig, tmp_path / "named.png")


def test_class_names_must_name_every_class(clf, digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"one name per class.*10 classes.*got 9"):
        plot_confusion_matrix(clf, X, y, class_names=NAMES[:9])
    with pytest.raises(ValueError, match="one name per class"):
        plot_most_confident_errors(
            clf, X, y, image_shape=DIGIT_SHAPE, class_names=NAMES[:9]
        )
