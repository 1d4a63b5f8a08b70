"""The generic entries of a fitted-state schema: kinds of value, with their checks.

A schema (an estimator's ``_fitted_state``, see :mod:`sknnscratch._fitted_state`)
maps each fitted attribute to an *entry* saying what the attribute may hold.
The entries here know JSON values, strings and tensors, nothing of networks or
training: the estimator-specific ones, and the declarations the estimators
share, are in :mod:`sknnscratch._fitted_state`.

Every entry follows one small protocol:

``dump(value, name, tensors)``
    Returns the attribute as a JSON value, after adding its arrays to the
    dict ``tensors`` (tensor name -> array).
``load(document, name, source, fitted)``
    Rebuilds the attribute from its JSON value ``document`` and the tensors
    of ``source``, checking kinds, dtypes, shapes and values, some of them
    against ``fitted``: the attributes read before it, in declaration order
    (so ``coefs_`` can chain from ``n_features_in_``). Raises
    :class:`StateError` naming the attribute. ``source.tensor(key, name,
    dtypes, shape)`` reads a tensor once its dtype and shape passed.

An entry marked :func:`optional` belongs to some fits only (``feature_names_in_``
exists only after a fit on a DataFrame); :class:`Maybe` wraps an entry whose
value may be ``None``.
"""

import math
import re

import numpy as np

__all__ = [
    "MAX_STRING_ARRAY_BYTES",
    "Entry",
    "Float",
    "FloatSeries",
    "Int",
    "ListOf",
    "Maybe",
    "OneOf",
    "StateError",
    "Strings",
    "Tensor",
    "TensorList",
    "is_int",
    "optional",
    "require",
    "require_key",
]

#: Largest unicode array (``classes_``, ``feature_names_in_``) a model may
#: hold, in bytes: every string takes the longest one's width, 4 bytes a
#: character, so a few long labels among many could otherwise make a small
#: file allocate gigabytes.
MAX_STRING_ARRAY_BYTES = 16 * 2**20


class StateError(ValueError):
    """A fitted attribute whose stored form breaks its declared rules."""


def require(condition, name, expected, got=None):
    """Raise :class:`StateError` ("``name`` must be ``expected``, got ...")
    unless ``condition`` holds."""
    if not condition:
        shown = "" if got is None else f", got {_short(got)}"
        raise StateError(f"{name} must be {expected}{shown}")


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _rule(value, fitted):
    """A rule's value: given as is, or as a function of the attributes read."""
    return value(fitted) if callable(value) else value


def require_key(document, key, name):
    """A tensor-backed attribute's JSON value is its tensor's name."""
    require(document == key, name, f"the tensor name {key!r}", document)


def is_int(value):
    """Whether ``value`` is a Python int and not a bool (JSON tells them apart)."""
    return isinstance(value, int) and not isinstance(value, bool)


def optional(entry):
    """Mark ``entry`` as an attribute that only some fits have."""
    entry.optional = True
    return entry


class Entry:
    """One fitted attribute's rules; subclasses implement ``dump`` and ``load``."""

    optional = False

    def dump(self, value, name, tensors):
        return value

    def load(self, document, name, source, fitted):
        raise NotImplementedError


class Maybe(Entry):
    """``None``, or what ``entry`` holds."""

    def __init__(self, entry):
        self.entry = entry

    def dump(self, value, name, tensors):
        return None if value is None else self.entry.dump(value, name, tensors)

    def load(self, document, name, source, fitted):
        if document is None:
            return None
        return self.entry.load(document, name, source, fitted)


class Int(Entry):
    """A Python int of at least ``low``; ``rule(fitted)``, if given, is its value."""

    def __init__(self, low=0, rule=None):
        self.low = low
        self.rule = rule

    def dump(self, value, name, tensors):
        return int(value)

    def load(self, document, name, source, fitted):
        require(
            is_int(document) and document >= self.low,
            name,
            f"an integer >= {self.low}",
            document,
        )
        if self.rule is not None:
            expected = self.rule(fitted)
            require(document == expected, name, f"{expected}", document)
        return document


class Float(Entry):
    """A Python float; JSON has no inf or nan, so those are the strings of
    their ``repr``."""

    def dump(self, value, name, tensors):
        value = float(value)
        return value if math.isfinite(value) else repr(value)

    def load(self, document, name, source, fitted):
        if document in ("inf", "-inf", "nan"):
            return float(document)
        require(isinstance(document, float), name, "a number", document)
        return document


class OneOf(Entry):
    """A string from ``allowed`` (a collection, or a function of ``fitted``)."""

    def __init__(self, allowed):
        self.allowed = allowed

    def load(self, document, name, source, fitted):
        allowed = _rule(self.allowed, fitted)
        require(
            isinstance(document, str) and document in allowed,
            name,
            f"one of {sorted(allowed)}",
            document,
        )
        return document


