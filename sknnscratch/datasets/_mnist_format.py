"""The layout MNIST and Fashion-MNIST share: four IDX files in one folder.

Both datasets come as the same four files (training and test images and
labels, each gzip-compressed or not) holding 28x28 unsigned-byte images and
labels 0-9, bundled in the repository's ``data/<name>/`` folders; only their
names and descriptions differ.  :func:`find_folder` picks the folder to read
and :func:`load_folder` reads it, for either loader.  Nothing is cached
between calls: every call reads the files again (about half a second for all
of MNIST), so a changed or replaced file can never be shadowed by a stale
in-memory copy.
"""

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._checksums import read_verified
from ._idx import IDXFormatError

__all__ = [
    "DATA_ENV_VAR",
    "IMAGE_SHAPE",
    "N_CLASSES",
    "bundled_folder",
    "find_folder",
    "load_folder",
]

#: Environment variable naming a data folder; see :func:`find_folder`.
DATA_ENV_VAR = "SKNNSCRATCH_DATA"

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


def bundled_folder(subfolder):
    """Where the repository keeps its copy of a dataset: ``data/<subfolder>``.

    ``parents[2]`` of ``sknnscratch/datasets/_mnist_format.py`` is the
    repository root in a source checkout; the data are not part of an
    installed wheel.
    """
    return Path(__file__).resolve().parents[2] / "data" / subfolder


def find_folder(data_home, *, dataset, subfolder, bundled, env_files_directly):
    """Pick a dataset's folder; return it and a phrase saying where it came from.

    Only the first of three places that is given is looked at, so that a
    folder lacking the files is an error rather than a reason to read other
    data from elsewhere: the ``data_home`` argument, then the folder named by
    the ``SKNNSCRATCH_DATA`` environment variable (if set and not empty), then
    the copy bundled with the repository.  The phrase ends up in error
    messages, so that a user who forgot an exported ``SKNNSCRATCH_DATA`` can
    see why an unexpected folder was used.

    Parameters
    ----------
    data_home : str, path-like or None
        The loader's argument.  The folder may hold the four files directly
        or in a ``subfolder`` subfolder; the subfolder wins if it exists.
    dataset : str
        The dataset's name, for messages.
    subfolder : str
        The dataset's folder name in a data folder, such as ``"mnist"``.
    bundled : pathlib.Path
        The bundled copy, used when neither of the others is given.
    env_files_directly : bool
        Whether the environment variable's folder, like ``data_home``, may
        hold the files directly.  Only MNIST's may: a general data folder
        holding MNIST's files must not be read as another dataset's, so the
        others are read from their subfolder only.

    Returns
    -------
    folder : pathlib.Path
    origin : str

    Raises
    ------
    FileNotFoundError
        If the chosen folder does not exist.
    """
    if data_home is not None:
        root, origin = Path(data_home).expanduser(), "the data_home argument"
    elif os.environ.get(DATA_ENV_VAR):
        root = Path(os.environ[DATA_ENV_VAR]).expanduser()
        origin = f"the {DATA_ENV_VAR} environment variable"
        if not env_files_directly and root.is_dir():
            folder = root / subfolder
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"{folder}: no such folder ({dataset} is read from the "
                    f"{subfolder}/ subfolder of {root}, given by {origin}; "
                    f"unset {DATA_ENV_VAR} to read the bundled copy)"
                )
            return folder, origin
    else:
        if not bundled.is_dir():
            raise FileNotFoundError(
                f"No {dataset} data found. Looked at, in order: (1) the "
                f"data_home argument: not given; (2) the {DATA_ENV_VAR} "
                "environment variable: not set; (3) the copy bundled with the "
                f"source repository, {bundled}: no such folder (it exists only "
                "in a source checkout installed with `pip install -e .`). "
                + _where_to_point(dataset, subfolder, env_files_directly)
            )
        return bundled, "the copy bundled with the repository"
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (given by {origin})")
    folder = root / subfolder
    return (folder if folder.is_dir() else root), origin


def _where_to_point(dataset, subfolder, env_files_directly):
    """The advice closing the error for data found nowhere."""
    files = f"the four {dataset} IDX files"
    if env_files_directly:
        return (
            f"Pass data_home, or set {DATA_ENV_VAR}, to a folder holding {files} "
            f"or a {subfolder}/ subfolder with them."
        )
    return (
        f"Pass data_home as a folder holding {files}, or set {DATA_ENV_VAR} to a "
        f"folder with a {subfolder}/ subfolder holding them."
    )


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
