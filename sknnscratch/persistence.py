"""Save and load fitted estimators in a pickle-free, checksummed file format.

:func:`~sknnscratch.save` writes a fitted estimator to one file;
:func:`~sknnscratch.load` reads it back. Unlike :mod:`pickle` and
:mod:`joblib`, loading never runs code taken from the file: the file holds
only NumPy arrays and one JSON document, the arrays are read with
``allow_pickle=False``, and the estimator class is looked up by name in a
fixed allowlist. Every problem with a file (empty, truncated,
corrupted, tampered with, foreign, from a newer format) raises
:class:`ModelFileError`. ``docs/security.md`` explains what that does and does
not protect against and specifies the format.

The format, in short
--------------------
A zip archive (a valid ``.npz``: ``numpy.load`` opens it) whose members are all
stored uncompressed:

``sknnscratch.json``
    UTF-8 JSON: ``format`` (``"sknnscratch-model"``), ``format_version``
    (``1``), ``sknnscratch_version``, ``sklearn_version``, ``numpy_version``,
    ``estimator`` (class name), ``params`` (``get_params(deep=False)``),
    ``attributes`` (every other instance attribute), ``arrays`` (names of the
    array members, in checksum order) and ``checksum``
    (``{"algorithm": "sha256", "hexdigest": ...}``).
``<name>.npy``
    One ``.npy`` member per name in ``arrays``; the JSON refers to it as
    ``{"__type__": "ndarray", "member": name, "object": false}``.

Values that JSON cannot hold exactly are tagged objects with a ``__type__``
key: ``tuple``, ``dict`` (non-string keys), ``int`` (beyond 2**53), ``float``
(nan, inf), ``numpy.scalar`` and ``ndarray``. The checksum is the SHA-256 of
the canonical JSON without the ``checksum`` key, followed by every array
member's name and bytes.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from sknnscratch import ScratchMLPClassifier
>>> from sknnscratch.persistence import load, save
>>> X, y = load_iris(return_X_y=True)
>>> clf = ScratchMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "iris-model.npz")
>>> save(clf, path)
>>> restored = load(path)
>>> np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
True
"""

import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import sklearn
from sklearn.utils.validation import check_is_fitted

from ._base import _package_version, _renamed_parameters

__all__ = ["save", "load", "ModelFileError"]

#: Value of the JSON ``format`` field: tells our files from any other zip.
FORMAT_NAME = "sknnscratch-model"
#: Version of the layout written by :func:`save`; :func:`load` reads any
#: version up to this one and refuses newer ones.
FORMAT_VERSION = 1
#: Name of the JSON member.
JSON_MEMBER = "sknnscratch.json"

# Integers beyond this magnitude are written as decimal strings: JSON readers
# other than Python's parse numbers as doubles and would round them (the
# PCG64 generator state holds 128-bit integers).
_MAX_SAFE_INT = 2**53
# Array dtypes a file may contain: booleans, numbers and unicode strings.
# Object, void (structured) and datetime arrays are refused.
_ARRAY_KINDS = frozenset("biufcU")
# Scalar dtypes a ``numpy.scalar`` tag may name (no complex: JSON has none).
_SCALAR_KINDS = frozenset("biufU")
# Attributes never written: the versions are in the JSON header instead, and
# BaseEstimator.__getstate__ adds the first.
_HEADER_ATTRIBUTES = frozenset({"_sklearn_version", "_sknnscratch_version"})
# Live objects a model may carry that are not part of the model: the
# callbacks given to set_callbacks (a progress bar, a monitor and its logs).
# A saved model has none; set them again after loading.
_LIVE_ATTRIBUTES = frozenset({"_skl_callbacks"})
_REQUIRED_KEYS = {
    "format": str,
    "format_version": int,
    "sknnscratch_version": str,
    "estimator": str,
    "params": dict,
    "attributes": dict,
    "arrays": list,
    "checksum": dict,
}
# Leading bytes of files people mistake for model files, for a better message.
_FOREIGN_SIGNATURES = {
    b"\x80": "a pickle (pickle/joblib) file",
    b"\x93NUMPY": "a single-array .npy file",
    b"\x1f\x8b": "a gzip file (e.g. a compressed joblib dump)",
    # zlib: 0x78 then a check byte; "x" alone would also match text files.
    (b"x\x01", b"x^", b"x\x9c", b"x\xda"): (
        "a zlib stream (e.g. a compressed joblib dump)"
    ),
    b"\xfd7zXZ": "an xz file (e.g. a compressed joblib dump)",
    b"BZh": "a bzip2 file (e.g. a compressed joblib dump)",
    b"\x89HDF": "an HDF5 file",
}
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class ModelFileError(ValueError):
    """A file that :func:`load` cannot turn into an estimator.

    Raised for an empty, truncated, corrupted or tampered-with file, a file
    that is not a sknnscratch model (a pickle, a text file, another ``.npz``),
    a missing or unexpected member, a format version newer than this release
    supports, and content that does not describe a valid estimator. The
    message names the file and the problem. A ``ValueError`` subclass, so code
    that catches ``ValueError`` keeps working.
    """


