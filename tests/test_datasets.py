"""Tests for sknnscratch.datasets: the IDX reader/writer, the MNIST and
Fashion-MNIST loaders and make_spiral.

The real bundled MNIST files are read only a few times (module-scoped
fixtures); every corruption test writes its own small files into tmp_path.
"""

import gzip
import hashlib
import re
import shutil
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import (
    ChecksumError,
    IDXFormatError,
    _mnist,
    load_fashion_mnist,
    load_mnist,
    load_mnist_split,
    make_spiral,
    read_idx,
    write_idx,
)

ENV_VAR = "SKNNSCRATCH_DATA"
BUNDLED = _mnist._bundled_folder()
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# Facts about the real data, from data/README.md.
TRAIN_LABELS_START = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
TEST_LABELS_START = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def _sums(name):
    """Parse one of the bundled checksum files into {file name: digest}."""
    return _mnist._read_sums_file(BUNDLED / name)


def _flip_byte(path, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def _write_fake_mnist(folder, *, n_train=5, n_test=3, offset=0, compress=True):
    """Write four small, valid MNIST-format files; return their labels.

    ``offset`` shifts the labels so that folders written with different
    offsets can be told apart after loading.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(offset)
    suffix = ".gz" if compress else ""
    labels = {}
    for (images_name, labels_name), n in ((TRAIN_FILES, n_train), (TEST_FILES, n_test)):
        y = ((np.arange(n) + offset) % 10).astype(np.uint8)
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(folder / f"{images_name}{suffix}", images)
        write_idx(folder / f"{labels_name}{suffix}", y)
        labels[images_name.split("-")[0]] = y
    return labels


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


@pytest.mark.parametrize(
    "name",
    ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte"],
)
def test_read_then_write_reproduces_original_idx_bytes(tmp_path, name):
    # Reading the bundled .gz and writing it back uncompressed must give the
    # original IDX file byte for byte: checks reader and writer against the
    # real format rather than only against each other.
    out = tmp_path / name
    write_idx(out, read_idx(BUNDLED / f"{name}.gz"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest == _sums("SHA256SUMS.uncompressed")[name]


@pytest.mark.parametrize("subset", ["validation", "TRAIN", None, ["train"]])
def test_load_mnist_rejects_unknown_subset(subset):
    with pytest.raises(ValueError, match="subset must be 'train', 'test' or 'all'"):
        load_mnist(subset=subset)


# --------------------------------------------------------------------------
# IDX round trips and format details
# --------------------------------------------------------------------------

ROUND_TRIP_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", ROUND_TRIP_DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_read_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, size=(2, 3, 4), dtype=dtype)
        array[0, 0, :2] = info.min, info.max  # the extremes survive
    else:
        array = rng.standard_normal((2, 3, 4)).astype(dtype)
        array[0, 0, :3] = np.nan, np.inf, -np.inf
    path = tmp_path / f"array-idx3{suffix}"
    write_idx(path, array)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype)  # native byte order
    assert result.shape == (2, 3, 4)
    assert_array_equal(result, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


@pytest.mark.parametrize("shape", [(0,), (5,), (0, 28, 28), (1, 1, 1, 1), ()])
def test_round_trip_unusual_shapes(tmp_path, shape):
    array = np.arange(np.prod(shape, dtype=int), dtype=np.int16).reshape(shape)
    write_idx(tmp_path / "a.idx", array)
    result = read_idx(tmp_path / "a.idx")
    assert result.shape == shape
    assert_array_equal(result, array)


def test_write_idx_produces_standard_big_endian_bytes(tmp_path):
    expected = (
        b"\x00\x00\x0b\x02"  # magic: two zeros, 0x0B = short, 2 dimensions
        + b"\x00\x00\x00\x02\x00\x00\x00\x03"  # dimensions 2 and 3
        + b"\x00\x01\x00\x02\x00\x03\xff\xfc\x00\x05\x01\x00"  # 1 2 3 -4 5 256
    )
    values = [[1, 2, 3], [-4, 5, 256]]
    # The byte order of the input array must not matter.
    for dtype in ("<i2", ">i2"):
        write_idx(tmp_path / "a.idx", np.array(values, dtype=dtype))
        assert (tmp_path / "a.idx").read_bytes() == expected


def test_read_idx_returns_writable_native_array(tmp_path):
    write_idx(tmp_path / "a.idx.gz", np.arange(6, dtype=np.float64))
    result = read_idx(tmp_path / "a.idx.gz")
    assert result.dtype.byteorder in ("=", "|")
    assert result.flags.writeable and result.flags.c_contiguous
    result[0] = 42.0  # must not raise


def test_read_idx_detects_gzip_by_magic_bytes(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "a.gz", array)
    renamed = tmp_path / "no-suffix-idx2-ubyte"
    (tmp_path / "a.gz").rename(renamed)
    assert_array_equal(read_idx(renamed), array)


def test_write_idx_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.int32)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


@pytest.mark.parametrize(
    "array", [np.arange(3, dtype=np.int64), np.ones(2, dtype=bool), np.ones(2, "c16")]
)
def test_write_idx_rejects_dtypes_idx_cannot_hold(tmp_path, array):
    path = tmp_path / "a.idx"
    with pytest.raises(ValueError, match=rf"a\.idx: cannot write dtype {array.dtype}"):
        write_idx(path, array)
    assert not path.exists()


# --------------------------------------------------------------------------
# Corrupt and missing IDX files
# --------------------------------------------------------------------------


@pytest.fixture
def valid_idx(tmp_path):
    """A valid uncompressed 3x4 ubyte IDX file: 16 header + 12 data bytes."""
    path = tmp_path / "small-idx2-ubyte"
    write_idx(path, np.arange(12, dtype=np.uint8).reshape(3, 4))
    return path


def test_error_classes_are_value_errors():
    assert issubclass(IDXFormatError, ValueError)
    assert issubclass(ChecksumError, ValueError)


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "absent-idx1-ubyte"
    with pytest.raises(FileNotFoundError, match=r"absent-idx1-ubyte: no such file"):
        read_idx(path)


def test_read_idx_truncated_payload(valid_idx):
    valid_idx.write_bytes(valid_idx.read_bytes()[:-5])
    with pytest.raises(
        IDXFormatError,
        match=r"small-idx2-ubyte: truncated data: header says 3x4 = 12 bytes of "
        r"data but the file holds 7",
    ):
        read_idx(valid_idx)


@pytest.mark.parametrize(
    ("n_bytes", "problem"),
    [
        (0, r"4-byte magic number but the file holds only 0 byte"),
        (3, r"4-byte magic number but the file holds only 3 byte"),
        (9, r"2 dimension\(s\) need a 12-byte header but the file holds only 9"),
    ],
)
def test_read_idx_truncated_header(valid_idx, n_bytes, problem):
    valid_idx.write_bytes(valid_idx.read_bytes()[:n_bytes])
    with pytest.raises(
        IDXFormatError, match=rf"small-idx2-ubyte: truncated header: .*{problem}"
    ):
        read_idx(valid_idx)


def test_read_idx_wrong_magic_number(valid_idx):
    _flip_byte(valid_idx, 0)
    with pytest.raises(
        IDXFormatError, match=r"small-idx2-ubyte: wrong magic number 0xff000802"
    ):
        read_idx(valid_idx)


def test_read_idx_unknown_dtype_code(valid_idx):
    data = bytearray(valid_idx.read_bytes())
    data[2] = 0x0A  # between "signed byte" (0x09) and "short" (0x0B)
    valid_idx.write_bytes(bytes(data))
    with pytest.raises(
        IDXFormatError,
        match=r"small-idx2-ubyte: unknown IDX data type code 0x0A.*0x08 \(unsigned",
    ):
        read_idx(valid_idx)


def test_read_idx_dimensions_do_not_match_payload(valid_idx):
    data = bytearray(valid_idx.read_bytes())
    data[7] = 2  # the header now claims 2x4 but 3x4 bytes follow
    valid_idx.write_bytes(bytes(data))
    with pytest.raises(
        IDXFormatError,
        match=r"small-idx2-ubyte: trailing data: header says 2x4 = 8 bytes of data "
        r"but the file holds 12",
    ):
        read_idx(valid_idx)


def test_read_idx_size_message_counts_multibyte_items(tmp_path):
    path = tmp_path / "d.idx"
    write_idx(path, np.zeros((3, 4)))
    path.write_bytes(path.read_bytes()[:-56])
    with pytest.raises(
        IDXFormatError,
        match=r"d\.idx: truncated data: header says 3x4 doubles of 8 bytes = 96 "
        r"bytes of data but the file holds 40",
    ):
        read_idx(path)


def _truncate_stream(data):
    return data[: len(data) // 2]


def _damage_deflate_data(data):
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    return bytes(damaged)


def _damage_crc(data):
    damaged = bytearray(data)
    damaged[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    return bytes(damaged)


def _damage_gzip_magic(data):
    return b"\x00\x00" + data[2:]


@pytest.mark.parametrize(
    "damage", [_truncate_stream, _damage_deflate_data, _damage_crc, _damage_gzip_magic]
)
def test_read_idx_corrupt_gzip_gives_clear_error(tmp_path, damage):
    path = tmp_path / "images-idx3-ubyte.gz"
    rng = np.random.default_rng(0)
    write_idx(path, rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(
        IDXFormatError, match=r"images-idx3-ubyte\.gz: corrupt gzip stream"
    ) as excinfo:
        read_idx(path)
    # The low-level error stays available as the cause, for debugging.
    assert excinfo.value.__cause__ is not None


# The header and payload of a valid 3x4 ubyte IDX file, for hand-made files.
SMALL_IDX = b"\x00\x00\x08\x02\x00\x00\x00\x03\x00\x00\x00\x04" + bytes(range(12))
BOMB_SIZE = 200 * 2**20  # bytes after the declared payload
BOMB_PEAK_LIMIT = 20 * 2**20


def _traced_peak(func):
    """Peak bytes allocated (as tracemalloc counts them) while ``func()`` runs.

    tracemalloc counts allocations, not time, so the result does not depend
    on the machine's speed or load.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - baseline


def _write_bomb(path, header_and_payload, compress):
    """Write ``header_and_payload`` followed by BOMB_SIZE zero bytes.

    Compressed, 200 MB of zeros take about 200 KB; uncompressed, the zeros
    are a hole in a sparse file, so neither fills the disk.
    """
    if compress:
        zeros = bytes(2**20)
        with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as f:
            f.write(header_and_payload)
            for _ in range(BOMB_SIZE // len(zeros)):
                f.write(zeros)
    else:
        with open(path, "wb") as f:
            f.write(header_and_payload)
            f.truncate(len(header_and_payload) + BOMB_SIZE)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "uncompressed"])
