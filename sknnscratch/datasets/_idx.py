"""Reading and writing files in the IDX format used by MNIST.

The IDX format (described on Yann LeCun's MNIST page) is a tiny binary layout:

* a 4-byte magic number: two zero bytes, one byte naming the data type and one
  byte giving the number of dimensions ``ndim``;
* ``ndim`` dimension sizes, each a big-endian unsigned 32-bit integer;
* the data itself, big-endian, in C (row-major) order.

Files are often distributed gzip-compressed; :func:`read_idx` decompresses
them transparently.
"""

import gzip
import math
import os
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


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file (or not the IDX data expected).

    Raised for truncated files or headers, a wrong magic number, an unknown
    data type code, dimensions that do not match the amount of data and
    corrupt gzip streams.  The message names the file and the problem.
    Subclasses :class:`ValueError`, so ``except ValueError`` also catches it.
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
        dimensions in the header, or a corrupt gzip stream.

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
    return _parse_idx(_decompress_if_gzip(_read_bytes(path), path), path)


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
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{os.fspath(path)}: no such file (cannot read IDX data)"
        ) from exc


def _decompress_if_gzip(raw, path):
    """Decompress ``raw`` if it is gzip data; ``path`` is used in messages.

    The magic bytes catch compressed files without a ``.gz`` suffix; the
    suffix catches compressed files whose first bytes were damaged, which
    would otherwise be reported as a confusing "wrong IDX magic number".
    """
    if not (raw.startswith(_GZIP_MAGIC) or os.fspath(path).endswith(".gz")):
        return raw
    try:
        return gzip.decompress(raw)
    # gzip reports damage in three different ways: BadGzipFile (an OSError)
    # for bad headers, CRCs and lengths; zlib.error for a damaged deflate
    # stream; EOFError for a stream that stops early.
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXFormatError(
            f"{os.fspath(path)}: corrupt gzip stream ({type(exc).__name__}: {exc})"
        ) from exc


def _parse_idx(data, path):
    """Parse uncompressed IDX bytes into a native-endian array."""
    name = os.fspath(path)
    if len(data) < 4:
        raise IDXFormatError(
            f"{name}: truncated header: an IDX file starts with a 4-byte magic "
            f"number but the file holds only {len(data)} byte(s)"
        )
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(
            f"{name}: wrong magic number 0x{data[:4].hex()}: an IDX file starts "
            "with two zero bytes (is this really an IDX file?)"
        )
    code, ndim = data[2], data[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(
            f"0x{c:02X} ({type_name})" for c, (_, type_name) in _CODE_TO_DTYPE.items()
        )
        raise IDXFormatError(
            f"{name}: unknown IDX data type code 0x{code:02X} in the magic "
            f"number; known codes are {known}"
        )
    dtype, type_name = _CODE_TO_DTYPE[code]

    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimension(s) need a "
            f"{header_size}-byte header but the file holds only {len(data)} "
            "byte(s)"
        )
    shape = struct.unpack_from(f">{ndim}I", data, 4)

    # Compare sizes before allocating anything, so that a damaged header
    # claiming an enormous array fails fast instead of exhausting memory.
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        dims = "x".join(map(str, shape)) if shape else "a scalar"
        item = "" if dtype.itemsize == 1 else f" {type_name}s of {dtype.itemsize} bytes"
        problem = "truncated data" if actual < expected else "trailing data"
        raise IDXFormatError(
            f"{name}: {problem}: header says {dims}{item} = {expected} bytes "
            f"of data but the file holds {actual}"
        )
    # frombuffer gives a read-only view of the bytes; astype copies it into a
    # writable array in native byte order, which is what NumPy code expects.
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header_size)
    return array.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
