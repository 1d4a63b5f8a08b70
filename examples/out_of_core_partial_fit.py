"""
=====================================================
Out-of-core training: partial_fit from a file on disk
=====================================================

A training set does not need to fit in memory to train
``ScratchMLPClassifier``: ``partial_fit`` trains one epoch on whatever chunk
of rows it is given, so the data can stay on disk and be read a chunk at a
time. This script writes the MNIST training images to a ``.npy`` file, opens
it as a memory map (``np.load(path, mmap_mode="r")``, which reads nothing
yet), and trains with :func:`sknnscratch.chunks.fit_chunks`: every epoch it
visits the chunks in a new seeded random order, reads each chunk from the
file, converts it from uint8 to float32 in [0, 1] and calls ``partial_fit``
on it. Then it trains again from a Dask array over the same file (if Dask is
installed), which computes one chunk at a time the same way.

What to look at: the test accuracy after each epoch, and the peak memory the
training allocated next to the size of the data. The peak is measured with
:mod:`tracemalloc`, which counts every heap allocation (NumPy arrays
included) but not the pages of the memory map, which are file cache the
kernel can drop; it stays near one chunk as float32 and the copies
``partial_fit`` makes of it, whatever the number of rows. The Dask run
trains on the same chunks in the same order from the same seeds, so it ends
with bitwise the same weights. With ``--fast`` it uses 10,000 training
images, 2 epochs and a smaller hidden layer.
"""

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sknnscratch import ScratchMLPClassifier
from sknnscratch.chunks import fit_chunks
from sknnscratch.datasets import load_mnist_split

parser = argparse.ArgumentParser(description="Train an MLP from a file, by chunks.")
parser.add_argument(
    "--fast", action="store_true", help="10,000 training images, 2 epochs"
)
parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

n_train, n_epochs, chunk_size, hidden = (
    (10_000, 2, 2_000, (32,)) if args.fast else (60_000, 5, 5_000, (128,))
)
CLASSES = np.arange(10)

# %%
# The data. The training images go to disk as they are, uint8, and the
# in-memory copy is dropped: from here on they are only read from the file.
# The 10,000 test images stay in memory, scaled, to score each epoch.
X_train, X_test, y_train, y_test = load_mnist_split()
x_path = args.output_dir / "mnist_train_images.npy"
y_path = args.output_dir / "mnist_train_labels.npy"
np.save(x_path, X_train[:n_train])
np.save(y_path, y_train[:n_train])
del X_train, y_train
X_test = X_test.astype(np.float32) / 255

X_disk = np.load(x_path, mmap_mode="r")
y_disk = np.load(y_path, mmap_mode="r")
n_rows, n_features = X_disk.shape
MB = 1e6
file_mb = X_disk.nbytes / MB
float32_mb = 4 * X_disk.size / MB
chunk_mb = 4 * chunk_size * n_features / MB
print(
    f"training set: {n_rows:,} x {n_features} uint8 in {x_path}: {file_mb:.1f} MB "
    f"on disk, {float32_mb:.1f} MB as float32"
)
print(
    f"chunks of {chunk_size:,} rows ({chunk_mb:.1f} MB as float32), "
    f"{n_epochs} epochs, hidden layer {hidden}"
)


def to_float32(chunk):
    """One chunk of uint8 pixels as float32 in [0, 1]: one copy, per chunk."""
    chunk = chunk.astype(np.float32)
    chunk /= 255  # in place: no second float32 copy of the chunk
    return chunk


