"""Loaders for MNIST (bundled with the repository) and Fashion-MNIST.

Both datasets come as four IDX files with the same names; only where they are
found and how they are described differ.  Nothing is cached between calls:
every call reads the files again (about half a second for all of MNIST), so a
changed or replaced file can never be shadowed by a stale in-memory copy.
"""

import hashlib
import os
import string
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._idx import IDXFormatError, _read_bytes, _read_idx_bytes

__all__ = [
    "ChecksumError",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_split",
]

#: Environment variable naming a data folder; see :func:`load_mnist`.
DATA_ENV_VAR = "SKNNSCRATCH_DATA"

# The standard file names shared by MNIST and Fashion-MNIST, without ".gz".
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SUBSETS = ("train", "test", "all")
# Digests of the files as stored (compressed) and of the raw IDX files; the
# latter do not depend on how a file was compressed.
_SUMS_COMPRESSED = "SHA256SUMS"
_SUMS_UNCOMPRESSED = "SHA256SUMS.uncompressed"
_IMAGE_SHAPE = (28, 28)
_N_CLASSES = 10
_FEATURE_NAMES = [
    f"pixel_{row}_{col}"
    for row in range(_IMAGE_SHAPE[0])
    for col in range(_IMAGE_SHAPE[1])
]
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


