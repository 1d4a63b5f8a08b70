"""sknnscratch.datasets._mnist_format: reading a folder of the four MNIST-style
IDX files, shared by the MNIST and Fashion-MNIST loaders.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import (
    IDXFormatError,
    load_fashion_mnist,
    load_mnist,
    write_idx,
)

from ._support import write_fake_mnist


@pytest.mark.parametrize("subset", ["validation", "TRAIN", None, ["train"]])
def test_load_mnist_rejects_unknown_subset(subset):
    with pytest.raises(ValueError, match="subset must be 'train', 'test' or 'all'"):
        load_mnist(subset=subset)


def test_images_and_labels_must_match_in_number(tmp_path):
    write_fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(
        IDXFormatError,
        match=r"train-images-idx3-ubyte\.gz holds 5 images but "
        r".*train-labels-idx1-ubyte\.gz holds 4 labels",
    ):
        load_fashion_mnist(tmp_path)


def test_labels_must_be_class_indices(tmp_path):
    write_fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 2, 3, 10], "u1"))
    with pytest.raises(
        IDXFormatError,
        match=r"train-labels-idx1-ubyte\.gz: labels must be class indices 0-9 but "
        r"the file holds 10",
    ):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((5, 28, 27), np.uint8),
        np.zeros((5, 784), np.uint8),
        np.zeros((5, 28, 28)),
    ],
)
def test_images_must_be_28x28_unsigned_bytes(tmp_path, images):
    write_fake_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(
        IDXFormatError,
        match=r"train-images-idx3-ubyte\.gz: expected unsigned-byte images of shape "
        r"\(n, 28, 28\)",
    ):
        load_mnist(tmp_path)


def test_uncompressed_file_used_when_no_gz(tmp_path):
    labels = write_fake_mnist(tmp_path, compress=False)
    # A .gz next to the uncompressed file takes precedence.
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(5, 9, np.uint8))
    bunch = load_mnist(tmp_path)
    assert bunch.target.tolist() == [9] * 5
    assert bunch.filenames[0].endswith("train-images-idx3-ubyte")
    assert bunch.filenames[1].endswith("train-labels-idx1-ubyte.gz")
    assert_array_equal(load_mnist(tmp_path, subset="test").target, labels["t10k"])