def _estimator_classes():
    """The allowlist: the only classes :func:`load` will instantiate."""
    # Imported when needed, not at module level: the package's __init__ may
    # import this module, and the estimator modules must not depend on it.
    from ._baseline import AverageDarknessClassifier
    from ._classifier import ScratchMLPClassifier
    from ._regressor import ScratchMLPRegressor

    return {
        "ScratchMLPClassifier": ScratchMLPClassifier,
        "ScratchMLPRegressor": ScratchMLPRegressor,
        "AverageDarknessClassifier": AverageDarknessClassifier,
    }


# --- encoding -------------------------------------------------------------------


class _Encoder:
    """Turns plain Python/NumPy data into JSON values plus a list of arrays."""

    def __init__(self):
        self.arrays = {}

    def encode(self, value, where):
        # np.generic first: np.float64 is a float and np.str_ a str subclass,
        # and their type must survive the round trip.
        if isinstance(value, np.generic):
            return self._scalar(value, where)
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            if abs(value) < _MAX_SAFE_INT:
                return int(value)
            return {"__type__": "int", "value": str(int(value))}
        if isinstance(value, float):
            if math.isfinite(value):
                # repr (what json writes) is the shortest string that reads
                # back as the same double, so finite floats are exact.
                return float(value)
            return {"__type__": "float", "value": repr(float(value))}
        if isinstance(value, np.random.RandomState | np.random.Generator):
            raise TypeError(
                f"{where} is a {type(value).__name__} instance, whose state is "
                "not saved; set it to an int or None (set_params(random_state="
                "...)) before saving. The fitted random stream (for "
                "partial_fit) is saved either way."
            )
        if isinstance(value, np.ma.MaskedArray):
            raise TypeError(f"{where} is a masked array, which cannot be saved.")
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, tuple):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {"__type__": "tuple", "items": items}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return self._dict(value, where)
        raise TypeError(
            f"{where} is a {type(value).__module__}.{type(value).__qualname__}, "
            "which is not plain data (arrays, lists, tuples, dicts, str, int, "
            "float, bool, None, NumPy scalars) and cannot be saved."
        )

    def _scalar(self, value, where):
        dtype = value.dtype
        if dtype.kind not in _SCALAR_KINDS:
            raise TypeError(
                f"{where} is a NumPy {dtype} scalar, which cannot be saved."
            )
        # .item() is exact: float16/32 widen to double losslessly.
        return {
            "__type__": "numpy.scalar",
            "dtype": dtype.str,
            "value": self.encode(value.item(), where),
        }

    def _array(self, value, where):
        stored_as_object = value.dtype == object
        if stored_as_object:
            # Object arrays (classes_ of strings, feature_names_in_) are stored
            # as unicode arrays: .npy holds object arrays only as pickles.
            if not all(isinstance(v, str) for v in value.flat):
                raise TypeError(
                    f"{where} is an object array of non-strings, which cannot be "
                    "saved without pickle."
                )
            value = value.astype(str) if value.size else value.astype("<U1")
        elif value.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"{where} is an array of dtype {value.dtype}, which cannot be saved."
            )
        name = f"a{len(self.arrays)}"
        # np.asarray drops subclasses (memmap) to a plain ndarray.
        self.arrays[name] = np.asarray(value)
        return {"__type__": "ndarray", "member": name, "object": stored_as_object}

    def _dict(self, value, where):
        if all(isinstance(k, str) for k in value) and "__type__" not in value:
            return {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        # Non-string keys (a class_weight dict of ints) would become strings
        # in a JSON object, so the dict is a list of [key, value] pairs.
        items = [
            [self.encode(k, f"{where} key {k!r}"), self.encode(v, f"{where}[{k!r}]")]
            for k, v in value.items()
        ]
        return {"__type__": "dict", "items": items}


def _canonical_json(document):
    """The bytes the checksum covers: sorted keys, no spaces, strict JSON."""
    return json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    ).encode("ascii")


