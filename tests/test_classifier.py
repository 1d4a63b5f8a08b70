"""ScratchMLPClassifier as a scikit-learn user meets it."""

import pickle
import signal
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknnscratch import ScratchMLPClassifier
from sknnscratch.callbacks import EpochCallback
from sknnscratch.nn import optimizers as optimizers_module


class OnEpochEnd(EpochCallback):
    """An EpochCallback that calls ``function(record)`` after every epoch."""

    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, estimator, record):
        return self.function(record)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def fitted(iris):
    X, y = iris
    return ScratchMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=30, random_state=0
    ).fit(X, y)


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


# --- accuracy -----------------------------------------------------------------


def test_defaults_reach_97_percent_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    clf = quiet_fit(ScratchMLPClassifier(random_state=0), X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    print(f"digits test accuracy with the defaults: {accuracy:.4f}")
    assert accuracy >= 0.97


@pytest.mark.parametrize("solver", ["sgd", "adagrad", "rmsprop", "adam", "lbfgs"])
def test_every_solver_learns_iris(iris, solver):
    X, y = iris
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=0.05 if solver != "lbfgs" else 0.001,
        max_iter=200,
        random_state=0,
    )
    quiet_fit(clf, X, y)
    assert clf.score(X, y) > 0.9


def test_mlpclassifier_parameters_carry_over(digits):
    # Every MLPClassifier parameter except solver means the same here.
    X_train, X_test, y_train, y_test = digits
    shared = {k: v for k, v in MLPClassifier().get_params().items() if k != "solver"}
    ours = ScratchMLPClassifier().get_params()
    for name, value in shared.items():
        assert name in ours, name
        assert ours[name] == value, name
    params = dict(hidden_layer_sizes=(50,), max_iter=40, random_state=0)
    theirs = quiet_fit(MLPClassifier(**params), X_train, y_train)
    mine = quiet_fit(ScratchMLPClassifier(**params), X_train, y_train)
    assert abs(theirs.score(X_test, y_test) - mine.score(X_test, y_test)) < 0.03


# --- scikit-learn integration ------------------------------------------------------


@pytest.mark.slow  # starts worker processes
def test_grid_search_in_a_pipeline_with_two_jobs(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(
            hidden_layer_sizes=(32,),
            learning_rate_init=0.01,
            max_iter=30,
            random_state=0,
        ),
    )
    grid = GridSearchCV(
        pipe,
        {
            "scratchmlpclassifier__alpha": [1e-4, 1e-2],
            "scratchmlpclassifier__dropout": [0.0, 0.2],
            "scratchmlpclassifier__solver": ["adam", "sgd"],
        },
        cv=3,
        n_jobs=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train[:600], y_train[:600])
    assert len(grid.cv_results_["params"]) == 8
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_params_["scratchmlpclassifier__solver"] == "adam"
    assert grid.score(X_test, y_test) > 0.9


def test_cross_val_score(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            ScratchMLPClassifier(max_iter=100, learning_rate_init=0.01, random_state=0),
            X,
            y,
            cv=5,
        )
    assert scores.shape == (5,) and scores.mean() > 0.85


def test_clone_keeps_parameters_and_drops_the_fit(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "coefs_")


def test_joblib_and_pickle_round_trip(fitted, iris, tmp_path):
    X, _ = iris
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    unpickled = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(unpickled.predict_proba(X), fitted.predict_proba(X))


def test_fitted_state_is_plain_data(fitted):
    allowed = (np.ndarray, list, dict, tuple, str, int, float, bool, type(None))
    allowed += (np.integer, np.floating)

    def check(value, where):
        assert isinstance(value, allowed), f"{where} is {type(value)}"
        if isinstance(value, dict):
            for k, v in value.items():
                check(v, f"{where}[{k!r}]")
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                check(v, f"{where}[{i}]")
        elif isinstance(value, np.ndarray):
            assert value.dtype != object or where == "classes_", where

    for name, value in vars(fitted).items():
        check(value, name)


