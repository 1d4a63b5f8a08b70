"""
=======================================================
MNIST: a from-scratch MLP against an SVC and a baseline
=======================================================

The comparison this package was built for, as a script: three classifiers
train on the official MNIST training set (from the copy bundled in ``data/``,
no download) and are scored on the official test set.

* ``ScratchMLPClassifier(**MNIST_DEFAULT)``: one hidden layer of 256 ReLU
  units with dropout 0.1, trained by Adam for 20 epochs;
* ``SVC(C=10, gamma="scale")``: an RBF support vector machine, the classic
  strong baseline on MNIST;
* ``AverageDarknessClassifier``: guesses the digit from the mean ink of the
  image alone, to show what "no real model" scores.

What to look at: the accuracies (the MLP and the SVC both land around 98% on
the full data, the darkness baseline around 22%) and, just as much, the
seconds. The MLP's training time grows linearly with the number of images,
the SVC's faster than that (its kernel relates every pair of images), and the
SVC predicts far more slowly, as it compares each test image with thousands
of support vectors. With ``--fast`` every model trains on 3,000 images and is
tested on 1,000, and the MLP trains for 2 epochs only, so its accuracy there
is lower.

``sknnscratch compare`` is the fuller version of this script: it adds
scikit-learn's own ``MLPClassifier`` with the same settings and writes a
report folder with the results table, plots and the fitted model
(``sknnscratch compare --help`` lists its options).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import SVC
from sklearn.utils import resample

from sknnscratch import ScratchMLPClassifier
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch.datasets import load_mnist_split
from sknnscratch.presets import MNIST_DEFAULT

parser = argparse.ArgumentParser(description="MNIST: MLP vs SVC vs a baseline.")
parser.add_argument(
    "--fast", action="store_true", help="3,000 training images, 1,000 test, 2 epochs"
)
parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# The official split, pixels scaled from 0-255 to [0, 1] in float32 (the MLP
# then trains in float32, faster than in float64).
X_train, X_test, y_train, y_test = load_mnist_split()
if args.fast:
    # A seeded, stratified sample: the test file's first half is known to be
    # easier than its second, so its first rows would not be representative.
    X_train, y_train = resample(
        X_train,
        y_train,
        n_samples=3_000,
        replace=False,
        stratify=y_train,
        random_state=0,
    )
    X_test, y_test = resample(
        X_test,
        y_test,
        n_samples=1_000,
        replace=False,
        stratify=y_test,
        random_state=0,
    )
X_train = X_train.astype(np.float32) / 255
X_test = X_test.astype(np.float32) / 255
print(f"MNIST: {len(X_train):,} training and {len(X_test):,} test images")

# %%
# The three models. The preset is imported, not copied, so this script
# always trains what ``sknnscratch compare`` trains.
mlp_params = dict(MNIST_DEFAULT, max_iter=2) if args.fast else MNIST_DEFAULT
models = {
    "ScratchMLPClassifier": ScratchMLPClassifier(**mlp_params),
    "SVC(C=10, gamma='scale')": SVC(C=10, gamma="scale"),
    "AverageDarknessClassifier": AverageDarknessClassifier(),
}

# %%
# Train and score each model, timing the fit and the prediction separately.
results = {}
for name, model in models.items():
    print(f"training {name} ...", flush=True)
    # The MLP trains a fixed number of epochs (tol=0): reaching max_iter is
    # the plan, not a failure to converge.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    y_pred = model.predict(X_test)
    predict_seconds = time.perf_counter() - start
    accuracy = np.mean(y_pred == y_test)
    results[name] = (accuracy, fit_seconds, predict_seconds)

# %%
# The table.
width = max(len(name) for name in results)
print(f"\n{'model':<{width}}  {'accuracy':>8}  {'fit (s)':>8}  {'predict (s)':>11}")
for name, (accuracy, fit_seconds, predict_seconds) in results.items():
    print(
        f"{name:<{width}}  {accuracy:>8.4f}  {fit_seconds:>8.2f}"
        f"  {predict_seconds:>11.2f}"
    )

# %%
# The same numbers as a figure: accuracy, and seconds on a log scale (they
# span several orders of magnitude).
names = list(results)
accuracy, fit_seconds, predict_seconds = (np.array(v) for v in zip(*results.values()))
fig = Figure(figsize=(11, 3.6), layout="constrained")
ax_acc, ax_time = fig.subplots(1, 2)
y_pos = np.arange(len(names))
ax_acc.barh(y_pos, accuracy, color="tab:green")
for y, value in zip(y_pos, accuracy):
    ax_acc.text(value + 0.01, y, f"{value:.2%}", va="center")
ax_acc.set(xlim=(0, 1.15), yticks=y_pos, yticklabels=names, xlabel="test accuracy")
ax_acc.xaxis.set_major_formatter(PercentFormatter(xmax=1))
ax_acc.invert_yaxis()
height = 0.38
for offset, seconds, label, color in (
    (-height / 2, fit_seconds, "fit", "tab:blue"),
    (height / 2, predict_seconds, "predict", "tab:orange"),
):
    ax_time.barh(y_pos + offset, seconds, height, label=label, color=color)
    for y, value in zip(y_pos + offset, seconds):
        ax_time.text(value * 1.1, y, f"{value:.3g} s", va="center", fontsize=8)
all_seconds = np.concatenate([fit_seconds, predict_seconds])
ax_time.set(
    xscale="log",
    xlim=(all_seconds.min() / 3, all_seconds.max() * 6),
    yticks=y_pos,
    yticklabels=[],
    xlabel="seconds (log scale)",
)
ax_time.invert_yaxis()
ax_time.legend(loc="lower right")
fig.suptitle(
    f"MNIST, {len(X_train):,} training and {len(X_test):,} test images"
    + (" (--fast: the MLP trained 2 epochs)" if args.fast else "")
)
path = args.output_dir / "mnist_vs_svc.png"
fig.savefig(path, dpi=100)
print(f"\nfigure written to {path}")
print("for the full comparison with a report, run: sknnscratch compare")
