"""sknnscratch.plotting._learning_curves: loss and score per epoch.

Classifiers (accuracy) and regressors (R²), with and without a validation
split, and the step solvers' epochs as well as L-BFGS's iterations.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch.plotting import plot_learning_curves

from ._support import save, texts_of

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
