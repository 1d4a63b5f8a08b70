"""Images from files, prepared as a model for 28x28 images takes them.

MNIST's digits are white on black, 28x28, with the digit scaled into 20x20
and centred by its centre of mass. :func:`read_image` brings a PNG (or any
image Pillow reads) to that form for a model of MNIST's digits, and only to
28x28 grayscale for any other (Fashion-MNIST's clothes);
:func:`read_npy_images` reads arrays of images already in it. Both return
float32 pixels in [0, 1], one row of :data:`N_PIXELS` per image, and raise
:class:`ImageFileError` with a message meant for the person who gave the
file.

Nothing here unpickles: an ``.npy`` file of Python objects is refused.
"""

import math
import re
import warnings

import numpy as np

from ._mnist_format import IMAGE_SHAPE

__all__ = [
    "N_PIXELS",
    "ImageFileError",
    "fit_like_mnist",
    "is_npy_file",
    "prepare_like_mnist",
    "read_image",
    "resize_to_28x28",
    "read_npy_images",
    "scale_pixels",
]

#: Pixels of an MNIST image: the features a model for these images takes.
N_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]

#: The first bytes of an .npy file.
_NPY_MAGIC = b"\x93NUMPY"
#: What a file given as .npy is instead, by its first bytes: a zip archive
#: (.npz) or a pickle.
_OTHER_FORMATS = (
    (b"PK\x03\x04", "but a zip archive, such as an .npz file"),
    (b"\x80", "but a pickle, which predict never loads"),
)


class ImageFileError(ValueError):
    """A file that cannot be read as digit images; the message says why."""


def scale_pixels(images):
    """uint8 0-255 pixels -> float32 in [0, 1], the input every model here gets."""
    return images.astype(np.float32) / np.float32(255)


def is_npy_file(path):
    """Whether ``path`` is to be read as an .npy file: by its suffix or magic."""
    return path.suffix.lower() == ".npy" or _first_bytes(path) == _NPY_MAGIC


def _first_bytes(path):
    """As many bytes as the longest magic number, enough to tell the format."""
    try:
        with path.open("rb") as file:
            return file.read(len(_NPY_MAGIC))
    except OSError as exc:
        raise ImageFileError(f"cannot read {path}: {exc}") from None


# --- .npy files ---------------------------------------------------------------


def read_npy_images(path):
    """Images from an .npy file of shape (n, 28, 28), (n, 784) or one image.

    The header is read and checked first (format, dtype, shape, and that the
    file holds as many bytes as the header announces), so that a wrong or
    damaged file is reported without loading it: a header may claim any size.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    pixels : ndarray of shape (n_images, 784), dtype float32
        Values in [0, 1]: integers are divided by 255, and so are floats
        above 1 (0-255 values stored as floats).

    Raises
    ------
    ImageFileError
        If the file is no .npy file, holds no images of 28x28 pixels, or
        holds values that are not pixel intensities.
    """
    _check_npy_magic(path, _first_bytes(path))
    shape, dtype, offset = _npy_header(path)
    if dtype.hasobject:
        # Reading an object array means unpickling it, which can run code.
        raise ImageFileError(
            f"{path} holds Python objects (dtype {dtype}), which cannot be read "
            "without unpickling, and predict never unpickles; save the images "
            "as numbers (uint8 0-255 or float 0-1)"
        )
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise ImageFileError(
            f"{path} holds {dtype} values, not pixel intensities; expected "
            "integers 0-255 or floats 0-1"
        )
    n_images = _npy_image_count(shape)
    if n_images is None:
        raise ImageFileError(
            f"{path} holds an array of shape {shape}; expected images of shape "
            "(n, 28, 28) or (n, 784), or one image of shape (28, 28) or (784,)"
        )
    if n_images == 0:
        raise ImageFileError(f"{path} holds no images: its array has shape {shape}")
    if path.stat().st_size - offset < math.prod(shape) * dtype.itemsize:
        raise ImageFileError(
            f"{path} is shorter than its header says (an array of shape {shape}, "
            f"{dtype}): the file is truncated or damaged"
        )
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, MemoryError) as exc:
        raise ImageFileError(
            f"cannot read {path} as a NumPy .npy file: {exc}"
        ) from None
    return _npy_pixels(path, array.reshape(n_images, -1))