def test_read_idx_refuses_trailing_data_without_reading_it(tmp_path, compress):
    # The header declares 10 bytes; 200 MB follow them.  The reader must
    # stop after the declared payload, not inflate (or read) everything and
    # compare sizes afterwards.
    path = tmp_path / ("bomb-idx1-ubyte" + (".gz" if compress else ""))
    _write_bomb(path, b"\x00\x00\x08\x01\x00\x00\x00\x0a" + bytes(10), compress)
    if compress:
        assert path.stat().st_size < BOMB_SIZE // 100

    def read():
        with pytest.raises(
            IDXFormatError,
            match=r"bomb-idx1-ubyte(\.gz)?: trailing data: header says 10 = 10 "
            r"bytes of data but the file holds",
        ):
            read_idx(path)

    assert _traced_peak(read) < BOMB_PEAK_LIMIT


def test_load_mnist_refuses_gzip_bomb_without_decompressing_it(tmp_path):
    # load_mnist reads the file's bytes itself (for the checksum), so it
    # takes another route to the parser than read_idx does.
    _write_fake_mnist(tmp_path)
    labels = b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(5)
    _write_bomb(tmp_path / "train-labels-idx1-ubyte.gz", labels, compress=True)

    def load():
        with pytest.raises(
            IDXFormatError,
            match=r"train-labels-idx1-ubyte\.gz: trailing data: header says 5 = 5 "
            r"bytes",
        ):
            load_mnist(tmp_path)

    assert _traced_peak(load) < BOMB_PEAK_LIMIT


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            gzip.compress(SMALL_IDX + b"junk", mtime=0),
            r"trailing data: header says 3x4 = 12 bytes of data but the file "
            r"holds more \(a second gzip member or extra bytes after the data\?\)",
        ),
        (
            gzip.compress(SMALL_IDX, mtime=0) + gzip.compress(b"junk", mtime=0),
            r"trailing data: header says 3x4 = 12 bytes of data but the file "
            r"holds more",
        ),
        (
            gzip.compress(SMALL_IDX, mtime=0) + b"junk",
            r"corrupt gzip stream after the 12 bytes of data the header declares "
            r"\(BadGzipFile: Not a gzipped file",
        ),
        (
            SMALL_IDX + b"junk",
            r"trailing data: header says 3x4 = 12 bytes of data but the file "
            r"holds 16",
        ),
    ],
    ids=["in the member", "second member", "not gzip", "uncompressed"],
)
def test_read_idx_refuses_trailing_data(tmp_path, content, problem):
    path = tmp_path / "small-idx2-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=rf"small-idx2-ubyte: {problem}"):
        read_idx(path)


