"""ScratchMLPRegressor: learning, targets, losses, persistence, bad input."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknnscratch import ScratchMLPRegressor, load, save
from sknnscratch.nn.divergence import DivergenceWarning
from sknnscratch.nn.losses import LOSSES


@pytest.fixture(scope="module")
def data():
    """A smooth non-linear regression problem, standardized."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(600, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.05 * rng.normal(size=600)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def quiet_fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_learns_a_nonlinear_function_like_mlpregressor(data, loss):
    X_train, X_test, y_train, y_test = data
    ours = quiet_fit(
        ScratchMLPRegressor((64, 64), loss=loss, max_iter=300, random_state=0),
        X_train,
        y_train,
    )
    theirs = quiet_fit(
        MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=300, random_state=0),
        X_train,
        y_train,
    )
    ours_r2, theirs_r2 = ours.score(X_test, y_test), theirs.score(X_test, y_test)
    print(f"test R2: ours ({loss}) {ours_r2:.4f}, MLPRegressor {theirs_r2:.4f}")
    assert ours_r2 > 0.9
    assert ours_r2 > theirs_r2 - 0.05
    # history_'s running R2 is a real R2 of the training predictions.
    assert 0.8 < ours.history_["r2"][-1] <= 1


def test_regression_losses_are_the_loss_options():
    assert set(ScratchMLPRegressor._parameter_constraints["loss"][0].options) == {
        name for name, loss in LOSSES.items() if "regression" in loss.tasks
    }
    with pytest.raises(ValueError, match="loss"):
        ScratchMLPRegressor(loss="log_loss").fit([[0.0], [1.0]], [0.0, 1.0])


def test_huber_resists_outliers(data):
    X_train, X_test, y_train, y_test = data
    # A tenth of the training targets replaced by huge values.
    y_dirty = y_train.copy()
    y_dirty[::10] = 30.0
    scores = {}
    for loss in ("squared_error", "huber"):
        model = ScratchMLPRegressor((64,), loss=loss, max_iter=200, random_state=0)
        scores[loss] = quiet_fit(model, X_train, y_dirty).score(X_test, y_test)
    print(f"test R2 after outliers: {scores}")
    assert scores["huber"] > 0.8
    assert scores["huber"] > scores["squared_error"] + 0.2


def test_multi_output_and_single_output_shapes(data):
    X_train, X_test, y_train, _ = data
    Y = np.column_stack([y_train, -2 * y_train, X_train[:, 0]])
    model = quiet_fit(ScratchMLPRegressor(max_iter=50, random_state=0), X_train, Y)
    assert model.predict(X_test).shape == (len(X_test), 3)
    assert model.n_outputs_ == 3 and model.out_activation_ == "identity"
    single = quiet_fit(
        ScratchMLPRegressor(max_iter=5, random_state=0), X_train, y_train[:, None]
    )
    assert single.predict(X_test).shape == (len(X_test),)


def test_r2_in_history_matches_r2_score_of_predictions(data):
    X_train, X_test, y_train, y_test = data
    model = quiet_fit(
        ScratchMLPRegressor(max_iter=20, random_state=0),
        X_train,
        y_train,
        X_val=X_test,
        y_val=y_test,
    )
    assert model.history_["val_r2"][-1] == pytest.approx(
        r2_score(y_test, model.predict(X_test)), rel=1e-9
    )


def test_float32_trains_in_float32(data):
    X_train, X_test, y_train, _ = data
    model = quiet_fit(
        ScratchMLPRegressor(max_iter=5, random_state=0),
        X_train.astype(np.float32),
        y_train,
    )
    assert model.coefs_[0].dtype == np.float32
    assert model.predict(X_test.astype(np.float32)).dtype == np.float32


def test_same_random_state_same_weights_with_dropout(data):
    X_train, _, y_train, _ = data
    params = dict(dropout=0.2, max_iter=5, random_state=3)
    a = quiet_fit(ScratchMLPRegressor(**params), X_train, y_train)
    b = quiet_fit(ScratchMLPRegressor(**params), X_train, y_train)
    for ca, cb in zip(a.coefs_, b.coefs_):
        assert_array_equal(ca, cb)


def test_partial_fit_continues_and_checks_the_targets(data):
    X_train, _, y_train, _ = data
    model = ScratchMLPRegressor(random_state=0)
    for start in range(0, len(X_train), 150):
        model.partial_fit(X_train[start : start + 150], y_train[start : start + 150])
    assert model.n_iter_ == 3 and model.t_ == len(X_train)
    before = [c.copy() for c in model.coefs_]
    with pytest.raises(ValueError, match="2 target columns but the model was fitted"):
        model.partial_fit(X_train[:10], np.column_stack([y_train[:10]] * 2))
    for b, c in zip(before, model.coefs_):
        assert_array_equal(b, c)
    lbfgs = ScratchMLPRegressor(solver="lbfgs")
    assert not hasattr(lbfgs, "partial_fit")