def _check_npy_magic(path, magic):
    """Name what a file that is not an .npy file is, when it can be told."""
    if magic.startswith(_NPY_MAGIC):
        return
    kind = next(
        (kind for prefix, kind in _OTHER_FORMATS if magic.startswith(prefix)),
        "(it does not start as one)",
    )
    raise ImageFileError(
        f"{path} is not a NumPy .npy file {kind}; save the images with numpy.save"
    )


def _npy_header(path):
    """Shape, dtype and data offset from an .npy file's header."""
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    try:
        with path.open("rb") as file:
            version = np.lib.format.read_magic(file)
            if version in readers:
                shape, _, dtype = readers[version](file)
                return shape, dtype, file.tell()
    except (OSError, ValueError, EOFError) as exc:
        raise ImageFileError(
            f"cannot read {path} as a NumPy .npy file: its header is damaged ({exc})"
        ) from None
    # Version 3 only adds non-Latin-1 field names: not pixels.
    raise ImageFileError(
        f"{path} is an .npy file of format version {version}, which only "
        "structured arrays use; save plain pixel arrays"
    )


def _npy_image_count(shape):
    """How many 28x28 images an array of ``shape`` holds, or None if it is not.

    A (28, 28) or (784,) array is one image; (n, 28, 28) and (n, 784) are n.
    Nothing else is read as images, even with 784 values per row, since a
    (n, 14, 56) or (n, 784, 1) array is not clearly images.
    """
    if shape in (IMAGE_SHAPE, (N_PIXELS,)):
        return 1
    if len(shape) == 2 and shape[1] == N_PIXELS:
        return shape[0]
    if len(shape) == 3 and shape[1:] == IMAGE_SHAPE:
        return shape[0]
    return None


def _npy_pixels(path, array):
    """Rows of pixels from an .npy file, float32 in [0, 1], or ImageFileError.

    uint8 images are 0-255; floats are taken as 0-1 unless they are plainly
    0-255 values stored as floats.  Anything else (NaN, negative values,
    standardised features) would be classified without a word, wrongly.
    """
    if np.issubdtype(array.dtype, np.floating):
        n_nan, n_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if n_nan or n_inf:
            what = " and ".join(
                f"{count:,} {name}"
                for count, name in ((n_nan, "NaN"), (n_inf, "infinite"))
                if count
            )
            raise ImageFileError(
                f"{path} holds {what} values; pixel intensities must be finite"
            )
    low, high = array.min(), array.max()
    if low < 0 or high > 255:
        raise ImageFileError(
            f"{path} holds values from {low:g} to {high:g}; expected pixel "
            "intensities 0-255 (e.g. uint8) or 0-1 (floats), as in MNIST"
        )
    if np.issubdtype(array.dtype, np.integer) or high > 1:
        return scale_pixels(array)
    return array.astype(np.float32)


# --- image files ----------------------------------------------------------------