# --- reproducibility --------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"dropout": 0.3, "solver": "sgd"},
        {"early_stopping": True, "dropout": [0.2, 0.1], "hidden_layer_sizes": (8, 8)},
    ],
)
def test_same_random_state_same_weights(iris, params):
    X, y = iris
    a = quiet_fit(ScratchMLPClassifier(max_iter=20, random_state=3, **params), X, y)
    b = quiet_fit(ScratchMLPClassifier(max_iter=20, random_state=3, **params), X, y)
    c = quiet_fit(ScratchMLPClassifier(max_iter=20, random_state=4, **params), X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(wa, wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_global_numpy_random_state_is_never_used(iris):
    X, y = iris
    # This test inspects the legacy global state on purpose.
    np.random.seed(0)  # noqa: NPY002
    _, keys, position, *_ = np.random.get_state()  # noqa: NPY002
    quiet_fit(ScratchMLPClassifier(max_iter=5, dropout=0.2, early_stopping=True), X, y)
    quiet_fit(ScratchMLPClassifier(max_iter=5, random_state=1), X, y)
    _, keys_after, position_after, *_ = np.random.get_state()  # noqa: NPY002
    assert position_after == position
    assert_array_equal(keys_after, keys)


def test_random_state_instance_is_honoured(iris):
    X, y = iris
    a = quiet_fit(
        ScratchMLPClassifier(max_iter=5, random_state=np.random.RandomState(2)), X, y
    )
    b = quiet_fit(
        ScratchMLPClassifier(max_iter=5, random_state=np.random.RandomState(2)), X, y
    )
    assert_array_equal(a.coefs_[0], b.coefs_[0])


# --- inputs and outputs -------------------------------------------------------------


def test_float32_trains_and_predicts_in_float32(iris):
    X, y = iris
    clf = quiet_fit(ScratchMLPClassifier(max_iter=5, random_state=0), X.astype("f4"), y)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    clf64 = quiet_fit(ScratchMLPClassifier(max_iter=5, random_state=0), X, y)
    assert clf64.coefs_[0].dtype == np.float64
    int_clf = quiet_fit(ScratchMLPClassifier(max_iter=5), (X * 10).astype(int), y)
    assert int_clf.coefs_[0].dtype == np.float64


def test_sparse_input_matches_dense(iris):
    X, y = iris
    dense = quiet_fit(ScratchMLPClassifier(max_iter=10, random_state=0), X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = quiet_fit(ScratchMLPClassifier(max_iter=10, random_state=0), fmt(X), y)
        assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X))


def test_dataframe_feature_names(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = quiet_fit(ScratchMLPClassifier(max_iter=5, random_state=0), frame, y)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_string_labels_and_binary(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = quiet_fit(ScratchMLPClassifier(max_iter=50, random_state=0), X, names)
    assert set(clf.predict(X)) <= set(names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    binary = np.where(y == 0, "yes", "no")
    clf = quiet_fit(ScratchMLPClassifier(max_iter=50, random_state=0), X, binary)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = quiet_fit(ScratchMLPClassifier(max_iter=200, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.score(X, Y) > 0.5
    balanced = ScratchMLPClassifier(
        max_iter=20, class_weight="balanced", random_state=0
    )
    assert quiet_fit(balanced, X, Y).predict(X).shape == Y.shape


def test_sample_and_class_weights_shift_predictions(iris):
    X, y = iris
    uniform = quiet_fit(ScratchMLPClassifier(max_iter=60, random_state=0), X, y)
    weighted = ScratchMLPClassifier(
        max_iter=60, random_state=0, class_weight={0: 1.0, 1: 50.0, 2: 1.0}
    )
    quiet_fit(weighted, X, y)
    assert (weighted.predict(X) == 1).sum() > (uniform.predict(X) == 1).sum()
    sw = np.where(y == 1, 50.0, 1.0)
    by_sample = quiet_fit(ScratchMLPClassifier(max_iter=60, random_state=0), X, y, sw)
    assert_allclose(by_sample.predict_proba(X), weighted.predict_proba(X), rtol=1e-6)


def test_history_records_every_epoch(iris):
    X, y = iris
    clf = quiet_fit(
        ScratchMLPClassifier(max_iter=12, early_stopping=True, random_state=0), X, y
    )
    history = clf.history_
    n = clf.n_iter_
    assert set(history) == {
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "seconds",
    }
    assert all(len(values) == n for values in history.values())
    assert history["epoch"] == list(range(1, n + 1))
    assert history["loss"] == clf.loss_curve_
    assert history["val_accuracy"] == clf.validation_scores_
    assert all(0 <= a <= 1 for a in history["accuracy"] + history["val_accuracy"])
    assert all(s > 0 for s in history["seconds"])
    plain = quiet_fit(ScratchMLPClassifier(max_iter=3, random_state=0), X, y)
    assert plain.history_["val_loss"] == [None] * 3


def test_early_stopping_keeps_the_best_validation_weights(digits):
    X_train, _, y_train, _ = digits
    clf = quiet_fit(
        ScratchMLPClassifier(
            early_stopping=True, n_iter_no_change=3, max_iter=100, random_state=0
        ),
        X_train,
        y_train,
    )
    assert clf.n_iter_ < 100
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None


def test_partial_fit_continues_training(iris):
    X, y = iris
    clf = ScratchMLPClassifier(random_state=0, learning_rate_init=0.01)
    for _ in range(30):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.n_iter_ == 30 and len(clf.loss_curve_) == 30
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.85
    # Chunks without every class work once classes are known.
    clf.partial_fit(X[y != 2], y[y != 2])
    assert len(clf.classes_) == 3


def test_partial_fit_equals_fit_epoch_by_epoch(iris):
    X, y = iris
    full = quiet_fit(ScratchMLPClassifier(max_iter=4, random_state=0, tol=0), X, y)
    step = ScratchMLPClassifier(random_state=0)
    for _ in range(4):
        step.partial_fit(X, y, classes=[0, 1, 2])
    assert_allclose(step.coefs_[0], full.coefs_[0])


def test_warm_start_continues_from_the_previous_weights(iris):
    X, y = iris
    clf = ScratchMLPClassifier(max_iter=5, warm_start=True, random_state=0)
    quiet_fit(clf, X, y)
    first = clf.coefs_[0].copy()
    quiet_fit(clf, X, y)
    assert not np.array_equal(first, clf.coefs_[0])
    assert len(clf.history_["epoch"]) == 10
    cold = quiet_fit(ScratchMLPClassifier(max_iter=5, random_state=0), X, y)
    assert_array_equal(first, cold.coefs_[0])


def test_per_layer_activations_and_dropout(iris):
    X, y = iris
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(12, 8, 6),
        activation=["relu", "elu", "leaky_relu"],
        dropout=[0.1, 0.0, 0.2],
        weight_init="he_normal",
        loss="squared_error",
        learning_rate="adaptive",
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    )
    quiet_fit(clf, X, y)
    assert clf.n_layers_ == 5
    assert clf.score(X, y) > 0.85


def test_verbose_prints_each_epoch(iris, capsys):
    X, y = iris
    quiet_fit(ScratchMLPClassifier(max_iter=3, verbose=True, early_stopping=True), X, y)
    out = capsys.readouterr().out
    assert out.count("Iteration") == 3 and "val_accuracy" in out


# --- bad input ----------------------------------------------------------------------


def assert_unchanged(before, estimator, X):
    assert_array_equal(before.predict_proba(X), estimator.predict_proba(X))
    assert before.n_features_in_ == estimator.n_features_in_
    assert before.n_iter_ == estimator.n_iter_
    assert_array_equal(before.classes_, estimator.classes_)


@pytest.mark.parametrize(
    "param, value, allowed",
    [
        ("activation", "swish", "relu"),
        ("solver", "adamw", "rmsprop"),
        ("loss", "hinge", "squared_error"),
        ("weight_init", "orthogonal", "he_normal"),
        ("learning_rate", "exponential", "invscaling"),
    ],
)
def test_unknown_option_names_the_allowed_ones(iris, fitted, param, value, allowed):
    X, y = iris
    clf = clone(fitted)
    before = pickle.loads(pickle.dumps(fitted))
    with pytest.raises(ValueError, match=allowed):
        clf.set_params(**{param: value}).fit(X, y)
    bad = pickle.loads(pickle.dumps(fitted)).set_params(
        warm_start=True, **{param: value}
    )
    with pytest.raises(ValueError, match=param):
        bad.fit(X, y)
    assert_unchanged(before, bad, X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"activation": ["relu", "nope"]}, "Unknown activation 'nope'.*allowed"),
        ({"activation": [["relu"], "relu"]}, r"Unknown activation \['relu'\]"),
        ({"activation": [["relu"]]}, "activation has 1 entries but there are 2"),
        ({"activation": ["relu"] * 3}, "activation has 3 entries but there are 2"),
        ({"dropout": [0.1]}, "dropout has 1 entries"),
        ({"dropout": [0.1, 1.5]}, r"dropout rates must be in \[0, 1\)"),
        ({"solver": "lbfgs", "dropout": 0.2}, "dropout is not supported with"),
        ({"dropout": 1.0}, "dropout"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
    ],
)
def test_bad_layer_parameters(iris, params, match):
    X, y = iris
    clf = ScratchMLPClassifier(**{"hidden_layer_sizes": (4, 4), **params})
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected_and_the_model_kept(iris, fitted, bad):
    X, y = iris
    X_bad = X.copy()
    X_bad[3, 1] = bad
    model = pickle.loads(pickle.dumps(fitted)).set_params(warm_start=True)
    with pytest.raises(ValueError, match="NaN|infinity"):
        model.fit(X_bad, y)
    assert_unchanged(fitted, model, X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        model.predict(X_bad)
    with pytest.raises(ValueError, match="NaN|infinity"):
        model.partial_fit(X_bad, y)
    assert_unchanged(fitted, model, X)


def test_wrong_number_of_features(iris, fitted):
    X, y = iris
    with pytest.raises(ValueError, match="4 features"):
        fitted.predict(X[:, :3])
    model = pickle.loads(pickle.dumps(fitted))
    with pytest.raises(ValueError, match="4 features"):
        model.partial_fit(X[:, :3], y)
    assert_unchanged(fitted, model, X)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_single_class_is_learned_and_always_predicted(iris, solver):
    # scikit-learn's MLPClassifier accepts one class; so do we. Its
    # predict_proba gives two columns for one class; ours the one column.
    X, _ = iris
    y = np.full(len(X), "only")
    clf = ScratchMLPClassifier(solver=solver, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.classes_.tolist() == ["only"]
    assert clf.predict(X[:7]).tolist() == ["only"] * 7
    assert_array_equal(clf.predict_proba(X[:7]), np.ones((7, 1)))
    assert_array_equal(clf.predict_log_proba(X[:7]), np.zeros((7, 1)))
    assert clf.score(X, y) == 1.0


def test_predict_before_fit():
    clf = ScratchMLPClassifier()
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(NotFittedError):
            method(np.zeros((2, 3)))


def test_bad_sample_weight_and_labels(iris, fitted):
    X, y = iris
    model = pickle.loads(pickle.dumps(fitted))
    with pytest.raises(ValueError, match="Negative"):
        model.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero|sums to zero"):
        model.fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="has classes not in `self.classes_`"):
        model.partial_fit(X, np.full(len(y), 7))
    with pytest.raises(ValueError, match="classes must be passed"):
        ScratchMLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="class_weight has classes not in"):
        ScratchMLPClassifier(class_weight={9: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        ScratchMLPClassifier().fit(X, np.linspace(0, 1, len(y)))
    assert_unchanged(fitted, model, X)


def test_partial_fit_is_unavailable_for_lbfgs():
    assert not hasattr(ScratchMLPClassifier(solver="lbfgs"), "partial_fit")


# --- divergence and interrupt ---------------------------------------------------------


def test_divergence_stops_restores_finite_weights_and_says_so(digits):
    X_train, X_test, y_train, _ = digits
    clf = ScratchMLPClassifier(
        solver="sgd",
        learning_rate_init=1e4,
        momentum=0.9,
        max_iter=50,
        random_state=0,
    )
    with pytest.warns(
        ConvergenceWarning, match=r"diverged in epoch \d+.*learning_rate_init"
    ):
        clf.fit(X_train * 100, y_train)
    assert clf.n_iter_ < 50
    assert all(np.isfinite(w).all() for w in clf.coefs_ + clf.intercepts_)
    proba = clf.predict_proba(X_test)
    assert np.isfinite(proba).all()
    assert np.isfinite(clf.loss_curve_).all()


def interrupt_on_step(monkeypatch, step, how):
    """Make the optimizer's ``step``-th update deliver a Ctrl-C."""
    original = optimizers_module.Optimizer.step
    calls = {"n": 0}

    def counting_step(self, params, grads, learning_rate):
        calls["n"] += 1
        if calls["n"] == step:
            if how == "signal":
                signal.raise_signal(signal.SIGINT)  # as a real Ctrl-C does
            else:
                params[:] = np.nan  # half-done update, then the exception
                raise KeyboardInterrupt
        return original(self, params, grads, learning_rate)

    monkeypatch.setattr(optimizers_module.Optimizer, "step", counting_step)
    return calls


@pytest.fixture
def sigint_handler():
    """Install a SIGINT handler for one test; the previous one comes back after.

    The handler pytest starts with is inherited, not chosen by the suite: a
    shell starts ``pytest &`` (a CI step, a script running two suites at
    once) with Ctrl-C ignored, and Python then keeps SIG_IGN.
    """
    previous = signal.getsignal(signal.SIGINT)
    yield lambda handler: signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_stops_at_the_batch_boundary(iris, monkeypatch, sigint_handler):
    X, y = iris
    sigint_handler(signal.default_int_handler)
    calls = interrupt_on_step(monkeypatch, step=7, how="signal")
    clf = ScratchMLPClassifier(batch_size=50, max_iter=100, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user in epoch 3 after 1"):
        clf.fit(X, y)
    assert calls["n"] == 7  # the batch in flight finished, no further one began
    assert clf.n_iter_ == 2
    assert np.isfinite(clf.predict_proba(X)).all()
    # The handler is removed again: Ctrl-C outside fit raises as usual.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def application_handler(heard):
    """A SIGINT handler of an application's own (``asyncio.run``, a server)."""

    def handler(signum, frame):
        # True when the fit had already stopped and put this handler back.
        heard.append(signal.getsignal(signal.SIGINT) is handler)

    return handler


def test_ctrl_c_under_an_application_handler(iris, monkeypatch, sigint_handler):
    # The same clean stop, and the application hears of the Ctrl-C once,
    # after the fit stopped, instead of losing it.
    X, y = iris
    heard = []
    handler = application_handler(heard)
    sigint_handler(handler)
    calls = interrupt_on_step(monkeypatch, step=7, how="signal")
    clf = ScratchMLPClassifier(batch_size=50, max_iter=100, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user in epoch 3 after 1"):
        clf.fit(X, y)
    assert calls["n"] == 7 and clf.n_iter_ == 2
    assert heard == [True]
    assert signal.getsignal(signal.SIGINT) is handler


@pytest.mark.parametrize("installed", ["default", "application"])
def test_ctrl_c_stops_lbfgs_between_iterations(iris, sigint_handler, installed):
    X, y = iris
    heard = []
    handler = (
        signal.default_int_handler
        if installed == "default"
        else application_handler(heard)
    )
    sigint_handler(handler)

    def ctrl_c_in_iteration_3(record):
        if record["epoch"] == 3:
            signal.raise_signal(signal.SIGINT)

    clf = ScratchMLPClassifier(solver="lbfgs", max_iter=100, random_state=0)
    clf.set_callbacks(OnEpochEnd(ctrl_c_in_iteration_3))
    with pytest.warns(UserWarning, match="interrupted by user after 3 L-BFGS"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert heard == ([] if installed == "default" else [True])
    assert signal.getsignal(signal.SIGINT) is handler


@pytest.mark.parametrize("disposition", [signal.SIG_IGN, signal.SIG_DFL])
def test_ignored_or_fatal_ctrl_c_is_left_alone(
    iris, monkeypatch, sigint_handler, disposition
):
    # SIG_IGN: the process was told to ignore Ctrl-C; SIG_DFL: Ctrl-C kills it.
    X, y = iris
    sigint_handler(disposition)
    original = optimizers_module.Optimizer.step
    during_fit = set()

    def step(self, params, grads, learning_rate):
        during_fit.add(signal.getsignal(signal.SIGINT))
        if disposition == signal.SIG_IGN:
            signal.raise_signal(signal.SIGINT)
        return original(self, params, grads, learning_rate)

    monkeypatch.setattr(optimizers_module.Optimizer, "step", step)
    clf = quiet_fit(
        ScratchMLPClassifier(batch_size=50, max_iter=5, random_state=0), X, y
    )
    assert clf.n_iter_ == 5
    assert during_fit == {disposition}
    assert signal.getsignal(signal.SIGINT) is disposition


def test_keyboard_interrupt_mid_update_restores_the_epoch_start(iris, monkeypatch):
    X, y = iris
    interrupt_on_step(monkeypatch, step=5, how="exception")
    clf = ScratchMLPClassifier(batch_size=50, max_iter=100, random_state=0)
    with pytest.warns(UserWarning, match="from the start of the epoch"):
        clf.fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.n_iter_ == 1


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_epoch_hook_sees_every_history_record(iris, solver):
    X, y = iris
    clf = ScratchMLPClassifier(max_iter=4, solver=solver, random_state=0)
    records = []
    clf.set_callbacks(OnEpochEnd(records.append))
    quiet_fit(clf, X, y)
    assert [r["epoch"] for r in records] == clf.history_["epoch"]
    assert [r["loss"] for r in records] == clf.history_["loss"]
    # Callbacks are live objects: they are never pickled.
    assert "_skl_callbacks" not in pickle.loads(pickle.dumps(clf)).__dict__


def test_lbfgs_ignores_early_stopping_like_scikit_learn(iris):
    X, y = iris
    clf = quiet_fit(
        ScratchMLPClassifier(solver="lbfgs", early_stopping=True, max_iter=20),
        X,
        y,
    )
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.history_["val_loss"] == [None] * clf.n_iter_


def test_training_accuracy_is_sample_weighted(iris):
    X, y = iris
    # All the weight on class 0 rows: the running accuracy is theirs alone.
    sw = np.where(y == 0, 1.0, 1e-12)
    clf = quiet_fit(
        ScratchMLPClassifier(max_iter=30, learning_rate_init=0.01, random_state=0),
        X,
        y,
        sw,
    )
    assert clf.history_["accuracy"][-1] == pytest.approx(1.0)


@pytest.mark.parametrize("validation", ["split", "X_val"])
@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_training_targets_take_one_byte_per_entry(target, validation, monkeypatch):
    # The indicator matrix is the largest array a fit allocates after X: it
    # is handed to the engine as uint8 (0/1), not as a float copy, for the
    # training and the validation rows alike.
    import sknnscratch._base as base_module

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    y = {
        "multiclass": y[:300],
        "binary": y[:300] > 4,
        "multilabel": np.stack([y[:300] % 2, y[:300] > 4], axis=1),
    }[target]
    seen = []
    original = base_module.train_minibatch

    def recording(network, optimizer, schedule, data, *args):
        validation = data.validation
        seen.append((data.train.Y.dtype, None if validation is None else validation.Y))
        return original(network, optimizer, schedule, data, *args)

    monkeypatch.setattr(base_module, "train_minibatch", recording)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if validation == "split":
            clf.fit(X, y)
        else:
            clf.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    ((train_dtype, validation_Y),) = seen
    assert train_dtype == np.uint8
    assert validation_Y.dtype == np.uint8
    assert set(np.unique(validation_Y)) <= {0, 1}
    assert np.isfinite(clf.loss_curve_).all()


# --- never silently wrong -------------------------------------------------------------


@pytest.mark.parametrize(
    "encode, found",
    [
        (lambda Y: 2 * Y, r"\[0, 2\]"),
        (lambda Y: 2 * Y - 1, r"\[-1, 1\]"),
    ],
    ids=["zero-two", "minus-plus-one"],
)
def test_multilabel_indicators_must_hold_zeros_and_ones(encode, found):
    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=0)
    message = "multilabel indicator y must hold only 0 and 1.*" + found
    with pytest.raises(ValueError, match=message):
        ScratchMLPClassifier(max_iter=2).fit(X, encode(Y))
    clf = ScratchMLPClassifier(max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y.astype(bool))  # booleans are 0/1
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, encode(Y))
    with pytest.raises(ValueError, match="indicator y_val must hold only 0 and 1"):
        clone(clf).fit(X, Y, X_val=X, y_val=encode(Y))


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({0: -0.5, 1: 1.0}, "class_weight of class 0 must be a finite number of at"),
        ({0: None}, "class_weight of class 0 .* got None"),
        ({1: np.nan}, "class_weight of class 1 .* got nan"),
        ({2: np.inf}, "class_weight of class 2 .* got inf"),
        ({0: "2"}, "class_weight of class 0 .* got '2'"),
        ({0: 0, 1: 0, 2: 0.0}, "every class a weight of 0"),
    ],
    ids=["negative", "none", "nan", "inf", "string", "all-zero"],
)
def test_bad_class_weights_are_refused_naming_the_class(
    iris, fitted, class_weight, match
):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        ScratchMLPClassifier(class_weight=class_weight, max_iter=2).fit(X, y)
    model = pickle.loads(pickle.dumps(fitted)).set_params(class_weight=class_weight)
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X, y)
    assert_unchanged(fitted, model, X)


def test_a_sparse_multilabel_indicator_is_accepted():
    # As scikit-learn's MLPClassifier accepts it; predictions are dense.
    X, Y = make_multilabel_classification(n_samples=40, n_classes=3, random_state=0)
    params = dict(max_iter=5, random_state=0)
    dense = quiet_fit(ScratchMLPClassifier(**params), X, Y)
    sparse = quiet_fit(ScratchMLPClassifier(**params), X, sp.csr_matrix(Y))
    assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    with pytest.raises(ValueError, match=r"must hold only 0 and 1.*\[0, 2\]"):
        ScratchMLPClassifier(**params).fit(X, sp.csr_matrix(2 * Y))


def test_class_weights_that_zero_every_row_are_refused(iris):
    X, y = iris
    clf = ScratchMLPClassifier(class_weight={1: 0}, max_iter=2, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="Every row weighs 0"):
        clf.partial_fit(X[y == 1], y[y == 1])


def test_lbfgs_warns_when_scipy_stops_abnormally():
    # Badly scaled data: scipy's line search fails at once (status 2,
    # ABNORMAL) and the weights are the initial ones. scikit-learn warns.
    X, y = load_digits(return_X_y=True)
    clf = ScratchMLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), random_state=0)
    with pytest.warns(
        ConvergenceWarning, match=r"lbfgs failed to converge.*status=2.*\nABNORMAL"
    ):
        clf.fit(X[:200] * 1000, y[:200])
    assert clf.n_iter_ == 0


def test_lbfgs_stopped_by_the_user_does_not_warn_of_convergence(iris):
    X, y = iris
    clf = ScratchMLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=50)
    clf.set_callbacks(OnEpochEnd(lambda record: record["epoch"] == 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 3


def _diverging_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 4)), rng.integers(0, 3, 60)


