"""Small checks used across the package: one home for each.

Everything here is private to the package; the public functions that use
these checks document what they accept.
"""

from numbers import Integral

import numpy as np

__all__ = ["as_generator", "check_positive_int", "package_version"]


def as_generator(random_state):
    """A NumPy Generator from a scikit-learn style ``random_state``.

    Accepts what :func:`sklearn.utils.check_random_state` accepts, plus a
    Generator:

    * None: a Generator seeded with fresh entropy from the OS. Never NumPy's
      global random state, which scikit-learn returns for None: sharing it
      would make results depend on, and change, whatever else in the process
      draws random numbers.
    * an int: ``numpy.random.default_rng(random_state)``, reproducible.
    * a ``numpy.random.RandomState``: asked for the seed of a new Generator,
      so the caller's instance drives (and advances with) the result.
    * a ``numpy.random.Generator``: used, and advanced, as it is.

    Raises
    ------
    ValueError
        For anything else, worded as scikit-learn's ``check_random_state``.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, Integral):
        if not 0 <= random_state < 2**32:
            # scikit-learn's seeds are those of a RandomState, in its words.
            raise ValueError("Seed must be between 0 and 2**32 - 1")
        return np.random.default_rng(int(random_state))
    raise ValueError(
        f"{random_state!r} cannot be used to seed a numpy.random.RandomState instance"
    )


def check_positive_int(value, name, minimum=1):
    """``value`` as an int, refusing bools, non-integers and values < minimum."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def package_version():
    """The installed sknnscratch's version string."""
    # Read at call time: the package's __init__ imports the modules that call
    # this before it defines __version__.
    from . import __version__

    return __version__
