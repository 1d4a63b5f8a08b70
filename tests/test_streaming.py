"""fit_chunks trains on a memory-mapped .npy file one chunk at a time.

A 5,000 x 784 uint8 file (3.9 MB; 15.7 MB as float32) is trained on through
:func:`sknnscratch.chunks.fit_chunks` in chunks of 250 rows, each converted
to float32 / 255 on its own by ``transform``. Two ways to read the file:

``whole``
    ``np.load(path, mmap_mode="r")``, one memory map of the whole file, as
    :mod:`sknnscratch.chunks` recommends;
``windows``
    a row-indexable source of our own that maps one window of the file per
    chunk (``np.memmap`` with ``offset``) and drops it after use.

What is checked:

* memory: the peak of what the process allocates while training
  (:mod:`tracemalloc`, which NumPy reports its arrays to) stays below four
  float32 chunks, which is 20% of the float32 array and 80% of the uint8
  file: a copy of the whole file, let alone a float32 copy, fails it. It
  counts allocations, not resident pages, so it is exact and the same on
  every run: the pages the kernel reads in for a memory map are not
  allocations. It runs in a fresh process, so that nothing another test
  left running (a thread pool, a Dask cluster) allocates during the
  measurement. The same measurement of a plain ``partial_fit`` on the whole
  file at once must exceed the bound, so the bound does catch a copy.
* results: both sources train bitwise the same weights as the same array in
  memory, on every row of it.

How much resident memory (page cache included) streaming a large file takes
is the job of ``benchmarks/bench_streaming.py``, on 1,000,000 rows.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

N_ROWS, N_FEATURES, CHUNK = 5_000, 784, 250
N_EPOCHS = 2
UINT8_BYTES = N_ROWS * N_FEATURES
FLOAT32_BYTES = 4 * UINT8_BYTES
CHUNK_FLOAT32_BYTES = 4 * CHUNK * N_FEATURES
CLASSES = np.arange(10)


class NpyWindows:
    """The rows of a C-order 2-d ``.npy`` file, one memory map per slice.

    ``source[start:stop]`` maps just those rows (``np.memmap`` with an
    offset); the map is unmapped when the slice is dropped. A row-indexable
    source as :func:`sknnscratch.chunks.iter_chunks` accepts it: a ``shape``
    and ``__getitem__`` taking a slice.
    """

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            self.shape, fortran_order, self.dtype = read_header(file)
            self.offset = file.tell()
        assert not fortran_order and len(self.shape) == 2

    def __getitem__(self, rows):
        start, stop, step = rows.indices(self.shape[0])
        assert step == 1
        row_bytes = self.shape[1] * self.dtype.itemsize
        return np.memmap(
            self.path,
            dtype=self.dtype,
            mode="r",
            shape=(stop - start, self.shape[1]),
            offset=self.offset + start * row_bytes,
        )


def to_float32(X_chunk):
    X_chunk = X_chunk.astype(np.float32)
    X_chunk /= 255
    return X_chunk


def new_model():
    from sknnscratch import ScratchMLPClassifier

    return ScratchMLPClassifier(
        hidden_layer_sizes=(16,), batch_size=125, random_state=0
    )


def train(X, y, random_state=0):
    """``fit_chunks`` over ``X``, as a user with a large file would call it."""
    from sknnscratch.chunks import fit_chunks

    return fit_chunks(
        new_model(),
        X,
        y,
        classes=CLASSES,
        chunk_size=CHUNK,
        n_epochs=N_EPOCHS,
        random_state=random_state,  # the chunk order
        transform=to_float32,
    )


def source(mode, x_path):
    if mode == "whole":
        return np.load(x_path, mmap_mode="r")
    if mode == "windows":
        return NpyWindows(x_path)
    if mode == "in memory":
        return np.load(x_path)
    raise ValueError(mode)


MODES = ["whole", "windows", "all at once"]


def measure(x_path, y_path):
    """Peak bytes allocated while training on the file, per mode; in the child.

    ``all at once`` is the control: one ``partial_fit`` on the whole file
    converted to float32, no chunks.
    """
    import tracemalloc

    y = np.load(y_path)
    reports = {}
    for mode in MODES:
        X = source("whole" if mode == "all at once" else mode, x_path)
        # Imports and first-call set-up happen before the measurement starts.
        warm_up = new_model().partial_fit(
            np.zeros((CHUNK, N_FEATURES), np.float32),
            np.arange(CHUNK) % 10,
            classes=CLASSES,
        )
        del warm_up
        tracemalloc.start()
        if mode == "all at once":
            model = new_model().partial_fit(to_float32(X), y, classes=CLASSES)
        else:
            model = train(X, y)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        reports[mode] = {"peak": peak, "samples_seen": model.t_}
    return reports


@pytest.fixture(scope="module")
def npy_files(tmp_path_factory):
    """The uint8 images and int labels as .npy files."""
    directory = tmp_path_factory.mktemp("stream")
    x_path, y_path = directory / "X.npy", directory / "y.npy"
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(N_ROWS, N_FEATURES), dtype=np.uint8)
    # Labels that depend on the pixels, so that training moves the weights.
    y = (X[:, :10].argmax(axis=1) + X[:, 10] // 128) % 10
    np.save(x_path, X)
    np.save(y_path, y)
    return x_path, y_path


@pytest.fixture(scope="module")
def peaks(npy_files):
    """:func:`measure` run in a fresh process."""
    root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        # One BLAS thread: small products run no faster on more, and far
        # slower when the machine is busy.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, __file__, *map(str, npy_files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


BOUND = 4 * CHUNK_FLOAT32_BYTES


# The bound is below a copy of the file: 20% of the float32 array, 80% of the
# uint8 file.
assert BOUND <= 0.2 * FLOAT32_BYTES and BOUND <= 0.8 * UINT8_BYTES


@pytest.mark.parametrize("mode", ["whole", "windows"])
def test_training_on_a_memory_mapped_file_allocates_a_few_chunks(peaks, mode):
    # Measured: 2.5 float32 chunks (the chunk's float32 copy, and
    # partial_fit's working copies of it).
    report = peaks[mode]
    assert report["samples_seen"] == N_EPOCHS * N_ROWS  # every row, every epoch
    assert report["peak"] < BOUND, (
        f"{mode}: training allocated up to {report['peak'] / 1e6:.2f} MB in "
        f"chunks of {CHUNK} rows; allowed {BOUND / 1e6:.2f} MB "
        f"(4 chunks as float32); the uint8 file is {UINT8_BYTES / 1e6:.2f} MB"
    )


def test_the_measurement_sees_a_copy_of_the_whole_file(peaks):
    report = peaks["all at once"]
    assert report["samples_seen"] == N_ROWS
    assert report["peak"] > FLOAT32_BYTES > BOUND


def weights(model):
    return model.coefs_ + model.intercepts_


def same_weights(a, b):
    return all(
        np.array_equal(p, q) for p, q in zip(weights(a), weights(b), strict=True)
    )


@pytest.mark.parametrize("mode", ["whole", "windows"])
def test_a_memory_mapped_file_trains_the_same_weights_as_the_array(npy_files, mode):
    x_path, y_path = npy_files
    y = np.load(y_path)
    with threadpool_limits(1):  # as in the child above
        in_memory = train(source("in memory", x_path), y)
        streamed = train(source(mode, x_path), y)
        other_order = train(source(mode, x_path), y, random_state=1)
    assert streamed.t_ == in_memory.t_ == N_EPOCHS * N_ROWS
    assert streamed.coefs_[0].dtype == np.float32
    assert same_weights(streamed, in_memory)
    # Another chunk order gives other weights: the comparison can tell.
    assert not same_weights(other_order, in_memory)


if __name__ == "__main__":
    # The child of the ``peaks`` fixture: python test_streaming.py X.npy y.npy
    print(json.dumps(measure(*sys.argv[1:])))