def train(name, X, y):
    """Train a fresh model on (X, y) by chunks; per-epoch accuracy and peak MB.

    One Generator seeds every epoch's chunk order, continuing from epoch to
    epoch; the model has its own seed for its weights and its row shuffles.
    """
    model = ScratchMLPClassifier(hidden_layer_sizes=hidden, random_state=0)
    order_rng = np.random.default_rng(0)
    accuracies, peak_mb = [], 0.0
    start = time.perf_counter()
    for epoch in range(1, n_epochs + 1):
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fit_chunks(
            model,
            X,
            y,
            classes=CLASSES,
            chunk_size=chunk_size,
            random_state=order_rng,
            transform=to_float32,
        )
        peak_mb = max(peak_mb, (tracemalloc.get_traced_memory()[1] - before) / MB)
        accuracies.append(model.score(X_test, y_test))
        print(f"{name} epoch {epoch}: test accuracy {accuracies[-1]:.4f}", flush=True)
    seconds = time.perf_counter() - start
    print(
        f"{name}: peak memory allocated while training {peak_mb:.1f} MB = "
        f"{peak_mb / float32_mb:.0%} of the training set as float32, "
        f"{peak_mb / chunk_mb:.1f} chunks ({seconds:.1f} s)"
    )
    return model, accuracies, peak_mb


# %%
# Training from the memory map. ``tracemalloc`` is started after the data
# was written, so it sees the training alone.
tracemalloc.start()
results = {"memmap": train("memmap", X_disk, y_disk)}

# %%
# The same from a Dask array over the same file, one Dask block per chunk.
# Dask computes only the blocks a chunk needs, when the chunk is reached.
labels = {}
try:
    import dask.array as da
except ImportError:
    print("Dask is not installed: skipped the Dask array (pip install dask).")
else:
    X_dask = da.from_array(X_disk, chunks=(chunk_size, n_features))
    print(f"Dask array: {X_dask.numblocks[0]} blocks of {chunk_size:,} rows")
    # Dask imports parts of itself on its first compute (15 MB of modules);
    # computing one row first keeps that out of the measurement.
    X_dask[:1].compute()
    results["Dask"] = train("Dask", X_dask, y_disk)
    same = all(
        np.array_equal(a, b)
        for a, b in zip(
            results["Dask"][0].coefs_ + results["Dask"][0].intercepts_,
            results["memmap"][0].coefs_ + results["memmap"][0].intercepts_,
        )
    )
    print(f"weights identical to the memmap run: {same}")
    labels = {"Dask": "Dask (identical weights)" if same else "Dask"}
tracemalloc.stop()

# %%
# The figure: accuracy per epoch for each source, and the peak memory next
# to the size of the data.
fig = Figure(figsize=(10, 3.8), layout="constrained")
ax_acc, ax_mem = fig.subplots(1, 2, width_ratios=(1, 1.3))
epochs = np.arange(1, n_epochs + 1)
styles = {"memmap": ("o-", 9, "tab:blue"), "Dask": ("x--", 9, "tab:orange")}
for name, (_, accuracies, _) in results.items():
    style, size, color = styles[name]
    ax_acc.plot(
        epochs, accuracies, style, ms=size, color=color, label=labels.get(name, name)
    )
ax_acc.set(
    xlabel="epoch",
    ylabel="test accuracy",
    xticks=epochs,
    title="Test accuracy after each epoch",
)
ax_acc.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
ax_acc.legend(title="source", loc="lower right")
ax_acc.grid(alpha=0.3)

bars = {
    "training set, float32": (float32_mb, "tab:gray"),
    "training set, uint8 file": (file_mb, "silver"),
    "one chunk, float32": (chunk_mb, "tab:green"),
}
for name, (_, _, peak_mb) in results.items():
    bars[f"peak allocated, {name}"] = (peak_mb, styles[name][2])
y_pos = np.arange(len(bars))
values = [value for value, _ in bars.values()]
ax_mem.barh(y_pos, values, color=[color for _, color in bars.values()])
for y, value in zip(y_pos, values):
    ax_mem.text(value + 0.01 * max(values), y, f"{value:.1f} MB", va="center")
ax_mem.set(
    yticks=y_pos,
    yticklabels=list(bars),
    xlim=(0, 1.25 * max(values)),
    xlabel="MB",
    title="Memory: the data vs what training allocated",
)
ax_mem.invert_yaxis()
fig.suptitle(
    f"partial_fit by chunks from a memory-mapped .npy: MNIST, {n_rows:,} training "
    f"images in chunks of {chunk_size:,}"
)
path = args.output_dir / "out_of_core_partial_fit.png"
fig.savefig(path, dpi=100)
print(f"figure written to {path}")