def _checksum(document, members):
    """SHA-256 of the canonical JSON (without "checksum") and the array members.

    ``members`` is a list of (name, bytes) in the order of ``document["arrays"]``.
    Each member contributes its name, a NUL, its length as 8 little-endian
    bytes and its bytes, so no two different member lists hash alike.
    """
    digest = hashlib.sha256()
    body = {k: v for k, v in document.items() if k != "checksum"}
    digest.update(_canonical_json(body))
    for name, data in members:
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(struct.pack("<Q", len(data)))
        digest.update(data)
    return digest.hexdigest()


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _zip_info(name):
    # A fixed timestamp makes the same model give the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def save(estimator, path):
    """Write a fitted estimator to ``path``, atomically, without pickle.

    Parameters
    ----------
    estimator : ScratchMLPClassifier, ScratchMLPRegressor or AverageDarknessClassifier
        A fitted estimator of exactly one of these classes (not a subclass:
        :func:`load` only instantiates the classes it knows).
    path : str or os.PathLike
        Destination file, written as given (no suffix is added; ``.npz`` is a
        good one, as the file is a valid NumPy ``.npz`` archive). An existing
        file is replaced.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not of an allowed class, or a parameter or
        attribute is not plain data (for instance ``random_state`` set to a
        ``RandomState`` instance, whose state would be lost).
    OSError
        If the file cannot be written; ``path`` is then left as it was.

    Notes
    -----
    The file is written to a temporary file in the same directory, flushed
    and fsync'ed, then renamed over ``path`` with :func:`os.replace`, which is
    atomic: readers see either the old file or the complete new one. If
    writing fails or is interrupted the temporary file is removed; only a
    hard crash (power loss, SIGKILL) can leave a ``.<name>.<random>.tmp`` file
    behind, which is safe to delete. A symbolic link at ``path`` is replaced
    by the file, not followed.
    """
    classes = _estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise TypeError(
            f"Cannot save a {type(estimator).__qualname__}: only "
            f"{sorted(classes)} can be saved (load instantiates only these)."
        )
    check_is_fitted(estimator)

    # Everything is encoded before a file is touched, so an estimator that
    # cannot be saved leaves no trace on disk.
    params = estimator.get_params(deep=False)
    # __getstate__ is the state the estimator itself declares persistable
    # (ScratchMLPClassifier drops its live progress hook there). It is called
    # on a shallow stand-in: object.__getstate__ returns the instance's own
    # __dict__, so an override that pops from it would strip the live
    # estimator.
    stand_in = object.__new__(type(estimator))
    stand_in.__dict__.update(vars(estimator))
    state = dict(stand_in.__getstate__())
    attributes = {
        k: v
        for k, v in state.items()
        if k not in params and k not in _HEADER_ATTRIBUTES | _LIVE_ATTRIBUTES
    }
    encoder = _Encoder()
    encoded_params = {
        k: encoder.encode(v, f"parameter {k!r}") for k, v in params.items()
    }
    encoded_attributes = {
        k: encoder.encode(v, f"attribute {k!r}") for k, v in attributes.items()
    }
    members = [(f"{n}.npy", _npy_bytes(a)) for n, a in encoder.arrays.items()]

    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "sknnscratch_version": _package_version(),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "estimator": name,
        "params": encoded_params,
        "attributes": encoded_attributes,
        "arrays": list(encoder.arrays),
    }
    document["checksum"] = {
        "algorithm": "sha256",
        "hexdigest": _checksum(document, members),
    }
    # Not sorted: attributes keep their order (the checksum sorts anyway).
    json_bytes = json.dumps(document, indent=1, allow_nan=False)
    _atomic_write(Path(path), [(JSON_MEMBER, json_bytes.encode("utf-8")), *members])


