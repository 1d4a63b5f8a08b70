"""The container of a model file: safetensors bytes, read warily, written atomically.

This module knows files, headers and tensors, not estimators:
:mod:`sknnscratch.persistence` decides what goes in a model file (the JSON
document, the schema's tensors) and what comes out of one. Here a file is
refused from its first bytes when it is foreign, truncated or has an
oversized header, before the safetensors library reads it; each tensor is
read only after its dtype and shape passed the schema's rule, and at most
once; and a new file replaces the old one atomically. ``docs/security.md``
specifies the byte layout and the bounds.
"""

import os
import secrets
import struct
from contextlib import contextmanager

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save as safetensors_bytes

__all__ = [
    "DTYPES",
    "MAX_HEADER_BYTES",
    "InvalidFile",
    "TensorSource",
    "atomic_write",
    "check_head",
    "open_tensors",
    "read_head",
    "safetensors_file",
]

#: Largest header (tensor table plus the JSON document) that
#: :func:`~sknnscratch.save` writes and :func:`~sknnscratch.load` reads. A
#: model's header takes a few kilobytes; feature names and string labels make
#: it longer (1 MiB holds 40,000 names of 20 characters). Parsing a header
#: costs up to about 25 times its size (a JSON document of empty objects),
#: hence a bound well below the 100 MB the safetensors library itself accepts.
MAX_HEADER_BYTES = 2**20
#: Safetensors dtype names and the NumPy dtypes they are read as.
DTYPES = {
    "BOOL": np.dtype(bool),
    **{f"I{8 * n}": np.dtype(f"<i{n}") for n in (1, 2, 4, 8)},
    **{f"U{8 * n}": np.dtype(f"<u{n}") for n in (1, 2, 4, 8)},
    **{f"F{8 * n}": np.dtype(f"<f{n}") for n in (2, 4, 8)},
}
# Leading bytes of files people mistake for model files, for a better message.
_FOREIGN_SIGNATURES = {
    b"PK\x03\x04": "a zip archive, such as a model file of sknnscratch 0.2 or "
    "earlier (.npz), a format this release no longer reads: fit the model again "
    "and save it",
    b"\x80": "a pickle (pickle/joblib) file. Pickle and joblib files can run "
    "arbitrary code when loaded; open them with joblib.load only if you trust "
    "their source",
    b"\x93NUMPY": "a single-array .npy file",
    b"\x1f\x8b": "a gzip file (e.g. a compressed joblib dump)",
    (b"x\x01", b"x^", b"x\x9c", b"x\xda"): "a zlib stream (e.g. a compressed "
    "joblib dump)",
    b"\xfd7zXZ": "an xz file (e.g. a compressed joblib dump)",
    b"BZh": "a bzip2 file (e.g. a compressed joblib dump)",
    b"\x89HDF": "an HDF5 file",
}


class InvalidFile(Exception):
    """Internal: a file that is not a valid model file (message for the user,
    to which :func:`~sknnscratch.load` adds the path)."""


# --- writing ----------------------------------------------------------------------


def safetensors_file(tensors, metadata):
    """The bytes of a safetensors file of ``tensors`` and the string dict
    ``metadata``; a ``ValueError`` if its header would exceed
    ``MAX_HEADER_BYTES``."""
    data = safetensors_bytes(tensors, metadata)
    (header_bytes,) = struct.unpack("<Q", data[:8])
    if header_bytes > MAX_HEADER_BYTES:
        raise ValueError(
            f"The model's file header would take {header_bytes} bytes, more than "
            f"the {MAX_HEADER_BYTES} load reads (feature names and string class "
            "labels are stored there): fit on a NumPy array, or with shorter "
            "names or labels."
        )
    return data


def atomic_write(path, data):
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    directory = path.parent
    # O_EXCL with mode 0o666 (minus the umask): the file gets the permissions
    # a plain open() would give, which tempfile.mkstemp's 0o600 would not.
    while True:
        tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            # fsync before the rename: otherwise a crash shortly after it can
            # leave the new name pointing at a file whose data never reached
            # the disk.
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        # BaseException: a Ctrl-C midway must not leave the temporary behind.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (POSIX; skipped where unsupported)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


