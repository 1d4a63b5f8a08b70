"""Images from files, made to look like MNIST's digits or only resized
(datasets._images).
"""

import warnings

import numpy as np
import pytest
from PIL import Image

from sknnscratch.datasets import _images
from sknnscratch.datasets._images import (
    N_PIXELS,
    ImageFileError,
    fit_like_mnist,
    is_npy_file,
    prepare_like_mnist,
    read_image,
    read_npy_images,
    resize_to_28x28,
    scale_pixels,
)
from sknnscratch.datasets._mnist_format import IMAGE_SHAPE


def square(size, value=1.0, background=0.0, box=None):
    """A ``size`` x ``size`` image with a filled square ``box`` (top, left, side)."""
    image = np.full((size, size), background, dtype=np.float32)
    top, left, side = box or (size // 4, size // 4, size // 2)
    image[top : top + side, left : left + side] = value
    return image


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (rows * image).sum() / total, (cols * image).sum() / total


def test_the_shape_is_mnists():
    assert IMAGE_SHAPE == (28, 28) and N_PIXELS == 784


def test_scale_pixels_maps_bytes_to_0_1_float32():
    pixels = scale_pixels(np.array([0, 51, 255], dtype=np.uint8))
    assert pixels.dtype == np.float32
    np.testing.assert_array_equal(pixels, np.float32([0, 0.2, 1]))


# --- .npy files -----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 28, 28), (3, 784), (28, 28), (784,)], ids=str)
def test_npy_images_of_every_accepted_shape(shape, tmp_path):
    images = np.arange(np.prod(shape)).reshape(shape) % 256
    np.save(tmp_path / "x.npy", images.astype(np.uint8))
    pixels = read_npy_images(tmp_path / "x.npy")
    n_images = shape[0] if len(shape) in (2, 3) and shape != (28, 28) else 1
    assert pixels.shape == (n_images, N_PIXELS) and pixels.dtype == np.float32
    np.testing.assert_array_equal(
        pixels, scale_pixels(images.astype(np.uint8).reshape(n_images, -1))
    )


def test_npy_floats_are_0_1_unless_plainly_0_255(tmp_path):
    np.save(tmp_path / "unit.npy", np.full(784, 0.5))
    np.save(tmp_path / "bytes.npy", np.full(784, 127.5))
    np.testing.assert_array_equal(read_npy_images(tmp_path / "unit.npy"), 0.5)
    np.testing.assert_array_equal(read_npy_images(tmp_path / "bytes.npy"), 0.5)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full(784, np.nan), "784 NaN values"),
        (np.zeros((2, 14, 56)), r"shape \(2, 14, 56\)"),
        (np.zeros((0, 784)), "holds no images"),
        (np.array(["7"] * 784), "<U1 values, not pixel intensities"),
        (np.linspace(-1, 1, 784), "values from -1 to 1"),
    ],
    ids=["nan", "shape", "empty", "strings", "negative"],
)
def test_npy_refusals_say_why(array, message, tmp_path):
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(ImageFileError, match=message):
        read_npy_images(tmp_path / "x.npy")


def test_an_object_array_is_refused_without_unpickling(tmp_path, monkeypatch):
    np.save(tmp_path / "o.npy", np.array([1, None], dtype=object), allow_pickle=True)
    monkeypatch.setattr(np, "load", None)  # never reached
    with pytest.raises(ImageFileError, match="holds Python objects"):
        read_npy_images(tmp_path / "o.npy")


def test_a_file_that_is_no_npy_file_is_named(tmp_path):
    (tmp_path / "p.npy").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ImageFileError, match="but a pickle, which predict never"):
        read_npy_images(tmp_path / "p.npy")


def test_image_file_error_is_a_value_error():
    assert issubclass(ImageFileError, ValueError)


