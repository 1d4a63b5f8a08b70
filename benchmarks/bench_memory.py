"""Peak memory of a full MNIST fit, against a budget, in a fresh subprocess.

Each system is measured in its own new Python process, which:

1. imports NumPy, scikit-learn and sknnscratch (and PyTorch for 'torch'),
   loads MNIST, converts it to the training dtype (pixels / 255) and drops
   the uint8 copy;
2. records the *baseline*: its resident set size (RSS) at that point, and
   the peak so far (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
3. on Linux, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``)
   so that the peak measured next belongs to ``fit`` and not to the data
   loading (elsewhere the peak includes loading, and the output says so);
4. fits the model (default 784-256-10, float32, Adam, batch 128, 3 epochs);
5. records the peak RSS, ``ru_maxrss``.

The budget is::

    training data (X_train and y_train as trained on)
  + 2 x parameter bytes (weights and their gradients)
  + one batch's activations (batch x all layer widths, input included)
  + fixed overhead = baseline RSS - training data
    (interpreter, libraries, the test set, allocator slack: everything the
    process holds after loading, minus the training data itself)

which is the same as ``baseline RSS + 2 x parameters + one batch's
activations``. A system "fits" when its peak RSS is within the budget. The
``fit increment`` (peak - baseline) is what training itself added.
"""

import argparse
import gc
import importlib.util
import json
import resource
import subprocess
import sys
from pathlib import Path

import _common

#: ``ru_maxrss`` unit: kibibytes on Linux, bytes on macOS.
MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024
MIB = 2**20


def current_rss():
    """Resident set size now, in bytes (None where /proc is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss():
    """Peak resident set size of this process so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * MAXRSS_BYTES


def vm_hwm():
    """The kernel's peak RSS of this process image (Linux), in bytes, or None.

    Unlike ``ru_maxrss`` it does not carry over the parent's peak: on Linux a
    child's ``ru_maxrss`` starts at the high-water mark of the process it
    was spawned from, which is why the parent here stays small.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak():
    """Reset the kernel's peak-RSS mark to the current RSS (Linux only)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def child(args):
    """Steps 1-5 in this process; print one JSON line with the numbers."""
    import _systems
    import numpy as np

    import sknnscratch  # noqa: F401  (imported before the baseline on purpose)

    if args.child == "torch":
        _common.optional_torch()
    after_imports = current_rss()
    X_train, X_test, y_train, _ = _common.load_mnist_float(
        args.dtype, args.train_size, args.seed
    )
    _common._RAW_CACHE.clear()  # the uint8 copy: not part of what is trained on
    gc.collect()
    baseline = current_rss()
    peak_before = peak_rss()
    was_reset = reset_peak()

    config = _systems.TrainConfig(
        _common.parse_hidden(args.hidden),
        args.solver,
        _systems.DEFAULT_LEARNING_RATE[args.solver],
        args.epochs,
        args.batch_size,
        args.seed,
    )
    result = _systems.TRAINERS[args.child](config, X_train, y_train)
    peak = peak_rss()
    peak_hwm = vm_hwm()

    itemsize = np.dtype(args.dtype).itemsize
    units = [X_train.shape[1], *config.hidden, len(np.unique(y_train))]
    n_params = sum(i * o + o for i, o in zip(units[:-1], units[1:]))
    batch = min(args.batch_size, len(X_train))
    record = {
        "system": args.child,
        "architecture": _common.architecture_name(units[0], config.hidden, units[-1]),
        "dtype": args.dtype,
        "n_train": len(X_train),
        "epochs": result.epochs,
        "fit_seconds": result.seconds,
        "rss_after_imports_bytes": after_imports,
        "baseline_rss_bytes": baseline if baseline is not None else peak_before,
        "baseline_is_peak_so_far": baseline is None,
        "peak_before_fit_bytes": peak_before,
        "peak_reset_before_fit": was_reset,
        "peak_rss_bytes": peak,
        "peak_vmhwm_bytes": peak_hwm,
        "training_data_bytes": X_train.nbytes + y_train.nbytes,
        "test_data_bytes": X_test.nbytes,
        "n_params": n_params,
        "param_bytes": n_params * itemsize,
        "batch_activation_bytes": batch * sum(units) * itemsize,
    }
    print(json.dumps(record))


