"""SHA-256 verification of data files against ``sha256sum``-style lists.

A folder of data files may hold a ``SHA256SUMS`` file listing the digests of
its gzip-compressed files and a ``SHA256SUMS.uncompressed`` file listing those
of the raw files; :func:`read_verified` checks a file against the list that
matches how it is stored before parsing it.
"""

import hashlib
import string
from pathlib import Path

from ._idx import _read_bytes, _read_idx_bytes

__all__ = ["ChecksumError", "read_sums_file", "read_verified", "verify_checksum"]

# Digests of the files as stored (compressed) and of the raw IDX files; the
# latter do not depend on how a file was compressed.
_SUMS_COMPRESSED = "SHA256SUMS"
_SUMS_UNCOMPRESSED = "SHA256SUMS.uncompressed"


class ChecksumError(ValueError):
    """A data file's SHA-256 digest does not match its checksum file.

    Also raised when a checksum file is malformed or does not list a file
    that is about to be read.  The message names the file and, for a
    mismatch, both the expected and the actual digest.  Subclasses
    :class:`ValueError`.
    """


def read_verified(path, *, verify):
    """Read an IDX file, verifying its digest first when asked and possible.

    The digest is checked against ``SHA256SUMS`` next to a ``.gz`` file and
    against ``SHA256SUMS.uncompressed`` next to any other file; a file with
    no such list beside it is read unverified.  The file's bytes are read
    once and serve both the digest and the parse.

    Parameters
    ----------
    path : pathlib.Path
        The IDX file, gzip-compressed or not.
    verify : bool
        Whether to check the digest at all (a loader's ``verify_checksum``).

    Returns
    -------
    array : ndarray
        The array the file holds.

    Raises
    ------
    ChecksumError
        If the digest is checked and does not match; see
        :func:`verify_checksum`.
    IDXFormatError
        If the file is not a valid IDX file.
    """
    raw = _read_bytes(path)
    if verify:
        sums_name = (
            _SUMS_COMPRESSED if path.name.endswith(".gz") else _SUMS_UNCOMPRESSED
        )
        sums_file = path.parent / sums_name
        if sums_file.is_file():
            verify_checksum(path, raw, sums_file)
    return _read_idx_bytes(raw, path)


def verify_checksum(path, raw, sums_file):
    """Check the SHA-256 of ``raw`` (the bytes of ``path``) against ``sums_file``.

    Parameters
    ----------
    path : str or path-like
        The file the bytes were read from; its name is looked up.
    raw : bytes
        The file's contents.
    sums_file : str or path-like
        The ``sha256sum``-style list to check against.

    Raises
    ------
    ChecksumError
        If ``sums_file`` is malformed, does not list ``path``'s name, or
        lists a different digest.
    """
    path, sums_file = Path(path), Path(sums_file)
    expected = read_sums_file(sums_file).get(path.name)
    if expected is None:
        raise ChecksumError(
            f"{path}: not listed in {sums_file}, so it cannot be verified "
            "(add its digest there or pass verify_checksum=False)"
        )
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ChecksumError(
            f"{path}: SHA-256 checksum mismatch: {sums_file.name} expects "
            f"{expected} but the file's digest is {actual}; the file is damaged "
            "or not the original, so restore it or pass verify_checksum=False"
        )


def read_sums_file(sums_file):
    """Parse a ``sha256sum``-style file into ``{file name: hex digest}``.

    Blank lines and lines starting with ``#`` are skipped; digests are
    returned in lower case.

    Raises
    ------
    ChecksumError
        If a line is not a 64-digit hex digest followed by a file name.
    """
    sums = {}
    text = Path(sums_file).read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(maxsplit=1)
        digest = fields[0].lower()
        if (
            len(fields) != 2
            or len(digest) != 64
            or not set(digest) <= set(string.hexdigits.lower())
        ):
            raise ChecksumError(
                f"{sums_file}, line {lineno}: expected '<SHA-256 hex digest>  "
                f"<file name>' but found {line!r}"
            )
        # sha256sum marks files hashed in binary mode with a leading "*".
        sums[fields[1].strip().removeprefix("*")] = digest
    return sums
