"""The package's small shared checks (sknnscratch._utils)."""

import numpy as np
import pytest
from sklearn.utils import check_random_state

import sknnscratch
from sknnscratch._utils import as_generator, check_positive_int, package_version


def draws(random_state):
    return as_generator(random_state).integers(0, 10**9, size=3)


def test_an_int_seeds_a_reproducible_generator():
    np.testing.assert_array_equal(draws(7), draws(7))
    np.testing.assert_array_equal(draws(np.int64(7)), draws(7))
    assert not np.array_equal(draws(7), draws(8))


def test_none_draws_fresh_entropy_and_leaves_the_global_state_alone():
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    assert not np.array_equal(draws(None), draws(None))
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_a_generator_is_used_as_it_is():
    rng = np.random.default_rng(0)
    assert as_generator(rng) is rng


def test_a_random_state_seeds_a_generator_and_advances():
    first, second = np.random.RandomState(3), np.random.RandomState(3)
    np.testing.assert_array_equal(draws(first), draws(second))
    # The instance advanced: its next seed gives other numbers.
    assert not np.array_equal(draws(first), draws(np.random.RandomState(3)))


@pytest.mark.parametrize("bad", ["0", 1.5, [1, 2], object()])
def test_what_scikit_learn_refuses_is_refused_in_its_words(bad):
    with pytest.raises(ValueError, match="cannot be used to seed") as ours:
        as_generator(bad)
    with pytest.raises(ValueError) as theirs:
        check_random_state(bad)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_seeds_outside_a_random_states_range_are_refused(bad):
    with pytest.raises(ValueError, match="between 0 and 2\\*\\*32 - 1"):
        as_generator(bad)
    with pytest.raises(ValueError, match="between 0 and 2\\*\\*32 - 1"):
        check_random_state(bad)


@pytest.mark.parametrize("value", [1, 5, np.int32(3)])
def test_positive_ints_pass_as_python_ints(value):
    assert check_positive_int(value, "n") == int(value)
    assert type(check_positive_int(value, "n")) is int


@pytest.mark.parametrize("bad", [0, -3, 2.0, "2", True, None])
def test_other_values_are_refused_naming_the_parameter(bad):
    with pytest.raises(ValueError, match=r"n_units must be an integer >= 1, got"):
        check_positive_int(bad, "n_units")


def test_the_minimum_can_be_raised():
    assert check_positive_int(2, "m", minimum=2) == 2
    with pytest.raises(ValueError, match="m must be an integer >= 2, got 1"):
        check_positive_int(1, "m", minimum=2)


def test_package_version_is_the_package_s():
    assert package_version() == sknnscratch.__version__
