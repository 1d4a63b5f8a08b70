"""Tests of sknnscratch.plotting: each plot draws, saves and rejects bad input."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch.datasets import make_spiral
from sknnscratch.plotting import (
    REPORT_PLOTS,
    animate_decision_boundary,
    plot_confusion_matrix,
    plot_first_layer_weights,
    plot_learning_curves,
    plot_most_confident_errors,
    plot_network_diagram,
    plot_weight_distributions,
    save_report_plots,
)

# The plots draw on matplotlib Figure objects, never pyplot, so no backend
# needs choosing here.  A few epochs are all these tests need.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Saving to PNG is checked once per plot, in test_save_report_plots, and
# separately only for figures the report does not make (rendering is what
# takes the time here).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIGIT_SHAPE = (8, 8)


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1024


def save(fig, path):
    fig.savefig(path, dpi=100, bbox_inches="tight")
    assert_png(path)


def texts_of(fig):
    """Every string drawn on the figure (titles, labels, texts, legends)."""
    return " ".join(t.get_text() for t in fig.findobj(Text))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def clf(digits):
    X, y = digits
    return ScratchMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=5, random_state=0
    ).fit(X, y)


@pytest.fixture(scope="module")
def clf_val(digits):
    X, y = digits
    return ScratchMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=5, random_state=0, early_stopping=True
    ).fit(X, y)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=100, n_features=4, noise=1.0, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def reg_val(regression):
    X, y = regression
    return ScratchMLPRegressor(
        hidden_layer_sizes=(16,), max_iter=5, random_state=0, early_stopping=True
    ).fit(X, y)


@pytest.fixture(scope="module")
def spiral():
    return make_spiral(n_samples=120, n_classes=3, random_state=0)


# --- learning curves ------------------------------------------------------------


def test_learning_curves_with_validation(clf_val):
    fig = plot_learning_curves(clf_val)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    for ax in (loss_ax, acc_ax):
        labels = [line.get_label() for line in ax.get_lines()]
        assert "validation" in labels
        assert any(label.startswith("training") for label in labels)
        assert ax.get_xlabel() == "epoch"
    train_loss = loss_ax.get_lines()[0]
    np.testing.assert_allclose(train_loss.get_ydata(), clf_val.history_["loss"])


def test_learning_curves_skip_none_values(clf, tmp_path):
    # Without early stopping the validation entries are all None.
    assert all(v is None for v in clf.history_["val_loss"])
    fig = plot_learning_curves(clf.history_)
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["training (running)"]
    assert "no validation split" in texts_of(fig)
    save(fig, tmp_path / "curves.png")

    # A history with gaps plots only the recorded epochs.
    history = {
        "epoch": [1, 2, 3],
        "loss": [1.0, 0.5, 0.4],
        "accuracy": [None, None, None],
        "val_loss": [None, 0.6, 0.5],
        "val_accuracy": [None, 0.7, 0.8],
        "seconds": [0.1, 0.1, 0.1],
    }
    fig = plot_learning_curves(history)
    loss_ax, acc_ax = fig.axes
    val_line = [ln for ln in loss_ax.get_lines() if ln.get_label() == "validation"]
    assert list(val_line[0].get_xdata()) == [2, 3]


def test_learning_curves_lbfgs_has_iterations_and_no_accuracy(digits):
    X, y = digits
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0
    ).fit(X, y)
    loss_ax, acc_ax = plot_learning_curves(model).axes
    assert loss_ax.get_xlabel() == "iteration"
    assert [line.get_label() for line in loss_ax.get_lines()] == ["training"]
    assert not acc_ax.get_lines()
    assert "no accuracy recorded" in " ".join(t.get_text() for t in acc_ax.texts)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_learning_curves_of_a_regressor_show_r2(reg_val, tmp_path):
    history = reg_val.history_
    assert all(v is not None for v in history["val_r2"])
    for source in (reg_val, history):  # the estimator, or its history_ dict
        fig = plot_learning_curves(source)
        loss_ax, score_ax = fig.axes
        assert score_ax.get_title() == "R² per epoch"
        assert score_ax.get_ylabel() == "R²"
        lines = lines_by_label(score_ax)
        np.testing.assert_array_equal(
            lines["training (running)"].get_xdata(), history["epoch"]
        )
        np.testing.assert_allclose(
            lines["training (running)"].get_ydata(), history["r2"]
        )
        np.testing.assert_allclose(lines["validation"].get_ydata(), history["val_r2"])
        np.testing.assert_allclose(
            lines_by_label(loss_ax)["validation"].get_ydata(), history["val_loss"]
        )
        # The best epoch is the one of highest validation R², in both panels.
        best = history["epoch"][int(np.argmax(history["val_r2"]))]
        label = f"best validation R² (epoch {best})"
        for ax in (loss_ax, score_ax):
            assert list(lines_by_label(ax)[label].get_xdata()) == [best, best]
        title = fig.get_suptitle()
        assert f"best validation R² {max(history['val_r2']):.4g}" in title
        assert "accuracy" not in texts_of(fig)
    save(fig, tmp_path / "regressor_curves.png")


def test_learning_curves_of_a_regressor_without_score(regression):
    X, y = regression
    model = ScratchMLPRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0
    ).fit(X, y)
    _, score_ax = plot_learning_curves(model).axes
    assert score_ax.get_title() == "R² per iteration"
    assert not score_ax.get_lines()
    assert "no R² recorded" in " ".join(t.get_text() for t in score_ax.texts)


def test_learning_curves_mark_lowest_validation_loss_when_it_stops_early(digits):
    # With early_stopping_metric='loss' the weights kept are those of the
    # lowest validation loss, so that is the epoch the dotted line marks.
    X, y = digits
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(16,),
        max_iter=5,
        random_state=0,
        early_stopping=True,
        early_stopping_metric="loss",
    ).fit(X, y)
    best = model.history_["epoch"][int(np.argmin(model.history_["val_loss"]))]
    for ax in plot_learning_curves(model).axes:
        line = lines_by_label(ax)[f"lowest validation loss (epoch {best})"]
        assert list(line.get_xdata()) == [best, best]


def test_learning_curves_draw_into_given_figure(clf):
    fig = Figure()
    assert plot_learning_curves(clf, fig=fig) is fig
    assert len(fig.axes) == 2


def test_learning_curves_bad_input():
    with pytest.raises(NotFittedError, match="fit it"):
        plot_learning_curves(ScratchMLPClassifier())
    with pytest.raises(ValueError, match="empty"):
        plot_learning_curves({"epoch": [], "loss": []})
    with pytest.raises(ValueError, match="'loss'"):
        plot_learning_curves({"epoch": [1]})
    with pytest.raises(ValueError, match="differ in length"):
        plot_learning_curves({"epoch": [1, 2], "loss": [0.5]})


# --- confusion matrix -----------------------------------------------------------


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


# --- weights --------------------------------------------------------------------


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


# --- network diagram -----------------------------------------------------------


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


# --- errors -------------------------------------------------------------------


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


# --- decision boundary animation ---------------------------------------------------


def test_animate_decision_boundary(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    params = model.get_params()
    path = animate_decision_boundary(
        model, X, y, tmp_path / "sub" / "movie.gif", n_frames=4, resolution=30
    )
    assert path == tmp_path / "sub" / "movie.gif"
    assert path.read_bytes()[:6] == b"GIF89a"
    with Image.open(path) as image:
        assert image.n_frames == 4
    # The estimator passed in is neither fitted nor reconfigured.
    assert not hasattr(model, "coefs_")
    assert model.get_params() == params


def test_animate_leaves_fitted_estimator_unchanged(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0
    ).fit(X, y)
    coefs = [c.copy() for c in model.coefs_]
    history = {k: list(v) for k, v in model.history_.items()}
    # early_stopping is switched off on the clone (partial_fit refuses it).
    path = animate_decision_boundary(
        model, X, y, tmp_path / "movie.gif", n_frames=2, epochs_per_frame=2
    )
    with Image.open(path) as image:
        assert image.n_frames == 2
    for before, after in zip(coefs, model.coefs_):
        np.testing.assert_array_equal(before, after)
    assert model.history_ == history
    assert model.early_stopping is True


def test_animate_bad_input(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(hidden_layer_sizes=(4,))
    path = tmp_path / "movie.gif"
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        animate_decision_boundary(model, np.c_[X, X[:, 0]], y, path)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        animate_decision_boundary(model, X[:, 0], y, path)
    with pytest.raises(ValueError, match="one label per row"):
        animate_decision_boundary(model, X, y[:-1], path)
    with pytest.raises(ValueError, match=".gif"):
        animate_decision_boundary(model, X, y, tmp_path / "movie.png")
    with pytest.raises(ValueError, match="n_frames"):
        animate_decision_boundary(model, X, y, path, n_frames=0)
    with pytest.raises(ValueError, match="partial_fit"):
        animate_decision_boundary(
            ScratchMLPClassifier(solver="lbfgs"), X, y, path, n_frames=1
        )
    # The estimator's own error comes through, and no GIF is left behind.
    with pytest.raises(ValueError, match="Unknown label type"):
        animate_decision_boundary(model, X, np.linspace(0, 1, len(y)), path, n_frames=2)
    assert not path.exists()


# --- report -------------------------------------------------------------------


def test_save_report_plots(clf_val, digits, tmp_path):
    X, y = digits
    folder = tmp_path / "report" / "nested"
    paths = save_report_plots(clf_val, X, y, folder, image_shape=DIGIT_SHAPE)
    assert list(paths) == list(REPORT_PLOTS)
    for name, path in paths.items():
        assert path == folder / f"{name}.png"
        assert_png(path)


def test_save_report_plots_skips_image_plots_for_non_images(
    clf, digits, tmp_path, monkeypatch
):
    # Which files are written is all this test checks; test_save_report_plots
    # checks real PNGs, so rendering (the slow part) is skipped here.
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: path.write_bytes(b"stub")
    )
    X, y = digits
    paths = save_report_plots(clf, X, y, tmp_path)  # 784 pixels != 64 features
    assert set(paths) == set(REPORT_PLOTS) - {
        "first_layer_weights",
        "confident_errors",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.png" for name in paths
    )


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


def test_save_report_plots_of_a_regressor_skips_classifier_plots(
    reg_val, regression, tmp_path, monkeypatch
):
    # As in test_save_report_plots_skips_image_plots_for_non_images, only
    # which files are written is checked, so rendering is skipped.
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: path.write_bytes(b"stub")
    )
    X, y = regression
    paths = save_report_plots(reg_val, X, y, tmp_path, image_shape=(2, 2))
    assert list(paths) == [
        "learning_curves",
        "first_layer_weights",
        "weight_distributions",
        "network_diagram",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.png" for name in paths
    )


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