def test_npy_files_are_told_by_suffix_or_magic(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.npy").rename(tmp_path / "a.bin")
    (tmp_path / "b.NPY").write_bytes(b"anything")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    assert is_npy_file(tmp_path / "a.bin") and is_npy_file(tmp_path / "b.NPY")
    assert not is_npy_file(tmp_path / "c.png")


# --- image files ----------------------------------------------------------------


def test_a_28x28_white_on_black_digit_is_kept_as_is(tmp_path):
    pixels = (np.arange(784) % 256).astype(np.uint8).reshape(IMAGE_SHAPE)
    pixels[0, :] = 0  # a dark border: no inversion
    Image.fromarray(pixels).save(tmp_path / "d.png")
    read, notes = read_image(tmp_path / "d.png", digit=True)
    assert notes == []
    np.testing.assert_array_equal(read, scale_pixels(pixels).reshape(N_PIXELS))


def test_a_light_background_is_inverted():
    pixels, notes = prepare_like_mnist(square(28, value=0.0, background=1.0))
    assert notes == ["inverted"]
    np.testing.assert_array_equal(pixels, square(28).reshape(N_PIXELS))


def test_a_transparent_background_is_painted_white_then_inverted(tmp_path):
    ink = Image.fromarray((square(28) * 255).astype(np.uint8))
    rgba = Image.new("RGBA", (28, 28), (0, 0, 0, 0))
    rgba.putalpha(ink)  # a black square on a transparent background
    rgba.save(tmp_path / "t.png")
    pixels, notes = read_image(tmp_path / "t.png", digit=True)
    assert notes == ["inverted"]
    np.testing.assert_allclose(pixels, square(28).reshape(N_PIXELS))


def test_another_size_is_cropped_scaled_into_20x20_and_centred():
    # An off-centre 30x30 square on a 100x100 canvas.
    pixels, notes = prepare_like_mnist(square(100, box=(5, 60, 30)))
    assert notes == ["resized from 100x100"]
    canvas = pixels.reshape(IMAGE_SHAPE)
    rows, cols = np.nonzero(canvas > 0.5)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 20
    np.testing.assert_allclose(centre_of_mass(canvas), (13.5, 13.5), atol=0.5)


def test_a_wide_digit_keeps_its_aspect_ratio():
    canvas = fit_like_mnist(square(60, box=(20, 0, 60))[20:35])  # 15 x 60 bar
    rows, cols = np.nonzero(canvas > 0.5)
    assert cols.max() - cols.min() + 1 == 20 and rows.max() - rows.min() + 1 == 5


def test_a_blank_image_gives_a_blank_canvas():
    canvas = fit_like_mnist(np.zeros((50, 40), dtype=np.float32))
    assert canvas.shape == IMAGE_SHAPE and not canvas.any()


def test_an_image_that_is_no_digit_is_only_resized(tmp_path):
    # Fashion-MNIST's clothes: no inversion, cropping or centring.
    image = square(56, value=0.0, background=1.0, box=(0, 0, 28))  # light, dark TL
    pixels, notes = resize_to_28x28(image)
    assert notes == ["resized from 56x56"]
    canvas = pixels.reshape(IMAGE_SHAPE)
    assert pixels.dtype == np.float32 and 0 <= canvas.min() and canvas.max() <= 1
    np.testing.assert_allclose(canvas[:12, :12], 0, atol=0.02)  # still dark
    np.testing.assert_allclose(canvas[16:, 16:], 1, atol=0.02)  # still light
    Image.fromarray((image * 255).astype(np.uint8)).save(tmp_path / "c.png")
    read, notes = read_image(tmp_path / "c.png", digit=False)
    assert notes == ["resized from 56x56"]
    np.testing.assert_allclose(read, pixels, atol=1 / 255)


def test_a_28x28_image_that_is_no_digit_is_kept_as_is():
    image = square(28, value=0.0, background=1.0)
    pixels, notes = resize_to_28x28(image)
    assert notes == []
    np.testing.assert_array_equal(pixels, image.reshape(N_PIXELS))


def test_unreadable_images_raise_image_file_error(tmp_path):
    (tmp_path / "t.png").write_bytes(b"not an image")
    with pytest.raises(ImageFileError, match="cannot read .* as an image"):
        read_image(tmp_path / "t.png", digit=True)


def test_pillows_warnings_are_issued_again_once_naming_the_file(tmp_path, monkeypatch):
    flatten = _images._flatten_alpha

    def warn_twice(image):
        for _ in range(2):
            warnings.warn("Corrupt EXIF data", UserWarning, stacklevel=1)
        return flatten(image)

    monkeypatch.setattr(_images, "_flatten_alpha", warn_twice)
    Image.new("L", (28, 28)).save(tmp_path / "d.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_image(tmp_path / "d.png", digit=True)
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, f"{tmp_path / 'd.png'}: Corrupt EXIF data")
    ]
