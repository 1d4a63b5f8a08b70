"""Callbacks during fit: sknnscratch's EpochCallback on every scikit-learn,
and scikit-learn's own callbacks (sklearn.callback, scikit-learn >= 1.9)."""

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor, load, save
from sknnscratch.callbacks import EpochCallback

try:
    from sklearn import callback
except ImportError:  # scikit-learn < 1.9
    callback = None

#: All but the last test need scikit-learn's callbacks; the last checks the
#: package without them, and runs for real on scikit-learn < 1.9.
needs_callbacks = pytest.mark.skipif(
    callback is None, reason="sklearn.callback needs scikit-learn >= 1.9"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500] / 16.0, y[:500]


def quiet_fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


class StopAfter:
    """A plain callback that asks to stop after ``n`` epochs."""

    def __init__(self, n):
        self.n = n
        self.ends = 0

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "epoch":
            return False
        self.ends += 1
        return self.ends >= self.n

    def teardown(self, estimator, context):
        pass


@needs_callbacks
def test_progress_bar_one_step_per_epoch(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    model = ScratchMLPClassifier(max_iter=6, random_state=0)
    model.set_callbacks(callback.ProgressBar())
    quiet_fit(model, X, y)
    out = capsys.readouterr().out
    print(out)
    assert "ScratchMLPClassifier - fit" in out and "100%" in out
    assert model.n_iter_ == 6


@needs_callbacks
@pytest.mark.parametrize(
    ("estimator", "scoring", "target"),
    [
        (ScratchMLPClassifier(max_iter=5, random_state=0), "accuracy", "labels"),
        (ScratchMLPRegressor(max_iter=5, random_state=0), "r2", "numbers"),
        (
            ScratchMLPRegressor(solver="lbfgs", max_iter=5, random_state=0),
            "r2",
            "numbers",
        ),
    ],
    ids=["classifier", "regressor", "regressor-lbfgs"],
)
def test_scoring_monitor_scores_every_epoch(digits, estimator, scoring, target):
    X, y = digits
    if target == "numbers":
        y = y.astype(float)
    monitor = callback.ScoringMonitor(scoring=[scoring])
    model = quiet_fit(estimator.set_callbacks(monitor), X, y)
    logs = monitor.get_logs().data_as_pandas
    epochs = logs[logs["task_name"] == "epoch"]
    assert len(epochs) == model.n_iter_ == len(model.history_["loss"])
    # Each epoch's row scores the model as it was then: the last one is the
    # fitted model, and the scores differ from epoch to epoch.
    assert epochs[scoring].iloc[-1] == pytest.approx(model.score(X, y))
    assert epochs[scoring].nunique() == len(epochs)


@needs_callbacks
def test_partial_fit_reports_one_epoch_per_call(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring=["accuracy"])
    model = ScratchMLPClassifier(random_state=0).set_callbacks(monitor)
    for start in (0, 250):
        model.partial_fit(
            X[start : start + 250], y[start : start + 250], classes=range(10)
        )
    runs = monitor.get_logs(select="all")
    assert len(runs) == 2
    for run in runs:
        names = run.data_as_pandas["task_name"].tolist()
        assert names.count("epoch") == 1 and names[0] == "partial_fit"


@needs_callbacks
def test_a_callback_can_stop_training(digits):
    X, y = digits
    stopper = StopAfter(3)
    model = quiet_fit(
        ScratchMLPClassifier(max_iter=50, random_state=0).set_callbacks(stopper), X, y
    )
    assert model.n_iter_ == 3 and len(model.history_["epoch"]) == 3
    lbfgs = quiet_fit(
        ScratchMLPClassifier(solver="lbfgs", max_iter=50).set_callbacks(StopAfter(4)),
        X,
        y,
    )
    assert lbfgs.n_iter_ == 4


@needs_callbacks
def test_progress_bar_on_a_grid_search(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    search = GridSearchCV(
        ScratchMLPClassifier(max_iter=3, random_state=0), {"alpha": [1e-4, 1e-2]}, cv=2
    )
    search.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out and "ScratchMLPClassifier - fit" in out


@needs_callbacks
def test_saved_model_leaves_its_callbacks_behind(digits, tmp_path):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring=["accuracy"])
    model = quiet_fit(
        ScratchMLPClassifier(max_iter=2, random_state=0).set_callbacks(monitor), X, y
    )
    save(model, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert not hasattr(loaded, "_skl_callbacks")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_callbacks
def test_an_error_mid_fit_still_tears_the_progress_bar_down():
    # The progress bar's drawing thread stops in the callbacks' teardown; if
    # restoring the model after an error lost the callback bookkeeping, the
    # process would never exit (the timeout would fire).
    pytest.importorskip("rich")
    result = run_python(
        """
        import numpy as np
        from sklearn.callback import ProgressBar
        from sknnscratch import ScratchMLPClassifier
        from sknnscratch.callbacks import EpochCallback

        class Fail(EpochCallback):
            def on_epoch_end(self, estimator, record):
                raise RuntimeError("boom in epoch %d" % record["epoch"])

        X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0] > 0
        model = ScratchMLPClassifier(max_iter=5)
        model.set_callbacks(ProgressBar(), Fail())
        try:
            model.fit(X, y)
        except RuntimeError as error:
            print("raised:", error, "| fitted:", hasattr(model, "coefs_"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "raised: boom in epoch 1 | fitted: False" in result.stdout


def test_works_without_sklearn_callback():
    # scikit-learn < 1.9 has no sklearn.callback: the package still imports
    # and fits, and set_callbacks says what is missing.
    result = run_python(
        """
        import sys
        # scikit-learn 1.9 imports sklearn.callback itself: load the parts
        # sknnscratch uses first, then hide the module from sknnscratch.
        import sklearn.model_selection, sklearn.preprocessing  # noqa: E401
        sys.modules["sklearn.callback"] = None
        import numpy as np
        from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
        from sknnscratch.callbacks import HAS_SKLEARN_CALLBACKS, EpochCallback

        class Count(EpochCallback):
            epochs = 0

            def on_epoch_end(self, estimator, record):
                self.epochs += 1
                return self.epochs == 4  # stops training there

        X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0] > 0
        model = ScratchMLPClassifier(max_iter=300, random_state=0).fit(X, y)
        ScratchMLPRegressor(max_iter=5).fit(X, X[:, 0])
        print("callbacks:", HAS_SKLEARN_CALLBACKS, "| accuracy:", model.score(X, y))
        count = Count()
        model.set_callbacks(count).fit(X, y)
        print("epoch callback:", count.epochs, model.n_iter_)
        try:
            model.set_callbacks(object())
        except TypeError as error:
            print("set_callbacks:", error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "callbacks: False | accuracy:" in result.stdout
    # Our EpochCallback works without scikit-learn's callbacks too.
    assert "epoch callback: 4 4" in result.stdout
    assert "only sknnscratch.callbacks.EpochCallback instances" in result.stdout


class Records(EpochCallback):
    """Keeps every record; asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.records = []
        self.stop_after = stop_after

    def on_epoch_end(self, estimator, record):
        self.records.append(dict(record))
        return len(self.records) == self.stop_after


@pytest.mark.parametrize(
    ("model", "metric"),
    [
        (ScratchMLPClassifier(max_iter=6, random_state=0), "accuracy"),
        (ScratchMLPClassifier(solver="lbfgs", max_iter=6, random_state=0), "accuracy"),
        (ScratchMLPRegressor(max_iter=6, random_state=0), "r2"),
    ],
)
def test_epoch_callback_sees_every_history_record(digits, model, metric):
    X, y = digits
    callback = Records()
    quiet_fit(model.set_callbacks(callback), X, y)
    assert len(callback.records) == model.n_iter_ == 6
    for key in ("epoch", "loss", metric, "val_loss", f"val_{metric}", "seconds"):
        assert [r[key] for r in callback.records] == model.history_[key]


def test_epoch_callback_stops_training_and_is_not_kept(digits, tmp_path):
    X, y = digits
    callback = Records(stop_after=3)
    model = ScratchMLPClassifier(max_iter=50, random_state=0).set_callbacks(callback)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop, not a budget
        model.fit(X, y)
    assert model.n_iter_ == 3 and len(callback.records) == 3
    # Live objects: neither a pickle nor a model file keeps them.
    assert "_skl_callbacks" not in pickle.loads(pickle.dumps(model)).__dict__
    save(model, tmp_path / "model.safetensors")
    assert not hasattr(load(tmp_path / "model.safetensors"), "_skl_callbacks")
    # set_callbacks() removes them: the next fit runs to its budget.
    model.set_callbacks()
    quiet_fit(model.set_params(max_iter=5), X, y)
    assert model.n_iter_ == 5 and len(callback.records) == 3


def test_partial_fit_calls_the_epoch_callback_once_per_call(digits):
    X, y = digits
    callback = Records()
    model = ScratchMLPClassifier(random_state=0).set_callbacks(callback)
    for _ in range(3):
        model.partial_fit(X, y, classes=np.arange(10))
    assert [r["epoch"] for r in callback.records] == [1, 2, 3]


def test_set_callbacks_refuses_a_class_or_a_plain_object():
    with pytest.raises(TypeError):
        ScratchMLPClassifier().set_callbacks(Records)
    with pytest.raises(TypeError):
        ScratchMLPClassifier().set_callbacks(object())
