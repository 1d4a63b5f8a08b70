"""What a fitted estimator holds: the declared schema of its fitted attributes.

Each estimator class lists its fitted attributes in a class attribute
``_fitted_state``: a dict from attribute name to an *entry* saying what the
attribute may hold. Model files (:mod:`sknnscratch.persistence`) write exactly
these attributes and read back nothing else, checking each value against its
entry; ``tests/test_fitted_state.py`` fails when a fit sets an attribute that
is not declared.

Every entry follows one small protocol:

``dump(value, name, tensors)``
    Returns the attribute as a JSON value, after adding its arrays to the
    dict ``tensors`` (tensor name -> array).
``load(document, name, source, fitted)``
    Rebuilds the attribute from its JSON value ``document`` and the tensors
    of ``source``, checking kinds, dtypes, shapes and values, some of them
    against ``fitted``: the attributes read before it, in declaration order
    (so ``coefs_`` can chain from ``n_features_in_``). Raises
    :class:`StateError` naming the attribute.

An entry marked :func:`optional` belongs to some fits only (``feature_names_in_``
exists only after a fit on a DataFrame); :class:`Maybe` wraps an entry whose
value may be ``None``.
"""

import math
import re

import numpy as np

from .nn.activations import ACTIVATIONS
from .nn.losses import LOSSES
from .nn.optimizers import OPTIMIZERS
from .nn.training import history_keys

#: Dtypes of the network's parameters (and of the state that shadows them).
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: Dtypes of numeric class labels: booleans, integers and floats.
LABEL_DTYPES = tuple(
    np.dtype(t)
    for t in (bool, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16)
    + (np.uint32, np.uint64, np.float16, np.float32, np.float64)
)
_BOOL = (np.dtype(bool),)
#: Largest unicode array (``classes_``, ``feature_names_in_``) a model may
#: hold, in bytes: every string takes the longest one's width, 4 bytes a
#: character, so a few long labels among many could otherwise make a small
#: file allocate gigabytes.
MAX_STRING_ARRAY_BYTES = 16 * 2**20
#: Bit generators whose state a model may hold. Their state is two 128-bit
#: integers, written as decimal strings: JSON readers other than Python's
#: parse numbers as doubles and would round them.
BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM}


class StateError(ValueError):
    """A fitted attribute whose stored form breaks its declared rules."""


def _require(condition, name, expected, got=None):
    if not condition:
        shown = "" if got is None else f", got {_short(got)}"
        raise StateError(f"{name} must be {expected}{shown}")


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _rule(value, fitted):
    """A rule's value: given as is, or as a function of the attributes read."""
    return value(fitted) if callable(value) else value


def _require_key(document, key, name):
    """A tensor-backed attribute's JSON value is its tensor's name."""
    _require(document == key, name, f"the tensor name {key!r}", document)


def _is_int(value):
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
        _require(
            _is_int(document) and document >= self.low,
            name,
            f"an integer >= {self.low}",
            document,
        )
        if self.rule is not None:
            expected = self.rule(fitted)
            _require(document == expected, name, f"{expected}", document)
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
        _require(isinstance(document, float), name, "a number", document)
        return document