def test_read_idx_accepts_data_split_over_gzip_members(tmp_path):
    # A gzip file may hold several members, decompressed back to back, and
    # zero bytes after the last one (padding); neither is trailing data.
    path = tmp_path / "small-idx2-ubyte.gz"
    path.write_bytes(
        gzip.compress(SMALL_IDX[:14], mtime=0)
        + gzip.compress(SMALL_IDX[14:], mtime=0)
        + gzip.compress(b"", mtime=0)
        + bytes(16)
    )
    assert_array_equal(read_idx(path), np.arange(12, dtype=np.uint8).reshape(3, 4))


def test_read_idx_refuses_header_larger_than_gzip_file_can_hold(tmp_path):
    # A damaged header claiming an enormous array must be refused before
    # anything that size is allocated: deflate expands at most 1032-fold.
    path = tmp_path / "huge-idx2-double.gz"
    header = b"\x00\x00\x0e\x02" + b"\xff" * 8
    path.write_bytes(gzip.compress(header + bytes(80), mtime=0))
    size = path.stat().st_size
    with pytest.raises(
        IDXFormatError,
        match=rf"huge-idx2-double\.gz: truncated data: header says "
        rf"4294967295x4294967295 doubles of 8 bytes = {8 * (2**32 - 1) ** 2} "
        rf"bytes of data but {size} bytes of gzip data decompress to at most "
        rf"{1032 * size}",
    ):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_of_more_data_than_one_read(tmp_path, suffix):
    # 2.4 MB: read in several pieces, each swapped to native byte order.
    rng = np.random.default_rng(0)
    array = rng.integers(-(2**15), 2**15, size=(1200, 1000), dtype=np.int16)
    write_idx(tmp_path / f"a.idx{suffix}", array)
    assert_array_equal(read_idx(tmp_path / f"a.idx{suffix}"), array)


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


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
    _flip_byte(damaged, -1)  # the gzip trailer's length field
    expected = _sums("SHA256SUMS")[name]
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
    _flip_byte(tmp_path / "t10k-images-idx3-ubyte", 5000)
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
    _mnist._verify_checksum(path, b"payload", tmp_path / "SHA256SUMS")  # no error
    with pytest.raises(ChecksumError, match=r"a\.gz: SHA-256 checksum mismatch"):
        _mnist._verify_checksum(path, b"other", tmp_path / "SHA256SUMS")


