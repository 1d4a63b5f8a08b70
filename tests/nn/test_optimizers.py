"""Each optimizer's update against its formula, on hand-computed steps.

Two steps from params (1, -2) with gradients g1 = (0.5, 0.1), g2 = (0.2, -0.3)
and learning rate 0.1; the expected numbers are the formulas in the module
docstring worked out by hand.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknnscratch.nn.optimizers import OPTIMIZERS, SGD, Adagrad, Adam, RMSprop

G1 = np.array([0.5, 0.1])
G2 = np.array([0.2, -0.3])


def two_steps(optimizer, dtype=np.float64):
    params = np.array([1.0, -2.0], dtype=dtype)
    optimizer.step(params, G1.astype(dtype), 0.1)
    first = params.copy()
    optimizer.step(params, G2.astype(dtype), 0.1)
    return first, params


def test_sgd_nesterov():
    # v1 = -0.1 g1 = (-0.05, -0.01); step = 0.9 v1 - 0.1 g1 = (-0.095, -0.019)
    # v2 = 0.9 v1 - 0.1 g2 = (-0.065, 0.021); step = 0.9 v2 - 0.1 g2
    #    = (-0.0585 - 0.02, 0.0189 + 0.03) = (-0.0785, 0.0489)
    first, second = two_steps(SGD(2, np.float64, momentum=0.9))
    assert_allclose(first, [0.905, -2.019])
    assert_allclose(second, [0.8265, -1.9701])


def test_sgd_classical_momentum():
    # theta += v: (1 - 0.05, -2 - 0.01), then + (-0.065, 0.021)
    first, second = two_steps(SGD(2, np.float64, 0.9, nesterovs_momentum=False))
    assert_allclose(first, [0.95, -2.01])
    assert_allclose(second, [0.885, -1.989])


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_without_momentum_is_plain_gradient_descent(nesterov):
    first, second = two_steps(SGD(2, np.float64, 0.0, nesterov))
    assert_allclose(first, [0.95, -2.01])
    assert_allclose(second, [0.93, -1.98])


def test_adagrad():
    # G1 = (0.25, 0.01): step = 0.1 * g / sqrt(G) = (0.1, 0.1)
    # G2 = (0.29, 0.10): step = (0.1 * 0.2 / sqrt(0.29), 0.1 * -0.3 / sqrt(0.1))
    first, second = two_steps(Adagrad(2, np.float64, epsilon=0.0))
    assert_allclose(first, [0.9, -2.1])
    assert_allclose(second, [0.9 - 0.02 / np.sqrt(0.29), -2.1 + 0.03 / np.sqrt(0.1)])


def test_rmsprop():
    # s1 = 0.1 g1^2 = (0.025, 0.001); step = 0.1 g1 / sqrt(s1) = 0.1 / sqrt(0.1)
    # s2 = 0.9 s1 + 0.1 g2^2 = (0.0265, 0.0099)
    first, second = two_steps(RMSprop(2, np.float64, rho=0.9, epsilon=0.0))
    step = 0.1 / np.sqrt(0.1)
    assert_allclose(first, [1 - step, -2 - step])
    assert_allclose(
        second,
        [1 - step - 0.02 / np.sqrt(0.0265), -2 - step + 0.03 / np.sqrt(0.0099)],
    )


def test_adam():
    # t=1: m = 0.1 g1, v = 0.001 g1^2, rate = 0.1 sqrt(0.001) / 0.1, and
    # m / sqrt(v) = sqrt(10) sign(g1): the first step is 0.1 * sign(g1).
    # t=2: m = (0.045 + 0.02, 0.009 - 0.03) = (0.065, -0.021)
    #      v = (0.999 * 0.00025 + 0.001 * 0.04, 0.999 * 0.00001 + 0.001 * 0.09)
    #      rate = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2)
    first, second = two_steps(Adam(2, np.float64, 0.9, 0.999, epsilon=0.0))
    assert_allclose(first, [0.9, -2.1])
    m = np.array([0.065, -0.021])
    v = np.array([0.999 * 0.00025 + 0.00004, 0.999 * 0.00001 + 0.00009])
    rate = 0.1 * np.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    assert_allclose(second, first - rate * m / np.sqrt(v))


def test_adam_matches_scikit_learn():
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

    rng = np.random.default_rng(0)
    params = rng.normal(size=10)
    theirs = [params.copy()]
    reference = AdamOptimizer(theirs, 0.01)
    ours = Adam(10, np.float64)
    mine = params.copy()
    for _ in range(5):
        g = rng.normal(size=10)
        reference.update_params(theirs, [g])
        ours.step(mine, g, 0.01)
    # The same operations in the same order: the same bits.
    np.testing.assert_array_equal(mine, theirs[0])


def test_sgd_matches_scikit_learn():
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    rng = np.random.default_rng(1)
    params = rng.normal(size=10)
    theirs = [params.copy()]
    reference = SGDOptimizer(theirs, 0.05, momentum=0.9, nesterov=True)
    ours = SGD(10, np.float64, 0.9, True)
    mine = params.copy()
    for _ in range(5):
        g = rng.normal(size=10)
        reference.update_params(theirs, [g])
        ours.step(mine, g, 0.05)
    assert_allclose(mine, theirs[0], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(2)
    a = OPTIMIZERS[name](6, np.float64)
    pa = rng.normal(size=6)
    for _ in range(3):
        a.step(pa, rng.normal(size=6), 0.01)
    b = OPTIMIZERS[name](6, np.float64)
    b.load_state_dict({k: np.copy(v) for k, v in a.state_dict().items()})
    pb = pa.copy()
    g = rng.normal(size=6)
    a.step(pa, g, 0.01)
    b.step(pb, g, 0.01)
    np.testing.assert_array_equal(pa, pb)


def test_adam_continues_from_a_state_with_the_sums_of_version_0_3():
    # sknnscratch 0.3 saved Adam's exponentially weighted sums
    # u = m / (1 - b1) and w = v / (1 - b2); such a state must continue as
    # the moments m and v would, up to rounding.
    rng = np.random.default_rng(3)
    a = Adam(6, np.float64)
    pa = rng.normal(size=6)
    for _ in range(3):
        a.step(pa, rng.normal(size=6), 0.01)
    state = a.state_dict()
    sums = {
        "t": state["t"],
        "gradient_sum": state["first_moment"] / (1 - a.beta_1),
        "squared_gradient_sum": state["second_moment"] / (1 - a.beta_2),
    }
    b = Adam(6, np.float64)
    b.load_state_dict(sums)
    pb = pa.copy()
    g = rng.normal(size=6)
    a.step(pa, g, 0.01)
    b.step(pb, g, 0.01)
    assert_allclose(pb, pa, rtol=1e-14)
    assert_allclose(b.first_moment, a.first_moment, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_pieces_give_the_same_bits_as_whole_vectors(name, monkeypatch):
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=1000) for _ in range(70)]  # crosses a sweep step

    def run():
        optimizer = OPTIMIZERS[name](1000, np.float64)
        params = np.linspace(-1, 1, 1000)
        for g in grads:
            optimizer.step(params, g, 0.01)
        return params, optimizer

    pieces, optimizer = run()
    assert len(optimizer.pieces) == 1  # 1,000 float64 fit in one 256 KiB piece
    monkeypatch.setattr(OPTIMIZERS[name], "piece_bytes", 8 * 96)  # 96 per piece
    whole_in_pieces, optimizer = run()
    assert len(optimizer.pieces) == 11 and len(optimizer.scratch) == 96
    np.testing.assert_array_equal(whole_in_pieces, pieces)
