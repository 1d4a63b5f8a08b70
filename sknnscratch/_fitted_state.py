"""What a fitted estimator holds: the declared schema of its fitted attributes.

Each estimator class lists its fitted attributes in a class attribute
``_fitted_state``: a dict from attribute name to an *entry* saying what the
attribute may hold. Model files (:mod:`sknnscratch.persistence`) write exactly
these attributes and read back nothing else, checking each value against its
entry; ``tests/test_fitted_state.py`` fails when a fit sets an attribute that
is not declared.

The entries' protocol and the generic entries (integers, floats, names,
lists, tensors, strings) are in :mod:`sknnscratch._schema_entries`; those the
estimator modules use are importable from here too, so that each declares its
schema from this one module. Here are the entries that know the engine (class
labels, ``history_``, the random generator, the solver's state) and the
declarations the estimators share: :data:`NETWORK_STATE`,
:data:`TRAINING_STATE`, :func:`input_state`.
"""

import re

import numpy as np

from ._schema_entries import (
    Entry,
    Float,
    FloatSeries,
    Int,
    ListOf,
    Maybe,
    OneOf,
    Strings,
    Tensor,
    TensorList,
    is_int,
    optional,
    require,
    require_key,
)
from .nn.activations import ACTIVATIONS
from .nn.bookkeeping import history_keys
from .nn.losses import LOSSES
from .nn.optimizers import FORMER_SLOTS, OPTIMIZERS

__all__ = [
    "BIT_GENERATORS",
    "FLOAT_DTYPES",
    "LABEL_DTYPES",
    "NETWORK_STATE",
    "REGRESSION_OUTPUTS",
    "TRAINING_STATE",
    "GeneratorState",
    "History",
    "Labels",
    "OptimizerState",
    "input_state",
    "n_parameters",
    "parameter_dtype",
    # Generic entries the estimator modules declare their schemas with, so
    # that they import from this one module.
    "Int",
    "OneOf",
    "Tensor",
    "optional",
]

#: Dtypes of the network's parameters (and of the state that shadows them).
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: Dtypes of numeric class labels: booleans, integers and floats.
LABEL_DTYPES = tuple(
    np.dtype(t)
    for t in (bool, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16)
    + (np.uint32, np.uint64, np.float16, np.float32, np.float64)
)
_BOOL = (np.dtype(bool),)
#: Bit generators whose state a model may hold. Their state is two 128-bit
#: integers, written as decimal strings: JSON readers other than Python's
#: parse numbers as doubles and would round them.
BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM}


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
            tensors[f"history.{key}"] = np.array(values, _column_dtype(key)).reshape(-1)
        tensors["history.none"] = none
        return self.keys

    def load(self, document, name, source, fitted):
        require(document == self.keys, name, f"the list {self.keys}", document)
        none = source.tensor("history.none", name, _BOOL, (None, len(self.keys)))
        history = {}
        for j, key in enumerate(self.keys):
            dtype = (_column_dtype(key),)
            column = source.tensor(f"history.{key}", name, dtype, (len(none),))
            history[key] = [
                None if gap else v for v, gap in zip(column.tolist(), none[:, j])
            ]
        return history


def _column_dtype(key):
    """The dtype of ``history_[key]``'s tensor: epochs count, the rest measure."""
    return np.dtype(np.int64 if key == "epoch" else np.float64)


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
            require_key(document, self.key, name)
            labels = source.tensor(self.key, name, LABEL_DTYPES, (None,))
        else:
            labels = self.strings.load(document, name, source, fitted)
        require(len(labels) >= 1, name, "at least one label", labels)
        if labels.dtype.kind == "f":
            require(not np.isnan(labels).any(), name, "labels that are not NaN")
        distinct = len(set(labels) if labels.dtype == object else np.unique(labels))
        require(distinct == len(labels), name, "distinct labels")
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
        require(valid, name, f"a {'/'.join(BIT_GENERATORS)} state", document)
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
        require(
            isinstance(document, dict)
            and set(document) == {"name", "t", "slots"}
            and document["name"] in list(OPTIMIZERS)  # a list: any value compares
            and is_int(document["t"])
            and document["t"] >= 0,
            name,
            f"{{'name': one of {sorted(OPTIMIZERS)}, 't': a count, 'slots'}}",
            document,
        )
        # Today's slots, or those an earlier version saved (0.3's Adam kept
        # sums, not moments): the optimizer's load_state_dict converts them.
        accepted = [
            {slot: f"optimizer.{slot}" for slot in slots}
            for slots in [
                OPTIMIZERS[document["name"]].slots,
                *FORMER_SLOTS.get(document["name"], []),
            ]
        ]
        require(
            document["slots"] in accepted,
            f"{name}['slots']",
            f"{accepted[0]}",
            document["slots"],
        )
        expected = document["slots"]
        dtype, shape = parameter_dtype(fitted), (n_parameters(fitted),)
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
    # The mini-batches of an epoch when the run began (step solvers): a
    # per-update schedule's plan, which later partial_fit calls keep.
    "_updates_per_epoch": optional(Int(low=1)),
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