# --------------------------------------------------------------------------
# Where load_mnist looks
# --------------------------------------------------------------------------


def test_data_home_wins_over_environment_variable(tmp_path, monkeypatch):
    from_env = _write_fake_mnist(tmp_path / "env", offset=1)
    from_arg = _write_fake_mnist(tmp_path / "arg", offset=2)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert_array_equal(load_mnist().target, from_env["train"])
    assert_array_equal(load_mnist(tmp_path / "arg").target, from_arg["train"])


@pytest.mark.parametrize("layout", ["files directly", "mnist subfolder"])
def test_environment_variable_wins_over_bundled_copy(tmp_path, monkeypatch, layout):
    root = tmp_path / "data"
    folder = root if layout == "files directly" else root / "mnist"
    labels = _write_fake_mnist(folder, offset=3, compress=False)
    monkeypatch.setenv(ENV_VAR, str(root))
    bunch = load_mnist(subset="all")
    assert_array_equal(bunch.target, np.r_[labels["train"], labels["t10k"]])
    assert bunch.is_train.tolist() == [True] * 5 + [False] * 3
    assert all(p.startswith(str(folder)) for p in bunch.filenames)


@pytest.mark.parametrize("value", [None, ""])
def test_bundled_copy_used_without_data_home_or_variable(tmp_path, monkeypatch, value):
    labels = _write_fake_mnist(tmp_path / "bundled", offset=4)
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
    _write_fake_mnist(tmp_path / "complete")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "complete"))
    _write_fake_mnist(tmp_path / "partial")
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


