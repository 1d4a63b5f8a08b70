"""sknnscratch.datasets._fashion_mnist: Fashion-MNIST from a folder."""

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import load_fashion_mnist

from ._support import write_fake_mnist


def test_load_fashion_mnist_from_folder(tmp_path):
    labels = write_fake_mnist(tmp_path, n_train=7, n_test=4, offset=5)
    bunch = load_fashion_mnist(tmp_path, subset="all")
    assert bunch.data.shape == (11, 784) and bunch.data.dtype == np.uint8
    assert bunch.images.shape == (11, 28, 28)
    assert bunch.target.dtype == np.int64
    assert_array_equal(bunch.target, np.r_[labels["train"], labels["t10k"]])
    assert bunch.is_train.sum() == 7
    assert bunch.target_names[0] == "T-shirt/top"
    assert bunch.target_names[9] == "Ankle boot"
    assert "Fashion-MNIST" in bunch.DESCR

    X, y = load_fashion_mnist(tmp_path, subset="test", return_X_y=True)
    assert X.shape == (4, 784)
    assert_array_equal(y, labels["t10k"])


def test_load_fashion_mnist_missing_folder(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"nowhere: no such folder for Fashion-MNIST"
    ):
        load_fashion_mnist(tmp_path / "nowhere")


def test_load_fashion_mnist_missing_file_names_file_and_folder(tmp_path):
    write_fake_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"Fashion-MNIST file train-images-idx3-ubyte\.gz .* not found in "
        rf"folder {re.escape(str(tmp_path))}",
    ):
        load_fashion_mnist(tmp_path)
