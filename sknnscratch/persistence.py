"""Save and load fitted estimators as safetensors files, without pickle.

A model file is a `safetensors <https://github.com/huggingface/safetensors>`_
file: every numeric array of the fitted state is a tensor (``coefs.0``,
``intercepts.0``, ...: any safetensors reader, in any language, gets the
weights), and everything else is one JSON document, the single value of the
header's ``__metadata__``. Loading never runs code from the file: the
safetensors library checks the header's dtypes and byte ranges, the class
comes from a fixed allowlist, and each class declares its fitted attributes in
a schema (``_fitted_state``, see ``sknnscratch._fitted_state``) that
:func:`~sknnscratch.load` reads exactly. This module makes and reads the JSON
document; the file around it (header checks, tensor reads, the atomic write)
is ``sknnscratch._model_file``'s. ``docs/security.md`` specifies the format
and its threat model.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from sknnscratch import ScratchMLPClassifier, load, save
>>> X, y = load_iris(return_X_y=True)
>>> clf = ScratchMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
>>> save(clf, path)
>>> np.array_equal(load(path).predict_proba(X), clf.predict_proba(X))
True
"""

import hashlib
import hmac
import json
import math
import struct
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.utils.validation import check_is_fitted

from ._base import _CALLBACK_RUN_PREFIXES
from ._baseline import AverageDarknessClassifier
from ._classifier import ScratchMLPClassifier
from ._model_file import MAX_HEADER_BYTES as MAX_HEADER_BYTES  # documented here
from ._model_file import (
    InvalidFile,
    atomic_write,
    check_head,
    open_tensors,
    read_head,
    safetensors_file,
)
from ._regressor import ScratchMLPRegressor
from ._schema_entries import StateError
from ._utils import package_version
from .augment import describe, from_description

__all__ = ["save", "load", "read_metadata", "ModelFileError"]

#: The JSON document's ``format``: tells our files from other safetensors files.
FORMAT_NAME = "sknnscratch-model"
#: Version of the layout :func:`save` writes; :func:`load` refuses newer ones.
#: Version 1 was the zip (.npz) layout of sknnscratch 0.2, no longer read.
FORMAT_VERSION = 2
#: The ``__metadata__`` key holding the JSON document.
METADATA_KEY = "sknnscratch"
_DOCUMENT_TYPES = {
    **dict.fromkeys(["sknnscratch_version", "sklearn_version", "numpy_version"], str),
    **{"estimator": str, "params": dict, "attributes": dict, "checksum": str},
}
_DOCUMENT_KEYS = {"format", "format_version", *_DOCUMENT_TYPES}
#: Keys a document has only when there is something to say (written only
#: then, so that no empty entry stands in a reader's way).
_OPTIONAL_TYPES = {"metadata": dict}
#: The allowlist: the only classes :func:`load` instantiates.
ESTIMATORS = {
    cls.__name__: cls
    for cls in (ScratchMLPClassifier, ScratchMLPRegressor, AverageDarknessClassifier)
}
# Attributes that are live objects, never part of a saved model: the
# callbacks given to set_callbacks.
_LIVE_ATTRIBUTES = {"_skl_callbacks"}


class ModelFileError(ValueError):
    """A file that :func:`load` cannot turn into an estimator.

    Raised for an empty, truncated, corrupted or tampered-with file, a file
    that is not a sknnscratch model (a pickle, a text file, another library's
    safetensors weights), a format version newer than this release reads, and
    content that breaks the estimator's declared schema (the message names the
    entry). A ``ValueError`` subclass, so code that catches ``ValueError``
    keeps working.
    """


# --- saving -------------------------------------------------------------------


