"""Sphinx configuration: the Markdown guide, the API reference and the gallery.

Build (offline, warnings are errors), from the repository root::

    docs/build.sh

which runs ``sphinx-build -W --keep-going -n`` and then ``docs/check_offline.py``:
the build fails if any page loads a script, stylesheet or font from the network.
The site works offline: the math is typeset by a copy of MathJax that the
``sphinx-mathjax-offline`` extension (the ``docs`` extra) puts in
``_static/mathjax``, not by MathJax from a CDN.

* The pages of the guide stay Markdown (``docs/*.md``, read by myst-parser),
  so they read the same on GitHub; :data:`GUIDE_PAGES` orders them in the
  site's navigation.
* ``api/index.rst`` is the API reference: autosummary writes one page per
  object or module from its numpydoc docstring.
* ``examples/*.py`` become the gallery ``auto_examples/``: sphinx-gallery runs
  every script with ``--fast`` and shows what it prints and the images it
  saves (see ``sphinxext/gallery_helpers.py``).

This file imports only the standard library, so ``tests/test_docs.py`` can
read its lists without Sphinx installed.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent

# -- Project -------------------------------------------------------------------

project = "sknnscratch"
author = "the sknnscratch developers"
copyright = "the sknnscratch developers"  # noqa: A001 (Sphinx's name)


def _version():
    # Read, not imported: the version is known even before the package imports.
    init = (DOCS.parent / "sknnscratch" / "__init__.py").read_text()
    for line in init.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "unknown"


release = version = _version()

# -- General -------------------------------------------------------------------

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # After sphinx.ext.mathjax: points mathjax_path at the copy of MathJax
    # (3.2.2) it ships and copies that into _static/mathjax, so the formulas
    # render without the network (docs/check_offline.py checks that).
    "sphinx-mathjax-offline",
    "sphinx_gallery.gen_gallery",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    # Written by sphinx-gallery; the pages it generates are linked instead.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    # Its tables of run times, the whole site's and the gallery's: pages that
    # nothing links to and that load jQuery and DataTables from CDNs, which
    # check_offline.py would refuse. The build log keeps the times
    # (sphinx-gallery's "computation time summary").
    "sg_execution_times.rst",
    "auto_examples/sg_execution_times.rst",
]

#: The Markdown pages of the guide, in navigation order. ``index.md`` is the
#: landing page; it keeps its own table of the pages (which also works on
#: GitHub) and gets the site's table of contents appended at build time
#: (:func:`_add_toctree`), so the file itself needs no Sphinx directive.
GUIDE_PAGES = [
    "user_guide",
    "cli",
    "augmentation",
    "math",
    "security",
    "results",
    "performance",
    "dask",
]
#: Every page of the site's table of contents: the README first, the guide,
#: the gallery, the API reference and the benchmarks' README.
SITE_PAGES = ["readme", *GUIDE_PAGES, "auto_examples/index", "api/index", "benchmarks"]

# Cross-references to the Python objects of other projects (numpy, sklearn,
# joblib, matplotlib, the standard library) would need intersphinx, that is
# the network. They stay plain text; -n (nitpicky) still checks every
# reference to this package's own objects and pages.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|scipy|sklearn|joblib|matplotlib|dask|PIL|tqdm)(\..*)?"),
    ("py:.*", r"(pickle|zipfile|argparse|pathlib|os|io|json|hashlib)(\..*)?"),
    ("py:.*", r"(typing|collections|numbers|warnings|threadpoolctl)(\..*)?"),
    ("py:.*", r"(tracemalloc|signal|time|tempfile|shutil|contextlib)(\..*)?"),
    ("py:class", r"(array-like|ndarray|callable|optional|default .*|of shape.*)"),
    (
        "py:class",
        r"(int|float|str|bool|bytes|dict|list|tuple|object|None|type|"
        r"Exception|ValueError|TypeError|OSError|RuntimeError|NamedTuple)",
    ),
    ("py:obj", r"(None|True|False)"),
]

# -- Markdown (myst-parser) ------------------------------------------------------

# GitHub-style anchors, so links like ``user_guide.md#install`` resolve.
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath", "amsmath"]

# -- API reference (autodoc, autosummary, numpydoc) -------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
# Methods are documented in full on each class page; no second table.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks = set()

# -- Gallery (sphinx-gallery) ----------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every script, not only plot_*.py; each takes seconds with --fast.
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"__init__\.py",
    "reset_argv": "gallery_helpers.reset_argv",
    "image_scrapers": ("matplotlib", "gallery_helpers.output_dir_scraper"),
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    # "Examples using X" on the API pages (the ``minigallery`` directive).
    "doc_module": ("sknnscratch",),
    "backreferences_dir": "api/generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sknnscratch {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_show_sourcelink = False


#: Links of the Markdown pages that leave ``docs/`` (they work on GitHub) and
#: what they point to on the site: the README pages are included as pages of
#: their own, ``examples/`` is the gallery. ``None`` keeps the text, unlinked
#: (a folder is no page).
LINK_REWRITES = {
    "../README.md": "readme.rst",
    "../benchmarks/README.md": "benchmarks.rst",
    "../examples/README.md": "auto_examples/index.rst",
    "images/": None,
}
# ``../examples/<name>.py`` links to the example's gallery page.
_EXAMPLE_LINK = re.compile(r"\]\(\.\./examples/(\w+)\.py\)")


def _rewrite_links(text):
    """The Markdown ``text`` with its links out of ``docs/`` rewritten."""
    for old, new in LINK_REWRITES.items():
        if new is None:
            text = re.sub(rf"\[([^\]]*)\]\({re.escape(old)}\)", r"\1", text)
        else:
            text = text.replace(f"]({old})", f"]({new})")
    return _EXAMPLE_LINK.sub(r"](auto_examples/\1.rst)", text)


def _on_source_read(app, docname, source):
    """Adapt the Markdown pages to the site as they are read (files unchanged).

    Links out of ``docs/`` are rewritten (:data:`LINK_REWRITES`), and the
    landing page ``index.md`` gets the site's table of contents appended.
    """
    if app.env.doc2path(docname).suffix != ".md":
        return
    source[0] = _rewrite_links(source[0])
    if docname == root_doc:
        entries = "\n".join(SITE_PAGES)
        source[0] += (
            f"\n\n```{{toctree}}\n:caption: Contents\n:maxdepth: 1\n\n{entries}\n```\n"
        )


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    # Document (and run the gallery against) this checkout, installed or not;
    # PYTHONPATH passes it on to the worker processes the examples start.
    sys.path[:0] = [str(DOCS.parent), str(DOCS / "sphinxext")]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(DOCS.parent), os.environ.get("PYTHONPATH")) if p
    )
    # Matplotlib must need no display while the gallery runs.
    os.environ.setdefault("MPLBACKEND", "Agg")
    app.connect("source-read", _on_source_read)
    app.connect("autodoc-skip-member", _skip_member)