def read_image(path, *, digit):
    """One image file as 28x28 pixels, with notes on what was changed.

    The image is converted to grayscale (a transparent background painted
    white first, as a viewer shows it). For a digit (``digit=True``), a
    light image is inverted to a white digit on black, and one that is not
    28x28 is cropped to its digit and centred in 28x28
    (:func:`prepare_like_mnist`); any other image is only resized to 28x28
    (:func:`resize_to_28x28`). Warnings Pillow gives while reading (damaged
    metadata it skipped) are issued again, once each, with the file's name
    in front.

    Parameters
    ----------
    path : pathlib.Path
        An image file in any format Pillow reads.
    digit : bool
        Whether to prepare the image as MNIST's digits were prepared.

    Returns
    -------
    pixels : ndarray of shape (784,), dtype float32
        Values in [0, 1].
    notes : list of str
        What was done to the image: ``"inverted"``, ``"resized from WxH"``.

    Raises
    ------
    ImageFileError
        If Pillow cannot read the file, or the image has more pixels than
        Pillow's limit against decompression bombs.
    """
    # Pillow comes with matplotlib; imported here as only image reading needs it.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that, then
            # decodes gigabytes; no digit needs that many pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image = _flatten_alpha(image)
                gray = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        size = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(size.group(1)):,} pixels, " if size else ""
        raise ImageFileError(
            f"{path} is too large an image to read safely ({pixels}over Pillow's "
            f"limit of {Image.MAX_IMAGE_PIXELS:,} pixels against decompression "
            "bombs); scale it down: a few hundred pixels a side are plenty for a "
            "digit"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageFileError(f"cannot read {path} as an image: {exc}") from None
    # Pillow often warns once per read of a damaged tag: say it once.
    for message, category in dict.fromkeys(
        (str(warning.message), warning.category) for warning in caught
    ):
        warnings.warn(f"{path}: {message}", category, stacklevel=2)
    return prepare_like_mnist(gray) if digit else resize_to_28x28(gray)


def resize_to_28x28(gray):
    """Grayscale pixels in [0, 1] resized to 28x28, nothing else changed.

    Parameters
    ----------
    gray : ndarray of shape (height, width)
        The image, 0 black and 1 white.

    Returns
    -------
    pixels : ndarray of shape (784,), dtype float32
    notes : list of str
        ``["resized from WxH"]``, or empty for an image already 28x28.
    """
    if gray.shape == IMAGE_SHAPE:
        return gray.reshape(N_PIXELS).astype(np.float32), []
    from PIL import Image

    resized = Image.fromarray(gray.astype(np.float32), mode="F").resize(
        IMAGE_SHAPE[::-1], Image.Resampling.LANCZOS
    )
    pixels = np.clip(np.asarray(resized), 0, 1).reshape(N_PIXELS)
    return pixels.astype(np.float32), [f"resized from {gray.shape[1]}x{gray.shape[0]}"]


def prepare_like_mnist(gray):
    """Grayscale pixels in [0, 1] as an MNIST digit: white on black, 28x28.

    Parameters
    ----------
    gray : ndarray of shape (height, width)
        The image, 0 black and 1 white.

    Returns
    -------
    pixels : ndarray of shape (784,), dtype float32
    notes : list of str
        What was done: ``"inverted"``, ``"resized from WxH"``.
    """
    notes = []
    if _border_is_bright(gray):
        gray = 1 - gray
        notes.append("inverted")
    if gray.shape != IMAGE_SHAPE:
        notes.append(f"resized from {gray.shape[1]}x{gray.shape[0]}")
        gray = fit_like_mnist(gray)
    return gray.reshape(N_PIXELS).astype(np.float32), notes


def _flatten_alpha(image):
    """Paint a transparent image onto white, as it appears in a viewer.

    Without this, transparent pixels (often stored as black) would turn a
    dark digit on a transparent background into an all-black image.
    """
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba)
    return image


def _border_is_bright(gray):
    """Whether the image's outer ring is mostly light: a dark digit on paper."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return np.mean(border > 0.5) > 0.5


def fit_like_mnist(gray):
    """Crop to the digit, scale it into 20x20 and centre it in 28x28.

    MNIST's digits were normalised this way; a digit filling a whole photo
    or canvas would otherwise look nothing like what the model learnt.

    Parameters
    ----------
    gray : ndarray of shape (height, width)
        A white digit on black, values in [0, 1].

    Returns
    -------
    canvas : ndarray of shape (28, 28), dtype float32
    """
    from PIL import Image

    ink = gray > 0.1
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        gray = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = gray.shape
    scale = 20 / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    digit = Image.fromarray(gray.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(digit), 0, 1)
    return _paste_centred(digit)


def _paste_centred(digit):
    """Paste ``digit`` into a black 28x28 image, its centre of mass at the middle."""
    canvas = np.zeros(IMAGE_SHAPE, dtype=np.float32)
    height, width = digit.shape
    total = digit.sum()
    if total > 0:
        rows, cols = np.indices(digit.shape)
        centre = ((rows * digit).sum() / total, (cols * digit).sum() / total)
    else:
        centre = ((height - 1) / 2, (width - 1) / 2)
    top = int(np.clip(round(13.5 - centre[0]), 0, IMAGE_SHAPE[0] - height))
    left = int(np.clip(round(13.5 - centre[1]), 0, IMAGE_SHAPE[1] - width))
    canvas[top : top + height, left : left + width] = digit
    return canvas
