"""The Sphinx site covers the package: cheap checks, no Sphinx build.

CI builds the site with warnings as errors (``.ci/run``); these tests catch
what a build would not: a public name, engine module or guide page left out
of the site, or an example the gallery would not run. They read
``docs/conf.py`` and ``docs/api/index.rst`` as files, so Sphinx need not be
installed.
"""

import ast
import importlib
import inspect
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = (DOCS / "api" / "index.rst").read_text()
CONF = runpy.run_path(str(DOCS / "conf.py"))

#: Public modules whose ``__all__`` the API reference lists name by name.
MODULES_BY_NAME = [
    "sknnscratch",
    "sknnscratch.datasets",
    "sknnscratch.augment",
    "sknnscratch.plotting",
    "sknnscratch.callbacks",
    "sknnscratch.chunks",
    "sknnscratch.parallel",
    "sknnscratch.presets",
    "sknnscratch.cli",
]
#: Names of ``sknnscratch.__all__`` that are no API page of their own: the
#: version string (submodules, such as ``datasets``, are in MODULES_BY_NAME).
NOT_PAGES = {"__version__"}


def autosummary_entries():
    """The names listed in the autosummary tables of the API reference."""
    entries = set()
    for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)+)", API):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                entries.add(line)
    return entries


@pytest.mark.parametrize("module_name", MODULES_BY_NAME)
def test_every_public_name_has_an_api_page(module_name):
    module = importlib.import_module(module_name)
    entries = autosummary_entries()
    missing = [
        name
        for name in module.__all__
        if name not in NOT_PAGES
        and name not in entries
        and not inspect.ismodule(getattr(module, name))
    ]
    assert not missing, f"add to docs/api/index.rst: {module_name}.{missing}"


def test_every_public_module_is_in_the_api_reference():
    documented = set(MODULES_BY_NAME) | {"sknnscratch.persistence"}
    package = ROOT / "sknnscratch"
    modules = [*package.glob("[!_]*.py"), *package.glob("*/__init__.py")]
    for path in modules:
        name = path.parent.name if path.name == "__init__.py" else path.stem
        if not name.startswith("_") and name != "nn":  # nn: its own test below
            assert f"sknnscratch.{name}" in documented, path.name


def test_every_engine_module_has_a_page():
    entries = autosummary_entries()
    for path in (ROOT / "sknnscratch" / "nn").glob("*.py"):
        if not path.name.startswith("_"):
            assert f"nn.{path.stem}" in entries, f"add nn.{path.stem} to the API"


def test_every_guide_page_is_in_the_table_of_contents():
    pages = {path.stem for path in DOCS.glob("*.md")}
    assert pages == {CONF["root_doc"], *CONF["GUIDE_PAGES"]}
    for page in CONF["SITE_PAGES"]:
        assert list(DOCS.glob(f"{page}.*")) or page.startswith("auto_examples/")


def test_make_images_is_not_in_the_site():
    # A script, not a page; Sphinx reads only .rst and .md, and the gallery
    # runs examples/ only.
    assert ".py" not in CONF["source_suffix"]
    assert CONF["sphinx_gallery_conf"]["examples_dirs"] == "../examples"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=str)
def test_the_gallery_runs_every_example(path):
    gallery = CONF["sphinx_gallery_conf"]
    # sphinx-gallery matches the patterns against the full path.
    assert re.search(gallery["filename_pattern"], str(path))
    assert not re.search(gallery["ignore_pattern"], str(path))
    # It needs an reST title at the top of the module docstring.
    docstring = ast.get_docstring(ast.parse(path.read_text()), clean=False)
    assert docstring, f"{path.name} has no module docstring"
    lines = docstring.strip().splitlines()
    assert len(lines) >= 3 and set(lines[0]) == {"="} and set(lines[2]) == {"="}


def test_every_link_out_of_docs_is_rewritten_for_the_site():
    """Relative links of the Markdown pages resolve inside docs/ or are mapped.

    Links that leave docs/ work on GitHub but not on the site; conf.py maps
    each one (LINK_REWRITES, and examples/*.py to their gallery pages).
    """
    rewrites = CONF["LINK_REWRITES"]
    for page in DOCS.glob("*.md"):
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#")[0]
            if path in rewrites or re.fullmatch(r"\.\./examples/\w+\.py", path):
                continue
            resolved = (DOCS / path).resolve()
            assert resolved.is_file() and DOCS in resolved.parents, (
                f"{page.name}: link to {target} leaves docs/; add it to "
                "LINK_REWRITES in docs/conf.py"
            )
