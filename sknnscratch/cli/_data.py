"""MNIST as every command uses it: scaled pixels and seeded subsamples."""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets import ChecksumError, IDXFormatError, load_mnist_split
from ..datasets._images import scale_pixels
from ._errors import CLIError

__all__ = ["SEED", "MNISTData", "data_summary", "load_mnist", "subsample"]

#: The seed of every subsample the CLI draws, so that runs are comparable.
SEED = 0


@dataclass
class MNISTData:
    """The official MNIST split, pixels scaled to [0, 1] in float32."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_full_train: int


def load_mnist():
    """Load and scale MNIST, turning a missing or damaged copy into a CLIError."""
    try:
        X_train, X_test, y_train, y_test = load_mnist_split()
    except (FileNotFoundError, ChecksumError, IDXFormatError) as exc:
        raise CLIError(f"cannot load MNIST: {exc}") from None
    return MNISTData(
        scale_pixels(X_train), y_train, scale_pixels(X_test), y_test, len(y_train)
    )


def subsample(X, y, n, flag):
    """A stratified sample of ``n`` rows, drawn with the fixed seed.

    ``n`` of None (or all rows) returns the data unchanged; the rows keep
    their original order. ``flag`` names the option in error messages.
    """
    if n is None or n == len(y):
        return X, y
    if n > len(y):
        raise CLIError(f"{flag} {n:,} is more than the {len(y):,} images available")
    try:
        index, _ = train_test_split(
            np.arange(len(y)), train_size=n, stratify=y, random_state=SEED
        )
    except ValueError as exc:  # fewer rows than classes
        raise CLIError(f"{flag} {n}: {exc}") from None
    index.sort()
    return X[index], y[index]


def data_summary(data):
    """What the models train and are scored on, in one sentence."""
    if len(data.y_train) < data.n_full_train:
        train = (
            f"a stratified sample of {len(data.y_train):,} of the "
            f"{data.n_full_train:,} training images"
        )
    else:
        train = f"the {data.n_full_train:,} training images"
    return (
        f"MNIST: training on {train}; scoring on the {len(data.y_test):,} test images."
    )