# --- reading ----------------------------------------------------------------------


def read_head(path):
    """The first 9 bytes of the file ``path`` (the header's length and first
    byte) and its size; a path that cannot be opened raises its ``OSError``."""
    with open(path, "rb") as file:
        return file.read(9), os.fstat(file.fileno()).st_size


def check_head(head, size):
    """Refuse foreign, truncated and oversized files from their first bytes,
    before the safetensors library reads (and allocates) the header."""
    if not head:
        raise InvalidFile("the file is empty")
    # A safetensors header is JSON: its first byte follows the 8-byte length.
    # Only without it are the first bytes another format's signature (the
    # length itself may start with any byte).
    if head[8:9] != b"{":
        for signature, kind in _FOREIGN_SIGNATURES.items():
            if head.startswith(signature):
                raise InvalidFile(f"not a sknnscratch model file: it looks like {kind}")
        if len(head) < 9:
            raise InvalidFile(
                f"not a sknnscratch model file, or one truncated: it holds only "
                f"{len(head)} bytes"
            )
        raise InvalidFile(
            "not a sknnscratch model file: not a safetensors file (no 8-byte "
            "header length followed by a JSON header; a text file?)"
        )
    (header_bytes,) = struct.unpack("<Q", head[:8])
    if header_bytes > MAX_HEADER_BYTES:
        raise InvalidFile(
            f"the header announces {header_bytes} bytes, more than the "
            f"{MAX_HEADER_BYTES} a model file may have: refused unread"
        )
    if 8 + header_bytes > size:
        raise InvalidFile(
            f"the file is truncated: the header announces {header_bytes} bytes, "
            f"the file holds {size - 8} after the length"
        )


@contextmanager
def open_tensors(path):
    """The safetensors file ``path``, open, as a :class:`TensorSource`."""
    with safe_open(path, framework="numpy") as reader:
        yield TensorSource(reader)


class TensorSource:
    """The tensors of an open safetensors file, each read at most once and only
    after its dtype and shape (from the header) passed the schema's rule.

    ``arrays`` holds the tensors read, by name; ``unread`` the names of the
    others.
    """

    def __init__(self, reader):
        self.reader = reader
        self.unread = set(reader.keys())
        self.arrays = {}

    def metadata(self):
        """The header's ``__metadata__`` (a dict of strings, empty if none)."""
        return self.reader.metadata() or {}

    def tensor(self, key, name, dtypes, shape):
        """The tensor ``key``, of one of ``dtypes`` and of ``shape`` (``None``
        for a free dimension), read for the attribute ``name``."""
        if key not in self.unread:
            problem = "is read twice" if key in self.arrays else "is missing"
            raise InvalidFile(f"{name}: tensor {key!r} {problem}")
        allowed = ", ".join(sorted({str(d) for d in dtypes}))
        view = self.reader.get_slice(key)  # the header's entry; nothing read yet
        dtype, actual = DTYPES.get(view.get_dtype()), tuple(view.get_shape())
        # "is None" first: np.dtype("float64") == None is True (None means the
        # default dtype to NumPy).
        if dtype is None or dtype not in dtypes:
            raise InvalidFile(
                f"{name}: tensor {key!r} has dtype {view.get_dtype()}, expected "
                f"{allowed}"
            )
        if len(actual) != len(shape) or any(
            want is not None and want != got for want, got in zip(shape, actual)
        ):
            expected = tuple("any" if s is None else s for s in shape)
            raise InvalidFile(
                f"{name}: tensor {key!r} has shape {actual}, expected {expected}"
            )
        self.unread.remove(key)
        # get_tensor copies the tensor's bytes into an array of its own; the
        # file's bytes are little-endian, a model's native byte order.
        array = np.asarray(self.reader.get_tensor(key), dtype=dtype.newbyteorder("="))
        self.arrays[key] = array
        return array
