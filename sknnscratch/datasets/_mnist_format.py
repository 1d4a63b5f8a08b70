"""The layout MNIST and Fashion-MNIST share: four IDX files in one folder.

Both datasets come as the same four files (training and test images and
labels, each gzip-compressed or not) holding 28x28 unsigned-byte images and
labels 0-9; only where they are found and how they are described differ.
:func:`load_folder` reads such a folder for either loader.  Nothing is cached
between calls: every call reads the files again (about half a second for all
of MNIST), so a changed or replaced file can never be shadowed by a stale
in-memory copy.
"""

import numpy as np
from sklearn.utils import Bunch

from ._checksums import read_verified
from ._idx import IDXFormatError

__all__ = ["IMAGE_SHAPE", "N_CLASSES", "load_folder"]

#: (height, width) of an MNIST or Fashion-MNIST image, in pixels. The one
#: place the package states it: code that needs the shape (the plots'
#: defaults, the command line) imports it from here rather than restating it.
IMAGE_SHAPE = (28, 28)
#: Number of classes, labelled 0 to N_CLASSES - 1, in either dataset.
N_CLASSES = 10

# The standard file names shared by MNIST and Fashion-MNIST, without ".gz".
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SUBSETS = ("train", "test", "all")
_FEATURE_NAMES = [
    f"pixel_{row}_{col}"
    for row in range(IMAGE_SHAPE[0])
    for col in range(IMAGE_SHAPE[1])
]


def load_folder(
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
    """Read, check and assemble the requested subset of an MNIST-like folder.

    Parameters
    ----------
    folder : pathlib.Path
        The folder holding the four files.
    subset : {"train", "test", "all"}
        Which part of the official split to return.
    return_X_y : bool
        Whether to return ``(data, target)`` rather than a Bunch.
    verify_checksum : bool
        Whether to verify each file's digest where a checksum file lists it;
        see ``read_verified`` in ``_checksums``.
    dataset : str
        The dataset's name, for messages.
    origin : str
        Where ``folder`` came from (e.g. "the data_home argument"), for
        messages.
    descr : str
        The Bunch's ``DESCR``, with ``{n_samples}`` and ``{source}`` fields.
    target_names : ndarray of shape (N_CLASSES,)
        The Bunch's ``target_names``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        As :func:`~sknnscratch.datasets.load_mnist` describes.

    Raises
    ------
    ValueError
        If ``subset`` is not one of the three.
    FileNotFoundError
        If a file is missing, naming it, the folder and ``origin``.
    ChecksumError
        If a verified file's digest does not match.
    IDXFormatError
        If a file is damaged or does not hold the expected arrays.
    """
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


def _find_file(folder, stem, dataset, origin):
    """Return ``folder/stem.gz`` or ``folder/stem``, whichever exists first."""
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{dataset} file {stem}.gz (or uncompressed {stem}) not found in "
        f"folder {folder} (given by {origin})"
    )


def _read_pair(images_path, labels_path, verify_checksum):
    """Read one images/labels file pair and check that they belong together."""
    images = read_verified(images_path, verify=verify_checksum)
    labels = read_verified(labels_path, verify=verify_checksum)
    if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SHAPE or images.ndim != 3:
        raise IDXFormatError(
            f"{images_path}: expected unsigned-byte images of shape "
            f"(n, {IMAGE_SHAPE[0]}, {IMAGE_SHAPE[1]}) but the file holds "
            f"{images.dtype} data of shape {images.shape}"
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
    if len(labels) and labels.max() >= N_CLASSES:
        raise IDXFormatError(
            f"{labels_path}: labels must be class indices 0-{N_CLASSES - 1} "
            f"but the file holds {labels.max()}"
        )
    return images, labels.astype(np.int64)
