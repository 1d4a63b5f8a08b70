"""Reading and writing files in the IDX format used by MNIST.

The IDX format (described on Yann LeCun's MNIST page) is a tiny binary layout:

* a 4-byte magic number: two zero bytes, one byte naming the data type and one
  byte giving the number of dimensions ``ndim``;
* ``ndim`` dimension sizes, each a big-endian unsigned 32-bit integer;
* the data itself, big-endian, in C (row-major) order.

Files are often distributed gzip-compressed; :func:`read_idx` decompresses
them transparently, and only as far as the header says: the header is read
first, then exactly the payload it declares, in bounded pieces straight into
the array returned.  A stream that would decompress to more is refused
without decompressing the rest, so a small but malicious (or damaged) file
cannot make the reader exhaust memory.
"""

import contextlib
import gzip
import io
import math
import os
import stat
import struct
import zlib

import numpy as np

__all__ = ["IDXFormatError", "read_idx", "write_idx"]

# Type code -> (big-endian dtype, short name used in messages).  Single-byte
# types have no byte order, hence "u1"/"i1" instead of ">u1".
_CODE_TO_DTYPE = {
    0x08: (np.dtype("u1"), "unsigned byte"),
    0x09: (np.dtype("i1"), "signed byte"),
    0x0B: (np.dtype(">i2"), "short"),
    0x0C: (np.dtype(">i4"), "int"),
    0x0D: (np.dtype(">f4"), "float"),
    0x0E: (np.dtype(">f8"), "double"),
}
# Keyed on (kind, itemsize) so that an array of either byte order maps to its
# code; the byte order is normalised to big-endian when writing.
_KIND_SIZE_TO_CODE = {
    (dtype.kind, dtype.itemsize): code for code, (dtype, _) in _CODE_TO_DTYPE.items()
}
_SUPPORTED_DTYPES = "uint8, int8, int16, int32, float32 or float64"

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIM = 2**32 - 1  # dimension sizes are stored as unsigned 32-bit integers
# Deflate codes a 258-byte match in no fewer than 2 bits, so no gzip stream
# decompresses to more than 1032 times its size.
_MAX_DEFLATE_RATIO = 1032
# Bytes read (and, for gzip, decompressed) per call: bounds the memory a
# read takes beyond the array it fills.
_PIECE_SIZE = 1 << 20


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file (or not the IDX data expected).

    Raised for truncated files or headers, a wrong magic number, an unknown
    data type code, dimensions that do not match the amount of data (too
    little, or trailing data after it) and corrupt gzip streams.  The
    message names the file and the problem.  Subclasses :class:`ValueError`,
    so ``except ValueError`` also catches it.
    """


def read_idx(path):
    """Read an IDX file, optionally gzip-compressed, into a NumPy array.

    Parameters
    ----------
    path : str or path-like
        The file to read.  It is treated as gzip-compressed if its content
        starts with the gzip magic bytes or its name ends in ``.gz``.

    Returns
    -------
    array : ndarray
        A new, writable, C-contiguous array in native byte order whose dtype
        (uint8, int8, int16, int32, float32 or float64) and shape come from
        the file's header.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the file is not a well-formed IDX file: a truncated header or
        payload, a magic number that does not start with two zero bytes, an
        unknown data type code, a payload whose size does not match the
        dimensions in the header, trailing data after the payload the header
        declares, or a corrupt gzip stream.  In a gzip file, trailing data is
        any decompressed byte beyond the declared payload, whether in the
        same member or in a second one; it is refused after a bounded read,
        without decompressing the rest.

    Notes
    -----
    Memory: the returned array, plus at most about a megabyte for reading
    (and decompressing) in pieces.  Uncompressed files are checked against
    their size before the payload is read; a gzip header declaring more data
    than the file could hold (deflate expands at most 1032-fold) is refused
    before the array is allocated.  A pipe or device, which has no size, is
    read whole first.

    See Also
    --------
    write_idx : Write an array to an IDX file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sknnscratch.datasets import read_idx, write_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "example-idx2-ubyte.gz")
    ...     write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    ...     read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    name = os.fspath(path)
    with _open(path) as f:
        info = os.fstat(f.fileno())
        if stat.S_ISREG(info.st_mode):
            return _read_idx_stream(f, info.st_size, name)
        # A pipe or device has no size to check against: read it whole.
        raw = f.read()
    return _read_idx_bytes(raw, name)