def _atomic_write(path, members):
    """Write a zip of ``members`` to ``path`` via a temporary file and rename."""
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
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
                for name, data in members:
                    archive.writestr(_zip_info(name), data)
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
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- decoding -------------------------------------------------------------------


class _Decoder:
    """Turns JSON values back into data, checking every tag as it goes."""

    def __init__(self, arrays):
        self.arrays = arrays

    def decode(self, value, where):
        if value is None or isinstance(value, bool | str | float):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise _Invalid(f"{where}: unexpected JSON value {value!r}")
        if "__type__" not in value:
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in value.items()}
        tag = value["__type__"]
        if not isinstance(tag, str):
            raise _Invalid(f"{where}: __type__ must be a string")
        handler = {
            "tuple": self._tuple,
            "dict": self._dict,
            "int": self._int,
            "float": self._float,
            "numpy.scalar": self._scalar,
            "ndarray": self._array,
        }.get(tag)
        if handler is None:
            raise _Invalid(f"{where}: unknown __type__ {tag!r}")
        return handler(value, where)

    @staticmethod
    def _fields(value, where, types):
        expected = {"__type__", *types}
        if set(value) != expected:
            raise _Invalid(
                f"{where}: {value['__type__']!r} needs keys {sorted(expected)}, "
                f"got {sorted(value)}"
            )
        for key, kind in types.items():
            if not isinstance(value[key], kind):
                raise _Invalid(f"{where}: {key!r} of {value['__type__']!r} is invalid")
        return [value[key] for key in types]

    def _tuple(self, value, where):
        (items,) = self._fields(value, where, {"items": list})
        return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(items))

    def _dict(self, value, where):
        (items,) = self._fields(value, where, {"items": list})
        result = {}
        for pair in items:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise _Invalid(f"{where}: dict items must be [key, value] pairs")
            key = self.decode(pair[0], f"{where} key")
            try:
                result[key] = self.decode(pair[1], f"{where}[{key!r}]")
            except TypeError as exc:  # an unhashable key
                raise _Invalid(f"{where}: invalid key {key!r}") from exc
        return result

    def _int(self, value, where):
        (text,) = self._fields(value, where, {"value": str})
        # ASCII digits only (int() would also take underscores, spaces and
        # other scripts' digits); the length limit keeps a crafted file from
        # making us parse a huge number.
        if not re.fullmatch("-?[0-9]{1,100}", text):
            raise _Invalid(f"{where}: invalid integer {text[:40]!r}")
        return int(text)

    def _float(self, value, where):
        (text,) = self._fields(value, where, {"value": str})
        if text not in ("nan", "inf", "-inf"):
            raise _Invalid(f"{where}: invalid special float {text[:40]!r}")
        return float(text)

    def _scalar(self, value, where):
        dtype_str, raw = self._fields(value, where, {"dtype": str, "value": object})
        dtype = _safe_dtype(dtype_str, _SCALAR_KINDS, where)
        item = self.decode(raw, where)
        if isinstance(item, list | dict | tuple | np.ndarray) or item is None:
            raise _Invalid(f"{where}: invalid value for a {dtype} scalar")
        try:
            with np.errstate(all="raise"), warnings.catch_warnings():
                warnings.simplefilter("error")
                scalar = np.asarray(item, dtype=dtype)[()]
        except (
            ValueError,
            TypeError,
            OverflowError,
            FloatingPointError,
            Warning,
        ) as exc:
            raise _Invalid(f"{where}: {item!r} is not a valid {dtype}") from exc
        return scalar

    def _array(self, value, where):
        member, as_object = self._fields(value, where, {"member": str, "object": bool})
        if member not in self.arrays:
            raise _Invalid(f"{where}: refers to unknown array {member!r}")
        array = self.arrays[member]
        if as_object:
            if array.dtype.kind != "U":
                raise _Invalid(f"{where}: an object array must be stored as unicode")
            return array.astype(object)
        # A fresh copy each time: two references must not share memory.
        return array.copy()


class _Invalid(Exception):
    """Internal: content that does not describe a valid model."""


