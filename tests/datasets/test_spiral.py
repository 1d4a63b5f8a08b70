"""sknnscratch.datasets._spiral: make_spiral."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import make_spiral


def test_make_spiral_default_shapes_and_classes():
    X, y = make_spiral(random_state=0)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    # Points are grouped by class, as documented.
    assert np.all(np.diff(y) >= 0)


def test_make_spiral_uneven_split_favours_first_classes():
    _, y = make_spiral(n_samples=11, n_classes=4, random_state=0)
    assert np.bincount(y).tolist() == [3, 3, 3, 2]


def test_make_spiral_geometry_without_noise():
    X, y = make_spiral(n_samples=40, n_classes=2, noise=0.0)
    for k in range(2):
        points = X[y == k]
        radius = np.hypot(points[:, 0], points[:, 1])
        np.testing.assert_allclose(radius, np.linspace(0, 1, 20), atol=1e-12)
        # x = r sin(t), y = r cos(t), with t spanning [4k, 4k + 4]; skip the
        # origin, where the angle is undefined.
        angle = np.arctan2(points[1:, 0], points[1:, 1])
        expected = np.linspace(4 * k, 4 * k + 4, 20)[1:]
        np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-12)


def test_make_spiral_noise_perturbs_angles_only():
    X_clean, _ = make_spiral(noise=0.0)
    X_noisy, _ = make_spiral(noise=0.5, random_state=0)
    assert not np.allclose(X_clean, X_noisy)
    np.testing.assert_allclose(np.hypot(*X_noisy.T), np.hypot(*X_clean.T), atol=1e-12)


def test_make_spiral_int_seed_is_reproducible():
    X1, y1 = make_spiral(random_state=42)
    X2, y2 = make_spiral(random_state=np.int64(42))
    X3, _ = make_spiral(random_state=43)
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert_array_equal(X1, make_spiral(random_state=np.random.default_rng(42))[0])


@pytest.mark.parametrize(
    "make_rng",
    [np.random.default_rng, np.random.RandomState],
    ids=["Generator", "RandomState"],
)
def test_make_spiral_uses_and_advances_given_generator(make_rng):
    rng = make_rng(0)
    X1, _ = make_spiral(random_state=rng)
    X2, _ = make_spiral(random_state=rng)
    assert not np.array_equal(X1, X2)  # the same generator, advanced
    assert_array_equal(X1, make_spiral(random_state=make_rng(0))[0])


def test_make_spiral_never_touches_global_random_state():
    # Reading the legacy global state is the point of this test.
    state = np.random.get_state()  # noqa: NPY002
    X1, _ = make_spiral()
    X2, _ = make_spiral()
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == state[0]
    assert_array_equal(after[1], state[1])
    assert after[2:] == state[2:]
    # random_state=None draws fresh entropy on each call.
    assert not np.array_equal(X1, X2)


RANDOM_STATE_REFUSED = r"cannot be used to seed a numpy\.random\.RandomState instance"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, r"n_samples must be an integer >= 1, got 0\."),
        ({"n_samples": -5}, r"n_samples must be an integer >= 1, got -5\."),
        ({"n_samples": 10.0}, r"n_samples must be an integer >= 1, got 10\.0\."),
        ({"n_samples": "300"}, r"n_samples must be an integer >= 1, got '300'\."),
        ({"n_classes": 0}, r"n_classes must be an integer >= 1, got 0\."),
        ({"n_classes": True}, r"n_classes must be an integer >= 1, got True\."),
        ({"n_samples": 2, "n_classes": 3}, r"n_samples=2 is smaller than n_classes=3"),
        ({"noise": -0.1}, r"noise must be a finite number >= 0, got -0\.1"),
        ({"noise": float("nan")}, r"noise must be a finite number >= 0, got nan"),
        ({"noise": float("inf")}, r"noise must be a finite number >= 0, got inf"),
        ({"noise": "0.2"}, r"noise must be a finite number >= 0, got '0\.2'"),
        # A negative seed is refused by NumPy's seeding, in NumPy's words.
        ({"random_state": -1}, r"between 0 and 2\*\*32 - 1"),
        # Anything else check_random_state refuses, in scikit-learn's words.
        ({"random_state": "seed"}, RANDOM_STATE_REFUSED),
        ({"random_state": 1.5}, RANDOM_STATE_REFUSED),
    ],
)
def test_make_spiral_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_spiral(**kwargs)