def write_idx(path, array):
    """Write an array to an IDX file, gzip-compressed if the name ends in ``.gz``.

    Parameters
    ----------
    path : str or path-like
        Destination file; it is overwritten if it exists.
    array : array-like
        Data to write.  Its dtype must be one of uint8, int8, int16, int32,
        float32 or float64 (the types IDX can represent) in either byte
        order; other dtypes are rejected rather than silently cast, so that
        nothing is lost without the caller noticing.  At most 255
        dimensions, each smaller than 2**32.

    Raises
    ------
    ValueError
        If the dtype, the number of dimensions or a dimension size cannot be
        represented in IDX.

    See Also
    --------
    read_idx : Read an IDX file.

    Notes
    -----
    Compressed files are written with a zero modification time in the gzip
    header, so writing the same array twice gives byte-identical files.
    """
    array = np.asarray(array)
    code = _KIND_SIZE_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(
            f"{os.fspath(path)}: cannot write dtype {array.dtype} to IDX; "
            f"cast the array to {_SUPPORTED_DTYPES} first."
        )
    if array.ndim > 255:
        raise ValueError(
            f"{os.fspath(path)}: IDX supports at most 255 dimensions, "
            f"the array has {array.ndim}."
        )
    if any(size > _MAX_DIM for size in array.shape):
        raise ValueError(
            f"{os.fspath(path)}: IDX dimension sizes must be below 2**32, "
            f"the array has shape {array.shape}."
        )
    big_endian = _CODE_TO_DTYPE[code][0]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    content = header + array.astype(big_endian, copy=False).tobytes(order="C")
    if os.fspath(path).endswith(".gz"):
        # Level 6 is gzip's own default: much faster than 9, nearly as small.
        content = gzip.compress(content, compresslevel=6, mtime=0)
    with open(path, "wb") as f:
        f.write(content)


def _read_bytes(path):
    """Return the raw bytes of ``path`` with a FileNotFoundError naming it."""
    with _open(path) as f:
        return f.read()


def _open(path):
    """Open ``path`` for binary reading, with a FileNotFoundError naming it."""
    try:
        return open(path, "rb")
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{os.fspath(path)}: no such file (cannot read IDX data)"
        ) from exc


def _read_idx_bytes(raw, path):
    """Parse the bytes ``raw`` of an IDX file, gzip-compressed or not.

    For callers that already hold the file's bytes (to verify a checksum,
    say).  Decompression is bounded by the header exactly as in
    :func:`read_idx`; ``path`` is used in messages.
    """
    return _read_idx_stream(io.BytesIO(raw), len(raw), os.fspath(path))


def _is_gzip(first_bytes, name):
    """Whether a file starting with ``first_bytes`` and called ``name`` is gzip.

    The magic bytes catch compressed files without a ``.gz`` suffix; the
    suffix catches compressed files whose first bytes were damaged, which
    would otherwise be reported as a confusing "wrong IDX magic number".
    """
    return first_bytes == _GZIP_MAGIC or name.endswith(".gz")


def _read_idx_stream(f, size, name):
    """Read an IDX file from the start of the binary file object ``f``.

    ``size`` is the number of bytes in ``f`` (compressed, for a gzip file).
    """
    compressed = _is_gzip(f.read(2), name)
    f.seek(0)
    if not compressed:
        return _read_uncompressed(f, size, name)
    with _gzip_errors(name), gzip.GzipFile(fileobj=f, mode="rb") as stream:
        header = _read_header(stream, name)
        _check_gzip_can_hold(header, size, name)
        return _read_array(stream, header, name)


def _read_uncompressed(f, size, name):
    """Read an uncompressed IDX file of ``size`` bytes from ``f``."""
    header = _read_header(f, name)
    _check_uncompressed_size(header, size, name)
    return _read_array(f, header, name)


def _check_uncompressed_size(header, size, name):
    """Refuse an uncompressed file of ``size`` bytes that ``header`` misfits.

    The file's size is known, so a payload of the wrong size is refused
    before anything is allocated or read: a damaged header claiming an
    enormous array fails fast instead of exhausting memory.
    """
    actual = size - len(header.raw)
    if actual != header.nbytes:
        problem = "truncated data" if actual < header.nbytes else "trailing data"
        raise _size_error(header, name, problem, f"the file holds {actual}")


@contextlib.contextmanager
def _gzip_errors(name):
    """Turn the errors of a damaged gzip stream into an IDXFormatError."""
    try:
        yield
    # gzip reports damage in three different ways: BadGzipFile (an OSError)
    # for bad headers, CRCs and lengths; zlib.error for a damaged deflate
    # stream; EOFError for a stream that stops early.  Other OSErrors are
    # the disk's, not the data's, and pass through.
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IDXFormatError(
            f"{name}: corrupt gzip stream ({type(exc).__name__}: {exc})"
        ) from exc


