"""sknnscratch.datasets._mnist: the bundled MNIST, and where load_mnist looks.

The real bundled files are read once for the module (``mnist_all``).
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import _mnist, load_mnist, load_mnist_split

from ._support import (
    BUNDLED,
    ENV_VAR,
    TEST_FILES,
    TEST_LABELS_START,
    TRAIN_FILES,
    write_fake_mnist,
)

# Facts about the real data, from data/README.md.
TRAIN_LABELS_START = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture
def no_env(monkeypatch):
    """Make sure a developer's own SKNNSCRATCH_DATA cannot leak into a test."""
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def mnist_all():
    """The full bundled MNIST, read once for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        return load_mnist(subset="all")


# --------------------------------------------------------------------------
# The real, bundled MNIST
# --------------------------------------------------------------------------


def test_bundled_mnist_all_shapes_dtypes_and_fields(mnist_all):
    assert mnist_all.data.shape == (70_000, 784)
    assert mnist_all.data.dtype == np.uint8
    assert mnist_all.images.shape == (70_000, 28, 28)
    assert mnist_all.images.dtype == np.uint8
    assert mnist_all.target.shape == (70_000,)
    assert mnist_all.target.dtype == np.int64
    # data is the flattened view of images, row by row.
    assert np.shares_memory(mnist_all.data, mnist_all.images)
    assert_array_equal(mnist_all.data[123], mnist_all.images[123].ravel())
    assert mnist_all.data.min() == 0 and mnist_all.data.max() == 255
    assert len(mnist_all.feature_names) == 784
    assert mnist_all.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert mnist_all.feature_names[-1] == "pixel_27_27"
    assert_array_equal(mnist_all.target_names, np.arange(10))
    assert "CC BY-SA 3.0" in mnist_all.DESCR
    assert "X / 255.0" in mnist_all.DESCR
    assert [p.rsplit("/", 1)[-1] for p in mnist_all.filenames] == [
        f"{name}.gz" for name in TRAIN_FILES + TEST_FILES
    ]
    assert all(p.startswith(str(BUNDLED)) for p in mnist_all.filenames)


def test_bundled_mnist_official_split_marker(mnist_all):
    # The first 60,000 samples are the official training set.
    assert mnist_all.is_train.dtype == bool
    assert mnist_all.is_train[:60_000].all()
    assert not mnist_all.is_train[60_000:].any()


def test_bundled_mnist_label_facts(mnist_all):
    train_target = mnist_all.target[mnist_all.is_train]
    test_target = mnist_all.target[~mnist_all.is_train]
    assert train_target[:10].tolist() == TRAIN_LABELS_START
    assert test_target[:10].tolist() == TEST_LABELS_START
    assert np.bincount(train_target).tolist() == TRAIN_CLASS_COUNTS


def test_load_mnist_subsets_and_split_agree_with_all(mnist_all, no_env):
    X_test, y_test = load_mnist(subset="test", return_X_y=True)
    assert_array_equal(X_test, mnist_all.data[60_000:])
    assert_array_equal(y_test, mnist_all.target[60_000:])

    X_train, X_test2, y_train, y_test2 = load_mnist_split()
    assert X_train.shape == (60_000, 784) and X_test2.shape == (10_000, 784)
    assert_array_equal(X_train, mnist_all.data[:60_000])
    assert_array_equal(y_train, mnist_all.target[:60_000])
    assert_array_equal(X_test2, X_test)
    assert_array_equal(y_test2, y_test)


# --------------------------------------------------------------------------
# Where load_mnist looks
# --------------------------------------------------------------------------


def test_data_home_wins_over_environment_variable(tmp_path, monkeypatch):
    from_env = write_fake_mnist(tmp_path / "env", offset=1)
    from_arg = write_fake_mnist(tmp_path / "arg", offset=2)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert_array_equal(load_mnist().target, from_env["train"])
    assert_array_equal(load_mnist(tmp_path / "arg").target, from_arg["train"])


@pytest.mark.parametrize("layout", ["files directly", "mnist subfolder"])
def test_environment_variable_wins_over_bundled_copy(tmp_path, monkeypatch, layout):
    root = tmp_path / "data"
    folder = root if layout == "files directly" else root / "mnist"
    labels = write_fake_mnist(folder, offset=3, compress=False)
    monkeypatch.setenv(ENV_VAR, str(root))
    bunch = load_mnist(subset="all")
    assert_array_equal(bunch.target, np.r_[labels["train"], labels["t10k"]])
    assert bunch.is_train.tolist() == [True] * 5 + [False] * 3
    assert all(p.startswith(str(folder)) for p in bunch.filenames)


@pytest.mark.parametrize("value", [None, ""])
def test_bundled_copy_used_without_data_home_or_variable(tmp_path, monkeypatch, value):
    labels = write_fake_mnist(tmp_path / "bundled", offset=4)
    monkeypatch.setattr(_mnist, "_bundled_folder", lambda: tmp_path / "bundled")
    if value is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:  # an empty variable counts as unset
        monkeypatch.setenv(ENV_VAR, value)
    assert_array_equal(load_mnist(subset="test").target, labels["t10k"])


def test_nothing_found_explains_all_three_places(tmp_path, monkeypatch, no_env):
    absent = tmp_path / "not-a-checkout" / "data" / "mnist"
    monkeypatch.setattr(_mnist, "_bundled_folder", lambda: absent)
    with pytest.raises(
        FileNotFoundError,
        match=rf"data_home argument: not given.*{ENV_VAR} environment variable: "
        rf"not set.*{re.escape(str(absent))}: no such folder",
    ):
        load_mnist()


def test_missing_data_home_folder(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"nowhere: no such folder \(given by the data_home"
    ):
        load_mnist(tmp_path / "nowhere")


def test_missing_environment_variable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(
        FileNotFoundError, match=rf"nowhere: no such folder \(given by the {ENV_VAR}"
    ):
        load_mnist()


def test_missing_file_is_reported_without_falling_back(tmp_path, monkeypatch):
    # The environment variable points at complete data, but the explicit
    # data_home lacks a file: that must be an error, not a silent fallback.
    write_fake_mnist(tmp_path / "complete")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "complete"))
    write_fake_mnist(tmp_path / "partial")
    (tmp_path / "partial" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"MNIST file t10k-labels-idx1-ubyte\.gz \(or uncompressed "
        rf"t10k-labels-idx1-ubyte\) not found in folder "
        rf"{re.escape(str(tmp_path / 'partial'))} \(given by the data_home",
    ):
        load_mnist(tmp_path / "partial", subset="test")
    # The training files are all there, so that subset still loads.
    assert load_mnist(tmp_path / "partial").data.shape == (5, 784)