def test_divergence_with_weights_that_overflow_raises_as_scikit_learn(iris):
    # One batch per epoch: epoch 1 completes with weights near 1e200 (finite),
    # epoch 2 overflows. The weights of epoch 1 overflow on the training rows
    # too, so there is nothing usable to keep.
    X, y = _diverging_data()
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, random_state=0, learning_rate_init=1e200
    )
    with pytest.raises(
        ValueError,
        match=r"^Solver produced non-finite parameter weights\. The input data may "
        r"contain large values and need to be preprocessed\..*The weights of epoch 1 "
        r"\(the last completed\) give non-finite outputs on the training data",
    ):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_divergence_before_any_epoch_completed_raises(iris):
    # As scikit-learn's test_nonfinite_params: the first forward pass overflows.
    X, y = iris
    clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(
        ValueError, match="non-finite parameter weights.*No epoch completed"
    ):
        clf.fit(X * 1e300, y)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_divergence_without_usable_weights_keeps_the_fitted_model(method, fitted, iris):
    X, y = iris
    model = pickle.loads(pickle.dumps(fitted)).set_params(warm_start=True)
    with pytest.raises(
        ValueError, match="non-finite parameter weights.*No epoch completed"
    ):
        getattr(model, method)(X * 1e300, y)
    assert_unchanged(fitted, model, X)