class _Header:
    """What an IDX header declares: dtype, shape and payload size."""

    def __init__(self, raw, dtype, type_name, shape):
        self.raw = raw  # the header's own bytes
        self.dtype = dtype  # big-endian, as stored
        self.type_name = type_name
        self.shape = shape
        self.count = math.prod(shape)
        self.nbytes = self.count * dtype.itemsize


def _read_exact(f, n):
    """Up to ``n`` bytes of ``f``: fewer only when the data end first."""
    pieces = []
    while n > 0:
        piece = f.read(n)
        if not piece:
            break
        pieces.append(piece)
        n -= len(piece)
    return b"".join(pieces)


def _read_header(f, name):
    """Read and check the header at the start of ``f``; return a _Header."""
    magic = _read_exact(f, 4)
    if len(magic) < 4:
        raise IDXFormatError(
            f"{name}: truncated header: an IDX file starts with a 4-byte magic "
            f"number but the file holds only {len(magic)} byte(s)"
        )
    if magic[0] != 0 or magic[1] != 0:
        raise IDXFormatError(
            f"{name}: wrong magic number 0x{magic.hex()}: an IDX file starts "
            "with two zero bytes (is this really an IDX file?)"
        )
    code, ndim = magic[2], magic[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(
            f"0x{c:02X} ({type_name})" for c, (_, type_name) in _CODE_TO_DTYPE.items()
        )
        raise IDXFormatError(
            f"{name}: unknown IDX data type code 0x{code:02X} in the magic "
            f"number; known codes are {known}"
        )
    dtype, type_name = _CODE_TO_DTYPE[code]
    raw = magic + _read_exact(f, 4 * ndim)
    if len(raw) < 4 + 4 * ndim:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimension(s) need a "
            f"{4 + 4 * ndim}-byte header but the file holds only {len(raw)} "
            "byte(s)"
        )
    return _Header(raw, dtype, type_name, struct.unpack_from(f">{ndim}I", raw, 4))


def _size_error(header, name, problem, holds):
    """The IDXFormatError for a payload whose size does not match the header."""
    dims = "x".join(map(str, header.shape)) if header.shape else "a scalar"
    itemsize = header.dtype.itemsize
    item = "" if itemsize == 1 else f" {header.type_name}s of {itemsize} bytes"
    return IDXFormatError(
        f"{name}: {problem}: header says {dims}{item} = {header.nbytes} bytes "
        f"of data but {holds}"
    )


def _check_gzip_can_hold(header, compressed_size, name):
    """Refuse a header declaring more data than the gzip file could hold.

    Deflate expands at most 1032-fold, so this catches a damaged header
    claiming an enormous array before that array is allocated (the size of
    the decompressed data is not known without decompressing it).
    """
    limit = _MAX_DEFLATE_RATIO * compressed_size
    if header.nbytes > limit:
        raise _size_error(
            header,
            name,
            "truncated data",
            f"{compressed_size} bytes of gzip data decompress to at most {limit}",
        )


def _read_payload(f, target, header, name):
    """Fill the writable buffer ``target`` with the payload, refusing the rest.

    Reads at most ``len(target)`` bytes in bounded pieces, then one byte
    more, to tell the end of the data from trailing data without reading
    (or, for gzip, decompressing) the trailing data itself.
    """
    filled = 0
    while filled < len(target):
        n = f.readinto(target[filled : filled + _PIECE_SIZE])
        if not n:
            break
        filled += n
    if filled < len(target):
        raise _size_error(header, name, "truncated data", f"the file holds {filled}")
    try:
        # For gzip this read also checks the CRC and length of the last
        # member, and whether anything but another member follows it.
        extra = f.read(1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IDXFormatError(
            f"{name}: corrupt gzip stream after the {header.nbytes} bytes of data "
            f"the header declares ({type(exc).__name__}: {exc})"
        ) from exc
    if extra:
        raise _size_error(
            header,
            name,
            "trailing data",
            f"the file holds more (a second gzip member or extra bytes after "
            f"the data?); refusing to read beyond the {header.nbytes} bytes "
            f"declared",
        )


def _read_array(f, header, name):
    """Read the payload from ``f`` into a new native-endian array."""
    # Read straight into the array to be returned, then fix the byte order
    # in place: no second copy of the payload.
    array = np.empty(header.count, dtype=header.dtype.newbyteorder("="))
    _read_payload(f, memoryview(array.view(np.uint8)), header, name)
    if not header.dtype.isnative:
        array.byteswap(inplace=True)
    return array.reshape(header.shape)
