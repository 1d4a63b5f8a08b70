"""Draw the pictures of docs/results.md that come from the presets' runs.

Run from the repository root after ``pip install -e .``::

    python benchmarks/mnist_presets.py --presets default,best,record \\
        --json docs/data/mnist_presets.json
    python docs/make_results_images.py

It draws, in seconds:

* ``augmented_digits.png``: the first eight training images and, below each,
  four draws of the ``record`` preset's augmentation (``random_state=0``);
* ``presets_accuracy_time.png``: the test accuracy after every epoch against
  the seconds of training, one line per preset, from the JSON written by
  ``benchmarks/mnist_presets.py`` (the test images only watched those runs).
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from make_images import IMAGES, save  # noqa: E402 (docs/, beside this file)

from sknnscratch.datasets import load_mnist  # noqa: E402
from sknnscratch.presets import MNIST_RECORD  # noqa: E402

RUNS = Path(__file__).resolve().parent / "data" / "mnist_presets.json"


def augmented_digits(n_images=8, n_draws=4):
    """Original training digits (top row) and augmented draws below them."""
    X, _ = load_mnist(return_X_y=True, subset="train")
    originals = (X[:n_images] / 255.0).astype(np.float32)
    rng = np.random.default_rng(0)
    draws = [MNIST_RECORD["augment"](originals, rng) for _ in range(n_draws)]
    fig, axes = plt.subplots(
        1 + n_draws, n_images, figsize=(n_images * 1.1, (1 + n_draws) * 1.15)
    )
    for row, images in enumerate([originals, *draws]):
        for column, image in enumerate(images):
            ax = axes[row, column]
            ax.imshow(image.reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel("original" if row == 0 else f"draw {row}")
    fig.suptitle("Training digits and the record preset's random deformations")
    save(fig, "augmented_digits")


def accuracy_against_time():
    """Test accuracy per epoch against cumulative training seconds."""
    runs = json.loads(RUNS.read_text())
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for name, run in runs["presets"].items():
        seconds = np.cumsum(run["epoch_seconds"])
        accuracy = 100 * np.asarray(run["test_accuracy"])
        label = f"{name}: {100 * run['accuracy']:.2f}% in {run['fit_seconds']:.0f} s"
        ax.plot(seconds, accuracy, marker=".", label=label)
    ax.axhline(98.37, color="gray", linestyle="--", label="SVC (RBF): 98.37%")
    ax.axhline(99.3, color="gray", linestyle=":", label="Simard et al. 2003: 99.3%")
    ax.set_ylim(97.0, 99.8)
    ax.set_xlabel("seconds of training (2 cores)")
    ax.set_ylabel("test accuracy after the epoch (%)")
    ax.set_title("MNIST presets: test accuracy against training time")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save(fig, "presets_accuracy_time")


def main():
    IMAGES.mkdir(exist_ok=True)
    augmented_digits()
    if RUNS.exists():
        accuracy_against_time()
    else:
        print(f"  skipped presets_accuracy_time.png: no {RUNS} (see the docstring)")


if __name__ == "__main__":
    main()
