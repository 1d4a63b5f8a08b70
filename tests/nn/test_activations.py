import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknnscratch.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS

Z = np.array([[-3.0, -0.5, 0.0, 0.4, 2.5], [1.0, -1.0, 0.2, -0.2, 5.0]])

EXPECTED = {
    "identity": Z,
    "logistic": 1 / (1 + np.exp(-Z)),
    "tanh": np.tanh(Z),
    "relu": np.where(Z > 0, Z, 0.0),
    "leaky_relu": np.where(Z > 0, Z, 0.01 * Z),
    "elu": np.where(Z > 0, Z, np.exp(Z) - 1),
    "softmax": np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True),
    "exp": np.exp(Z),
}


@pytest.mark.parametrize("name", sorted(OUTPUT_ACTIVATIONS))
def test_forward_matches_definition(name):
    out = OUTPUT_ACTIVATIONS[name].forward(Z.copy())
    assert_allclose(out, EXPECTED[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(OUTPUT_ACTIVATIONS))
def test_backward_is_the_vector_jacobian_product(name):
    # Compare with central differences of sum(g * f(z)) with respect to z.
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    z[np.abs(z) < 1e-3] = 0.1  # keep away from the kinks of relu and friends
    g = rng.normal(size=z.shape)
    act = OUTPUT_ACTIVATIONS[name]
    analytic = act.backward(act.forward(z.copy()), g.copy())
    numeric = np.empty_like(z)
    eps = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += eps
        zm[idx] -= eps
        numeric[idx] = np.sum(g * (act.forward(zp) - act.forward(zm))) / (2 * eps)
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_softmax_is_stable_for_huge_inputs():
    z = np.array([[1000.0, 1000.0, -1000.0]])
    out = OUTPUT_ACTIVATIONS["softmax"].forward(z)
    assert np.all(np.isfinite(out))
    assert_allclose(out, [[0.5, 0.5, 0.0]])


def test_logistic_does_not_overflow():
    with np.errstate(over="raise"):
        out = ACTIVATIONS["logistic"].forward(np.array([[-1000.0, 1000.0]]))
    assert_allclose(out, [[0.0, 1.0]])


def test_forward_works_in_place_and_keeps_float32():
    z = np.ones((2, 3), dtype=np.float32)
    for name, act in OUTPUT_ACTIVATIONS.items():
        buf = z.copy()
        out = act.forward(buf)
        assert out.dtype == np.float32, name
        assert np.shares_memory(out, buf), name
