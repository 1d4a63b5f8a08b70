"""Fitted models shared by the plotting tests.

The plots draw on matplotlib Figure objects, never pyplot, so no backend
needs choosing here. A few epochs are all these tests need. Each fixture is
module-scoped: every test module fits its own models, so none depends on
another module having run, and no test changes a fitted model.
"""

import pytest
from sklearn.datasets import load_digits, make_regression

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor


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
