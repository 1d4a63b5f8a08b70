"""The declared fitted state: every attribute a fit sets is in its schema.

Model files hold exactly what each estimator's ``_fitted_state`` declares, so
an attribute missing from it would be lost on saving (``save`` refuses such
a model). These tests fit every kind of model and compare what the fit set
with what the schema declares, and check the rules of the entries that are
not covered by a plain round trip.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch._fitted_state import NETWORK_STATE, GeneratorState
from sknnscratch._schema_entries import (
    MAX_STRING_ARRAY_BYTES,
    Int,
    ListOf,
    OneOf,
    StateError,
    Strings,
)
from sknnscratch.nn.losses import LOSSES
from sknnscratch.nn.optimizers import OPTIMIZERS

REGRESSION_LOSSES = [
    name for name, loss in LOSSES.items() if loss.regression_output is not None
]
# Live objects, never fitted state (set_callbacks, the CLI's progress hook).
LIVE = {"_skl_callbacks"}


def _data(kind):
    X, y = make_classification(
        n_samples=60, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    if kind == "binary":
        return X, y == 1
    if kind == "multilabel":
        return make_multilabel_classification(
            n_samples=60, n_features=5, n_classes=3, random_state=0
        )
    if kind == "strings":
        return X, np.array(["ant", "bee", "cat"])[y]
    if kind == "dataframe":
        return pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]), y
    if kind == "single":
        return X, np.zeros(len(y), dtype=int)
    if kind == "counts":
        return X, y.astype(float)
    return X, y


def _mlp(cls, **params):
    return cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0, **params)


#: (id, estimator, data kind): every kind of model the package fits.
MODELS = [
    ("multiclass", _mlp(ScratchMLPClassifier), "multiclass"),
    ("binary", _mlp(ScratchMLPClassifier), "binary"),
    ("multilabel", _mlp(ScratchMLPClassifier), "multilabel"),
    ("single-class", _mlp(ScratchMLPClassifier), "single"),
    ("strings-lbfgs", _mlp(ScratchMLPClassifier, solver="lbfgs"), "strings"),
    (
        "balanced",
        _mlp(ScratchMLPClassifier, class_weight="balanced"),
        "multiclass",
    ),
    (
        "multilabel-balanced",
        _mlp(ScratchMLPClassifier, class_weight="balanced"),
        "multilabel",
    ),
    ("dataframe", _mlp(ScratchMLPClassifier), "dataframe"),
    (
        "early-stopping",
        _mlp(ScratchMLPClassifier, early_stopping=True),
        "multiclass",
    ),
    *[
        (f"solver-{name}", _mlp(ScratchMLPClassifier, solver=name), "multiclass")
        for name in OPTIMIZERS
    ],
    *[
        (f"regressor-{loss}", _mlp(ScratchMLPRegressor, loss=loss), "counts")
        for loss in REGRESSION_LOSSES
    ],
    ("regressor-lbfgs", _mlp(ScratchMLPRegressor, solver="lbfgs"), "counts"),
    (
        "regressor-early-stopping-dataframe",
        _mlp(ScratchMLPRegressor, early_stopping=True),
        "dataframe",
    ),
    ("darkness", AverageDarknessClassifier(), "strings"),
    ("darkness-dataframe", AverageDarknessClassifier(), "dataframe"),
]


def _fitted_attributes(model):
    params = model.get_params(deep=False)
    return {k for k in vars(model) if k not in params and k not in LIVE}


@pytest.fixture(scope="module")
def fitted():
    """Every model of MODELS, fitted once."""
    models = {}
    for name, model, kind in MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models[name] = model.fit(*_data(kind))
    return models


@pytest.mark.parametrize("name", [m[0] for m in MODELS])
def test_every_fitted_attribute_is_declared(fitted, name):
    model = fitted[name]
    schema = type(model)._fitted_state
    attributes = _fitted_attributes(model)
    assert attributes - set(schema) == set(), "fitted but not in the schema"
    required = {key for key, entry in schema.items() if not entry.optional}
    assert required - attributes == set(), "declared required but not set"


def test_every_optional_entry_is_set_by_some_fit(fitted):
    """The optional entries are real: each one occurs among the fits above."""
    classes = {type(m) for m in fitted.values()}
    for cls in classes:
        optional = {k for k, e in cls._fitted_state.items() if e.optional}
        seen = set().union(
            *(_fitted_attributes(m) for m in fitted.values() if type(m) is cls)
        )
        assert optional - seen == set(), cls.__name__


def test_a_fit_with_a_new_attribute_fails_the_check(fitted):
    """The check above can fail: an undeclared attribute is caught."""
    model = fitted["multiclass"]
    model.extra_state_ = 1
    try:
        assert "extra_state_" in _fitted_attributes(model) - set(
            type(model)._fitted_state
        )
    finally:
        del model.extra_state_


# --- the rules of single entries ----------------------------------------------


def _load(entry, document, fitted=None):
    return entry.load(document, "attr", source=None, fitted=fitted or {})


@pytest.mark.parametrize("document", [True, -1, 1.0, "1", None])
def test_an_int_is_a_non_negative_integer_not_a_bool(document):
    with pytest.raises(StateError, match="attr must be an integer >= 0"):
        _load(Int(), document)


def test_an_int_rule_compares_with_earlier_attributes():
    entry = Int(rule=lambda f: f["n"] + 1)
    assert _load(entry, 3, {"n": 2}) == 3
    with pytest.raises(StateError, match="attr must be 3, got 4"):
        _load(entry, 4, {"n": 2})


def test_one_of_and_list_of_check_values_and_length():
    entry = ListOf(OneOf({"relu", "tanh"}), length=lambda f: 2)
    assert _load(entry, ["relu", "tanh"]) == ["relu", "tanh"]
    with pytest.raises(StateError, match=r"attr\[1\] must be one of"):
        _load(entry, ["relu", "nope"])
    with pytest.raises(StateError, match="attr must be a list of 2"):
        _load(entry, ["relu"])


@pytest.mark.parametrize(
    "dtype, values, ok",
    [
        ("<U3", ["ant", "bee"], True),
        ("<U5", ["ant", "bee"], True),  # wider than needed, as np.unique keeps
        ("<U2", ["ant", "bee"], False),  # would truncate
        ("<U100000000", ["x"], False),  # would allocate 400 MB
        ("object", ["ant"], True),
        ("<i8", ["ant"], False),
        ("|S3", ["ant"], False),
    ],
)
def test_string_arrays_keep_their_dtype_within_bounds(dtype, values, ok):
    document = {"dtype": dtype, "values": values}
    if ok:
        array = _load(Strings(), document)
        assert array.dtype == np.dtype(dtype)
        assert array.tolist() == values
    else:
        with pytest.raises(StateError, match="attr must be 'object' or '<U<n>'"):
            _load(Strings(), document)


def _generator_document(**changes):
    state = np.random.default_rng(0).bit_generator.state
    document = GeneratorState().dump(state, "attr", {})
    return {**document, **changes}


def test_the_generator_state_round_trips_its_128_bit_integers():
    rng = np.random.default_rng(7)
    rng.random(3)
    document = GeneratorState().dump(rng.bit_generator.state, "attr", {})
    assert all(isinstance(v, str) for v in document["state"].values())
    restored = np.random.default_rng()
    restored.bit_generator.state = _load(GeneratorState(), document)
    assert restored.random() == rng.random()


@pytest.mark.parametrize(
    "changes",
    [
        {"state": {"state": str(2**128), "inc": "1"}},
        {"state": {"state": "-1", "inc": "1"}},
        {"state": {"state": 5, "inc": "1"}},
        {"bit_generator": "MT19937"},
        {"has_uint32": 2},
        {"uinteger": 2**32},
    ],
)
def test_an_invalid_generator_state_is_refused(changes):
    with pytest.raises(StateError, match="attr must be"):
        _load(GeneratorState(), _generator_document(**changes))


def test_a_huge_layer_count_is_refused_before_naming_the_tensors():
    """n_layers_ comes from the file: it must not make us build 10**12 names."""
    coefs = NETWORK_STATE["coefs_"]
    with pytest.raises(
        StateError, match="attr must be a list of 999999999999 tensor names"
    ):
        _load(coefs, ["coefs.0", "coefs.1"], {"n_layers_": 10**12})


def test_a_unicode_array_that_would_be_large_is_refused():
    """One long label among many short ones pads them all to its width."""
    values = ["x" * 1000] + [f"{i}" for i in range(5000)]
    assert len(values) * 1000 * 4 > MAX_STRING_ARRAY_BYTES
    with pytest.raises(StateError, match="at most 16777216 bytes as an array"):
        _load(Strings(), {"dtype": "<U1000", "values": values})
    # As object strings they take no padding, and load.
    assert _load(Strings(), {"dtype": "object", "values": values}).size == 5001
    with pytest.raises(ValueError, match="more than the 16777216"):
        Strings().dump(np.array(values), "classes_", {})
