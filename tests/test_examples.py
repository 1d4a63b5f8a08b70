"""The example scripts run (with --fast) and print and write what they promise.

Each script runs in a subprocess from the repository root, as a user would run
it, with the repository root on PYTHONPATH so the package is found whether or
not it has been installed with ``pip install -e .``.

The tests that run the scripts are marked ``examples`` and ``slow``: CI runs
them once, in its main test run (see ``.ci/run``), and not again in the docs
build, whose gallery is built without running the scripts. The hooks the
gallery runs them with (``docs/sphinxext/gallery_helpers.py``) are tested here
instead.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

PNG = (b"\x89PNG\r\n\x1a\n",)
GIF = (b"GIF87a", b"GIF89a")

#: Per script: lines its stdout must contain, and the files it must write
#: (name: accepted signatures of the first bytes, or None for any content).
CASES = {
    "plot_grid_search_digits.py": (
        [
            "best parameters: {",
            "best mean cross-validation accuracy:",
            "rank  mean acc",
            "test accuracy of the best model:",
        ],
        {"grid_search_digits_learning_curves.png": PNG},
    ),
    "persistence_joblib.py": (
        [
            "predict_proba of the loaded model identical: True",
            "weights after resuming, loaded vs in-memory model identical: True",
            "partial_fit epoch  3:",
            "only load files you trust",
        ],
        {"scratch_mlp_digits.joblib": None},
    ),
    "mnist_vs_svc.py": (
        [
            "MNIST: 3,000 training and 1,000 test images",
            "ScratchMLPClassifier ",
            "SVC(C=10, gamma='scale') ",
            "AverageDarknessClassifier ",
            "sknnscratch compare",
        ],
        {"mnist_vs_svc.png": PNG},
    ),
    "dask_grid_search.py": (
        [
            "BLAS threads per worker: [",
            "fits per worker:",
            "best parameters: {",
            "best mean cross-validation accuracy:",
            "test accuracy of the best model:",
        ],
        {"dask_grid_search_cv_results.csv": None, "dask_grid_search_scores.png": PNG},
    ),
    "out_of_core_partial_fit.py": (
        [
            "training set: 10,000 x 784 uint8",
            "memmap epoch 2: test accuracy",
            "memmap: peak memory allocated while training",
            "Dask epoch 2: test accuracy",
            "weights identical to the memmap run: True",
            "figure written to",
        ],
        {
            "out_of_core_partial_fit.png": PNG,
            "mnist_train_images.npy": (b"\x93NUMPY",),
            "mnist_train_labels.npy": (b"\x93NUMPY",),
        },
    ),
    "plot_spiral_animation.py": (
        [
            "logistic regression, training accuracy:",
            "animation of 4 frames (100 epochs) written to",
            "last frame written to",
        ],
        {
            "spiral_decision_boundary.gif": GIF,
            "spiral_decision_boundary.png": PNG,
        },
    ),
}


def run_example(name, output_dir):
    """Run ``examples/<name> --fast --output-dir output_dir``; return stdout."""
    env = dict(os.environ)
    paths = [str(ROOT), *env.get("PYTHONPATH", "").split(os.pathsep)]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--fast", "--output-dir", output_dir],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"{name} exited with {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Each example's stdout and output folder, run once per test module."""
    cache = {}

    def get(name):
        if name not in cache:
            folder = tmp_path_factory.mktemp(Path(name).stem)
            cache[name] = run_example(name, str(folder)), folder
        return cache[name]

    return get


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_has_a_gallery_docstring(name):
    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text()), clean=False)
    lines = doc.strip("\n").splitlines()
    # An over- and underlined title, then an explanatory paragraph.
    title = lines[1]
    assert set(lines[0]) == {"="} and lines[2] == lines[0]
    assert len(lines[0]) >= len(title.strip()) > 0
    assert lines[3] == "" and len(lines) > 6


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.examples
@pytest.mark.slow
def test_example_runs_prints_and_writes(name, outputs):
    stdout, folder = outputs(name)
    expected_lines, expected_files = CASES[name]
    for line in expected_lines:
        assert line in stdout, f"{line!r} not in the output of {name}:\n{stdout}"
    for filename, signatures in expected_files.items():
        path = folder / filename
        assert path.is_file(), f"{name} did not write {filename}:\n{stdout}"
        head = path.read_bytes()[:8]
        assert head, f"{filename} is empty"
        if signatures is not None:
            assert head.startswith(signatures), f"{filename} starts with {head!r}"


def accuracy(stdout, label):
    """The number after ``label`` on its line, as a fraction."""
    match = re.search(re.escape(label) + r"\D*?([\d.]+)(%?)", stdout)
    assert match, f"no {label!r} in:\n{stdout}"
    value = float(match.group(1))
    return value / 100 if match.group(2) else value


