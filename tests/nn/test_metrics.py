"""The engine's metrics agree with scikit-learn's and add up batch by batch."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import accuracy_score, r2_score

from sknnscratch.nn.metrics import METRICS, accuracy, r2


def test_accuracy_matches_scikit_learn_for_each_output_kind():
    rng = np.random.default_rng(0)
    weights = rng.random(50)
    labels = rng.integers(0, 3, 50)
    probabilities = rng.dirichlet(np.ones(3), size=50)
    Y = np.eye(3)[labels]
    expected = accuracy_score(labels, probabilities.argmax(1), sample_weight=weights)
    assert accuracy(Y, probabilities, "softmax", weights) == pytest.approx(expected)
    # Logistic outputs (multilabel): a row counts only if every label matches.
    Y = rng.random((50, 4)) > 0.5
    output = rng.random((50, 4))
    expected = accuracy_score(Y, output > 0.5)
    assert accuracy(Y, output, "logistic") == pytest.approx(expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_r2_matches_scikit_learn_uniform_average(weighted):
    rng = np.random.default_rng(1)
    Y = rng.normal(loc=[0.0, 100.0], scale=[1.0, 5.0], size=(40, 2))
    output = Y + rng.normal(scale=0.7, size=Y.shape)
    weights = rng.random(40) if weighted else None
    expected = r2_score(Y, output, sample_weight=weights)
    assert r2(Y, output, "identity", weights) == pytest.approx(expected, rel=1e-10)


def test_r2_of_a_constant_target_is_that_of_scikit_learn():
    Y = np.ones((5, 1))
    assert r2(Y, Y.copy(), "identity") == r2_score(Y, Y) == 1.0
    assert r2(Y, Y + 0.1, "identity") == r2_score(Y, Y + 0.1) == 0.0


@pytest.mark.parametrize("name", sorted(METRICS))
def test_statistics_of_batches_add_up_to_the_whole(name):
    rng = np.random.default_rng(2)
    if name == "accuracy":
        Y = np.eye(4)[rng.integers(0, 4, 90)]
        output, out_activation = rng.dirichlet(np.ones(4), size=90), "softmax"
    else:
        Y = rng.normal(size=(90, 3))
        output, out_activation = Y + rng.normal(size=Y.shape), "identity"
    weights = rng.random(90)
    metric = METRICS[name]
    summed = sum(
        metric.statistics(Y[i : i + 32], output[i : i + 32], out_activation, w)
        for i, w in ((i, weights[i : i + 32]) for i in range(0, 90, 32))
    )
    whole = metric(Y, output, out_activation, weights)
    assert_allclose(metric.from_statistics(summed), whole, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_no_weight_means_no_score(name):
    Y = np.eye(2)[[0, 1]]
    out_activation = "softmax" if name == "accuracy" else "identity"
    assert METRICS[name](Y, Y, out_activation, np.zeros(2)) is None
