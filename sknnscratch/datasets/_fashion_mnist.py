"""Fashion-MNIST, bundled with the repository in ``data/fashion-mnist/``.

Found, read and verified as MNIST is (``_mnist_format``); only its name, its
description and its class names are its own.
"""

import numpy as np

from ._mnist_format import bundled_folder, find_folder, load_folder

__all__ = ["FASHION_CLASS_NAMES", "load_fashion_mnist"]

#: The names of Fashion-MNIST's classes, by label 0-9. Their one home: the
#: loader's ``target_names`` and the command line's class names come from
#: here.
FASHION_CLASS_NAMES = (
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


def load_fashion_mnist(
    data_home=None, *, subset="train", return_X_y=False, verify_checksum=True
):
    """Load Fashion-MNIST, images of clothing in ten classes (classification).

    ==============   ==================================
    Classes                                          10
    Samples total    70,000 (60,000 train, 10,000 test)
    Dimensionality                                  784
    Features            integers 0-255, stored as uint8
    ==============   ==================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read the files from.  It may hold the four Fashion-MNIST
        files directly or in a ``fashion-mnist/`` subfolder; the subfolder
        wins if it exists.  When None, the ``fashion-mnist/`` subfolder of
        the folder named by the ``SKNNSCRATCH_DATA`` environment variable
        (only the subfolder: that folder may hold MNIST's files directly);
        when that variable is unset or empty, the copy bundled in the
        repository's ``data/fashion-mnist/`` folder (present in a source
        checkout installed with ``pip install -e .``).  Only the first of
        these three places that is given is looked at, as in
        :func:`load_mnist`; the file names are MNIST's, each read as
        ``<name>.gz`` if present, else uncompressed.

    subset : {"train", "test", "all"}, default="train"
        Which part of the official split to return; ``"all"`` puts the
        60,000 training samples first, marked by the Bunch's ``is_train``.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    verify_checksum : bool, default=True
        If True, check each file's SHA-256 digest before parsing it: a
        ``.gz`` file against ``SHA256SUMS`` and an uncompressed file against
        ``SHA256SUMS.uncompressed``, both looked for next to the file.  The
        bundled copy ships both.  A file in a folder without the matching
        checksum file (such as a fresh download) is read unverified.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`load_mnist` returns, except that
        ``target_names`` holds the ten class names, ``"T-shirt/top"``,
        ``"Trouser"``, ``"Pullover"``, ``"Dress"``, ``"Coat"``, ``"Sandal"``,
        ``"Shirt"``, ``"Sneaker"``, ``"Bag"`` and ``"Ankle boot"``;
        ``target`` holds their indices 0-9.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If no folder is found, or a file is missing from it; the message
        names the file, the folder and where the folder came from.
    ChecksumError
        If ``verify_checksum`` is True and a file's digest does not match.
    IDXFormatError
        If a file is damaged or does not hold the expected arrays.

    See Also
    --------
    load_mnist : The same loader for the MNIST digits.

    Examples
    --------
    >>> from sknnscratch.datasets import load_fashion_mnist
    >>> fashion = load_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> fashion.target[:3], fashion.target_names[fashion.target[:3]]  # doctest: +SKIP
    (array([9, 2, 1]), array(['Ankle boot', 'Pullover', 'Trouser'], dtype='<U11'))
    """
    folder, origin = find_folder(
        data_home,
        dataset="Fashion-MNIST",
        subfolder="fashion-mnist",
        bundled=_bundled_folder(),
        env_files_directly=False,
    )
    return load_folder(
        folder,
        subset=subset,
        return_X_y=return_X_y,
        verify_checksum=verify_checksum,
        dataset="Fashion-MNIST",
        origin=origin,
        descr=_FASHION_DESCR,
        target_names=np.array(FASHION_CLASS_NAMES),
    )


def _bundled_folder():
    """Return where the repository keeps its copy, ``data/fashion-mnist``.

    A function rather than a constant so that tests can redirect it.
    """
    return bundled_folder("fashion-mnist")