def test_partial_fit_refuses_changed_classes():
    X, y = [[3, 2], [1, 6]], [0, 1]
    clf = ScratchMLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=np.array([1, 0]))  # the same classes again
    with pytest.raises(
        ValueError,
        match=r"`classes=\[0, 1, 2\]` is not the same as on last call to "
        r"partial_fit, was: array\(\[0, 1\]\)",
    ):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_takes_sample_weight_before_classes_as_scikit_learn():
    X, y = [[3, 2], [1, 6]], [0, 1]
    clf = ScratchMLPClassifier(random_state=0)
    clf.partial_fit(X, y, None, [0, 1])  # positionally: sample_weight, classes
    assert clf.classes_.tolist() == [0, 1]


def test_a_pickle_of_version_0_1_with_optimizer_loads_as_solver(iris, fitted):
    # sknnscratch 0.1 named the solver parameter 'optimizer'.
    X, _ = iris
    state = fitted.__getstate__()
    state["optimizer"] = state.pop("solver")
    state["_sknnscratch_version"] = "0.1.0"
    old = ScratchMLPClassifier.__new__(ScratchMLPClassifier)
    with pytest.warns(UserWarning, match="saved by sknnscratch 0.1.0"):
        old.__setstate__(state)
    assert old.solver == fitted.solver and not hasattr(old, "optimizer")
    assert_array_equal(old.predict_proba(X), fitted.predict_proba(X))
