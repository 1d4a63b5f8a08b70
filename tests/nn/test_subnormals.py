"""``sknnscratch.nn.subnormals``: the sweep that keeps subnormal numbers out of
the optimizer state and the weights.

The thresholds worked out by hand, with tiny = 2^-126 (float32) or 2^-1022
(float64) and the sweep every 64 steps:

- weights: below 2^32 tiny, i.e. 2^-94 (float32), 2^-990 (float64);
- a state slot decaying by 0.5 a step: below tiny / 0.5^64 = 2^64 tiny, i.e.
  2^-62 (float32), 2^-958 (float64);
- Adam's defaults in float32: tiny / 0.9^64 = 9.970e-36 for the first moment,
  tiny / 0.999^64 = 1.2532e-38 for the second.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.nn import optimizers
from sknnscratch.nn.optimizers import SGD, Adagrad, Adam, RMSprop
from sknnscratch.nn.subnormals import sweep_subnormals

#: Exponent of tiny for each dtype.
TINY_EXPONENT = {np.float32: -126, np.float64: -1022}


def around(threshold, dtype):
    """Entries on both sides of ``threshold`` (a power of two), and what the
    sweep leaves of them: those strictly below become zero, whatever the sign."""
    t = np.ldexp(1.0, threshold)
    values = np.array([t / 2, -t / 2, t, -t, 2 * t, 0.0, 0.5, -3.0], dtype=dtype)
    expected = np.array([0, 0, t, -t, 2 * t, 0, 0.5, -3.0], dtype=dtype)
    return values, expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weights_below_2_to_the_32_times_tiny_become_zero(dtype):
    params, expected = around(TINY_EXPONENT[dtype] + 32, dtype)
    params[-1] = np.ldexp(1.0, TINY_EXPONENT[dtype] - 3)  # subnormal itself
    expected[-1] = 0
    sweep_subnormals(Adagrad(len(params), dtype), params)
    assert_array_equal(params, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make, slot",
    [
        (lambda n, dtype: SGD(n, dtype, momentum=0.5), "velocity"),
        (lambda n, dtype: RMSprop(n, dtype, rho=0.5), "mean_squares"),
        (lambda n, dtype: Adam(n, dtype, beta_1=0.5), "first_moment"),
        (lambda n, dtype: Adam(n, dtype, beta_2=0.5), "second_moment"),
    ],
    ids=["sgd", "rmsprop", "adam-m", "adam-v"],
)
def test_a_fast_decay_sweeps_state_below_2_to_the_32_times_tiny(make, slot, dtype):
    # tiny / 0.5**64 would be 2**64 tiny: the threshold is capped at 2**32 tiny,
    # that of the weights, which nothing a network computes can feel.
    state, expected = around(TINY_EXPONENT[dtype] + 32, dtype)
    optimizer = make(len(state), dtype)
    getattr(optimizer, slot)[...] = state
    params = np.ones(len(state), dtype=dtype)
    sweep_subnormals(optimizer, params)
    assert_array_equal(getattr(optimizer, slot), expected)
    assert_array_equal(params, 1.0)


def test_each_slot_is_swept_at_the_threshold_of_its_own_decay():
    adam = Adam(4, np.float32)  # beta_1 = 0.9, beta_2 = 0.999
    entries = np.array([9.5e-36, 1.05e-35, 1.24e-38, 1.27e-38], dtype=np.float32)
    adam.first_moment[...] = entries
    adam.second_moment[...] = entries
    sweep_subnormals(adam, np.ones(4, dtype=np.float32))
    # Thresholds 9.970e-36 and 1.2532e-38 (module docstring).
    assert_array_equal(adam.first_moment, entries * [0, 1, 0, 0])
    assert_array_equal(adam.second_moment, entries * [1, 1, 0, 1])


@pytest.mark.parametrize(
    "make, slot",
    [
        (lambda: Adagrad(2, np.float32), "sum_squares"),  # a sum: it does not decay
        (lambda: SGD(2, np.float32, momentum=0.0), "velocity"),  # no decay
    ],
    ids=["adagrad", "sgd-without-momentum"],
)
def test_state_that_does_not_decay_is_not_swept(make, slot):
    optimizer = make()
    subnormal = np.ldexp(np.float32(1), -130)
    getattr(optimizer, slot)[...] = subnormal
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # momentum 0: no division by 0**64
        sweep_subnormals(optimizer, np.ones(2, dtype=np.float32))
    assert_array_equal(getattr(optimizer, slot), subnormal)


@pytest.mark.parametrize(
    "make, slot",
    [
        (lambda: SGD(3, np.float32, momentum=0.25), "velocity"),
        (lambda: SGD(3, np.float32, momentum=0.1), "velocity"),
        (lambda: Adam(3, np.float32, beta_2=0.25), "second_moment"),
    ],
    ids=["sgd-momentum-0.25", "sgd-momentum-0.1", "adam-beta_2-0.25"],
)
def test_state_of_normal_size_is_never_swept_whatever_the_decay(make, slot):
    optimizer = make()
    state = np.array([1.0, -3.0, 1e-3], dtype=np.float32)
    getattr(optimizer, slot)[...] = state
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sweep_subnormals(optimizer, np.ones(3, dtype=np.float32))
    assert_array_equal(getattr(optimizer, slot), state)


# --- the sweep in training: Optimizer.step calls it every 64 steps ----------------


def count_subnormal(array):
    tiny = np.finfo(array.dtype).tiny
    return int(np.count_nonzero((array != 0) & (np.abs(array) < tiny)))


@pytest.mark.parametrize(
    "make, slot",
    [
        (lambda: Adam(1000, np.float32), "first_moment"),
        (lambda: Adam(1000, np.float32), "second_moment"),
        (lambda: SGD(1000, np.float32, momentum=0.9), "velocity"),
        (lambda: RMSprop(1000, np.float32, rho=0.9), "mean_squares"),
    ],
)
def test_decaying_state_stays_out_of_the_subnormal_range(make, slot, monkeypatch):
    # Half of the weights get one gradient, then zeros for 3,000 steps, like a
    # blank MNIST border pixel with alpha=0: their state decays geometrically.
    def run():
        optimizer = make()
        params = np.zeros(1000, dtype=np.float32)
        grads = np.ones(1000, dtype=np.float32)
        optimizer.step(params, grads, 1e-3)
        grads[:500] = 0
        worst = 0
        for _ in range(3000):
            optimizer.step(params, grads, 1e-3)
            worst = max(worst, count_subnormal(getattr(optimizer, slot)))
        return worst

    assert run() == 0
    # The sweep is what keeps the state out: without it, subnormals appear
    # (for Adam's v only after many more steps: beta_2 decays slowly).
    if slot == "second_moment":
        return
    monkeypatch.setattr(optimizers.Optimizer, "sweep_interval", 0)
    assert run() > 0


def test_weights_pulled_to_zero_by_l2_stay_out_of_the_subnormal_range(monkeypatch):
    # A weight that only ever sees its L2 gradient alpha * w / n: Adam divides
    # that tiny gradient by a tiny root, so w shrinks by a near-constant
    # factor per step (as the blank MNIST border pixels' weights do), and its
    # first moment with it.
    def run():
        optimizer = Adam(1000, np.float32)
        params = np.full(1000, 1e-2, dtype=np.float32)
        grads = np.empty_like(params)
        worst = 0
        for _ in range(3000):
            np.multiply(params, 1e-4 / 128, out=grads)
            optimizer.step(params, grads, 1e-3)
            subnormal = count_subnormal(params) + count_subnormal(
                optimizer.first_moment
            )
            worst = max(worst, subnormal)
        return worst, params

    worst, params = run()
    assert worst == 0
    assert np.all(np.abs(params) < 1e-20)  # they did decay: zero, or nearly
    monkeypatch.setattr(optimizers.Optimizer, "sweep_interval", 0)
    assert run()[0] > 0
