"""Helpers shared by the benchmark scripts: data, machine record, tables, JSON.

Importing this module puts the repository root first on ``sys.path``, so a
benchmark run from a checkout measures that checkout's ``sknnscratch`` even
when another version is installed.
"""

import contextlib
import json
import os
import platform
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402

#: Dtypes every benchmark accepts on the command line.
DTYPES = ("float32", "float64")

_RAW_CACHE = {}


def parse_hidden(text):
    """``"256"`` or ``"1024,1024"`` as a tuple of hidden-layer widths."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError as error:
        raise ValueError(
            f"hidden sizes must look like 256 or 1024,1024: {text!r}"
        ) from error
    if not sizes or min(sizes) < 1:
        raise ValueError(f"hidden sizes must be positive integers: {text!r}")
    return sizes


def architecture_name(n_features, hidden, n_classes):
    """``784-256-10`` style name of a network."""
    return "-".join(str(u) for u in (n_features, *hidden, n_classes))


def load_raw_mnist():
    """The official MNIST split as uint8 pixels and int64 labels (cached)."""
    if "mnist" not in _RAW_CACHE:
        from sknnscratch.datasets import load_mnist_split

        _RAW_CACHE["mnist"] = load_mnist_split()
    return _RAW_CACHE["mnist"]


def to_float(pixels, dtype):
    """uint8 pixels scaled to [0, 1] in ``dtype``, without a float64 detour.

    ``astype`` then an in-place divide keeps the peak at one array of the
    target dtype (a plain ``pixels / 255`` would allocate a float64 copy
    first, which matters for the memory benchmark).
    """
    X = pixels.astype(dtype)
    X /= 255
    return X


def load_mnist_float(dtype, train_size=None, seed=0):
    """MNIST train/test in ``dtype`` with pixels / 255.

    Parameters
    ----------
    dtype : str or numpy dtype
    train_size : int or None
        Keep this many training rows (a seeded random subset, the same for a
        given seed); None keeps all 60,000. The test set is always whole.
    seed : int

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    dtype = np.dtype(dtype)
    X_train, X_test, y_train, y_test = load_raw_mnist()
    if train_size is not None and train_size < len(X_train):
        rows = np.sort(
            np.random.default_rng(seed).permutation(len(X_train))[:train_size]
        )
        X_train, y_train = X_train[rows], y_train[rows]
    return to_float(X_train, dtype), to_float(X_test, dtype), y_train, y_test


def machine_info():
    """Where and with what the numbers were measured (goes into every JSON)."""
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    info = {
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "threadpools": threadpool_info(),
    }
    try:
        info["load_average_1_5_15_min"] = list(os.getloadavg())
    except OSError:  # not available everywhere
        pass
    try:
        info["sched_getaffinity"] = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch = optional_torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_num_threads"] = torch.get_num_threads()
        # PyTorch brings its own BLAS (MKL on x86 builds) and OpenMP runtime.
        info["torch_parallel_info"] = torch.__config__.parallel_info()
    return info


def optional_torch():
    """The ``torch`` module when it imports, else None (it is optional)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def write_json(path, benchmark, settings, rows, **extra):
    """Write one benchmark's results with the machine record; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": benchmark,
        "machine": machine_info(),
        "settings": settings,
        "rows": rows,
        **extra,
    }
    path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path | np.dtype):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def format_table(rows, columns):
    """A plain-text table.

    Parameters
    ----------
    rows : list of dict
    columns : list of (key, header, format) tuples
        ``format`` is a format spec such as ``".3f"``, or a callable; a
        missing or None value prints as ``-``.
    """
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        line = []
        for key, _, fmt in columns:
            value = row.get(key)
            if value is None:
                line.append("-")
            elif callable(fmt):
                line.append(fmt(value))
            else:
                line.append(format(value, fmt))
        cells.append(line)
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    out = []
    for n, line in enumerate(cells):
        out.append(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths))
            )
        )
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def ratio(numerator, denominator):
    """``numerator / denominator``, or None when either is missing."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@contextlib.contextmanager
def quiet_convergence():
    """Silence 'max_iter reached' warnings: fixed epochs are the point here."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def print_machine_line():
    """One line saying what machine this is; warn when it does not look idle."""
    import sklearn

    print(
        f"# {platform.platform()} | cpus={os.cpu_count()} | numpy {np.__version__}"
        f" | scikit-learn {sklearn.__version__}"
        " | timings are only meaningful on an otherwise idle machine",
        flush=True,
    )
    try:
        load = os.getloadavg()[0]
    except OSError:
        return
    if load > 1.0:
        print(
            f"# WARNING: 1-minute load average is {load:.1f}: other work is running,"
            " so these timings will not be representative (multi-threaded BLAS"
            " suffers most from sharing cores)",
            flush=True,
        )
