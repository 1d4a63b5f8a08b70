"""Peak memory of partial_fit streaming a large memory-mapped array.

Writes a 1,000,000 x 784 uint8 array (784 MB; 3.1 GB as float32) to a
temporary directory, then, in a fresh process per mode, trains
ScratchMLPClassifier with partial_fit on chunks of it, each chunk converted
to float32 / 255 on its own, and reports the peak resident memory above the
process's peak right after its imports:

``window``
    one ``np.memmap`` window per chunk, unmapped after use: the resident set
    holds about one chunk.
``whole``
    one memory map of the whole file, sliced per chunk: every page read
    stays resident (as reclaimable page cache) while the map is open, so the
    peak includes up to the whole uint8 file, though never a float32 copy.

Usage::

    python benchmarks/bench_streaming.py [--rows 1000000] [--chunk 10000]
        [--hidden 32] [--modes window,whole] [--dir /tmp] [--json PATH]

It needs twice the array's size free in ``--dir`` (default: the system's
temporary directory) and deletes its files at the end, also on errors or
Ctrl-C. Results go to ``results/streaming.json`` unless ``--json`` says
otherwise.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
import numpy as np

N_FEATURES = 784
COLUMNS = [
    ("mode", "mode", "s"),
    ("growth_mb", "peak growth MB", ",.0f"),
    ("growth_chunks", "x chunk", ".1f"),
    ("growth_percent_float32", "% of float32", ".1f"),
    ("baseline_mb", "baseline MB", ",.0f"),
    ("seconds", "seconds", ".1f"),
    ("rows_per_second", "rows/s", ",.0f"),
]


def peak_rss():
    """Peak RSS of this process's address space, in bytes.

    VmHWM from /proc: getrusage's ru_maxrss carries the parent's peak over
    fork + exec on Linux, so a child would start at its parent's size.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    unit = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def worker(x_path, y_path, mode, chunk, hidden):
    """Stream the file through partial_fit; print a JSON report."""
    from sknnscratch import ScratchMLPClassifier

    y = np.load(y_path)
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(hidden,), batch_size=500, random_state=0
    )
    classes = np.arange(10)
    baseline = peak_rss()
    start = time.perf_counter()
    with open(x_path, "rb") as file:
        version = np.lib.format.read_magic(file)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(file)
        offset = file.tell()
    n_rows, n_features = shape
    whole = np.load(x_path, mmap_mode="r") if mode == "whole" else None
    for begin in range(0, n_rows, chunk):
        rows = min(chunk, n_rows - begin)
        if whole is not None:
            window = whole[begin : begin + rows]
        else:
            window = np.memmap(
                x_path,
                dtype=dtype,
                mode="r",
                shape=(rows, n_features),
                offset=offset + begin * n_features * dtype.itemsize,
            )
        X = window.astype(np.float32)
        del window  # a per-chunk window is unmapped here
        X /= 255
        model.partial_fit(X, y[begin : begin + rows], classes=classes)
        del X
    print(
        json.dumps(
            {
                "baseline": baseline,
                "peak": peak_rss(),
                "seconds": time.perf_counter() - start,
                "samples_seen": model.t_,
            }
        )
    )


def make_data(directory, n_rows, chunk):
    """Write X (uint8, a chunk at a time) and y; return their paths."""
    x_path, y_path = directory / "X.npy", directory / "y.npy"
    X = np.lib.format.open_memmap(
        x_path, mode="w+", dtype=np.uint8, shape=(n_rows, N_FEATURES)
    )
    rng = np.random.default_rng(0)
    for begin in range(0, n_rows, chunk):
        rows = min(chunk, n_rows - begin)
        X[begin : begin + rows] = rng.integers(
            0, 256, size=(rows, N_FEATURES), dtype=np.uint8
        )
    X.flush()
    del X
    np.save(y_path, rng.integers(0, 10, size=n_rows))
    return x_path, y_path


def run_worker(x_path, y_path, mode, chunk, hidden):
    """One fresh process per measurement: its peak belongs to this mode only."""
    env = {
        **os.environ,
        # One BLAS thread: comparable timings on a shared machine.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    command = [sys.executable, __file__, "--worker", str(x_path), str(y_path)]
    command += ["--mode", mode, "--chunk", str(chunk), "--hidden", str(hidden)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"worker failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--modes", default="window,whole")
    parser.add_argument("--dir", default=None, help="parent of the temporary dir")
    parser.add_argument("--json", default=str(_common.RESULTS_DIR / "streaming.json"))
    parser.add_argument("--worker", nargs=2, metavar=("X", "Y"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="window", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(*args.worker, args.mode, args.chunk, args.hidden)
        return

    _common.print_machine_line()
    uint8_bytes = args.rows * N_FEATURES
    float32_bytes = 4 * uint8_bytes
    chunk_bytes = 4 * args.chunk * N_FEATURES
    parent = args.dir or tempfile.gettempdir()
    free = shutil.disk_usage(parent).free
    if free < 2 * uint8_bytes:
        sys.exit(
            f"Not enough space in {parent}: {free / 1e9:.1f} GB free, "
            f"{2 * uint8_bytes / 1e9:.1f} GB wanted."
        )
    print(
        f"array: {args.rows:,} x {N_FEATURES} uint8 = {uint8_bytes / 1e6:,.0f} MB "
        f"on disk, {float32_bytes / 1e6:,.0f} MB as float32\n"
        f"chunk: {args.chunk:,} rows = {chunk_bytes / 1e6:,.1f} MB as float32; "
        f"hidden layer: {args.hidden} units",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(dir=parent, prefix="bench_streaming_") as tmp:
        start = time.perf_counter()
        x_path, y_path = make_data(Path(tmp), args.rows, args.chunk)
        print(f"wrote the array in {time.perf_counter() - start:.1f} s\n", flush=True)
        for mode in args.modes.split(","):
            report = run_worker(x_path, y_path, mode, args.chunk, args.hidden)
            if report["samples_seen"] != args.rows:
                raise RuntimeError(f"{mode}: trained on {report['samples_seen']} rows")
            growth = report["peak"] - report["baseline"]
            rows.append(
                {
                    "mode": mode,
                    "baseline_mb": report["baseline"] / 1e6,
                    "peak_mb": report["peak"] / 1e6,
                    "growth_mb": growth / 1e6,
                    "growth_chunks": growth / chunk_bytes,
                    "growth_percent_float32": 100 * growth / float32_bytes,
                    "seconds": report["seconds"],
                    "rows_per_second": args.rows / report["seconds"],
                }
            )
    print(_common.format_table(rows, COLUMNS))
    settings = {
        "rows": args.rows,
        "features": N_FEATURES,
        "chunk_rows": args.chunk,
        "hidden": args.hidden,
        "array_uint8_mb": uint8_bytes / 1e6,
        "array_float32_mb": float32_bytes / 1e6,
        "chunk_float32_mb": chunk_bytes / 1e6,
        "peak_measure": "VmHWM of a fresh process minus its VmHWM after imports",
    }
    path = _common.write_json(args.json, "streaming", settings, rows)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
