"""
================================================
Watching a decision boundary form on the spirals
================================================

Three interleaved spiral arms, one per class, are the classic toy problem of
neural networks from scratch: no straight line separates them, so a linear
model gets barely half of the points right, while a small MLP bends its
decision boundary around the arms.
:func:`sknnscratch.plotting.animate_decision_boundary` trains a copy of the
network with ``partial_fit``, a few epochs per frame, and writes one GIF frame
per step; this script also saves the last frame as a still PNG.

What to look at: after the first epochs the network cuts the plane into three
roughly straight wedges, much as the linear model does (its training accuracy
is printed for comparison). Over the epochs the wedges curl into bands that
follow the arms until nearly every training point sits in its own class's
colour. The shading is paler where the network is less sure; by the end only
thin strips along the borders between the arms stay pale.
"""

import argparse
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import make_spiral
from sknnscratch.plotting import animate_decision_boundary

parser = argparse.ArgumentParser(description="Animate an MLP learning spirals.")
parser.add_argument("--fast", action="store_true", help="few, coarse frames")
parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# 300 points on three arms, 100 per class.
X, y = make_spiral(n_samples=300, n_classes=3, noise=0.2, random_state=0)

# A linear model for contrast: it can only cut the plane with straight lines.
linear = LogisticRegression().fit(X, y)
print(f"logistic regression, training accuracy: {linear.score(X, y):.1%}")

# %%
# A small network: two hidden layers of 64 tanh units, Adam with a learning
# rate ten times the default, as the data set is tiny.
mlp = ScratchMLPClassifier(
    hidden_layer_sizes=(64, 64),
    activation="tanh",
    solver="adam",
    learning_rate_init=0.01,
    random_state=0,
)

# %%
# The animation: n_frames frames of epochs_per_frame epochs each.
if args.fast:
    n_frames, epochs_per_frame, resolution = 4, 25, 60
else:
    n_frames, epochs_per_frame, resolution = 30, 4, 200
n_epochs = n_frames * epochs_per_frame
gif = animate_decision_boundary(
    mlp,
    X,
    y,
    args.output_dir / "spiral_decision_boundary.gif",
    n_frames=n_frames,
    epochs_per_frame=epochs_per_frame,
    fps=8,
    resolution=resolution,
)
print(f"animation of {n_frames} frames ({n_epochs} epochs) written to {gif}")

# %%
# The last frame as a still. The animation trains a clone and leaves ``mlp``
# untouched, so train the same clone again: with ``random_state=0`` the same
# ``partial_fit`` calls give the same network as the animation's last frame.
model = clone(mlp)
classes = np.unique(y)
for _ in range(n_epochs):
    model.partial_fit(X, y, classes=classes)
print(f"MLP after {n_epochs} epochs, training accuracy: {model.score(X, y):.1%}")

# Shade each grid point by its predicted class, paler where the network is
# less sure (white at chance level, 1/3), the same colouring as the GIF.
pad = 0.08 * np.ptp(X, axis=0)
x_min, y_min = X.min(axis=0) - pad
x_max, y_max = X.max(axis=0) + pad
grid_x, grid_y = np.meshgrid(
    np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution)
)
proba = model.predict_proba(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
colors = np.array([colormaps["tab10"](i) for i in range(len(classes))])[:, :3]
chance = 1 / len(classes)
strength = 0.6 * np.clip((proba.max(axis=1) - chance) / (1 - chance), 0, 1)
shade = 1 - strength[:, None] * (1 - colors[proba.argmax(axis=1)])

fig = Figure(figsize=(6.2, 5.5), layout="constrained")
ax = fig.add_subplot()
ax.imshow(
    shade.reshape(resolution, resolution, 3),
    extent=(x_min, x_max, y_min, y_max),
    origin="lower",
    aspect="auto",
    interpolation="nearest",
)
for k in classes:
    ax.scatter(
        *X[y == k].T,
        color=colors[k],
        s=22,
        edgecolors="black",
        linewidths=0.5,
        label=str(k),
    )
ax.legend(title="class", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
ax.set(xlabel="feature 0", ylabel="feature 1")
ax.set_title(
    f"{type(model).__name__}: hidden layers {model.hidden_layer_sizes}, "
    f"{model.activation}\nepoch {n_epochs}: training accuracy {model.score(X, y):.1%}"
)
fig.supxlabel("shading: predicted class, paler where less confident", fontsize=8)
still = args.output_dir / "spiral_decision_boundary.png"
fig.savefig(still, dpi=100)
print(f"last frame written to {still}")
