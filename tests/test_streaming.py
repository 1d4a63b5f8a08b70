"""partial_fit streams a memory-mapped array in bounded memory.

A 200,000 x 784 uint8 array (157 MB on disk; 627 MB as float32) is trained
on in chunks of 10,000 rows, each converted to float32 / 255 on its own. The
peak resident memory of a fresh process (VmHWM: see ``peak_rss`` in the
child), minus its peak right after the imports, must stay far below the
array's float32 size: only a chunk (31 MB as float32) and the copies
partial_fit makes of it may be resident at once.

How the array is mapped matters for what RSS measures. Pages of a memory
map that have been read stay in the process's resident set (as clean,
reclaimable page cache) until they are unmapped or the kernel needs the
memory, so a loop over one map of the whole file ends up with the whole
file resident. Mapping one window per chunk (``np.memmap`` with ``offset``)
and dropping it after use keeps RSS bounded by the chunk. Both are tested,
with the bound each allows; ``benchmarks/bench_streaming.py`` measures both
on 1,000,000 rows.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sknnscratch

N_ROWS, N_FEATURES, CHUNK = 200_000, 784, 10_000
UINT8_BYTES = N_ROWS * N_FEATURES
FLOAT32_BYTES = 4 * UINT8_BYTES
CHUNK_FLOAT32_BYTES = 4 * CHUNK * N_FEATURES

# The child: imports, measures its baseline, then streams the file.
CHILD = r"""
import json, resource, sys, time
import numpy as np
from sknnscratch import ScratchMLPClassifier

def peak_rss():
    # VmHWM, the peak RSS of this process's own address space. getrusage's
    # ru_maxrss would do on a fresh process, except that Linux carries it
    # over from the parent through fork + exec: under pytest it starts at
    # the parent's size. It is the fallback where /proc is missing.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    unit = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit

x_path, y_path, mode, chunk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
y = np.load(y_path)
model = ScratchMLPClassifier(hidden_layer_sizes=(16,), batch_size=500, random_state=0)
classes = np.arange(10)
baseline = peak_rss()
start = time.perf_counter()
with open(x_path, "rb") as file:
    version = np.lib.format.read_magic(file)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(file)
    assert not fortran  # the windows below assume C order
    offset = file.tell()
n_rows, n_features = shape
whole = np.load(x_path, mmap_mode="r") if mode == "whole" else None
for begin in range(0, n_rows, chunk):
    rows = min(chunk, n_rows - begin)
    if whole is not None:
        window = whole[begin : begin + rows]
    else:
        window = np.memmap(x_path, dtype=dtype, mode="r", shape=(rows, n_features),
                           offset=offset + begin * n_features * dtype.itemsize)
    X = window.astype(np.float32)
    del window  # unmaps a per-chunk window: its pages leave the resident set
    X /= 255
    model.partial_fit(X, y[begin : begin + rows], classes=classes)
    del X
print(json.dumps({
    "baseline": baseline, "peak": peak_rss(), "seconds": time.perf_counter() - start,
    "samples_seen": model.t_,
}))
"""


@pytest.fixture(scope="module")
def memmapped(tmp_path_factory):
    """The uint8 array as a .npy file, written a chunk at a time, and labels."""
    directory = tmp_path_factory.mktemp("stream")
    x_path, y_path = directory / "X.npy", directory / "y.npy"
    X = np.lib.format.open_memmap(
        x_path, mode="w+", dtype=np.uint8, shape=(N_ROWS, N_FEATURES)
    )
    rng = np.random.default_rng(0)
    for begin in range(0, N_ROWS, CHUNK):
        X[begin : begin + CHUNK] = rng.integers(
            0, 256, size=(CHUNK, N_FEATURES), dtype=np.uint8
        )
    X.flush()
    del X
    np.save(y_path, rng.integers(0, 10, size=N_ROWS))
    yield x_path, y_path
    x_path.unlink()


def _stream(x_path, y_path, mode):
    root = str(Path(sknnscratch.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        # One BLAS thread: the timing then does not depend on other load on
        # the machine, and no per-thread BLAS buffers blur the measurement.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(x_path), str(y_path), mode, str(CHUNK)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["samples_seen"] == N_ROWS  # every row was trained on
    growth = report["peak"] - report["baseline"]
    print(f"{mode}: peak RSS growth {growth / 1e6:.1f} MB, {report}")
    return growth, report


def test_chunk_windows_keep_the_peak_bounded_by_the_chunk(memmapped):
    growth, report = _stream(*memmapped, "window")
    # A uint8 window, its float32 copy, and partial_fit's working copies of
    # the chunk: measured 43 MB, 1.4 chunks; 4 chunks (125 MB) leaves slack.
    # That is 20% of the array as float32 and 80% of the uint8 file itself,
    # so the test fails if the whole file, let alone a float32 copy, were
    # ever resident.
    bound = 4 * CHUNK_FLOAT32_BYTES
    assert bound <= 0.2 * FLOAT32_BYTES and bound < UINT8_BYTES
    assert growth < bound, (
        f"peak RSS grew by {growth / 1e6:.0f} MB streaming {N_ROWS} rows in "
        f"chunks of {CHUNK}; allowed {bound / 1e6:.0f} MB ({report})"
    )


def test_one_memmap_of_the_whole_file_stays_far_below_the_float32_size(memmapped):
    growth, report = _stream(*memmapped, "whole")
    # The pages read through one map of the whole file may all stay resident
    # (157 MB, clean page cache the kernel can drop at any time), plus the
    # same 4 chunks as above: 282 MB, 45% of the 627 MB float32 array
    # (measured: 193 MB).
    bound = UINT8_BYTES + 4 * CHUNK_FLOAT32_BYTES
    assert bound <= 0.45 * FLOAT32_BYTES
    assert growth < bound, (
        f"peak RSS grew by {growth / 1e6:.0f} MB streaming {N_ROWS} rows in "
        f"chunks of {CHUNK}; allowed {bound / 1e6:.0f} MB ({report})"
    )