class ListOf(Entry):
    """A list of ``length(fitted)`` values, each what ``item`` holds."""

    def __init__(self, item, length):
        self.item = item
        self.length = length

    def dump(self, value, name, tensors):
        return [self.item.dump(v, f"{name}[{i}]", tensors) for i, v in enumerate(value)]

    def load(self, document, name, source, fitted):
        length = self.length(fitted)
        require(
            isinstance(document, list) and len(document) == length,
            name,
            f"a list of {length}",
            document,
        )
        return [
            self.item.load(d, f"{name}[{i}]", source, fitted)
            for i, d in enumerate(document)
        ]


class Tensor(Entry):
    """An array, stored as the tensor ``key``; its JSON value is the key.

    ``dtypes`` are the allowed dtypes, or a function of ``fitted`` giving
    them; ``shape(fitted)`` gives the shape, ``None`` for a free dimension.
    """

    def __init__(self, key, dtypes, shape):
        self.key = key
        self.dtypes = dtypes
        self.shape = shape

    def dump(self, value, name, tensors):
        tensors[self.key] = value
        return self.key

    def load(self, document, name, source, fitted):
        require_key(document, self.key, name)
        dtypes = _rule(self.dtypes, fitted)
        return source.tensor(self.key, name, dtypes, self.shape(fitted))


class TensorList(Entry):
    """A list of ``length(fitted)`` arrays of one dtype, stored as the tensors
    ``<prefix>.0``, ``<prefix>.1``, ...; ``shape(fitted, i, done)`` gives the
    shape of the i-th from the ones before it (``done``)."""

    def __init__(self, prefix, dtypes, length, shape):
        self.prefix = prefix
        self.dtypes = dtypes
        self.length = length
        self.shape = shape

    def dump(self, value, name, tensors):
        keys = [f"{self.prefix}.{i}" for i in range(len(value))]
        tensors.update(zip(keys, value))
        return keys

    def load(self, document, name, source, fitted):
        # The length first: a count taken from the file must not make us
        # build a list of that many names.
        length = self.length(fitted)
        valid = isinstance(document, list) and len(document) == length
        require(valid, name, f"a list of {length} tensor names", document)
        keys = [f"{self.prefix}.{i}" for i in range(length)]
        require(document == keys, name, f"the tensor names {keys}", document)
        dtypes = _rule(self.dtypes, fitted)
        done = []
        for i, key in enumerate(keys):
            shape = self.shape(fitted, i, done)
            done.append(source.tensor(key, f"{name}[{i}]", dtypes, shape))
            dtypes = (done[0].dtype,)  # one dtype for the whole list
        return done


class FloatSeries(Entry):
    """A list of Python floats (nan and inf included), stored as one float64
    tensor ``key``."""

    def __init__(self, key):
        self.key = key

    def dump(self, value, name, tensors):
        tensors[self.key] = np.array(value, dtype=np.float64).reshape(-1)
        return self.key

    def load(self, document, name, source, fitted):
        require_key(document, self.key, name)
        return source.tensor(self.key, name, (np.dtype(np.float64),), (None,)).tolist()


class Strings(Entry):
    """A 1-d array of Python strings (unicode or object dtype), stored in JSON
    as ``{"dtype": "<U5" or "object", "values": [...]}``; ``length(fitted)``,
    if given, is its length."""

    def __init__(self, length=None):
        self.length = length

    def dump(self, value, name, tensors):
        if value.dtype.kind not in "UO" or not all(isinstance(v, str) for v in value):
            raise TypeError(
                f"{name} holds {value.dtype} values that are not all strings; a "
                "model file holds labels that are strings, integers, floats or "
                "booleans."
            )
        if value.dtype.kind == "U" and value.nbytes > MAX_STRING_ARRAY_BYTES:
            raise ValueError(
                f"{name} takes {value.nbytes} bytes as a unicode array, more than "
                f"the {MAX_STRING_ARRAY_BYTES} a model file may hold; shorten the "
                "longest strings."
            )
        dtype = "object" if value.dtype.kind == "O" else value.dtype.str
        return {"dtype": dtype, "values": value.tolist()}

    def load(self, document, name, source, fitted):
        values = document.get("values") if isinstance(document, dict) else None
        valid = isinstance(values, list) and all(isinstance(v, str) for v in values)
        require(
            valid and set(document) == {"dtype", "values"},
            name,
            "{'dtype': ..., 'values': [strings]}",
            document,
        )
        if self.length is not None:
            length = self.length(fitted)
            require(len(values) == length, name, f"{length} strings", len(values))
        if document["dtype"] == "object":
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array
        # A width far beyond the longest string could only serve to make
        # loading allocate (len(values) * width * 4 bytes): refused.
        longest = max(map(len, values), default=0)
        width = re.fullmatch("<U([0-9]{1,9})", str(document["dtype"]))
        valid = width and max(longest, 1) <= int(width[1]) <= 2 * longest + 8
        expected = f"'object' or '<U<n>' with n from {longest} to {2 * longest + 8}"
        require(valid, name, expected, document["dtype"])
        size = len(values) * int(width[1]) * 4
        expected = f"at most {MAX_STRING_ARRAY_BYTES} bytes as an array"
        require(size <= MAX_STRING_ARRAY_BYTES, name, expected, f"{size} bytes")
        return np.array(values, dtype=document["dtype"])