class ChecksumError(ValueError):
    """A data file's SHA-256 digest does not match its checksum file.

    Also raised when a checksum file is malformed or does not list a file
    that is about to be read.  The message names the file and, for a
    mismatch, both the expected and the actual digest.  Subclasses
    :class:`ValueError`.
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
    return _load(
        folder,
        subset=subset,
        return_X_y=return_X_y,
        verify_checksum=verify_checksum,
        dataset="MNIST",
        origin=origin,
        descr=_MNIST_DESCR,
        target_names=np.arange(_N_CLASSES),
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
    return _load(
        folder,
        subset=subset,
        return_X_y=return_X_y,
        verify_checksum=False,
        dataset="Fashion-MNIST",
        origin="the data_home argument",
        descr=_FASHION_DESCR,
        target_names=_FASHION_CLASS_NAMES.copy(),
    )


def _bundled_folder():
    """Return where the repository keeps its copy of MNIST.

    ``parents[2]`` of ``sknnscratch/datasets/_mnist.py`` is the repository
    root in a source checkout; the data are not part of an installed wheel.
    A function rather than a constant so that tests can redirect it.
    """
    return Path(__file__).resolve().parents[2] / "data" / "mnist"


def _mnist_folder(data_home):
    """Pick the MNIST folder; return it and a phrase saying where it came from.

    The phrase ends up in error messages so that a user who forgot an
    exported ``SKNNSCRATCH_DATA`` can see why an unexpected folder was used.
    """
    if data_home is not None:
        root, origin = Path(data_home).expanduser(), "the data_home argument"
    elif os.environ.get(DATA_ENV_VAR):
        root = Path(os.environ[DATA_ENV_VAR]).expanduser()
        origin = f"the {DATA_ENV_VAR} environment variable"
    else:
        folder = _bundled_folder()
        if not folder.is_dir():
            raise FileNotFoundError(
                "No MNIST data found. Looked at, in order: (1) the data_home "
                f"argument: not given; (2) the {DATA_ENV_VAR} environment "
                "variable: not set; (3) the copy bundled with the source "
                f"repository, {folder}: no such folder (it exists only in a "
                "source checkout installed with `pip install -e .`). Pass "
                f"data_home, or set {DATA_ENV_VAR}, to a folder holding the "
                "four MNIST IDX files or a mnist/ subfolder with them."
            )
        return folder, "the copy bundled with the repository"
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (given by {origin})")
    subfolder = root / "mnist"
    return (subfolder if subfolder.is_dir() else root), origin


def _find_file(folder, stem, dataset, origin):
    """Return ``folder/stem.gz`` or ``folder/stem``, whichever exists first."""
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{dataset} file {stem}.gz (or uncompressed {stem}) not found in "
        f"folder {folder} (given by {origin})"
    )


def _load(
    folder,
    *,
    subset,
    return_X_y,
    verify_checksum,
    dataset,
    origin,
    descr,
    target_names,
):
    """Read, check and assemble the requested subset of an MNIST-like folder."""
    if isinstance(subset, str) and subset in _SUBSETS:
        splits = ["train", "test"] if subset == "all" else [subset]
    else:
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}")

    # Locate every file before reading any, so that a missing file is
    # reported at once rather than after decompressing the others.
    paths = [
        tuple(_find_file(folder, stem, dataset, origin) for stem in _FILES[split])
        for split in splits
    ]
    parts = [
        _read_pair(images_path, labels_path, verify_checksum)
        for images_path, labels_path in paths
    ]

    if len(parts) == 1:
        images, target = parts[0]
    else:
        images = np.concatenate([images for images, _ in parts])
        target = np.concatenate([target for _, target in parts])
    # A view, not a copy; the explicit width keeps this valid for 0 images.
    data = images.reshape(len(images), len(_FEATURE_NAMES))
    if return_X_y:
        return data, target

    is_train = np.concatenate(
        [
            np.full(len(part_target), split == "train")
            for split, (_, part_target) in zip(splits, parts, strict=True)
        ]
    )
    return Bunch(
        data=data,
        target=target,
        images=images,
        is_train=is_train,
        feature_names=list(_FEATURE_NAMES),
        target_names=target_names,
        filenames=[str(path) for pair in paths for path in pair],
        DESCR=descr.format(
            n_samples=f"{len(target):,}",
            source=f"subset={subset!r}, read from {folder}",
        ),
    )


def _read_pair(images_path, labels_path, verify_checksum):
    """Read one images/labels file pair and check that they belong together."""
    images = _read_checked(images_path, verify_checksum)
    labels = _read_checked(labels_path, verify_checksum)
    if images.dtype != np.uint8 or images.shape[1:] != _IMAGE_SHAPE or images.ndim != 3:
        raise IDXFormatError(
            f"{images_path}: expected unsigned-byte images of shape "
            f"(n, 28, 28) but the file holds {images.dtype} data of shape "
            f"{images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXFormatError(
            f"{labels_path}: expected a 1-d array of unsigned-byte labels but "
            f"the file holds {labels.dtype} data of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels"
        )
    if len(labels) and labels.max() >= _N_CLASSES:
        raise IDXFormatError(
            f"{labels_path}: labels must be class indices 0-{_N_CLASSES - 1} "
            f"but the file holds {labels.max()}"
        )
    return images, labels.astype(np.int64)


def _read_checked(path, verify_checksum):
    """Read an IDX file, verifying its digest first when asked and possible.

    The file's bytes are read once and serve both the digest and the parse.
    """
    raw = _read_bytes(path)
    if verify_checksum:
        sums_name = (
            _SUMS_COMPRESSED if path.name.endswith(".gz") else _SUMS_UNCOMPRESSED
        )
        sums_file = path.parent / sums_name
        if sums_file.is_file():
            _verify_checksum(path, raw, sums_file)
    return _read_idx_bytes(raw, path)


def _verify_checksum(path, raw, sums_file):
    """Check the SHA-256 of ``raw`` (the bytes of ``path``) against ``sums_file``.

    Raises
    ------
    ChecksumError
        If ``sums_file`` is malformed, does not list ``path``'s name, or
        lists a different digest.
    """
    path, sums_file = Path(path), Path(sums_file)
    expected = _read_sums_file(sums_file).get(path.name)
    if expected is None:
        raise ChecksumError(
            f"{path}: not listed in {sums_file}, so it cannot be verified "
            "(add its digest there or pass verify_checksum=False)"
        )
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ChecksumError(
            f"{path}: SHA-256 checksum mismatch: {sums_file.name} expects "
            f"{expected} but the file's digest is {actual}; the file is damaged "
            "or not the original, so restore it or pass verify_checksum=False"
        )


def _read_sums_file(sums_file):
    """Parse a ``sha256sum``-style file into ``{file name: hex digest}``."""
    sums = {}
    text = Path(sums_file).read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(maxsplit=1)
        digest = fields[0].lower()
        if (
            len(fields) != 2
            or len(digest) != 64
            or not set(digest) <= set(string.hexdigits.lower())
        ):
            raise ChecksumError(
                f"{sums_file}, line {lineno}: expected '<SHA-256 hex digest>  "
                f"<file name>' but found {line!r}"
            )
        # sha256sum marks files hashed in binary mode with a leading "*".
        sums[fields[1].strip().removeprefix("*")] = digest
    return sums
