import numpy as np
import pytest

from sknnscratch.nn.initializers import INITIALIZERS


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_shapes_and_reproducibility(name):
    w1, b1 = INITIALIZERS[name](30, 20, "relu", np.random.default_rng(3))
    w2, b2 = INITIALIZERS[name](30, 20, "relu", np.random.default_rng(3))
    assert w1.shape == (30, 20) and b1.shape == (20,)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(b1, b2)


def test_glorot_bound_follows_scikit_learn():
    w, b = INITIALIZERS["glorot_uniform"](300, 100, "relu", np.random.default_rng(0))
    bound = np.sqrt(6 / 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    w, _ = INITIALIZERS["glorot_uniform"](
        300, 100, "logistic", np.random.default_rng(0)
    )
    assert np.abs(w).max() <= np.sqrt(2 / 400)


@pytest.mark.parametrize("name", ["he_normal", "he_uniform"])
def test_he_variance_is_two_over_fan_in(name):
    w, b = INITIALIZERS[name](500, 400, "relu", np.random.default_rng(0))
    assert w.var() == pytest.approx(2 / 500, rel=0.03)
    assert not b.any()
