import numpy as np
from numpy.testing import assert_allclose

from sknnscratch.nn.layers import Dropout


def test_dropout_is_identity_at_inference():
    x = np.arange(12.0).reshape(3, 4)
    layer = Dropout(0.5, np.random.default_rng(0))
    assert layer.forward(x, training=False) is x
    g = np.ones_like(x)
    assert_allclose(layer.backward(g), 1.0)


def test_inverted_dropout_keeps_the_expectation():
    x = np.ones((2000, 50))
    layer = Dropout(0.3, np.random.default_rng(0))
    out = layer.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    assert_allclose(out[kept], 1 / 0.7)
    assert abs(out.mean() - 1.0) < 0.02
    # Backward applies the same mask and scale.
    grad = layer.backward(np.ones_like(x))
    assert_allclose(grad, out)


def test_dropout_does_not_modify_its_input():
    x = np.ones((4, 5))
    Dropout(0.5, np.random.default_rng(0)).forward(x, training=True)
    assert_allclose(x, 1.0)


def test_dropout_masks_follow_the_generator():
    x = np.ones((8, 8), dtype=np.float32)
    a = Dropout(0.5, np.random.default_rng(7)).forward(x, training=True).copy()
    b = Dropout(0.5, np.random.default_rng(7)).forward(x, training=True).copy()
    c = Dropout(0.5, np.random.default_rng(8)).forward(x, training=True).copy()
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
