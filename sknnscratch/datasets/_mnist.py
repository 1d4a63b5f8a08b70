"""The MNIST handwritten digits, bundled with the repository.

Where the files are looked for (a ``data_home`` argument, the
``SKNNSCRATCH_DATA`` environment variable or the bundled copy) and how the
folder is read and checked are shared with Fashion-MNIST (``_mnist_format``).
"""

import numpy as np

from ._mnist_format import N_CLASSES, bundled_folder, find_folder, load_folder

__all__ = ["load_mnist", "load_mnist_split"]

_MNIST_DESCR = """\
.. _mnist_dataset:

MNIST database of handwritten digits
------------------------------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (official split: 60,000 training, 10,000 test)
:Number of Attributes: 784 (28x28 grey-scale pixels)
:Attribute Information: uint8 pixel intensity, 0 (background) to 255 (ink)
:Classes: 10, the digits 0-9
:Creators: Yann LeCun, Corinna Cortes and Christopher J. C. Burges
:Licence: Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0)

The digits were size-normalised and centred in a 28x28 image.  The writers of
the training set and those of the test set are disjoint, which is why the
official split, rather than a random one, is the usual benchmark protocol.

Pixels are kept as uint8 to save memory; scale them yourself, for example
``X / 255.0``, before training a neural network.

This subset holds {n_samples} samples ({source}).
"""


def load_mnist(
    data_home=None, *, subset="train", return_X_y=False, verify_checksum=True
):
    """Load the MNIST handwritten digits (classification).

    ==============   ==================================
    Classes                                          10
    Samples total    70,000 (60,000 train, 10,000 test)
    Dimensionality                                  784
    Features            integers 0-255, stored as uint8
    ==============   ==================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read the files from.  It may hold the four MNIST files
        directly or in a ``mnist/`` subfolder; the subfolder wins if it
        exists.  When None, the folder named by the ``SKNNSCRATCH_DATA``
        environment variable is used the same way; when that is unset or
        empty, the copy bundled in the repository's ``data/mnist/`` folder
        (present in a source checkout installed with ``pip install -e .``).
        Only the first of these three places that is given is looked at:
        a folder lacking the files is an error rather than a reason to
        silently read different data from elsewhere.

        Each file is read as ``<name>.gz`` if present, else as the
        uncompressed ``<name>``; the names are the original ones,
        ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``.

    subset : {"train", "test", "all"}, default="train"
        Which part of the official split to return.  ``"all"`` returns the
        70,000 samples with the 60,000 training samples first; the Bunch's
        ``is_train`` marks them.  :func:`load_mnist_split` returns the
        official split directly.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    verify_checksum : bool, default=True
        If True, check each file's SHA-256 digest before parsing it: a
        ``.gz`` file against ``SHA256SUMS`` and an uncompressed file against
        ``SHA256SUMS.uncompressed``, both looked for next to the file.  The
        bundled copy ships both.  A file in a folder without the matching
        checksum file is read unverified.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (n_samples, 784), dtype uint8
            Flattened images, row by row.
        target : ndarray of shape (n_samples,), dtype int64
            The digit shown in each image.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The images; a view of the same memory as ``data``.
        is_train : ndarray of shape (n_samples,), dtype bool
            True for samples of the official training set.  Also usable for
            :class:`~sklearn.model_selection.PredefinedSplit` as
            ``PredefinedSplit(np.where(is_train, -1, 0))``.
        feature_names : list of str
            ``"pixel_<row>_<col>"`` for each of the 784 columns.
        target_names : ndarray of shape (10,)
            The digits 0-9.
        filenames : list of str
            The files read, images then labels, training set first.
        DESCR : str
            Description of the dataset.

    (data, target) : tuple if ``return_X_y`` is True
        The ``data`` and ``target`` arrays described above.

    Raises
    ------
    FileNotFoundError
        If no folder is found, or a file is missing from it; the message
        names the file, the folder and where the folder came from.
    ChecksumError
        If ``verify_checksum`` is True and a file's digest does not match.
    IDXFormatError
        If a file is damaged or does not hold the expected MNIST arrays.

    See Also
    --------
    load_mnist_split : The official train/test split as four arrays.
    load_fashion_mnist : The same loader for Fashion-MNIST.

    Examples
    --------
    >>> from sknnscratch.datasets import load_mnist
    >>> mnist = load_mnist(subset="test")  # doctest: +SKIP
    >>> mnist.data.shape, mnist.target[:5]  # doctest: +SKIP
    ((10000, 784), array([7, 2, 1, 0, 4]))
    >>> X = mnist.data / 255.0  # doctest: +SKIP
    """
    folder, origin = _mnist_folder(data_home)
    return load_folder(
        folder,
        subset=subset,
        return_X_y=return_X_y,
        verify_checksum=verify_checksum,
        dataset="MNIST",
        origin=origin,
        descr=_MNIST_DESCR,
        target_names=np.arange(N_CLASSES),
    )


def load_mnist_split(data_home=None, *, verify_checksum=True):
    """Load MNIST as its official 60,000/10,000 train/test split.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Where to read the files from; see :func:`load_mnist`.
    verify_checksum : bool, default=True
        Whether to verify the files' digests; see :func:`load_mnist`.

    Returns
    -------
    X_train : ndarray of shape (60000, 784), dtype uint8
    X_test : ndarray of shape (10000, 784), dtype uint8
    y_train : ndarray of shape (60000,), dtype int64
    y_test : ndarray of shape (10000,), dtype int64
        In the order :func:`sklearn.model_selection.train_test_split` uses.

    Raises
    ------
    FileNotFoundError, ChecksumError, IDXFormatError
        As for :func:`load_mnist`.

    Examples
    --------
    >>> from sknnscratch.datasets import load_mnist_split
    >>> X_train, X_test, y_train, y_test = load_mnist_split()  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    X_train, y_train = load_mnist(
        data_home, subset="train", return_X_y=True, verify_checksum=verify_checksum
    )
    X_test, y_test = load_mnist(
        data_home, subset="test", return_X_y=True, verify_checksum=verify_checksum
    )
    return X_train, X_test, y_train, y_test


def _bundled_folder():
    """Return where the repository keeps its copy of MNIST, ``data/mnist``.

    A function rather than a constant so that tests can redirect it.
    """
    return bundled_folder("mnist")


def _mnist_folder(data_home):
    """Pick the MNIST folder; return it and where it came from (for messages)."""
    return find_folder(
        data_home,
        dataset="MNIST",
        subfolder="mnist",
        bundled=_bundled_folder(),
        env_files_directly=True,
    )