# --------------------------------------------------------------------------
# Fashion-MNIST and content checks shared with MNIST
# --------------------------------------------------------------------------


def test_load_fashion_mnist_from_folder(tmp_path):
    labels = _write_fake_mnist(tmp_path, n_train=7, n_test=4, offset=5)
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
    _write_fake_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"Fashion-MNIST file train-images-idx3-ubyte\.gz .* not found in "
        rf"folder {re.escape(str(tmp_path))}",
    ):
        load_fashion_mnist(tmp_path)


def test_images_and_labels_must_match_in_number(tmp_path):
    _write_fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(
        IDXFormatError,
        match=r"train-images-idx3-ubyte\.gz holds 5 images but "
        r".*train-labels-idx1-ubyte\.gz holds 4 labels",
    ):
        load_fashion_mnist(tmp_path)


def test_labels_must_be_class_indices(tmp_path):
    _write_fake_mnist(tmp_path)
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
    _write_fake_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(
        IDXFormatError,
        match=r"train-images-idx3-ubyte\.gz: expected unsigned-byte images of shape "
        r"\(n, 28, 28\)",
    ):
        load_mnist(tmp_path)


def test_uncompressed_file_used_when_no_gz(tmp_path):
    labels = _write_fake_mnist(tmp_path, compress=False)
    # A .gz next to the uncompressed file takes precedence.
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(5, 9, np.uint8))
    bunch = load_mnist(tmp_path)
    assert bunch.target.tolist() == [9] * 5
    assert bunch.filenames[0].endswith("train-images-idx3-ubyte")
    assert bunch.filenames[1].endswith("train-labels-idx1-ubyte.gz")
    assert_array_equal(load_mnist(tmp_path, subset="test").target, labels["t10k"])


# --------------------------------------------------------------------------
# make_spiral
# --------------------------------------------------------------------------