def save(estimator, path, *, metadata=None):
    """Write a fitted estimator to ``path`` as a safetensors file, atomically.

    Parameters
    ----------
    estimator : ScratchMLPClassifier, ScratchMLPRegressor or AverageDarknessClassifier
        A fitted estimator of exactly one of these classes (not a subclass:
        :func:`load` only instantiates the classes it knows).
    path : str or os.PathLike
        Destination file, written as given (``.safetensors`` is the usual
        suffix). An existing file is replaced.
    metadata : dict, default=None
        What the file should record beside the model, for
        :func:`~sknnscratch.persistence.read_metadata` (the command line
        stores the dataset and its class names): string keys and plain JSON
        values (strings, finite numbers, booleans, None, and lists and dicts
        of them).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not of an allowed class, has an attribute its
        schema does not declare, or a parameter is not plain data (for
        instance ``random_state`` set to a ``RandomState`` instance, whose
        state would be lost), or ``metadata`` is not plain JSON data.
    ValueError
        If the header would exceed ``MAX_HEADER_BYTES``, 1 MiB (many or long
        feature names or string labels); nothing is written.
    OSError
        If the file cannot be written; ``path`` is then left as it was.

    Notes
    -----
    The bytes go to a temporary file in the same directory, which is fsync'ed
    and renamed over ``path`` (:func:`os.replace`, atomic): readers see the
    old file or the complete new one. Only a hard crash can leave a
    ``.<name>.<random>.tmp`` file behind, which is safe to delete.
    """
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(
            f"Cannot save a {type(estimator).__qualname__}: only "
            f"{sorted(ESTIMATORS)} can be saved (load instantiates only these)."
        )
    check_is_fitted(estimator)
    if not isinstance(metadata, dict | None):
        raise TypeError(
            f"metadata must be a dict or None, got a {type(metadata).__qualname__}."
        )
    metadata = _checked_metadata({} if metadata is None else metadata)
    schema = estimator._fitted_state
    params = estimator.get_params(deep=False)
    live = _LIVE_ATTRIBUTES | set(params)
    state = {
        key: value
        for key, value in vars(estimator).items()
        if key not in live and not key.startswith(_CALLBACK_RUN_PREFIXES)
    }
    undeclared = sorted(set(state) - set(schema))
    if undeclared:
        raise TypeError(
            f"{name} has attributes its schema (_fitted_state) does not declare: "
            f"{undeclared}; declare them, or the file would lose them."
        )
    missing = [
        k for k, entry in schema.items() if k not in state and not entry.optional
    ]
    if missing:
        raise TypeError(
            f"{name} lacks the fitted attributes {missing}: load would refuse "
            "a file without them. Fit the model again."
        )
    # Everything is encoded before a file is touched, so an estimator that
    # cannot be saved leaves no trace on disk.
    tensors = {}
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "sknnscratch_version": package_version(),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "estimator": name,
        "params": {k: _param_to_json(v, k) for k, v in params.items()},
        "attributes": {
            key: entry.dump(state[key], key, tensors)
            for key, entry in schema.items()
            if key in state
        },
    }
    if metadata:
        document["metadata"] = metadata
    tensors = {key: np.ascontiguousarray(a) for key, a in tensors.items()}
    document["checksum"] = _checksum(document, tensors)
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    atomic_write(Path(path), safetensors_file(tensors, {METADATA_KEY: text}))


def _param_to_json(value, name):
    """A parameter as JSON: plain values as themselves; a tuple, a dict (whose
    keys may be numbers), a non-finite float and an ``augment`` transform
    (its class name and parameters) as a one-key tagged object. NumPy
    scalars and arrays are stored as the Python values they hold."""
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple | list):
        items = [_param_to_json(v, f"{name}[{i}]") for i, v in enumerate(value)]
        return {"tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        pairs = [
            [_param_to_json(k, name), _param_to_json(v, name)] for k, v in value.items()
        ]
        return {"dict": pairs}
    if callable(value):  # augment: a transform of sknnscratch.augment
        return {"transform": describe(value)}
    raise TypeError(
        f"Parameter {name} is a {type(value).__qualname__}, which a model file "
        "cannot hold (it holds plain data); set it to an int or None with "
        "set_params before saving. (A random_state instance's stream is not "
        "needed: the fitted random stream that partial_fit continues is saved.)"
    )


