"""sknnscratch.datasets._checksums: files verified against SHA256SUMS lists.

Through load_mnist, which verifies by default, and directly.
"""

import gzip
import hashlib
import re
import shutil

import pytest

from sknnscratch.datasets import ChecksumError, IDXFormatError, _checksums, load_mnist

from ._support import (
    BOMB_PEAK_LIMIT,
    BUNDLED,
    TEST_FILES,
    TEST_LABELS_START,
    flip_byte,
    sums,
    traced_peak,
    write_bomb,
    write_fake_mnist,
)


def test_checksum_error_is_a_value_error():
    assert issubclass(ChecksumError, ValueError)


@pytest.fixture
def bundled_test_copy(tmp_path):
    """A copy of the bundled test-set files and checksum file in tmp/mnist."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in [f"{n}.gz" for n in TEST_FILES] + ["SHA256SUMS"]:
        shutil.copyfile(BUNDLED / name, folder / name)
    return folder


def test_intact_copy_passes_checksum_and_loads(bundled_test_copy, tmp_path):
    # tmp_path holds a mnist/ subfolder, which the lookup must pick.
    X, y = load_mnist(tmp_path, subset="test", return_X_y=True)
    assert X.shape == (10_000, 784)
    assert y[:10].tolist() == TEST_LABELS_START


def test_checksum_mismatch_names_file_and_both_digests(bundled_test_copy, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    damaged = bundled_test_copy / name
    flip_byte(damaged, -1)  # the gzip trailer's length field
    expected = sums("SHA256SUMS")[name]
    actual = hashlib.sha256(damaged.read_bytes()).hexdigest()
    with pytest.raises(
        ChecksumError,
        match=rf"{re.escape(name)}: SHA-256 checksum mismatch: SHA256SUMS expects "
        rf"{expected} but the file's digest is {actual}",
    ):
        load_mnist(tmp_path, subset="test")
    # Without verification the damage is still caught, later, by gzip.
    with pytest.raises(IDXFormatError, match=rf"{re.escape(name)}: corrupt gzip"):
        load_mnist(tmp_path, subset="test", verify_checksum=False)


def test_uncompressed_files_are_checked_against_uncompressed_sums(tmp_path):
    for name in TEST_FILES:
        raw = gzip.decompress((BUNDLED / f"{name}.gz").read_bytes())
        (tmp_path / name).write_bytes(raw)
    shutil.copyfile(
        BUNDLED / "SHA256SUMS.uncompressed", tmp_path / "SHA256SUMS.uncompressed"
    )
    y = load_mnist(tmp_path, subset="test").target
    assert y[:10].tolist() == TEST_LABELS_START

    # One changed pixel is still a valid IDX file: only the checksum notices.
    flip_byte(tmp_path / "t10k-images-idx3-ubyte", 5000)
    with pytest.raises(
        ChecksumError, match=r"t10k-images-idx3-ubyte: SHA-256 checksum mismatch"
    ):
        load_mnist(tmp_path, subset="test")
    X = load_mnist(tmp_path, subset="test", verify_checksum=False).data
    assert X.shape == (10_000, 784)


def test_checksum_file_must_list_the_file(bundled_test_copy, tmp_path):
    sums = bundled_test_copy / "SHA256SUMS"
    kept = [line for line in sums.read_text().splitlines() if "t10k-images" not in line]
    sums.write_text("\n".join(kept) + "\n")
    with pytest.raises(
        ChecksumError, match=r"t10k-images-idx3-ubyte\.gz: not listed in .*SHA256SUMS"
    ):
        load_mnist(tmp_path, subset="test")


def test_malformed_checksum_file(bundled_test_copy, tmp_path):
    sums = bundled_test_copy / "SHA256SUMS"
    sums.write_text("# comment lines are fine\nnot-a-digest  file.gz\n")
    with pytest.raises(ChecksumError, match=r"SHA256SUMS, line 2: expected"):
        load_mnist(tmp_path, subset="test")


def test_checksum_file_accepts_binary_mode_marker(tmp_path):
    path = tmp_path / "a.gz"
    path.write_bytes(b"payload")
    digest = hashlib.sha256(b"payload").hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest.upper()} *a.gz")
    _checksums.verify_checksum(path, b"payload", tmp_path / "SHA256SUMS")  # no error
    with pytest.raises(ChecksumError, match=r"a\.gz: SHA-256 checksum mismatch"):
        _checksums.verify_checksum(path, b"other", tmp_path / "SHA256SUMS")


def test_load_mnist_refuses_gzip_bomb_without_decompressing_it(tmp_path):
    # load_mnist reads the file's bytes itself (for the checksum), so it
    # takes another route to the parser than read_idx does.
    write_fake_mnist(tmp_path)
    labels = b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(5)
    write_bomb(tmp_path / "train-labels-idx1-ubyte.gz", labels, compress=True)

    def load():
        with pytest.raises(
            IDXFormatError,
            match=r"train-labels-idx1-ubyte\.gz: trailing data: header says 5 = 5 "
            r"bytes",
        ):
            load_mnist(tmp_path)

    assert traced_peak(load) < BOMB_PEAK_LIMIT
