"""The interleaved-spirals toy dataset used in neural-network-from-scratch courses."""

import math
import numbers

import numpy as np

from .._utils import as_generator, check_positive_int

__all__ = ["make_spiral"]


def make_spiral(n_samples=300, n_classes=3, noise=0.2, random_state=None):
    """Generate points on interleaved spiral arms, one arm per class.

    The classic toy problem of the CS231n course notes: no straight line
    separates the arms, so a linear classifier fails while a small neural
    network with one hidden layer succeeds.

    Arm ``k`` holds points at radii evenly spaced from 0 to 1 and at angles
    evenly spaced from ``4k`` to ``4(k + 1)`` radians, each angle perturbed by
    Gaussian noise; a point at radius ``r`` and angle ``t`` is
    ``(r sin t, r cos t)``.

    Parameters
    ----------
    n_samples : int, default=300
        Total number of points, split as evenly as possible between the
        arms; when it is not a multiple of ``n_classes`` the first arms get
        one point more.  Must be at least ``n_classes``.
    n_classes : int, default=3
        Number of arms (classes), at least 1.
    noise : float, default=0.2
        Standard deviation, in radians, of the Gaussian noise added to each
        point's angle.  0 gives points exactly on the spirals.
    random_state : None, int, numpy.random.Generator or \
numpy.random.RandomState, default=None
        Source of the noise.  None draws fresh entropy from the operating
        system (``numpy.random.default_rng()``); an int seeds a new
        ``numpy.random.default_rng(random_state)``, making the output
        reproducible; a Generator is used, and advanced, as is; a
        RandomState is asked for the seed of a new Generator, so it too
        drives, and advances with, the output.  NumPy's global random state
        is never used or changed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype float64
        The points, grouped by class: all of arm 0 first, then arm 1, ...
        Shuffle them (e.g. :func:`sklearn.utils.shuffle`) before any split
        that takes contiguous rows.
    y : ndarray of shape (n_samples,), dtype int64
        The arm, 0 to ``n_classes - 1``, of each point.

    Raises
    ------
    ValueError
        If an argument has an invalid value or type.

    Examples
    --------
    >>> from sknnscratch.datasets import make_spiral
    >>> X, y = make_spiral(n_samples=6, n_classes=2, random_state=0)
    >>> X.shape, y.tolist()
    ((6, 2), [0, 0, 0, 1, 1, 1])
    """
    n_classes = check_positive_int(n_classes, "n_classes")
    n_samples = check_positive_int(n_samples, "n_samples")
    if n_samples < n_classes:
        raise ValueError(
            f"n_samples={n_samples} is smaller than n_classes={n_classes}; "
            "every class needs at least one point"
        )
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not math.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = as_generator(random_state)

    # Same split as sklearn.datasets.make_blobs: the remainder goes to the
    # first classes, so class sizes differ by at most one.
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1

    X = np.empty((n_samples, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), sizes)
    start = 0
    for k, size in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, size)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), size)
        angle += noise * rng.standard_normal(size)
        X[start : start + size, 0] = radius * np.sin(angle)
        X[start : start + size, 1] = radius * np.cos(angle)
        start += size
    return X, y
