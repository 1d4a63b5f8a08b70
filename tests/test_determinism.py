"""The same random_state gives bitwise the same model, wherever it is fitted.

Every random draw (initial weights, shuffling, dropout masks, the
early-stopping split) comes from ``random_state``, never from global state,
so a fit is reproducible in another process (with another hash seed) and in
the worker processes of ``GridSearchCV(n_jobs=2)``.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import sknnscratch
from sknnscratch import ScratchMLPClassifier

# Run both here and in a fresh interpreter, so both sides fit the same way.
FIT_SOURCE = """
import hashlib
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier

CONFIGS = {
    "adam-dropout": dict(dropout=0.2),
    "sgd-dropout-early-stopping": dict(
        solver="sgd", dropout=(0.3,), early_stopping=True, batch_size=32
    ),
    "rmsprop-float32-two-layers": dict(
        solver="rmsprop", hidden_layer_sizes=(12, 8), dropout=[0.1, 0.2]
    ),
    "lbfgs": dict(solver="lbfgs"),
}


def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def weights_hash(model):
    digest = hashlib.sha256()
    for array in [*model.coefs_, *model.intercepts_]:
        digest.update(array.dtype.str.encode() + str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def fit_and_hash(name, random_state=0):
    X, y = digits()
    if "float32" in name:
        X = X.astype(np.float32)
    params = {"hidden_layer_sizes": (16,), "max_iter": 8, **CONFIGS[name]}
    model = ScratchMLPClassifier(random_state=random_state, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    # One more partial_fit (not for lbfgs): continues the saved random stream.
    if model.solver != "lbfgs" and not model.early_stopping:
        model.partial_fit(X[:100], y[:100])
    return weights_hash(model)
"""

namespace = {}
exec(FIT_SOURCE, namespace)  # our own source, shared with the child
CONFIGS = namespace["CONFIGS"]
fit_and_hash = namespace["fit_and_hash"]
digits = namespace["digits"]
weights_hash = namespace["weights_hash"]


def _run_child(code, hash_seed):
    root = str(Path(sknnscratch.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        # A different str-hash seed: set or dict iteration order must not
        # leak into the result.
        "PYTHONHASHSEED": hash_seed,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow  # a fresh interpreter
def test_a_fresh_process_gives_bitwise_identical_weights():
    code = FIT_SOURCE + "\nfor name in CONFIGS:\n    print(name, fit_and_hash(name))\n"
    child = dict(line.split() for line in _run_child(code, "12345").splitlines())
    here = {name: fit_and_hash(name) for name in CONFIGS}
    assert child == here


def test_the_hash_sees_the_seed_and_the_dropout_masks():
    # Guards the test above: the hash does change with the random stream.
    assert fit_and_hash("adam-dropout", 0) != fit_and_hash("adam-dropout", 1)
    X, y = digits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = ScratchMLPClassifier((16,), max_iter=8, random_state=0).fit(X, y)
    # Same seed, same initial weights: only the dropout masks differ.
    assert weights_hash(plain) != fit_and_hash("adam-dropout", 0)


@pytest.fixture(scope="module")
def searches():
    X, y = digits()
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(8,), (16,)]}
    model = ScratchMLPClassifier(dropout=0.25, max_iter=8, random_state=0)
    results = {}
    for n_jobs in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            results[n_jobs] = GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    return results


@pytest.mark.slow  # searches: worker processes
def test_grid_search_scores_do_not_depend_on_n_jobs(searches):
    sequential, parallel = searches[1].cv_results_, searches[2].cv_results_
    score_keys = [k for k in sequential if "test_score" in k]
    assert score_keys  # split0..2, mean, std, rank
    for key in score_keys:
        assert np.array_equal(sequential[key], parallel[key]), key
    # Four different candidates really were compared.
    assert len(set(sequential["mean_test_score"])) > 1


@pytest.mark.slow
def test_grid_search_refits_bitwise_the_same_best_model(searches):
    sequential, parallel = searches[1], searches[2]
    assert sequential.best_params_ == parallel.best_params_
    assert weights_hash(sequential.best_estimator_) == weights_hash(
        parallel.best_estimator_
    )