def _safe_dtype(text, kinds, where):
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"{where}: invalid dtype {text[:40]!r}") from exc
    if dtype.kind not in kinds or dtype.fields is not None:
        raise _Invalid(f"{where}: dtype {dtype} is not allowed")
    return dtype


def _reject_json_constant(name):
    raise _Invalid(f"non-standard JSON constant {name} in {JSON_MEMBER}")


def load(path):
    """Read an estimator written by :func:`save`.

    Nothing in the file is executed: the arrays are read with
    ``allow_pickle=False``, the JSON is plain data, and the estimator is an
    instance of a class from a fixed allowlist, built with its parameters and
    given its fitted attributes.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    estimator : ScratchMLPClassifier, ScratchMLPRegressor or AverageDarknessClassifier
        The fitted estimator, with bitwise the same arrays as the saved one
        (predictions are identical, and ``partial_fit`` continues the same
        random stream).

    Raises
    ------
    ModelFileError
        If the file is empty, truncated, corrupted or tampered with (checksum
        mismatch), not a sknnscratch model file, missing a member, of a format
        version newer than this release reads, or otherwise invalid.
    FileNotFoundError, PermissionError
        If the file cannot be opened at all.

    Warns
    -----
    UserWarning
        If the file was written by another sknnscratch version.
    """
    path = Path(path)
    with open(path, "rb") as file:
        head = file.read(8)
        if not head:
            raise ModelFileError(f"{path}: the file is empty.")
        if not head.startswith(_ZIP_SIGNATURES):
            raise ModelFileError(f"{path}: {_describe_foreign(head)}")
        data = head + file.read()
    try:
        return _load_bytes(data, path)
    except ModelFileError:
        raise
    except _Invalid as exc:
        raise ModelFileError(f"{path}: invalid model file: {exc}.") from None
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):  # a member's bytes changed after it was written
            problem = f"the file is corrupted ({exc})"
        else:  # no readable central directory: cut short, or not zip inside
            problem = f"the file is truncated or corrupted (unreadable zip: {exc})"
        raise ModelFileError(f"{path}: {problem}.") from None
    except (
        ValueError,
        OSError,
        EOFError,
        RecursionError,
        OverflowError,
        struct.error,
        zlib.error,
        NotImplementedError,
        UnicodeDecodeError,
    ) as exc:
        raise ModelFileError(
            f"{path}: corrupted model file ({type(exc).__name__}: {exc})."
        ) from None


def _read_npy(raw, member):
    """One array from the bytes of a ``.npy`` member, checked before it is read.

    The header's dtype and shape are checked first: a crafted header must not
    make us allocate more memory than the member's actual size, nor read an
    object array (which ``allow_pickle=False`` would refuse anyway).
    """
    where = f"member {member!r}"
    buffer = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(buffer)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(buffer)
        else:
            raise _Invalid(f"{where}: unsupported .npy version {version}")
    except ValueError as exc:
        raise _Invalid(f"{where}: invalid .npy header ({exc})") from None
    _safe_dtype(dtype.str, _ARRAY_KINDS, where)
    expected = math.prod(shape) * dtype.itemsize
    if expected != len(raw) - buffer.tell():
        raise _Invalid(
            f"{where}: the header announces {expected} bytes of data, the member "
            f"holds {len(raw) - buffer.tell()}"
        )
    return np.load(io.BytesIO(raw), allow_pickle=False)


def _describe_foreign(head):
    for signature, description in _FOREIGN_SIGNATURES.items():
        if head.startswith(signature):
            kind = description
            break
    else:
        kind = "a file that is not a zip archive (a text file?)"
    message = f"not a sknnscratch model file: it looks like {kind}."
    if "pickle" in kind or "joblib" in kind:
        message += (
            " Pickle and joblib files can run arbitrary code when loaded; "
            "open them with joblib.load only if you trust their source."
        )
    return message


