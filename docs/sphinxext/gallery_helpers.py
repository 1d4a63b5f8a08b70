"""Hooks that let sphinx-gallery run the examples the way the tests run them.

Every script in ``examples/`` takes ``--fast`` and ``--output-dir`` and saves
its figures with ``fig.savefig`` on pyplot-free :class:`~matplotlib.figure.Figure`
objects, so sphinx-gallery's matplotlib scraper (which looks at pyplot's list
of open figures) sees nothing. Instead:

* :func:`reset_argv` gives each example ``--fast --output-dir <dir>``, with a
  fresh, empty directory per example under ``docs/_build/examples_output/``;
* :func:`output_dir_scraper` runs after every code block and hands the images
  the block wrote to that directory (PNG, GIF, ...) to the gallery, in the
  order they were written. It runs after sphinx-gallery's matplotlib scraper:
  a block whose pyplot figures that scraper already showed (an example may
  use pyplot) adds no saved files, which would be the same figures again.

conf.py refers to both by name (``"gallery_helpers.reset_argv"``), which
keeps the Sphinx configuration picklable.
"""

import shutil
from pathlib import Path

#: Root of the per-example output directories (inside the default build tree).
OUTPUT_ROOT = Path(__file__).resolve().parents[1] / "_build" / "examples_output"

#: Image types the gallery can show; other files (``.joblib``) are not images.
IMAGE_SUFFIXES = (".png", ".gif", ".jpg", ".svg", ".webp")

# Per example: the images already seen, with their modification times, and
# how many images the gallery had after the previous block.
_seen = {}
_n_images = {}


def output_dir(src_file):
    """The ``--output-dir`` of the example ``src_file``."""
    return OUTPUT_ROOT / Path(src_file).stem


def reset_argv(gallery_conf, script_vars):
    """Command-line arguments for one example: ``--fast`` and its output dir.

    Called once per example, just before it runs: empties the directory, so
    that only images written by this run reach the gallery.
    """
    folder = output_dir(script_vars["src_file"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _seen[str(folder)] = {}
    _n_images[str(folder)] = 0
    return ["--fast", "--output-dir", str(folder)]


def output_dir_scraper(block, block_vars, gallery_conf):
    """Copy the images the code block just wrote into the gallery.

    An image counts as new if its name or its modification time is new since
    the previous block, so a figure saved twice appears twice.
    """
    from sphinx_gallery.scrapers import figure_rst

    folder = output_dir(block_vars["src_file"])
    if not folder.is_dir():
        return ""
    seen = _seen.setdefault(str(folder), {})
    iterator = block_vars["image_path_iterator"]
    scraped_by_matplotlib = len(iterator) > _n_images.get(str(folder), 0)
    new = []
    for path in folder.iterdir():
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        mtime = path.stat().st_mtime_ns
        if seen.get(path.name) != mtime:
            seen[path.name] = mtime
            new.append((mtime, path.name, path))
    if scraped_by_matplotlib:
        new = []
    images = []
    for _, _, path in sorted(new):
        target = Path(next(iterator))
        target = target.with_suffix(path.suffix.lower())
        shutil.copyfile(path, target)
        images.append(target)
    _n_images[str(folder)] = len(iterator)
    if not images:
        return ""
    titles = ", ".join(path.name for _, _, path in sorted(new))
    return figure_rst(images, gallery_conf["src_dir"], titles)
