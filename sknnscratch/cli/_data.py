"""The datasets the commands train on: scaled pixels and seeded subsamples.

MNIST and Fashion-MNIST come in the same form (28x28 images, integer labels
0-9), so every command treats them alike; a :class:`Dataset` holds what
differs: the name, the loader and the class names.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets import (
    ChecksumError,
    IDXFormatError,
    load_fashion_mnist,
    load_mnist,
)
from ..datasets._fashion_mnist import FASHION_CLASS_NAMES
from ..datasets._images import scale_pixels
from ..datasets._mnist_format import N_CLASSES
from ._errors import CLIError

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "SEED",
    "Dataset",
    "ImageData",
    "add_dataset",
    "data_summary",
    "load_dataset",
    "load_test_set",
    "subsample",
]

#: The seed of every subsample the CLI draws, so that runs are comparable.
SEED = 0


@dataclass(frozen=True)
class Dataset:
    """A dataset of 28x28 images with labels 0-9, as the commands use it."""

    #: The ``--dataset`` value, also stored in model files as ``"dataset"``.
    key: str
    #: The name in messages, such as "Fashion-MNIST".
    name: str
    #: The name of each class, by label.
    class_names: tuple
    #: What the images show, for messages: "digits".
    items: str
    #: The loader of :mod:`sknnscratch.datasets`.
    loader: object
    #: Whether an image file is prepared as MNIST's digits were (cropped,
    #: centred, a light background inverted) rather than only resized.
    digits: bool

    def metadata(self):
        """What a model file trained on this dataset records (``sknnscratch.save``)."""
        return {"dataset": self.key, "class_names": list(self.class_names)}


#: The datasets by their ``--dataset`` value.
DATASETS = {
    "mnist": Dataset(
        "mnist",
        "MNIST",
        tuple(str(digit) for digit in range(N_CLASSES)),
        "digits",
        load_mnist,
        digits=True,
    ),
    "fashion-mnist": Dataset(
        "fashion-mnist",
        "Fashion-MNIST",
        FASHION_CLASS_NAMES,
        "clothes",
        load_fashion_mnist,
        digits=False,
    ),
}
DEFAULT_DATASET = "mnist"


def add_dataset(parser):
    """Add ``--dataset``; argparse refuses a value that is not a known dataset."""
    parser.add_argument(
        "--dataset",
        choices=list(DATASETS),
        default=DEFAULT_DATASET,
        help="train and score on the MNIST digits or on Fashion-MNIST's images "
        "of clothing, both bundled with the package (default: %(default)s)",
    )


@dataclass
class ImageData:
    """A dataset's official split, pixels scaled to [0, 1] in float32."""

    dataset: Dataset
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_full_train: int


def _load(dataset, subset):
    """One subset, scaled, turning a missing or damaged copy into a CLIError."""
    try:
        X, y = dataset.loader(subset=subset, return_X_y=True)
    except (FileNotFoundError, ChecksumError, IDXFormatError) as exc:
        raise CLIError(f"cannot load {dataset.name}: {exc}") from None
    return scale_pixels(X), y


def load_dataset(key):
    """The training and test images of the dataset called ``key``."""
    dataset = DATASETS[key]
    X_train, y_train = _load(dataset, "train")
    X_test, y_test = _load(dataset, "test")
    return ImageData(dataset, X_train, y_train, X_test, y_test, len(y_train))


def load_test_set(dataset):
    """The test images and labels of ``dataset``, for ``predict``."""
    return _load(dataset, "test")


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
        f"{data.dataset.name}: training on {train}; scoring on the "
        f"{len(data.y_test):,} test images."
    )
