"""Fashion-MNIST, read from a folder of its four IDX files (not bundled)."""

from pathlib import Path

import numpy as np

from ._mnist_format import load_folder

__all__ = ["load_fashion_mnist"]

_FASHION_CLASS_NAMES = np.array(
    [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
)

_FASHION_DESCR = """\
.. _fashion_mnist_dataset:

Fashion-MNIST
-------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (official split: 60,000 training, 10,000 test)
:Number of Attributes: 784 (28x28 grey-scale pixels)
:Attribute Information: uint8 pixel intensity, 0 to 255
:Classes: 10 articles of clothing, see ``target_names``
:Creators: Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research)
:Licence: MIT

A drop-in replacement for MNIST with the same image size, file format and
split sizes, but harder to classify.  Reference: H. Xiao, K. Rasul and
R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine
Learning Algorithms", arXiv:1708.07747, 2017.

Pixels are kept as uint8; scale them yourself, for example ``X / 255.0``.

This subset holds {n_samples} samples ({source}).
"""


def load_fashion_mnist(data_home, *, subset="train", return_X_y=False):
    """Load Fashion-MNIST from a folder of the four IDX files.

    Fashion-MNIST is not bundled; download the four files from
    https://github.com/zalandoresearch/fashion-mnist and pass their folder.

    Parameters
    ----------
    data_home : str or path-like
        Folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` directly,
        each either gzip-compressed with a ``.gz`` suffix (preferred if both
        exist) or uncompressed.  No checksums are verified, as none ship.
    subset : {"train", "test", "all"}, default="train"
        Which part of the official split to return; see :func:`load_mnist`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`load_mnist` returns, except that
        ``target_names`` holds the ten clothing class names, such as
        ``"T-shirt/top"``; ``target`` holds their indices 0-9.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the folder or one of the files is missing; the message names
        both.
    IDXFormatError
        If a file is damaged or does not hold the expected arrays.

    See Also
    --------
    load_mnist : The loader for the bundled MNIST digits.
    """
    folder = Path(data_home).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder for Fashion-MNIST (it is not bundled; "
            "download its four IDX files from "
            "https://github.com/zalandoresearch/fashion-mnist into a folder "
            "and pass that folder as data_home)"
        )
    return load_folder(
        folder,
        subset=subset,
        return_X_y=return_X_y,
        verify_checksum=False,
        dataset="Fashion-MNIST",
        origin="the data_home argument",
        descr=_FASHION_DESCR,
        target_names=_FASHION_CLASS_NAMES.copy(),
    )
