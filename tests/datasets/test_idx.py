"""sknnscratch.datasets._idx: the IDX reader and writer.

Round trips, the bytes of the format, and every way a file can be damaged,
missing or too large to be real.
"""

import gzip
import hashlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch.datasets import IDXFormatError, read_idx, write_idx

from ._support import (
    BOMB_PEAK_LIMIT,
    BOMB_SIZE,
    BUNDLED,
    flip_byte,
    sums,
    traced_peak,
    write_bomb,
)

# --------------------------------------------------------------------------
# IDX round trips and format details
# --------------------------------------------------------------------------


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
    assert digest == sums("SHA256SUMS.uncompressed")[name]


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


def test_idx_format_error_is_a_value_error():
    assert issubclass(IDXFormatError, ValueError)


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
    flip_byte(valid_idx, 0)
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


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "uncompressed"])
def test_read_idx_refuses_trailing_data_without_reading_it(tmp_path, compress):
    # The header declares 10 bytes; 200 MB follow them.  The reader must
    # stop after the declared payload, not inflate (or read) everything and
    # compare sizes afterwards.
    path = tmp_path / ("bomb-idx1-ubyte" + (".gz" if compress else ""))
    write_bomb(path, b"\x00\x00\x08\x01\x00\x00\x00\x0a" + bytes(10), compress)
    if compress:
        assert path.stat().st_size < BOMB_SIZE // 100

    def read():
        with pytest.raises(
            IDXFormatError,
            match=r"bomb-idx1-ubyte(\.gz)?: trailing data: header says 10 = 10 "
            r"bytes of data but the file holds",
        ):
            read_idx(path)

    assert traced_peak(read) < BOMB_PEAK_LIMIT


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