@pytest.mark.examples
@pytest.mark.slow
def test_examples_learn_something(outputs):
    # Seeded runs, so these numbers are fixed; the margins only leave room
    # for platform differences in floating point.
    grid, _ = outputs("plot_grid_search_digits.py")
    assert accuracy(grid, "test accuracy of the best model:") > 0.85

    mnist, _ = outputs("mnist_vs_svc.py")
    assert accuracy(mnist, "\nScratchMLPClassifier") > 0.8
    assert accuracy(mnist, "\nSVC(C=10, gamma='scale')") > 0.9
    assert 0.1 < accuracy(mnist, "\nAverageDarknessClassifier") < 0.35

    dask_search, _ = outputs("dask_grid_search.py")
    assert accuracy(dask_search, "test accuracy of the best model:") > 0.85

    out_of_core, _ = outputs("out_of_core_partial_fit.py")
    assert accuracy(out_of_core, "memmap epoch 2: test accuracy") > 0.8

    spiral, _ = outputs("plot_spiral_animation.py")
    linear = accuracy(spiral, "logistic regression, training accuracy:")
    mlp = accuracy(spiral, "MLP after 100 epochs, training accuracy:")
    assert linear < 0.7 < 0.9 < mlp


# --- the gallery's hooks (the docs build in CI does not run them) -----------------


class ImagePaths:
    """Like sphinx-gallery's ImagePathIterator: hands out image paths."""

    def __init__(self, folder):
        self.folder, self.paths = folder, []

    def __len__(self):
        return len(self.paths)

    def __next__(self):
        self.paths.append(self.folder / f"sphx_glr_example_{len(self.paths) + 1}.png")
        return self.paths[-1]


@pytest.fixture
def gallery_helpers(tmp_path, monkeypatch):
    """docs/sphinxext/gallery_helpers.py, writing under tmp_path.

    sphinx-gallery's ``figure_rst`` is replaced by a stand-in that lists the
    images (sphinx-gallery need not be installed to run the tests).
    """
    path = ROOT / "docs" / "sphinxext" / "gallery_helpers.py"
    spec = importlib.util.spec_from_file_location("gallery_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUTPUT_ROOT", tmp_path / "examples_output")
    scrapers = types.ModuleType("sphinx_gallery.scrapers")
    scrapers.figure_rst = lambda images, src_dir, titles: (
        f"{titles}: {[Path(image).name for image in images]}"
    )
    monkeypatch.setitem(sys.modules, "sphinx_gallery.scrapers", scrapers)
    return module


def test_gallery_runs_each_example_fast_in_a_fresh_output_dir(gallery_helpers):
    script_vars = {"src_file": str(EXAMPLES / "mnist_vs_svc.py")}
    folder = gallery_helpers.OUTPUT_ROOT / "mnist_vs_svc"
    folder.mkdir(parents=True)
    (folder / "stale.png").write_bytes(b"from an earlier build")
    argv = gallery_helpers.reset_argv({}, script_vars)
    assert argv == ["--fast", "--output-dir", str(folder)]
    assert folder.is_dir() and not any(folder.iterdir())


def test_gallery_shows_each_image_a_block_writes_once(gallery_helpers, tmp_path):
    src_file = str(EXAMPLES / "mnist_vs_svc.py")
    gallery_helpers.reset_argv({}, {"src_file": src_file})
    folder = gallery_helpers.output_dir(src_file)
    (tmp_path / "gallery").mkdir()
    iterator = ImagePaths(tmp_path / "gallery")
    block_vars = {"src_file": src_file, "image_path_iterator": iterator}
    conf = {"src_dir": str(tmp_path)}

    def scrape():
        return gallery_helpers.output_dir_scraper(None, block_vars, conf)

    assert scrape() == ""  # nothing written yet
    (folder / "b.png").write_bytes(PNG[0])
    (folder / "model.joblib").write_bytes(b"not an image")
    os.utime(folder / "b.png", ns=(10**18, 10**18))
    (folder / "a.gif").write_bytes(GIF[1])
    os.utime(folder / "a.gif", ns=(2 * 10**18, 2 * 10**18))
    # In the order written, copied into the gallery with their own suffix.
    assert (
        scrape() == "b.png, a.gif: ['sphx_glr_example_1.png', 'sphx_glr_example_2.gif']"
    )
    assert (tmp_path / "gallery" / "sphx_glr_example_2.gif").read_bytes() == GIF[1]
    assert scrape() == ""  # no image is shown twice
    # The same file saved again (a new modification time) is a new figure.
    os.utime(folder / "b.png", ns=(3 * 10**18, 3 * 10**18))
    assert scrape() == "b.png: ['sphx_glr_example_3.png']"
    # A block whose pyplot figures matplotlib's scraper already took adds
    # nothing of its own: they are the same figures.
    next(iterator)
    os.utime(folder / "a.gif", ns=(4 * 10**18, 4 * 10**18))
    assert scrape() == ""