class OneOf(Entry):
    """A string from ``allowed`` (a collection, or a function of ``fitted``)."""

    def __init__(self, allowed):
        self.allowed = allowed

    def load(self, document, name, source, fitted):
        allowed = _rule(self.allowed, fitted)
        _require(
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
        _require(
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
        _require_key(document, self.key, name)
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
        _require(valid, name, f"a list of {length} tensor names", document)
        keys = [f"{self.prefix}.{i}" for i in range(length)]
        _require(document == keys, name, f"the tensor names {keys}", document)
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
        _require_key(document, self.key, name)
        return source.tensor(self.key, name, (np.dtype(np.float64),), (None,)).tolist()


class History(Entry):
    """``history_``: one equally long list per key of ``history_keys(metric)``.

    Each list is the tensor ``history.<key>`` (int64 for ``epoch``, float64
    otherwise); ``None`` entries (no validation set in that epoch) are
    stored as 0 and marked in the boolean tensor ``history.none`` of shape
    (epochs, keys). The JSON value is the list of keys.
    """

    def __init__(self, metric):
        self.keys = list(history_keys(metric))

    def dump(self, value, name, tensors):
        none = np.zeros((len(value["epoch"]), len(self.keys)), dtype=bool)
        for j, key in enumerate(self.keys):
            none[:, j] = [v is None for v in value[key]]
            values = [0 if v is None else v for v in value[key]]
            dtype = np.int64 if key == "epoch" else np.float64
            tensors[f"history.{key}"] = np.array(values, dtype=dtype).reshape(-1)
        tensors["history.none"] = none
        return self.keys

    def load(self, document, name, source, fitted):
        _require(document == self.keys, name, f"the list {self.keys}", document)
        none = source.tensor("history.none", name, _BOOL, (None, len(self.keys)))
        history = {}
        for j, key in enumerate(self.keys):
            dtype = np.dtype(np.int64 if key == "epoch" else np.float64)
            column = source.tensor(f"history.{key}", name, (dtype,), (len(none),))
            history[key] = [
                None if gap else v for v, gap in zip(column.tolist(), none[:, j])
            ]
        return history


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
        _require(
            valid and set(document) == {"dtype", "values"},
            name,
            "{'dtype': ..., 'values': [strings]}",
            document,
        )
        if self.length is not None:
            length = self.length(fitted)
            _require(len(values) == length, name, f"{length} strings", len(values))
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
        _require(valid, name, expected, document["dtype"])
        size = len(values) * int(width[1]) * 4
        expected = f"at most {MAX_STRING_ARRAY_BYTES} bytes as an array"
        _require(size <= MAX_STRING_ARRAY_BYTES, name, expected, f"{size} bytes")
        return np.array(values, dtype=document["dtype"])


class Labels(Entry):
    """``classes_``: at least one distinct label; numbers or booleans as the
    tensor ``key``, strings as :class:`Strings`."""

    def __init__(self, key):
        self.key = key
        self.strings = Strings()

    def dump(self, value, name, tensors):
        if value.dtype in LABEL_DTYPES:
            tensors[self.key] = value
            return self.key
        return self.strings.dump(value, name, tensors)

    def load(self, document, name, source, fitted):
        if isinstance(document, str):
            _require_key(document, self.key, name)
            labels = source.tensor(self.key, name, LABEL_DTYPES, (None,))
        else:
            labels = self.strings.load(document, name, source, fitted)
        _require(len(labels) >= 1, name, "at least one label", labels)
        if labels.dtype.kind == "f":
            _require(not np.isnan(labels).any(), name, "labels that are not NaN")
        distinct = len(set(labels) if labels.dtype == object else np.unique(labels))
        _require(distinct == len(labels), name, "distinct labels")
        return labels


class GeneratorState(Entry):
    """The random generator's ``bit_generator.state``, its two 128-bit
    integers as decimal strings (JSON readers other than Python's would round
    them to doubles)."""

    def dump(self, value, name, tensors):
        if value["bit_generator"] not in BIT_GENERATORS:
            raise TypeError(
                f"{name} is the state of a {value['bit_generator']} generator; a "
                f"model file holds only {sorted(BIT_GENERATORS)} states."
            )
        return {**value, "state": {k: str(v) for k, v in value["state"].items()}}

    def load(self, document, name, source, fitted):
        try:
            numbers = document["state"]
            state = {**document, "state": {k: _decimal(numbers[k]) for k in numbers}}
            generator = BIT_GENERATORS[document["bit_generator"]]()
            generator.state = state
            # NumPy checks the state's form, and must give it back unchanged
            # (an integer out of range would be wrapped, an extra key dropped).
            valid = generator.state == state and state["has_uint32"] in (0, 1)
        except (KeyError, IndexError, TypeError, ValueError, OverflowError):
            valid = False
        _require(valid, name, f"a {'/'.join(BIT_GENERATORS)} state", document)
        return state


def _decimal(text):
    """A non-negative integer written in decimal digits, below 2**128."""
    if not (isinstance(text, str) and re.fullmatch("[0-9]{1,39}", text)):
        raise ValueError(text)
    return int(text)


class OptimizerState(Entry):
    """A step solver's state: its name and step count in JSON, each of its
    state arrays (``OPTIMIZERS[name].slots``) as the tensor
    ``optimizer.<slot>``, of the parameters' dtype and length."""

    def dump(self, value, name, tensors):
        slots = [key for key in value if key not in ("name", "t")]
        tensors.update({f"optimizer.{slot}": value[slot] for slot in slots})
        return {
            "name": value["name"],
            "t": int(value["t"]),
            "slots": {slot: f"optimizer.{slot}" for slot in slots},
        }

    def load(self, document, name, source, fitted):
        _require(
            isinstance(document, dict)
            and set(document) == {"name", "t", "slots"}
            and document["name"] in list(OPTIMIZERS)  # a list: any value compares
            and _is_int(document["t"])
            and document["t"] >= 0,
            name,
            f"{{'name': one of {sorted(OPTIMIZERS)}, 't': a count, 'slots'}}",
            document,
        )
        slots = OPTIMIZERS[document["name"]].slots
        expected = {slot: f"optimizer.{slot}" for slot in slots}
        _require(
            document["slots"] == expected,
            f"{name}['slots']",
            f"{expected}",
            document["slots"],
        )
        dtype = (fitted["coefs_"][0].dtype,)
        shape = (n_parameters(fitted),)
        arrays = {
            slot: source.tensor(key, f"{name}[{slot!r}]", dtype, shape)
            for slot, key in expected.items()
        }
        return {"name": document["name"], "t": document["t"], **arrays}


def n_parameters(fitted):
    """The number of weights and biases of the fitted network."""
    return sum(a.size for a in fitted["coefs_"] + fitted["intercepts_"])


def parameter_dtype(fitted):
    """The dtype of the fitted network's weights, as a dtypes tuple."""
    return (fitted["coefs_"][0].dtype,)


def _coef_shape(fitted, i, done):
    rows = fitted["n_features_in_"] if i == 0 else done[i - 1].shape[1]
    last = i == fitted["n_layers_"] - 2
    return (rows, fitted["n_outputs_"] if last else None)


#: The network, shared by both MLP estimators: ``coefs_[i]`` is
#: ``(units[i], units[i + 1])``, chained from ``n_features_in_`` to
#: ``n_outputs_``, and ``intercepts_[i]`` is ``(units[i + 1],)``.
NETWORK_STATE = {
    "n_layers_": Int(low=2),
    "coefs_": TensorList(
        "coefs", FLOAT_DTYPES, lambda f: f["n_layers_"] - 1, _coef_shape
    ),
    "intercepts_": TensorList(
        "intercepts",
        parameter_dtype,
        lambda f: f["n_layers_"] - 1,
        lambda f, i, done: (f["coefs_"][i].shape[1],),
    ),
    "_hidden_activations": ListOf(OneOf(ACTIVATIONS), lambda f: f["n_layers_"] - 2),
}

#: The record of training, shared by both MLP estimators (``history_`` is
#: declared by each, with its metric).
TRAINING_STATE = {
    "_rng_state": GeneratorState(),
    "n_iter_": Int(),
    "t_": Int(),
    "loss_": Float(),
    "best_loss_": Maybe(Float()),
    "best_validation_score_": Maybe(Float()),
    "best_validation_loss_": Maybe(Float()),
    "_no_improvement_count": Int(),
    "_learning_rate": Maybe(Float()),
    "loss_curve_": FloatSeries("loss_curve"),
    "validation_scores_": Maybe(FloatSeries("validation_scores")),
    "_best_params": Maybe(
        Tensor("best_params", parameter_dtype, lambda f: (n_parameters(f),))
    ),
    # Step solvers only: 'lbfgs' keeps no state between fits.
    "_optimizer_state": optional(OptimizerState()),
}

#: The output activations a regression loss may ask for.
REGRESSION_OUTPUTS = {
    loss.regression_output
    for loss in LOSSES.values()
    if loss.regression_output is not None
}


def input_state():
    """``n_features_in_`` and, after a fit on a DataFrame, ``feature_names_in_``
    (fresh entries: :func:`optional` marks the entry it is given)."""
    return {
        "n_features_in_": Int(low=1),
        "feature_names_in_": optional(Strings(lambda f: f["n_features_in_"])),
    }
