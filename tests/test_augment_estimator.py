"""The estimators' ``augment`` parameter: training batches only, reproducible
fits, the scikit-learn API (clone, nested parameters, grid search), model
files, and what is refused.

Where the transform is called is watched by :class:`Counting`, a transform
that records every batch it is handed (and returns it unchanged).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch.augment import Compose, ElasticDistortion, RandomAffine
from sknnscratch.persistence import load, save


class Counting(BaseEstimator):
    """An augment transform that records the batches it sees."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def __call__(self, X, rng):
        log = self.__dict__.setdefault("log_", [])
        log.append({"rows": len(X), "id": id(X), "X": X.copy(), "rng": rng})
        return X if self.scale == 1.0 else X * self.scale

    def reset(self):
        self.log_ = []

    def rows_seen(self):
        return sum(call["rows"] for call in getattr(self, "log_", []))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:120] / 16.0, y[:120]


def real_augment():
    return Compose(
        [RandomAffine(image_shape=(8, 8)), ElasticDistortion(image_shape=(8, 8))]
    )


def classifier(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "max_iter": 3,
        "batch_size": 32,
        "random_state": 0,
        "n_iter_no_change": 100,
    }
    return ScratchMLPClassifier(**{**defaults, **params})


def fitted(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def weights(estimator):
    arrays = [*estimator.coefs_, *estimator.intercepts_]
    return [a.tobytes() for a in arrays], list(estimator.loss_curve_)


def row_counts(X, seen):
    """How often each row of ``X`` was among the ``seen`` rows."""
    keys = {row.tobytes(): i for i, row in enumerate(X)}
    counts = np.zeros(len(X), dtype=int)
    for rows in seen:
        for row in rows:
            counts[keys[row.tobytes()]] += 1
    return counts


# --- where the transform is called -------------------------------------------


def test_called_on_every_training_batch_with_the_fits_stream(digits):
    X, y = digits
    counting = Counting()
    est = fitted(classifier(augment=counting), X, y)
    assert est.augment is counting  # the estimator's own, not a copy
    assert [call["rows"] for call in counting.log_] == [32, 32, 32, 24] * 3
    assert counting.rows_seen() == len(X) * est.n_iter_
    # Every row, once per epoch, from one Generator (the run's stream).
    assert (row_counts(X, [c["X"] for c in counting.log_]) == 3).all()
    assert all(isinstance(c["rng"], np.random.Generator) for c in counting.log_)
    assert len({id(c["rng"]) for c in counting.log_}) == 1
    # The identity transform changes nothing: the fit is that without it.
    assert weights(est) == weights(fitted(classifier(), X, y))


def test_never_called_to_predict_or_score(digits):
    X, y = digits
    counting = Counting()
    est = fitted(classifier(augment=counting), X, y)
    counting.reset()
    proba = est.predict_proba(X)
    est.predict(X)
    est.predict_log_proba(X)
    est.score(X, y)
    assert counting.log_ == []
    # And the outputs are those of the fitted weights alone.
    assert proba.tobytes() == est.predict_proba(X).tobytes()


def test_never_called_on_a_given_validation_set(digits):
    X, y = digits
    X_val = X[:30] + 10.0  # no training row holds a value above 1
    counting = Counting()
    est = fitted(
        classifier(augment=counting, early_stopping=True),
        X[30:],
        y[30:],
        X_val=X_val,
        y_val=y[:30],
    )
    assert len(est.validation_scores_) == est.n_iter_ == 3
    assert counting.rows_seen() == 90 * est.n_iter_
    assert max(c["X"].max() for c in counting.log_) <= 1.0
    assert id(X_val) not in {c["id"] for c in counting.log_}


def test_never_called_on_the_rows_early_stopping_holds_out(digits):
    X, y = digits
    counting = Counting()
    est = fitted(
        classifier(augment=counting, early_stopping=True, validation_fraction=0.25),
        X,
        y,
    )
    assert est.n_iter_ == 3
    assert counting.rows_seen() == 90 * est.n_iter_
    # The 90 training rows, each once per epoch; the 30 held out, never.
    counts = row_counts(X, [c["X"] for c in counting.log_])
    assert sorted(np.bincount(counts).nonzero()[0]) == [0, 3]
    assert (counts == 3).sum() == 90 and (counts == 0).sum() == 30


def test_augmented_rows_are_what_the_network_trains_on(digits):
    X, y = digits
    doubled = fitted(classifier(augment=Counting(scale=2.0), shuffle=False), X, y)
    plain = fitted(classifier(shuffle=False), 2.0 * X, y)
    assert weights(doubled) == weights(plain)


# --- the real transforms -----------------------------------------------------


def test_real_augment_is_reproducible_and_changes_the_fit(digits):
    X, y = digits
    first = fitted(classifier(augment=real_augment()), X, y)
    second = fitted(classifier(augment=real_augment()), X, y)
    assert weights(first) == weights(second)
    refit = fitted(first, X, y)  # the same estimator again
    assert weights(refit) == weights(second)
    assert weights(first) != weights(fitted(classifier(), X, y))
    other_seed = fitted(classifier(augment=real_augment(), random_state=1), X, y)
    assert weights(other_seed) != weights(second)


def test_real_augment_with_partial_fit_and_warm_start(digits):
    X, y = digits
    runs = []
    for augment in (real_augment(), real_augment(), None):
        est = classifier(augment=augment)
        for _ in range(3):
            est.partial_fit(X, y, classes=np.arange(10))
        runs.append(weights(est))
    assert runs[0] == runs[1] and runs[0] != runs[2]

    warm = []
    for _ in range(2):
        est = fitted(classifier(augment=real_augment(), warm_start=True), X, y)
        before = [c.copy() for c in est.coefs_]
        fitted(est, X, y)
        assert not np.array_equal(before[0], est.coefs_[0])
        assert len(est.loss_curve_) == 6
        warm.append(weights(est))
    assert warm[0] == warm[1]


def test_float32_data_is_augmented_in_float32(digits):
    X, y = digits
    counting = Counting()
    est = fitted(classifier(augment=counting), X.astype(np.float32), y)
    assert {call["X"].dtype for call in counting.log_} == {np.dtype(np.float32)}
    assert est.coefs_[0].dtype == np.float32
    real = fitted(classifier(augment=real_augment()), X.astype(np.float32), y)
    assert real.coefs_[0].dtype == np.float32
    assert all(np.isfinite(c).all() for c in real.coefs_)


def test_regressor_accepts_augment(digits):
    X, y = digits
    counting = Counting()
    reg = ScratchMLPRegressor(
        hidden_layer_sizes=(5,), max_iter=2, batch_size=60, random_state=0
    )
    fitted(reg.set_params(augment=counting), X, y / 9.0)
    assert counting.rows_seen() == 2 * len(X)
    counting.reset()
    reg.predict(X)
    reg.score(X, y / 9.0)
    assert counting.log_ == []


# --- scikit-learn API --------------------------------------------------------


def test_clone_get_params_and_set_params(digits):
    augment = real_augment()
    est = classifier(augment=augment)
    params = est.get_params(deep=True)
    assert params["augment"] is augment
    assert params["augment__steps"] is augment.steps
    copy = clone(est)
    assert copy.augment is not augment
    assert repr(copy.augment) == repr(augment)
    assert copy.augment.steps[0] is not augment.steps[0]

    affine_only = [RandomAffine(shift=1.0, image_shape=(8, 8))]
    est.set_params(augment__steps=affine_only)
    assert est.augment.steps is affine_only
    # A single transform exposes its own parameters.
    est.set_params(augment=RandomAffine(image_shape=(8, 8)))
    est.set_params(augment__shift=0.5, augment__rotation=0.0)
    assert (est.augment.shift, est.augment.rotation) == (0.5, 0.0)
    assert est.get_params()["augment__image_shape"] == (8, 8)
    est.set_params(augment=None)
    assert "augment__shift" not in est.get_params()
    X, y = digits
    fitted(est, X, y)  # still fits


def test_grid_search_over_augment(digits):
    X, y = digits
    grid = {"augment": [None, real_augment()]}
    search = GridSearchCV(classifier(max_iter=2), grid, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.augment is None or repr(best.augment) == repr(real_augment())
    assert grid["augment"][1] is not best.augment  # clones, not the grid's own


# --- model files -------------------------------------------------------------


def test_save_load_round_trip_and_continued_training(digits, tmp_path):
    X, y = digits
    est = classifier(augment=real_augment())
    est.partial_fit(X, y, classes=np.arange(10))
    path = tmp_path / "model.safetensors"
    save(est, path)
    loaded = load(path)
    assert repr(loaded.augment) == repr(est.augment)
    assert type(loaded.augment) is Compose
    assert loaded.augment.steps[0].image_shape == (8, 8)  # a tuple again
    assert loaded.predict_proba(X).tobytes() == est.predict_proba(X).tobytes()
    # The next partial_fit draws the same deformations on both.
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert weights(loaded) == weights(est)


def test_single_transform_round_trips(digits, tmp_path):
    X, y = digits
    augment = ElasticDistortion(alpha=2.0, sigma=1.5, image_shape=(8, 8))
    est = fitted(classifier(augment=augment, max_iter=1), X, y)
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert repr(loaded.augment) == repr(augment)
    assert loaded.augment.get_params() == augment.get_params()


@pytest.mark.parametrize(
    "augment",
    [lambda X, rng: X, Counting()],
    ids=["function", "own-class"],
)
def test_own_callable_trains_but_cannot_be_saved(digits, tmp_path, augment):
    X, y = digits
    est = fitted(classifier(augment=augment, max_iter=1), X, y)
    assert est.n_iter_ == 1
    path = tmp_path / "model.safetensors"
    with pytest.raises(TypeError, match=r"augment=.*can't be saved in a model file"):
        save(est, path)
    assert not path.exists()


# --- what is refused ---------------------------------------------------------


@pytest.mark.parametrize(
    ("augment", "match"),
    [
        (RandomAffine(), r"rows of 28\*28 = 784 pixels .* X has 64 features"),
        (
            ElasticDistortion(image_shape=(4, 4)),
            r"rows of 4\*4 = 16 pixels .* X has 64 features",
        ),
        (
            Compose([RandomAffine(image_shape=(8, 8)), ElasticDistortion()]),
            "steps disagree on image_shape",
        ),
        (RandomAffine(scale=1.5, image_shape=(8, 8)), "scale"),
    ],
    ids=["affine-width", "elastic-width", "compose-shapes", "bad-parameter"],
)
def test_bad_transforms_are_refused_before_training(digits, augment, match):
    X, y = digits
    with pytest.raises(ValueError, match=match):
        classifier(augment=augment).fit(X, y)


def test_refusals_name_the_problem_and_leave_the_model_as_it_was(digits):
    X, y = digits
    counting = Counting()
    with pytest.raises(ValueError, match="not supported with solver='lbfgs'"):
        classifier(augment=counting, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="X is a sparse matrix"):
        classifier(augment=counting).fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="X is a sparse matrix"):
        classifier(augment=counting).partial_fit(
            sp.csr_matrix(X), y, classes=np.arange(10)
        )
    assert counting.rows_seen() == 0  # refused before any batch

    est = fitted(classifier(warm_start=True), X, y)
    before = weights(est)
    est.set_params(augment=RandomAffine())  # 28 x 28: the wrong width
    with pytest.raises(ValueError, match="784 pixels"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="784 pixels"):
        est.partial_fit(X, y)
    assert weights(est) == before


def test_augment_must_be_callable(digits):
    X, y = digits
    with pytest.raises(ValueError, match="'augment' parameter"):
        classifier(augment="affine").fit(X, y)


@pytest.mark.parametrize(
    "returned, expected",
    [
        (lambda X: (X * 255).astype(np.uint8), "returned a uint8 array"),
        (lambda X: X[:-1], "shape"),
        (lambda X: X.tolist(), "returned a list"),
    ],
    ids=["uint8", "one-row-short", "list"],
)
def test_an_augment_that_returns_other_rows_is_refused(returned, expected):
    X, y = load_digits(return_X_y=True)
    X = (X[:60] / 16).astype(np.float32)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(4,),
        max_iter=1,
        random_state=0,
        augment=lambda batch, rng: returned(batch),
    )
    with pytest.raises(ValueError, match=f"augment must return an array.*{expected}"):
        est.fit(X, y[:60])
    assert not hasattr(est, "coefs_")  # nothing half-fitted is left
