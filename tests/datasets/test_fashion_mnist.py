"""sknnscratch.datasets._fashion_mnist: the bundled Fashion-MNIST, its checksums
and where load_fashion_mnist looks.

The real bundled files are read once for the module (``fashion_all``); the
checksum tests copy the small test set into tmp_path and damage the copy.
"""

import gzip
import hashlib
import re
import shutil

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import (
    ChecksumError,
    IDXFormatError,
    _fashion_mnist,
    load_fashion_mnist,
)

from ._support import (
    BUNDLED,
    ENV_VAR,
    FASHION_BUNDLED,
    TEST_FILES,
    TRAIN_FILES,
    flip_byte,
    sums,
    write_fake_mnist,
)

# Facts about the real data, from Zalando's README (and data/fashion-mnist/).
TRAIN_LABELS_START = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
TEST_LABELS_START = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
CLASS_NAMES = [
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


@pytest.fixture
def no_env(monkeypatch):
    """Make sure a developer's own SKNNSCRATCH_DATA cannot leak into a test."""
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def fashion_all():
    """The full bundled Fashion-MNIST, read once for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        return load_fashion_mnist(subset="all")


# --------------------------------------------------------------------------
# The real, bundled Fashion-MNIST
# --------------------------------------------------------------------------


def test_bundled_fashion_mnist_shapes_dtypes_and_fields(fashion_all):
    assert fashion_all.data.shape == (70_000, 784)
    assert fashion_all.data.dtype == np.uint8
    assert fashion_all.images.shape == (70_000, 28, 28)
    assert np.shares_memory(fashion_all.data, fashion_all.images)
    assert fashion_all.target.shape == (70_000,)
    assert fashion_all.target.dtype == np.int64
    assert fashion_all.is_train.sum() == 60_000 and fashion_all.is_train[:60_000].all()
    assert fashion_all.data.min() == 0 and fashion_all.data.max() == 255
    assert fashion_all.target_names.tolist() == CLASS_NAMES
    assert "Fashion-MNIST" in fashion_all.DESCR and "MIT" in fashion_all.DESCR
    assert [p.rsplit("/", 1)[-1] for p in fashion_all.filenames] == [
        f"{name}.gz" for name in TRAIN_FILES + TEST_FILES
    ]
    assert all(p.startswith(str(FASHION_BUNDLED)) for p in fashion_all.filenames)


def test_bundled_fashion_mnist_label_facts(fashion_all):
    train_target = fashion_all.target[fashion_all.is_train]
    test_target = fashion_all.target[~fashion_all.is_train]
    assert train_target[:10].tolist() == TRAIN_LABELS_START
    assert test_target[:10].tolist() == TEST_LABELS_START
    assert np.bincount(train_target).tolist() == [6000] * 10
    assert np.bincount(test_target).tolist() == [1000] * 10


def test_class_names_have_one_home(fashion_all):
    assert list(_fashion_mnist.FASHION_CLASS_NAMES) == CLASS_NAMES
    # Each call gets its own array: changing one cannot change the next.
    fashion_all.target_names[0] = "changed"
    assert load_fashion_mnist(FASHION_BUNDLED, subset="test").target_names[0] == (
        "T-shirt/top"
    )


def test_bundled_folder_is_laid_out_as_mnist_is():
    # The same files, checksum lists and README as data/mnist/.
    names = sorted(path.name for path in FASHION_BUNDLED.iterdir())
    assert names == sorted(path.name for path in BUNDLED.iterdir())
    for sums_name in ("SHA256SUMS", "SHA256SUMS.uncompressed"):
        listed = sums(sums_name, FASHION_BUNDLED)
        assert sorted(listed) == sorted(sums(sums_name))  # the same file names
        assert set(listed.values()).isdisjoint(sums(sums_name).values())
    readme = (FASHION_BUNDLED / "README.md").read_text(encoding="utf-8")
    assert "MIT" in readme and "Zalando SE" in readme


# --------------------------------------------------------------------------
# Checksums, against a copy of the test set
# --------------------------------------------------------------------------


@pytest.fixture
def bundled_test_copy(tmp_path):
    """A copy of the bundled test-set files and SHA256SUMS in tmp/fashion-mnist."""
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name in [f"{n}.gz" for n in TEST_FILES] + ["SHA256SUMS"]:
        shutil.copyfile(FASHION_BUNDLED / name, folder / name)
    return folder


def test_intact_copy_passes_checksum_and_loads(bundled_test_copy, tmp_path):
    # tmp_path holds a fashion-mnist/ subfolder, which the lookup must pick.
    X, y = load_fashion_mnist(tmp_path, subset="test", return_X_y=True)
    assert X.shape == (10_000, 784)
    assert y[:10].tolist() == TEST_LABELS_START


def test_checksum_mismatch_is_refused(bundled_test_copy, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    damaged = bundled_test_copy / name
    flip_byte(damaged, -1)  # the gzip trailer's length field
    expected = sums("SHA256SUMS", FASHION_BUNDLED)[name]
    actual = hashlib.sha256(damaged.read_bytes()).hexdigest()
    with pytest.raises(
        ChecksumError,
        match=rf"{re.escape(name)}: SHA-256 checksum mismatch: SHA256SUMS expects "
        rf"{expected} but the file's digest is {actual}",
    ):
        load_fashion_mnist(tmp_path, subset="test")
    # Without verification the damage is still caught, later, by gzip.
    with pytest.raises(IDXFormatError, match=rf"{re.escape(name)}: corrupt gzip"):
        load_fashion_mnist(tmp_path, subset="test", verify_checksum=False)


def test_uncompressed_files_are_checked_against_uncompressed_sums(tmp_path):
    for name in TEST_FILES:
        raw = gzip.decompress((FASHION_BUNDLED / f"{name}.gz").read_bytes())
        (tmp_path / name).write_bytes(raw)
    shutil.copyfile(
        FASHION_BUNDLED / "SHA256SUMS.uncompressed",
        tmp_path / "SHA256SUMS.uncompressed",
    )
    assert load_fashion_mnist(tmp_path, subset="test").target[:10].tolist() == (
        TEST_LABELS_START
    )
    # One changed pixel is still a valid IDX file: only the checksum notices.
    flip_byte(tmp_path / "t10k-images-idx3-ubyte", 5000)
    with pytest.raises(
        ChecksumError, match=r"t10k-images-idx3-ubyte: SHA-256 checksum mismatch"
    ):
        load_fashion_mnist(tmp_path, subset="test")


def test_mnist_sums_do_not_pass_for_fashion_files(bundled_test_copy, tmp_path):
    shutil.copyfile(BUNDLED / "SHA256SUMS", bundled_test_copy / "SHA256SUMS")
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        load_fashion_mnist(tmp_path, subset="test")


# --------------------------------------------------------------------------
# Where load_fashion_mnist looks
# --------------------------------------------------------------------------


def test_load_fashion_mnist_from_folder(tmp_path):
    labels = write_fake_mnist(tmp_path, n_train=7, n_test=4, offset=5)
    bunch = load_fashion_mnist(tmp_path, subset="all")
    assert bunch.data.shape == (11, 784) and bunch.data.dtype == np.uint8
    assert bunch.images.shape == (11, 28, 28)
    assert bunch.target.dtype == np.int64
    assert_array_equal(bunch.target, np.r_[labels["train"], labels["t10k"]])
    assert bunch.is_train.sum() == 7
    assert bunch.target_names.tolist() == CLASS_NAMES

    X, y = load_fashion_mnist(tmp_path, subset="test", return_X_y=True)
    assert X.shape == (4, 784)
    assert_array_equal(y, labels["t10k"])


def test_bundled_copy_is_the_default(tmp_path, monkeypatch, no_env):
    labels = write_fake_mnist(tmp_path / "bundled", offset=4)
    monkeypatch.setattr(_fashion_mnist, "_bundled_folder", lambda: tmp_path / "bundled")
    assert_array_equal(load_fashion_mnist(subset="test").target, labels["t10k"])


def test_environment_variable_names_a_data_folder(tmp_path, monkeypatch):
    mnist = write_fake_mnist(tmp_path / "data", offset=1)  # MNIST, directly
    fashion = write_fake_mnist(tmp_path / "data" / "fashion-mnist", offset=2)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "data"))
    target = load_fashion_mnist().target
    assert_array_equal(target, fashion["train"])
    assert not np.array_equal(target, mnist["train"])


def test_environment_folder_without_subfolder_is_not_read(tmp_path, monkeypatch):
    # A folder holding MNIST's files directly must not pass for Fashion-MNIST.
    write_fake_mnist(tmp_path / "data")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "data"))
    with pytest.raises(
        FileNotFoundError,
        match=rf"{re.escape(str(tmp_path / 'data' / 'fashion-mnist'))}: no such "
        rf"folder \(Fashion-MNIST is read from the fashion-mnist/ subfolder .*"
        rf"{ENV_VAR}",
    ):
        load_fashion_mnist()


def test_nothing_found_explains_all_three_places(tmp_path, monkeypatch, no_env):
    absent = tmp_path / "not-a-checkout" / "data" / "fashion-mnist"
    monkeypatch.setattr(_fashion_mnist, "_bundled_folder", lambda: absent)
    with pytest.raises(
        FileNotFoundError,
        match=rf"No Fashion-MNIST data found.*data_home argument: not given.*"
        rf"{re.escape(str(absent))}: no such folder.*fashion-mnist/ subfolder",
    ):
        load_fashion_mnist()


def test_load_fashion_mnist_missing_folder(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"nowhere: no such folder \(given by the data_home"
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