def test_pipeline_grid_search_and_pickle(data):
    X_train, X_test, y_train, y_test = data
    search = GridSearchCV(
        make_pipeline(StandardScaler(), ScratchMLPRegressor(max_iter=150)),
        {
            "scratchmlpregressor__alpha": [1e-4, 1e-1],
            "scratchmlpregressor__random_state": [0],
        },
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    assert search.best_score_ > 0.8
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict(X_test), search.predict(X_test))
    assert clone(search.best_estimator_).get_params()["scratchmlpregressor__alpha"] in (
        1e-4,
        0.1,
    )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_pickle_free_file_round_trip(data, tmp_path, solver):
    X_train, X_test, y_train, _ = data
    Y = np.column_stack([y_train, y_train**2])
    model = quiet_fit(
        ScratchMLPRegressor(solver=solver, max_iter=10, random_state=0),
        X_train,
        Y,
    )
    save(model, tmp_path / "regressor.safetensors")
    loaded = load(tmp_path / "regressor.safetensors")
    assert type(loaded) is ScratchMLPRegressor
    assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert loaded.get_params() == model.get_params()


def test_bad_targets_get_clear_errors_and_keep_the_model(data):
    X_train, X_test, y_train, _ = data
    model = quiet_fit(ScratchMLPRegressor(max_iter=5, random_state=0), X_train, y_train)
    expected = model.predict(X_test)
    bad_targets = [
        (np.array(["a"] * len(y_train), dtype=object), "could not convert|numeric"),
        (np.where(np.arange(len(y_train)) == 3, np.nan, y_train), "NaN"),
        (np.where(np.arange(len(y_train)) == 3, np.inf, y_train), "infinity"),
        (y_train[:-1], "inconsistent numbers of samples"),
    ]
    for y_bad, message in bad_targets:
        with pytest.raises(ValueError, match=message):
            model.fit(X_train, y_bad)
        assert_allclose(model.predict(X_test), expected)


def test_targets_too_large_for_float32_are_refused(data):
    # Cast to float32 weights, 1e39 would become inf: the fit would blame
    # the learning rate. X gets the same check.
    X_train, _, y_train, _ = data
    X32 = X_train.astype(np.float32)
    y_huge = np.where(np.arange(len(y_train)) == 3, 1e39, y_train)
    model = ScratchMLPRegressor(max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=r"y has values beyond 3\.4e\+38.*float32"):
        model.fit(X32, y_huge)
    assert not hasattr(model, "coefs_")
    with pytest.raises(ValueError, match=r"y_val has values beyond 3\.4e\+38"):
        model.fit(X32, y_train, X_val=X32, y_val=y_huge)
    quiet_fit(model, X_train, y_huge)  # float64 holds it


@pytest.fixture(scope="module")
def counts():
    """Poisson counts whose log-mean is linear in X."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    return X, rng.poisson(np.exp(1 + X[:, 0] - 0.5 * X[:, 1]))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_loss_fits_a_log_linear_mean(counts, solver):
    X, y = counts
    model = quiet_fit(
        ScratchMLPRegressor(
            loss="poisson",
            hidden_layer_sizes=(8,),
            solver=solver,
            learning_rate_init=0.01,
            max_iter=300,
            random_state=0,
        ),
        X,
        y,
    )
    assert model.out_activation_ == "exp"
    prediction = model.predict(X)
    assert (prediction > 0).all()
    # Far closer to the true mean than the constant mean of y (error 1.87).
    mean = np.exp(1 + X[:, 0] - 0.5 * X[:, 1])
    assert np.abs(prediction - mean).mean() < 0.5
    # loss_ is the mean half Poisson deviance (plus the small L2 term);
    # 'adam' reports its last epoch's running mean, hence the tolerance.
    deviance = np.mean(xlogy(y, y / prediction) - y + prediction)
    assert deviance == pytest.approx(model.loss_, rel=1e-2)


def test_poisson_loss_refuses_negative_targets(counts):
    X, y = counts
    model = ScratchMLPRegressor(loss="poisson", max_iter=2)
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        model.fit(X, y - 1.0)
    with pytest.raises(ValueError, match="y_val are negative"):
        model.fit(X, y, X_val=X, y_val=-y)


def test_divergence_with_early_stopping_keeps_the_best_epoch_and_says_so():
    # Identity units and a step of 1 on iris: the loss grows a hundredfold
    # or more per epoch and overflows in epoch 6. Early stopping keeps the
    # weights of its best epoch, here the first, and the warning says so.
    X, y = load_iris(return_X_y=True)
    params = dict(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(
        DivergenceWarning,
        match="diverged in epoch 6.*kept the weights of the best epoch on the "
        "validation set",
    ):
        model = ScratchMLPRegressor(max_iter=20, **params).fit(X, y)
    first = quiet_fit(ScratchMLPRegressor(max_iter=1, **params), X, y)
    assert model.n_iter_ == 5
    assert_array_equal(model.predict(X), first.predict(X))
