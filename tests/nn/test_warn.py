"""``sknnscratch.nn._warn``: warnings point at the line that called fit."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier
from sknnscratch.nn._warn import warn


def caught(call):
    """The warnings ``call()`` gives, and the line of this module they should
    name: that of ``call()`` below for a function of the library, that of the
    body of ``call`` for a function of this module."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        call()
    if call.__module__ == __name__:
        line = call.__code__.co_firstlineno + 1
    return records, line


def test_frames_of_the_library_are_skipped_at_any_depth():
    library = {"__name__": "sknnscratch.somewhere", "warn": warn}
    exec(
        "def inner():\n    warn('deep', UserWarning)\ndef outer():\n    inner()\n",
        library,
    )
    records, line = caught(library["outer"])
    (record,) = records
    assert record.filename == __file__ and record.lineno == line


def test_a_caller_outside_the_library_is_the_line_reported():
    def call():
        warn("here", UserWarning)

    records, line = caught(call)
    (record,) = records
    assert record.filename == __file__ and record.lineno == line


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize(
    ("params", "category", "match"),
    [
        ({"max_iter": 2}, ConvergenceWarning, "Maximum iterations"),
        ({"max_iter": 2, "batch_size": 100}, UserWarning, "batch_size"),
    ],
)
def test_a_fit_s_warnings_point_at_the_fit_call(data, params, category, match):
    model = ScratchMLPClassifier(hidden_layer_sizes=(4,), random_state=0, **params)

    def call():
        model.fit(*data)

    records, line = caught(call)
    matching = [r for r in records if issubclass(r.category, category)]
    matching = [r for r in matching if match in str(r.message)]
    assert matching, [str(r.message) for r in records]
    for record in matching:
        assert (record.filename, record.lineno) == (__file__, line)