def _param_from_json(value, name):
    """The parameter ``name`` from its JSON value (see :func:`_param_to_json`)."""
    if isinstance(value, list):
        return [_param_from_json(v, name) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items() if len(value) == 1 else [(None, None)]
    if tag == "float" and inner in ("inf", "-inf", "nan"):
        return float(inner)
    if tag == "tuple" and isinstance(inner, list):
        return tuple(_param_from_json(v, name) for v in inner)
    if tag == "transform":
        try:
            return from_description(inner)
        except (ValueError, TypeError) as exc:
            raise InvalidFile(f"invalid value of parameter {name!r}: {exc}") from None
    pairs = inner if tag == "dict" and isinstance(inner, list) else [None]
    if all(isinstance(p, list) and len(p) == 2 for p in pairs):
        try:
            return {
                _param_from_json(k, name): _param_from_json(v, name) for k, v in inner
            }
        except TypeError:  # an unhashable key
            pass
    raise InvalidFile(f"invalid value of parameter {name!r}: {value!r:.80}")


def _checksum(document, tensors):
    """SHA-256 of the document (without ``checksum``) as canonical JSON, then of
    each tensor in name order: its name, a NUL, its byte count as 8
    little-endian bytes, and its little-endian bytes."""
    digest = hashlib.sha256()
    body = {k: v for k, v in document.items() if k != "checksum"}
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    for key in sorted(tensors):
        data = tensors[key].astype(tensors[key].dtype.newbyteorder("<"), copy=False)
        digest.update(key.encode() + b"\0" + struct.pack("<Q", data.nbytes))
        digest.update(np.ascontiguousarray(data))  # hashed in place, not copied
    return digest.hexdigest()


# --- loading ------------------------------------------------------------------


def load(path, *, return_metadata=False):
    """Read an estimator written by :func:`save`.

    Nothing in the file is executed: the tensors are plain numbers, the rest is
    JSON, the class comes from an allowlist, the parameters pass the
    estimator's own validation, and every fitted attribute is read as the
    class's schema declares it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    return_metadata : bool, default=False
        Also return the file's ``metadata`` (as
        :func:`~sknnscratch.persistence.read_metadata` does), read in the
        same pass over the file.

    Returns
    -------
    estimator : ScratchMLPClassifier, ScratchMLPRegressor or AverageDarknessClassifier
        The fitted estimator, with bitwise the same arrays as the saved one
        (predictions are identical, and ``partial_fit`` continues the same
        random stream).
    (estimator, metadata) : tuple if ``return_metadata`` is True

    Raises
    ------
    ModelFileError
        If the file is empty, truncated, corrupted or tampered with, not a
        sknnscratch model file, of a format version newer than this release
        reads, or breaks the estimator's schema; also for any failure while
        reading it, ``MemoryError`` and ``RecursionError`` included.
    FileNotFoundError, PermissionError
        If the file cannot be opened at all.

    Warns
    -----
    UserWarning
        If the file was written by another sknnscratch version.
    """
    estimator, version, metadata = _load(path)
    if version != package_version():
        warnings.warn(
            f"{path} was saved by sknnscratch {version} and is loaded by "
            f"sknnscratch {package_version()}: the format is compatible, but "
            "predictions may differ if the engine changed.",
            UserWarning,
            stacklevel=2,
        )
    return (estimator, metadata) if return_metadata else estimator


def read_metadata(path):
    """The ``metadata`` a model file was saved with (see :func:`~sknnscratch.save`).

    The whole file is checked as :func:`~sknnscratch.load` checks it, so the
    metadata of a corrupted or tampered-with file is never returned.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`~sknnscratch.save`.

    Returns
    -------
    metadata : dict
        The ``metadata`` given to :func:`~sknnscratch.save`; empty for a file
        saved without it (or by sknnscratch 0.4 or older).

    Raises
    ------
    ModelFileError, FileNotFoundError, PermissionError
        As :func:`~sknnscratch.load`.
    """
    return _load(path)[2]


def _load(path):
    """The estimator, the package version that wrote it, and the metadata."""
    path = Path(path)
    head, size = read_head(path)  # outside the try: an OSError stays itself
    try:
        check_head(head, size)
        with open_tensors(path) as source:
            return _read(source)
    except ModelFileError:
        raise
    except InvalidFile as exc:
        raise ModelFileError(f"{path}: {exc}.") from None
    except StateError as exc:  # an attribute breaks its declared rules
        raise ModelFileError(f"{path}: invalid model file: {exc}.") from None
    except Exception as exc:  # anything else the file can provoke
        text = str(exc).strip().rstrip(".")
        raise ModelFileError(
            f"{path}: invalid model file ({type(exc).__name__}: {text:.300})."
        ) from exc


def _read(source):
    """The estimator, the package version that wrote it, and the metadata."""
    metadata = source.metadata()
    if set(metadata) != {METADATA_KEY}:
        raise InvalidFile(
            "not a sknnscratch model file: a safetensors file without the "
            f"{METADATA_KEY!r} metadata (another library's weights?)"
        )
    document = json.loads(metadata[METADATA_KEY], parse_constant=_no_constants)
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise InvalidFile(
            f"not a sknnscratch model file: format is not {FORMAT_NAME!r}"
        )
    version = document.get("format_version")
    if type(version) is not int or version < FORMAT_VERSION:
        raise InvalidFile(f"invalid format_version {version!r:.40}")
    if version > FORMAT_VERSION:
        raise InvalidFile(
            f"format version {version} is newer than this sknnscratch "
            f"({package_version()}) reads (up to {FORMAT_VERSION}); the file was "
            f"written by sknnscratch {document.get('sknnscratch_version')!r:.40}. "
            "Upgrade sknnscratch to load it"
        )
    allowed = _DOCUMENT_KEYS | set(_OPTIONAL_TYPES)
    if not _DOCUMENT_KEYS <= set(document) <= allowed:
        raise InvalidFile(
            f"the document's keys must be {sorted(_DOCUMENT_KEYS)}, and "
            f"optionally {sorted(_OPTIONAL_TYPES)}"
        )
    types = {**_DOCUMENT_TYPES, **_OPTIONAL_TYPES}
    for key, kind in types.items():
        if key not in document:
            continue
        if not isinstance(document[key], kind):
            raise InvalidFile(f"{key!r} must be a JSON {kind.__name__}")

    cls = ESTIMATORS.get(document["estimator"])
    if cls is None:
        raise InvalidFile(
            f"unknown estimator {document['estimator']!r:.60}; this release "
            f"loads {sorted(ESTIMATORS)}"
        )
    estimator = cls()
    unknown = set(document["params"]) - set(estimator.get_params(deep=False))
    if unknown:
        raise InvalidFile(f"{cls.__name__} has no parameters {_listed(unknown)}")
    params = {k: _param_from_json(v, k) for k, v in document["params"].items()}
    # Parameters missing from an older file keep their defaults.
    estimator.set_params(**params)
    try:
        estimator._check_parameters()
    except (ValueError, TypeError) as exc:
        raise InvalidFile(f"invalid parameters: {exc}") from None

    attributes, fitted = document["attributes"], {}
    unknown = set(attributes) - set(cls._fitted_state)
    if unknown:
        raise InvalidFile(f"unknown attributes {_listed(unknown)} for {cls.__name__}")
    for key, entry in cls._fitted_state.items():
        if key in attributes:
            fitted[key] = entry.load(attributes[key], key, source, fitted)
        elif not entry.optional:
            raise InvalidFile(f"attribute {key!r} is missing")
    if source.unread:
        raise InvalidFile(f"unknown tensors {_listed(source.unread)}")
    if not hmac.compare_digest(
        str(document["checksum"]), _checksum(document, source.arrays)
    ):
        raise InvalidFile(
            "checksum mismatch: the file was corrupted or modified after it was saved"
        )
    for key, value in fitted.items():
        setattr(estimator, key, value)
    metadata = _checked_metadata(document.get("metadata", {}), error=InvalidFile)
    return estimator, str(document["sknnscratch_version"]), metadata


def _checked_metadata(value, error=TypeError, name="metadata"):
    """``value`` if it is plain JSON data with string keys, else ``error``."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise error(f"{name} keys must be strings, got {key!r:.60}")
        return {
            k: _checked_metadata(v, error, f"{name}[{k!r}]") for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _checked_metadata(v, error, f"{name}[{i}]") for i, v in enumerate(value)
        ]
    if isinstance(value, float) and not math.isfinite(value):
        raise error(f"{name} must be finite, got {value!r}")
    # The exact types: NumPy's float64 and str_ are subclasses of float and
    # str, and would come back from the file as other types than were saved.
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise error(
        f"{name} is a {type(value).__qualname__}; metadata holds plain JSON "
        "data (str, int, float, bool, None, and lists and dicts of them)"
    )


def _listed(names):
    """Up to five of ``names``, sorted, for a message of bounded length."""
    names = sorted(names)
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(repr(n[:60]) for n in names[:5]) + more


def _no_constants(name):
    raise InvalidFile(f"non-standard JSON constant {name} in the metadata")
