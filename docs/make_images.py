"""Regenerate every image in docs/images/ (the pictures of docs/user_guide.md).

Run from the repository root after ``pip install -e .``::

    python docs/make_images.py

It takes about a minute on two cores. Every random draw is seeded
(``random_state=0``), so a run redraws the same pictures.

What it draws:

* one small MNIST model, ``ScratchMLPClassifier(hidden_layer_sizes=(128,),
  dropout=0.2, early_stopping=True, max_iter=15, random_state=0)``, trained on
  a stratified sample of 20,000 training images (pixels scaled to [0, 1] in
  float32) and scored on the 10,000 test images; its six report plots, the
  same ones ``sknnscratch compare`` writes:
  ``learning_curves.png``, ``confusion_matrix.png``,
  ``first_layer_weights.png``, ``weight_distributions.png``,
  ``network_diagram.png`` and ``confident_errors.png``;
* the decision boundary of a small network forming on three spiral arms,
  ``spiral_decision_boundary.gif``, and its last frame as a still,
  ``spiral_decision_boundary.png``.
"""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import load_mnist_split, make_spiral
from sknnscratch.plotting import (
    animate_decision_boundary,
    plot_confusion_matrix,
    plot_first_layer_weights,
    plot_learning_curves,
    plot_most_confident_errors,
    plot_network_diagram,
    plot_weight_distributions,
)

IMAGES = Path(__file__).resolve().parent / "images"
DPI = 100
N_TRAIN = 20_000


def save(fig, name):
    """Save a figure as docs/images/NAME.png and report its size."""
    path = IMAGES / f"{name}.png"
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    fig.clear()
    print(f"  {path.name} ({path.stat().st_size / 1024:.0f} KiB)")


def mnist_images():
    """Train the small MNIST model and draw its six plots."""
    X_train, X_test, y_train, y_test = load_mnist_split()
    # float32 in [0, 1]: the network then trains in float32.
    X_train = X_train.astype(np.float32) / np.float32(255)
    X_test = X_test.astype(np.float32) / np.float32(255)
    X_train, _, y_train, _ = train_test_split(
        X_train, y_train, train_size=N_TRAIN, stratify=y_train, random_state=0
    )

    model = ScratchMLPClassifier(
        hidden_layer_sizes=(128,),
        dropout=0.2,
        early_stopping=True,
        max_iter=15,
        random_state=0,
    )
    with warnings.catch_warnings():
        # 15 epochs is a budget, not convergence: the warning says nothing new.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    print(
        f"MNIST: {model.n_iter_} epochs on {N_TRAIN:,} images, best validation "
        f"accuracy {model.best_validation_score_:.2%}, test accuracy {accuracy:.2%}"
    )

    save(plot_learning_curves(model), "learning_curves")
    save(plot_confusion_matrix(model, X_test, y_test).figure_, "confusion_matrix")
    save(plot_first_layer_weights(model, image_shape=(28, 28)), "first_layer_weights")
    save(plot_weight_distributions(model), "weight_distributions")
    save(plot_network_diagram(model), "network_diagram")
    save(
        plot_most_confident_errors(model, X_test, y_test, image_shape=(28, 28)),
        "confident_errors",
    )


def spiral_images():
    """Animate a small network on the spirals; keep the last frame as a PNG."""
    X, y = make_spiral(n_samples=300, n_classes=3, noise=0.2, random_state=0)
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(64, 64),
        activation="tanh",
        learning_rate_init=0.01,
        random_state=0,
    )
    gif = animate_decision_boundary(
        model,
        X,
        y,
        IMAGES / "spiral_decision_boundary.gif",
        n_frames=20,
        epochs_per_frame=6,
        fps=4,
        resolution=120,
    )
    print(f"  {gif.name} ({gif.stat().st_size / 1024:.0f} KiB)")
    # The still is the GIF's own last frame, so the two always agree.
    with Image.open(gif) as movie:
        movie.seek(movie.n_frames - 1)
        still = IMAGES / "spiral_decision_boundary.png"
        movie.convert("RGB").save(still)
    print(f"  {still.name} ({still.stat().st_size / 1024:.0f} KiB)")


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    print(f"Writing to {IMAGES}")
    mnist_images()
    spiral_images()


if __name__ == "__main__":
    main()
