"""fit(X, y, X_val=..., y_val=...): history, early stopping on it, errors."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    labels = np.array(list("abcdefghij"))[y]  # string labels on purpose
    return train_test_split(X, labels, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=400, n_features=6, noise=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    return train_test_split(X, y, test_size=0.3, random_state=0)


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)


CASES = {
    "classifier": (ScratchMLPClassifier, "digits", "accuracy"),
    "regressor": (ScratchMLPRegressor, "regression", "r2"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validation_set_is_scored_every_epoch(case, request):
    estimator_class, fixture, metric = CASES[case]
    X_train, X_val, y_train, y_val = request.getfixturevalue(fixture)
    model = quiet(
        estimator_class(max_iter=8, random_state=0).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
    )
    history = model.history_
    assert len(history["val_loss"]) == len(history[f"val_{metric}"]) == 8
    assert all(v is not None for v in history["val_loss"])
    # The last epoch's validation score is the final model's score on X_val.
    assert history[f"val_{metric}"][-1] == pytest.approx(model.score(X_val, y_val))
    # Without early_stopping nothing is held out: every row trains.
    assert model.t_ == 8 * len(X_train)
    assert model.validation_scores_ is None


@pytest.mark.parametrize("case", sorted(CASES))
def test_early_stopping_watches_x_val_without_holding_rows_out(case, request):
    estimator_class, fixture, metric = CASES[case]
    X_train, X_val, y_train, y_val = request.getfixturevalue(fixture)
    model = quiet(
        estimator_class(
            early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
        ).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
    )
    assert model.n_iter_ < 200
    assert model.t_ == model.n_iter_ * len(X_train)
    assert model.validation_scores_ == model.history_[f"val_{metric}"]
    # The weights kept are those of the best validation score.
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_validation_fraction_0_needs_a_validation_set_of_your_own(digits):
    # scikit-learn's interval for validation_fraction is [0, 1): 0 holds no
    # row out, which early stopping accepts with X_val, and refuses without
    # it with scikit-learn's own error from train_test_split.
    X_train, X_val, y_train, y_val = digits
    model = ScratchMLPClassifier(
        early_stopping=True, validation_fraction=0.0, max_iter=3, random_state=0
    )
    quiet(model.fit, X_train, y_train, X_val=X_val, y_val=y_val)
    assert model.t_ == model.n_iter_ * len(X_train)
    with pytest.raises(ValueError, match="test_size=0.0 should be either positive"):
        model.fit(X_train, y_train)


def test_early_stopping_on_validation_loss_keeps_the_lowest_loss(digits):
    X_train, X_val, y_train, y_val = digits
    model = quiet(
        ScratchMLPClassifier(
            alpha=0.0,  # so that the validation loss is the plain log-loss
            early_stopping=True,
            early_stopping_metric="loss",
            n_iter_no_change=2,
            learning_rate_init=0.01,
            max_iter=100,
            random_state=0,
        ).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
    )
    val_losses = model.history_["val_loss"]
    assert model.best_validation_loss_ == min(val_losses)
    # The loss picks a different epoch than the accuracy would: training runs
    # on past the lowest loss, and the kept weights are the lowest loss's.
    best_epoch = int(np.argmin(val_losses))
    assert best_epoch < len(val_losses) - 1
    kept = log_loss(y_val, model.predict_proba(X_val), labels=model.classes_)
    assert kept == pytest.approx(min(val_losses), rel=1e-6)


def test_regressor_early_stopping_on_loss(regression):
    X_train, X_val, y_train, y_val = regression
    model = quiet(
        ScratchMLPRegressor(
            alpha=0.0,
            early_stopping=True,
            early_stopping_metric="loss",
            max_iter=300,
            random_state=0,
        ).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
    )
    half_mse = 0.5 * mean_squared_error(y_val, model.predict(X_val))
    assert half_mse == pytest.approx(model.best_validation_loss_, rel=1e-6)


def test_internal_split_can_watch_the_loss_too(digits):
    X_train, _, y_train, _ = digits
    model = quiet(
        ScratchMLPClassifier(
            early_stopping=True,
            early_stopping_metric="loss",
            learning_rate_init=0.01,
            max_iter=300,
            random_state=0,
        ).fit,
        X_train,
        y_train,
    )
    assert model.n_iter_ < 300
    assert model.best_validation_loss_ == min(model.history_["val_loss"])
    # 10% held out.
    assert model.t_ == model.n_iter_ * (len(X_train) - round(0.1 * len(X_train)))


def test_lbfgs_records_the_validation_set_per_iteration(regression):
    X_train, X_val, y_train, y_val = regression
    model = quiet(
        ScratchMLPRegressor(solver="lbfgs", max_iter=15, random_state=0).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
    )
    assert len(model.history_["val_r2"]) == model.n_iter_
    assert model.history_["val_r2"][-1] == pytest.approx(model.score(X_val, y_val))


def test_sample_weight_val_weighs_the_validation_score(digits):
    X_train, X_val, y_train, y_val = digits
    weights = np.where(y_val == "a", 1.0, 0.0)
    model = quiet(
        ScratchMLPClassifier(max_iter=3, random_state=0).fit,
        X_train,
        y_train,
        X_val=X_val,
        y_val=y_val,
        sample_weight_val=weights,
    )
    only_a = model.score(X_val[y_val == "a"], y_val[y_val == "a"])
    assert model.history_["val_accuracy"][-1] == pytest.approx(only_a)


def test_bad_validation_sets_raise_and_keep_the_model(digits, regression):
    X_train, X_val, y_train, y_val = digits
    model = quiet(
        ScratchMLPClassifier(max_iter=3, random_state=0).fit, X_train, y_train
    )
    expected = model.predict_proba(X_val)
    bad = [
        (dict(X_val=X_val), "X_val and y_val must be given together: got only X_val"),
        (dict(y_val=y_val), "got only y_val"),
        (dict(sample_weight_val=np.ones(3)), "sample_weight_val needs X_val"),
        (
            dict(X_val=X_val, y_val=np.full(len(X_val), "z")),
            "`y_val` has classes not in",
        ),
        (dict(X_val=X_val[:, :10], y_val=y_val), "features"),
        (dict(X_val=X_val, y_val=y_val[:-1]), "inconsistent numbers of samples"),
        (
            dict(X_val=X_val, y_val=y_val, sample_weight_val=-np.ones(len(X_val))),
            "sample_weight_val",
        ),
    ]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            model.fit(X_train, y_train, **kwargs)
        assert_array_equal(model.predict_proba(X_val), expected)

    X_train, X_val, y_train, y_val = regression
    regressor = ScratchMLPRegressor(max_iter=2)
    with pytest.raises(ValueError, match="y_val has 2 target columns, y has 1"):
        quiet(
            regressor.fit,
            X_train,
            y_train,
            X_val=X_val,
            y_val=np.column_stack([y_val, y_val]),
        )
    assert not hasattr(regressor, "coefs_")


def test_pipeline_transforms_x_val_like_x(digits):
    X_train, X_val, y_train, y_val = digits
    shifted_train, shifted_val = X_train * 5 + 3, X_val * 5 + 3
    with sklearn.config_context(enable_metadata_routing=True):
        model = ScratchMLPClassifier(max_iter=4, random_state=0).set_fit_request(
            X_val=True, y_val=True
        )
        pipe = Pipeline(
            [("scale", StandardScaler()), ("mlp", model)], transform_input=["X_val"]
        )
        quiet(pipe.fit, shifted_train, y_train, X_val=shifted_val, y_val=y_val)
    scaler = StandardScaler().fit(shifted_train)
    by_hand = quiet(
        ScratchMLPClassifier(max_iter=4, random_state=0).fit,
        scaler.transform(shifted_train),
        y_train,
        X_val=scaler.transform(shifted_val),
        y_val=y_val,
    )
    assert pipe[-1].history_["val_loss"] == pytest.approx(by_hand.history_["val_loss"])