def _load_bytes(data, path):
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise _Invalid("the archive has duplicate member names")
    if JSON_MEMBER not in names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise ModelFileError(
            f"{path}: not a sknnscratch model file: no {JSON_MEMBER!r} member "
            f"(members: {shown or 'none'})."
        )
    for info in infos:
        # Stored members only: their size on disk bounds the memory a
        # member can take (no zip bombs), and the format never compresses.
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Invalid(f"member {info.filename!r} is compressed")

    try:
        document = json.loads(
            archive.read(JSON_MEMBER).decode("utf-8"),
            parse_constant=_reject_json_constant,
        )
    except json.JSONDecodeError as exc:
        raise _Invalid(f"{JSON_MEMBER} is not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{path}: not a sknnscratch model file: {JSON_MEMBER} does not have "
            f"format {FORMAT_NAME!r}."
        )
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Invalid(f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version} is newer than this sknnscratch "
            f"({_package_version()}) can read (up to {FORMAT_VERSION}); the file "
            f"was written by sknnscratch {document.get('sknnscratch_version')!r}. "
            "Upgrade sknnscratch to load it."
        )
    for key, kind in _REQUIRED_KEYS.items():
        if key not in document:
            raise _Invalid(f"{JSON_MEMBER} has no {key!r} key")
        if not isinstance(document[key], kind):
            raise _Invalid(f"{JSON_MEMBER} key {key!r} is not a {kind.__name__}")

    array_names = document["arrays"]
    if not all(isinstance(n, str) for n in array_names):
        raise _Invalid("'arrays' must list member names (strings)")
    if len(set(array_names)) != len(array_names):
        raise _Invalid("'arrays' lists a member twice")
    expected = {f"{n}.npy" for n in array_names}
    for member in sorted(expected):
        if member not in names:
            raise ModelFileError(f"{path}: member {member!r} is missing.")
    unexpected = sorted(set(names) - expected - {JSON_MEMBER})
    if unexpected:
        raise _Invalid(f"unexpected members {unexpected}")

    members = [(f"{n}.npy", archive.read(f"{n}.npy")) for n in array_names]
    checksum = document["checksum"]
    hexdigest = checksum.get("hexdigest")
    if checksum.get("algorithm") != "sha256" or not (
        isinstance(hexdigest, str) and re.fullmatch("[0-9a-f]{64}", hexdigest)
    ):
        raise _Invalid("the checksum must be {'algorithm': 'sha256', 'hexdigest'}")
    actual = _checksum(document, members)
    if not hmac.compare_digest(actual, checksum["hexdigest"]):
        raise ModelFileError(
            f"{path}: checksum mismatch: the file was corrupted or modified after "
            f"it was saved (stored sha256 {checksum['hexdigest'][:16]}..., "
            f"computed {actual[:16]}...)."
        )

    arrays = {
        name: _read_npy(raw, member)
        for name, (member, raw) in zip(array_names, members)
    }

    classes = _estimator_classes()
    class_name = document["estimator"]
    if class_name not in classes:
        raise _Invalid(
            f"unknown estimator {class_name[:60]!r}; this release loads "
            f"{sorted(classes)}"
        )
    estimator_class = classes[class_name]
    decoder = _Decoder(arrays)
    params = _renamed_parameters(
        {
            k: decoder.decode(v, f"parameter {k!r}")
            for k, v in document["params"].items()
        }
    )
    known = estimator_class().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise _Invalid(f"{class_name} has no parameters {unknown}")
    # Parameters missing from an older file keep their defaults.
    estimator = estimator_class(**params)

    for key, value in document["attributes"].items():
        if not key.isidentifier() or key.startswith("__") or key in known:
            raise _Invalid(f"invalid attribute name {key[:60]!r}")
        if hasattr(estimator_class, key):
            # Data must not shadow a method or class attribute.
            raise _Invalid(f"attribute {key!r} would shadow a class attribute")
        setattr(estimator, key, decoder.decode(value, f"attribute {key!r}"))
    _VALIDATORS[class_name](estimator)

    if document["sknnscratch_version"] != _package_version():
        warnings.warn(
            f"{path} was saved by sknnscratch {document['sknnscratch_version']} and "
            f"is loaded by sknnscratch {_package_version()}: the format is "
            "compatible, but predictions may differ if the engine changed.",
            UserWarning,
            stacklevel=3,
        )
    return estimator


# --- per-class consistency checks ---------------------------------------------------
# The checksum catches accidents; these catch a file edited by hand (and its
# checksum recomputed) into an estimator whose arrays do not fit together,
# which would otherwise fail later with an obscure NumPy error.


def _require(condition, message):
    if not condition:
        raise _Invalid(message)


