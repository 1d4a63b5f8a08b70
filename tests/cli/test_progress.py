"""The progress displays on their own: EpochCallbacks attached for one fit."""

import warnings

import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier
from sknnscratch.callbacks import EpochCallback
from sknnscratch.cli import _progress


def record(epoch, *, accuracy=0.5, val_loss=None, val_accuracy=None):
    """An entry of ``history_`` as the estimators write it."""
    return {
        "epoch": epoch,
        "loss": 1.23456,
        "accuracy": accuracy,
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
        "seconds": 0.25,
    }


def iris_fit(model):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def test_epoch_lines_print_one_line_per_epoch(capsys):
    lines = _progress.EpochLines()
    model = ScratchMLPClassifier(max_iter=12)
    assert isinstance(lines, EpochCallback)
    assert not lines.on_epoch_end(model, record(3))
    assert not lines.on_epoch_end(
        model, record(12, accuracy=0.9, val_loss=0.5, val_accuracy=0.875)
    )
    assert not lines.on_epoch_end(model, record(1, accuracy=None))
    assert capsys.readouterr().out.splitlines() == [
        "epoch  3/12  loss 1.2346  train acc 50.00%  (0.2 s)",
        "epoch 12/12  loss 1.2346  train acc 90.00%  val loss 0.5000  "
        "val acc 87.50%  (0.2 s)",
        "epoch  1/12  loss 1.2346  (0.2 s)",
    ]


def test_epoch_bar_counts_epochs_and_shows_the_scores(capsys):
    bar = _progress.EpochBar(5, "MLP", disable=False)
    model = ScratchMLPClassifier()
    assert not bar.on_epoch_end(model, record(1))
    assert not bar.on_epoch_end(model, record(2, val_loss=0.4, val_accuracy=0.75))
    assert bar.bar.n == 2 and bar.bar.total == 5
    assert bar.bar.postfix == "loss=1.2346, train_acc=50.00%, val_acc=75.00%"
    bar.close()
    assert "2/5" in capsys.readouterr().err


def test_a_disabled_bar_shows_nothing(capsys):
    bar = _progress.EpochBar(3, "MLP", disable=True)
    assert not bar.on_epoch_end(ScratchMLPClassifier(), record(1))
    bar.close()
    assert capsys.readouterr().err == ""


def test_epoch_lines_follow_a_real_fit(capsys):
    model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=3, random_state=0)
    with _progress.callbacks_attached(model, _progress.EpochLines()):
        iris_fit(model)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    assert [float(line.split()[3]) for line in lines] == pytest.approx(
        model.loss_curve_, abs=5e-5
    )


class Fails(EpochCallback):
    def on_epoch_end(self, estimator, record):
        raise RuntimeError("display broke")


def test_callbacks_are_detached_after_the_fit_whatever_happens():
    model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0)
    with _progress.callbacks_attached(model, _progress.EpochLines()):
        assert model._skl_callbacks
    assert "_skl_callbacks" not in model.__dict__
    with pytest.raises(RuntimeError, match="display broke"):
        with _progress.callbacks_attached(model, Fails()):
            iris_fit(model)
    assert "_skl_callbacks" not in model.__dict__


def test_epoch_bar_context_attaches_a_bar_over_max_iter(monkeypatch, capsys):
    # Shown as on a terminal: a disabled tqdm bar does not count.
    monkeypatch.setattr(_progress, "progress_disabled", lambda quiet: False)
    model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=2, random_state=0)
    with _progress.epoch_bar(model, "MLP", quiet=False) as bar:
        assert model._skl_callbacks == [bar]
        iris_fit(model)
    assert bar.bar.n == 2 and bar.bar.total == 2
    assert "MLP: 100%" in capsys.readouterr().err
    assert not any("callback" in name for name in model.__dict__)


def test_status_runs_the_block_quietly(capsys):
    with _progress.status("fitting", quiet=True):
        pass
    assert capsys.readouterr().err == ""
