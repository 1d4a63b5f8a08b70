"""What scikit-learn's own MLP tests take from scikit-learn's conftest, and the
marking of the tests our estimators do not pass.

``test_sklearn_mlp.py`` beside this file is scikit-learn's test module run
against our estimators. It asks for the ``global_random_seed`` fixture, which
scikit-learn's own ``conftest.py`` provides; this one provides it the same way.
The tests listed in that module's ``EXCEPTIONS`` are marked as expected
failures here, strictly: one that starts to pass fails the run, so the list
cannot go stale.
"""

import os

import pytest

#: The module whose tests the EXCEPTIONS table describes.
_CONFORMANCE_MODULE = "test_sklearn_mlp"


def _global_random_seeds():
    """Seeds as scikit-learn's conftest reads them: ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``
    is an int, a range ``a-b``, a comma-separated list of these, or ``all``
    (0 to 99); unset, it is 42."""
    text = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42").strip()
    if text == "all":
        return list(range(100))
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def pytest_generate_tests(metafunc):
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", _global_random_seeds())


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item, "module", None)
        if module is None or module.__name__ != _CONFORMANCE_MODULE:
            continue
        exception = module.EXCEPTIONS.get(item.originalname)
        if exception is not None:
            kind, reason = exception
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"({kind}) {reason}"))