def budget(record):
    """Add the budget, the overhead assumed and whether the peak fits."""
    overhead = record["baseline_rss_bytes"] - record["training_data_bytes"]
    total = (
        record["training_data_bytes"]
        + 2 * record["param_bytes"]
        + record["batch_activation_bytes"]
        + overhead
    )
    return {
        **record,
        "overhead_bytes": overhead,
        "budget_bytes": total,
        "fit_increment_bytes": record["peak_rss_bytes"] - record["baseline_rss_bytes"],
        "headroom_bytes": total - record["peak_rss_bytes"],
        "fits": record["peak_rss_bytes"] <= total,
    }


def run_child(system, args):
    """Run one measurement in a fresh interpreter; return its record."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        system,
        "--hidden",
        args.hidden,
        "--dtype",
        args.dtype,
        "--solver",
        args.solver,
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--seed",
        str(args.seed),
    ]
    if args.train_size is not None:
        command += ["--train-size", str(args.train_size)]
    parent_peak = peak_rss()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{system} measurement failed:\n{done.stderr}")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["parent_peak_rss_bytes"] = parent_peak
    return record


def _mib(value):
    return f"{value / MIB:,.1f}"


COLUMNS = [
    ("system", "system", "s"),
    ("training_data_bytes", "data MiB", _mib),
    ("param_bytes", "params MiB", _mib),
    ("batch_activation_bytes", "batch act. MiB", _mib),
    ("overhead_bytes", "overhead MiB", _mib),
    ("budget_bytes", "budget MiB", _mib),
    ("rss_after_imports_bytes", "imports MiB", _mib),
    ("baseline_rss_bytes", "baseline RSS MiB", _mib),
    ("peak_rss_bytes", "peak RSS MiB", _mib),
    ("fit_increment_bytes", "fit adds MiB", _mib),
    ("headroom_bytes", "headroom MiB", _mib),
    ("fits", "fits", lambda v: "yes" if v else "NO"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--hidden", default="256")
    parser.add_argument("--dtype", default="float32", choices=_common.DTYPES)
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--train-size",
        type=int,
        default=None,
        help="train on a seeded subset of this many rows (all if unset)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--systems",
        nargs="+",
        default=["ours", "sklearn"],
        choices=("ours", "sklearn", "torch"),
    )
    parser.add_argument("--json", default=str(_common.RESULTS_DIR / "memory.json"))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(args)
        return 0
    _common.print_machine_line()
    # Only look for PyTorch here: importing it would make this process large,
    # and a child's ru_maxrss starts from this process's peak.
    systems = [
        s for s in args.systems if s != "torch" or importlib.util.find_spec("torch")
    ]
    rows = []
    for system in systems:
        record = budget(run_child(system, args))
        rows.append(record)
        print(
            f"  {system}: peak {_mib(record['peak_rss_bytes'])} MiB, budget "
            f"{_mib(record['budget_bytes'])} MiB",
            flush=True,
        )
    if rows and not all(r["peak_reset_before_fit"] for r in rows):
        print("# could not reset the peak mark: peaks include data loading")
    for row in rows:
        if row["parent_peak_rss_bytes"] >= row["peak_rss_bytes"]:
            print(
                f"# WARNING: {row['system']}: the parent process was as large as the"
                " child's peak, which ru_maxrss may then show: see peak_vmhwm_bytes"
            )
    print()
    print(_common.format_table(rows, COLUMNS))
    print(
        "\nbudget = data + 2 x params + one batch's activations + overhead, where"
        "\noverhead = baseline RSS (after imports and data load) - data"
    )
    path = _common.write_json(
        args.json,
        "memory",
        vars(args),
        rows,
        budget_formula="training data + 2 x parameter bytes + batch activations"
        " + (baseline RSS - training data)",
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