def _check_n_features(estimator):
    n_features = getattr(estimator, "n_features_in_", None)
    _require(
        isinstance(n_features, int | np.integer) and n_features >= 1,
        "n_features_in_ must be a positive integer",
    )
    return n_features


def _check_classes(estimator):
    classes = getattr(estimator, "classes_", None)
    _require(
        isinstance(classes, np.ndarray) and classes.ndim == 1 and classes.size >= 1,
        "classes_ must be a non-empty 1-d array",
    )
    return classes, _check_n_features(estimator)


def _check_network(estimator, n_features):
    """The layers chain from ``n_features``; returns the output units."""
    coefs = getattr(estimator, "coefs_", None)
    intercepts = getattr(estimator, "intercepts_", None)
    _require(
        isinstance(coefs, list)
        and isinstance(intercepts, list)
        and len(coefs) == len(intercepts) >= 1,
        "coefs_ and intercepts_ must be lists of equal, non-zero length",
    )
    dtype = coefs[0].dtype if isinstance(coefs[0], np.ndarray) else None
    _require(
        dtype in (np.float32, np.float64),
        "coefs_ must hold float32 or float64 arrays",
    )
    units = n_features
    for coef, intercept in zip(coefs, intercepts):
        _require(
            isinstance(coef, np.ndarray)
            and isinstance(intercept, np.ndarray)
            and coef.dtype == dtype == intercept.dtype
            and coef.ndim == 2
            and coef.shape[0] == units
            and intercept.shape == (coef.shape[1],),
            "the shapes of coefs_ and intercepts_ do not chain",
        )
        units = coef.shape[1]
    from .nn.activations import ACTIVATIONS

    hidden = getattr(estimator, "_hidden_activations", None)
    _require(
        isinstance(hidden, list)
        and len(hidden) == len(coefs) - 1
        and all(isinstance(a, str) and a in ACTIVATIONS for a in hidden),
        "_hidden_activations must name one known activation per hidden layer",
    )
    n_outputs = getattr(estimator, "n_outputs_", None)
    _require(
        isinstance(n_outputs, int) and n_outputs == units,
        "n_outputs_ does not match the output layer",
    )
    return units


def _validate_mlp(estimator):
    from ._classifier import _LABEL_TYPE_BY_COUNT, _OUTPUT_ACTIVATION

    classes, n_features = _check_classes(estimator)
    units = _check_network(estimator, n_features)
    label_type = getattr(estimator, "_label_type", None)
    _require(
        isinstance(label_type, str) and label_type in _OUTPUT_ACTIVATION,
        f"_label_type must be one of {sorted(_OUTPUT_ACTIVATION)}",
    )
    if label_type == "multilabel-indicator":
        expected_outputs = len(classes)
    else:
        _require(
            _LABEL_TYPE_BY_COUNT.get(len(classes), "multiclass") == label_type,
            "_label_type does not match the number of classes_",
        )
        expected_outputs = 1 if label_type in ("single", "binary") else len(classes)
    _require(units == expected_outputs, "the output layer does not match classes_")
    _require(
        getattr(estimator, "out_activation_", None) == _OUTPUT_ACTIVATION[label_type],
        "out_activation_ does not match the kind of target",
    )


def _validate_mlp_regressor(estimator):
    from .nn.losses import LOSSES

    _check_network(estimator, _check_n_features(estimator))
    loss = LOSSES.get(estimator.loss) if isinstance(estimator.loss, str) else None
    _require(
        loss is not None and loss.regression_output is not None,
        "loss must name a regression loss",
    )
    expected = loss.regression_output
    _require(
        getattr(estimator, "out_activation_", None) == expected,
        f"out_activation_ of a regressor with loss={estimator.loss!r} must be "
        f"{expected!r}",
    )


def _validate_darkness(estimator):
    classes, _ = _check_classes(estimator)
    darkness = getattr(estimator, "class_darkness_", None)
    _require(
        isinstance(darkness, np.ndarray)
        and darkness.dtype.kind == "f"
        and darkness.shape == classes.shape,
        "class_darkness_ must be a float array matching classes_",
    )


_VALIDATORS = {
    "ScratchMLPClassifier": _validate_mlp,
    "ScratchMLPRegressor": _validate_mlp_regressor,
    "AverageDarknessClassifier": _validate_darkness,
}