def test_make_spiral_default_shapes_and_classes():
    X, y = make_spiral(random_state=0)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    # Points are grouped by class, as documented.
    assert np.all(np.diff(y) >= 0)


def test_make_spiral_uneven_split_favours_first_classes():
    _, y = make_spiral(n_samples=11, n_classes=4, random_state=0)
    assert np.bincount(y).tolist() == [3, 3, 3, 2]


def test_make_spiral_geometry_without_noise():
    X, y = make_spiral(n_samples=40, n_classes=2, noise=0.0)
    for k in range(2):
        points = X[y == k]
        radius = np.hypot(points[:, 0], points[:, 1])
        np.testing.assert_allclose(radius, np.linspace(0, 1, 20), atol=1e-12)
        # x = r sin(t), y = r cos(t), with t spanning [4k, 4k + 4]; skip the
        # origin, where the angle is undefined.
        angle = np.arctan2(points[1:, 0], points[1:, 1])
        expected = np.linspace(4 * k, 4 * k + 4, 20)[1:]
        np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-12)


def test_make_spiral_noise_perturbs_angles_only():
    X_clean, _ = make_spiral(noise=0.0)
    X_noisy, _ = make_spiral(noise=0.5, random_state=0)
    assert not np.allclose(X_clean, X_noisy)
    np.testing.assert_allclose(np.hypot(*X_noisy.T), np.hypot(*X_clean.T), atol=1e-12)


def test_make_spiral_int_seed_is_reproducible():
    X1, y1 = make_spiral(random_state=42)
    X2, y2 = make_spiral(random_state=np.int64(42))
    X3, _ = make_spiral(random_state=43)
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert_array_equal(X1, make_spiral(random_state=np.random.default_rng(42))[0])


@pytest.mark.parametrize(
    "make_rng",
    [np.random.default_rng, np.random.RandomState],
    ids=["Generator", "RandomState"],
)
def test_make_spiral_uses_and_advances_given_generator(make_rng):
    rng = make_rng(0)
    X1, _ = make_spiral(random_state=rng)
    X2, _ = make_spiral(random_state=rng)
    assert not np.array_equal(X1, X2)  # the same generator, advanced
    assert_array_equal(X1, make_spiral(random_state=make_rng(0))[0])


def test_make_spiral_never_touches_global_random_state():
    # Reading the legacy global state is the point of this test.
    state = np.random.get_state()  # noqa: NPY002
    X1, _ = make_spiral()
    X2, _ = make_spiral()
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == state[0]
    assert_array_equal(after[1], state[1])
    assert after[2:] == state[2:]
    # random_state=None draws fresh entropy on each call.
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, r"n_samples must be >= 1, got 0"),
        ({"n_samples": -5}, r"n_samples must be >= 1, got -5"),
        ({"n_samples": 10.0}, r"n_samples must be an integer, got 10\.0"),
        ({"n_samples": "300"}, r"n_samples must be an integer, got '300'"),
        ({"n_classes": 0}, r"n_classes must be >= 1, got 0"),
        ({"n_classes": True}, r"n_classes must be an integer, got True"),
        ({"n_samples": 2, "n_classes": 3}, r"n_samples=2 is smaller than n_classes=3"),
        ({"noise": -0.1}, r"noise must be a finite number >= 0, got -0\.1"),
        ({"noise": float("nan")}, r"noise must be a finite number >= 0, got nan"),
        ({"noise": float("inf")}, r"noise must be a finite number >= 0, got inf"),
        ({"noise": "0.2"}, r"noise must be a finite number >= 0, got '0\.2'"),
        ({"random_state": -1}, r"random_state must be >= 0, got -1"),
        ({"random_state": "seed"}, r"random_state must be None, a non-negative int"),
        ({"random_state": 1.5}, r"random_state must be None, a non-negative int"),
    ],
)
def test_make_spiral_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_spiral(**kwargs)
