"""Helpers shared by the datasets tests: the bundled files, small fake MNIST
folders, damaged files and memory measurement.

The real bundled MNIST and Fashion-MNIST files are read only a few times
(module-scoped fixtures); every corruption test writes its own small files
into tmp_path.
"""

import gzip
import tracemalloc

import numpy as np

from sknnscratch.datasets import _checksums, _fashion_mnist, _mnist, write_idx

__all__ = [
    "BOMB_PEAK_LIMIT",
    "BOMB_SIZE",
    "BUNDLED",
    "ENV_VAR",
    "FASHION_BUNDLED",
    "TEST_FILES",
    "TEST_LABELS_START",
    "TRAIN_FILES",
    "flip_byte",
    "sums",
    "traced_peak",
    "write_bomb",
    "write_fake_mnist",
]

ENV_VAR = "SKNNSCRATCH_DATA"
BUNDLED = _mnist._bundled_folder()
FASHION_BUNDLED = _fashion_mnist._bundled_folder()
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# A fact about the real data, from data/README.md.
TEST_LABELS_START = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
BOMB_SIZE = 200 * 2**20  # bytes after the declared payload
BOMB_PEAK_LIMIT = 20 * 2**20


def sums(name, folder=BUNDLED):
    """Parse one of the bundled checksum files into {file name: digest}."""
    return _checksums.read_sums_file(folder / name)


def flip_byte(path, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def write_fake_mnist(folder, *, n_train=5, n_test=3, offset=0, compress=True):
    """Write four small, valid MNIST-format files; return their labels.

    ``offset`` shifts the labels so that folders written with different
    offsets can be told apart after loading.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(offset)
    suffix = ".gz" if compress else ""
    labels = {}
    for (images_name, labels_name), n in ((TRAIN_FILES, n_train), (TEST_FILES, n_test)):
        y = ((np.arange(n) + offset) % 10).astype(np.uint8)
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(folder / f"{images_name}{suffix}", images)
        write_idx(folder / f"{labels_name}{suffix}", y)
        labels[images_name.split("-")[0]] = y
    return labels


def traced_peak(func):
    """Peak bytes allocated (as tracemalloc counts them) while ``func()`` runs.

    tracemalloc counts allocations, not time, so the result does not depend
    on the machine's speed or load.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - baseline


def write_bomb(path, header_and_payload, compress):
    """Write ``header_and_payload`` followed by BOMB_SIZE zero bytes.

    Compressed, 200 MB of zeros take about 200 KB; uncompressed, the zeros
    are a hole in a sparse file, so neither fills the disk.
    """
    if compress:
        zeros = bytes(2**20)
        with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as f:
            f.write(header_and_payload)
            for _ in range(BOMB_SIZE // len(zeros)):
                f.write(zeros)
    else:
        with open(path, "wb") as f:
            f.write(header_and_payload)
            f.truncate(len(header_and_payload) + BOMB_SIZE)
