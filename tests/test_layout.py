"""The package's layout: small modules, and imports that point one way.

* Every module of the package (plotting and datasets included) has at most
  :data:`MAX_LINES` lines, so each can be read as a whole.
* The engine, ``sknnscratch/nn/``, stands on its own: it imports no
  ``sknnscratch`` module outside ``nn/`` and nothing of scikit-learn but the
  non-estimator helpers in :data:`ENGINE_SKLEARN_ALLOWED`.
* Only the command line itself (and ``python -m sknnscratch``) imports the
  command line: the estimators, persistence, chunks, plotting and datasets
  must work without it.

Imports are read with :mod:`ast`, without importing anything, including the
imports inside functions.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sknnscratch"
MAX_LINES = 500

#: What the engine may import from scikit-learn: its warning and exception
#: classes and the check of scipy.optimize's result, no estimator. Extend it
#: only with helpers that are not estimators.
ENGINE_SKLEARN_ALLOWED = ("sklearn.exceptions", "sklearn.utils.optimize")


def module_name(path):
    """``sknnscratch/nn/layers.py`` -> ``sknnscratch.nn.layers``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source, name, is_package=False):
    """What ``source`` (module ``name``) imports, as absolute dotted names.

    ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a.b`` (``b``
    may be a submodule or a name defined in ``a``). Relative imports are
    resolved against ``name``, a package's ``__init__`` against itself.
    """
    package = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def within(module, prefix):
    return module == prefix or module.startswith(prefix + ".")


def package_modules():
    return sorted(PACKAGE.rglob("*.py"))


def imports_of(path):
    return imported_modules(
        path.read_text(), module_name(path), is_package=path.name == "__init__.py"
    )


def engine_violations(imports):
    """The imports of an engine module that leave the engine."""
    return {
        module
        for module in imports
        if (within(module, "sknnscratch") and not within(module, "sknnscratch.nn"))
        or (
            within(module, "sklearn")
            and not any(within(module, ok) for ok in ENGINE_SKLEARN_ALLOWED)
        )
    }


def cli_violations(imports):
    return {module for module in imports if within(module, "sknnscratch.cli")}


def is_cli(path):
    """The command line: ``cli.py`` or a ``cli/`` package, and ``__main__``."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] in ("cli.py", "cli", "__main__.py")


@pytest.mark.parametrize(
    "path", package_modules(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_module_has_at_most_500_lines(path):
    n_lines = len(path.read_text().splitlines())
    assert n_lines <= MAX_LINES, (
        f"{path.relative_to(ROOT)} has {n_lines} lines (at most {MAX_LINES}): "
        f"split it into modules of one concern each"
    )


ENGINE = [p for p in package_modules() if within(module_name(p), "sknnscratch.nn")]


def test_the_engine_is_found():
    assert len(ENGINE) >= 5 and PACKAGE / "nn" / "network.py" in ENGINE


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_nothing_outside_the_engine_but_sklearn_helpers(path):
    bad = engine_violations(imports_of(path))
    assert not bad, (
        f"{path.relative_to(ROOT)} imports {sorted(bad)}; the engine "
        f"(sknnscratch/nn/) may import only sknnscratch.nn and, of scikit-learn, "
        f"{', '.join(ENGINE_SKLEARN_ALLOWED)}"
    )


@pytest.mark.parametrize(
    "path",
    [p for p in package_modules() if not is_cli(p)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_the_command_line_imports_the_command_line(path):
    bad = cli_violations(imports_of(path))
    assert not bad, (
        f"{path.relative_to(ROOT)} imports {sorted(bad)}: the library must not "
        f"depend on its command line"
    )


# --- the checks themselves catch what they are for --------------------------------


@pytest.mark.parametrize(
    "source, name, expected",
    [
        ("from .cli import main", "sknnscratch.__main__", {"sknnscratch.cli.main"}),
        ("from . import cli", "sknnscratch._base", {"sknnscratch.cli"}),
        (
            "import sknnscratch.cli.train",
            "sknnscratch.chunks",
            {"sknnscratch.cli.train"},
        ),
        # Inside a function too; ``..`` from a module of nn/ is the package.
        (
            "def f():\n    from ..cli import x",
            "sknnscratch.nn.net",
            {"sknnscratch.cli.x"},
        ),
        (
            "from .layers import Dense",
            "sknnscratch.nn.net",
            {"sknnscratch.nn.layers.Dense"},
        ),
        (
            "from sklearn import svm, base",
            "sknnscratch.nn.net",
            {"sklearn.svm", "sklearn.base"},
        ),
    ],
)
def test_imports_are_resolved_to_absolute_names(source, name, expected):
    assert imported_modules(source, name) == expected


def test_a_package_init_resolves_relative_imports_against_itself():
    assert imported_modules("from .cli import main", "sknnscratch", True) == {
        "sknnscratch.cli.main"
    }


@pytest.mark.parametrize(
    "source, bad",
    [
        ("from ..persistence import save", {"sknnscratch.persistence.save"}),
        ("from .. import _base", {"sknnscratch._base"}),
        (
            "from sknnscratch import ScratchMLPClassifier",
            {"sknnscratch.ScratchMLPClassifier"},
        ),
        ("import sklearn", {"sklearn"}),
        ("from sklearn.svm import SVC", {"sklearn.svm.SVC"}),
        ("from sklearn import neural_network", {"sklearn.neural_network"}),
        ("from sklearn.utils import check_array", {"sklearn.utils.check_array"}),
        ("from sklearn.exceptions import ConvergenceWarning", set()),
        ("from sklearn import exceptions", set()),
        ("from sklearn.utils.optimize import _check_optimize_result", set()),
        ("from .layers import Dense\nimport numpy as np", set()),
    ],
)
def test_the_engine_check_flags_what_leaves_the_engine(source, bad):
    imports = imported_modules(source, "sknnscratch.nn.network")
    assert engine_violations(imports) == bad


@pytest.mark.parametrize(
    "source, bad",
    [
        ("from .cli import main", {"sknnscratch.cli.main"}),
        ("from .cli._train import fit", {"sknnscratch.cli._train.fit"}),
        ("from sknnscratch import cli", {"sknnscratch.cli"}),
        ("from . import client", set()),
        ("from .chunks import fit_chunks", set()),
    ],
)
def test_the_cli_check_flags_imports_of_the_cli(source, bad):
    assert cli_violations(imported_modules(source, "sknnscratch._base")) == bad
