"""Training speed: ScratchMLPClassifier against MLPClassifier (and PyTorch CPU).

Every system trains on the same MNIST data (official 60,000/10,000 split,
pixels / 255) with the same architecture, optimizer, learning rate, batch
size and number of epochs, ``alpha=0``, ``tol=0`` and a huge
``n_iter_no_change`` so that nothing stops early, and a reshuffle every
epoch. The systems run alternately in this one process (ours, sklearn, torch,
ours, sklearn, torch, ...) so that a slow phase of the machine hits them all
alike; each setting is repeated ``--repeats`` times and the median is
reported:

- seconds per epoch: ``fit`` wall time / epochs run (construction and input
  checks included);
- test accuracy after those epochs;
- ours/sklearn and ours/torch: ratios of seconds per epoch (below 1: ours is
  faster);
- every timed run starts after ``--settle`` idle seconds (default 1), so that
  the previous run's BLAS and OpenMP threads, which spin for a while after
  their last task, no longer hold a core;
- fraction of the limit: the matmul-bound seconds per epoch (see
  ``bench_matmul_limit.py``) / the measured seconds per epoch.

PyTorch joins when ``import torch`` works (it is optional, not a dependency).

Example: ``python benchmarks/bench_training.py --hidden 256 1024,1024``.
"""

import argparse
import statistics
import sys
import time

import _common
import _systems
import bench_matmul_limit

#: Idle seconds before every timed run (see ``run_setting``).
SETTLE_SECONDS = 1.0


def run_setting(
    config, systems, data, repeats, limit=None, log=print, settle=SETTLE_SECONDS
):
    """Train every system ``repeats`` times, alternating; return their rows.

    Parameters
    ----------
    config : _systems.TrainConfig
    systems : list of str
    data : tuple
        ``(X_train, X_test, y_train, y_test)``, X in the training dtype.
    repeats : int
    limit : dict or None
        From :func:`bench_matmul_limit.epoch_limit` for this architecture and
        dtype, for the fraction of the limit.
    log : callable
        Receives one progress line per run.
    settle : float
        Seconds of idle time before each timed run.

    Returns
    -------
    rows : list of dict
        One per system.
    summary : dict
        The setting with ours/sklearn and ours/torch ratios.
    """
    X_train, X_test, y_train, y_test = data
    dtype = str(X_train.dtype)
    architecture = _common.architecture_name(
        X_train.shape[1], config.hidden, len(set(y_train.tolist()))
    )
    _systems.warm_up(systems, config, X_train, y_train)
    runs = {system: [] for system in systems}
    for repeat in range(repeats):
        for system in systems:
            # Let the previous run's worker threads go to sleep first: OpenBLAS
            # and OpenMP threads spin for a while after their last task, and
            # would otherwise take a core from whichever system runs next.
            time.sleep(settle)
            result = _systems.TRAINERS[system](config, X_train, y_train, X_test, y_test)
            runs[system].append(result)
            log(
                f"  {architecture} {dtype} {config.solver} repeat {repeat + 1}/"
                f"{repeats} {system}: {result.seconds_per_epoch:.3f} s/epoch, "
                f"accuracy {result.accuracy:.4f}"
            )

    limit_seconds = None if limit is None else limit["limit_seconds_per_epoch"]
    rows = []
    for system in systems:
        per_epoch = [r.seconds_per_epoch for r in runs[system]]
        median = statistics.median(per_epoch)
        rows.append(
            {
                "architecture": architecture,
                "dtype": dtype,
                "solver": config.solver,
                "learning_rate": config.learning_rate,
                "system": system,
                "seconds_per_epoch": median,
                "seconds_per_epoch_runs": per_epoch,
                "epochs_run": [r.epochs for r in runs[system]],
                "test_accuracy": statistics.median(r.accuracy for r in runs[system]),
                "test_accuracy_runs": [r.accuracy for r in runs[system]],
                "limit_seconds_per_epoch": limit_seconds,
                "fraction_of_limit": _common.ratio(limit_seconds, median),
            }
        )
    by_system = {row["system"]: row["seconds_per_epoch"] for row in rows}
    summary = {
        "architecture": architecture,
        "dtype": dtype,
        "solver": config.solver,
        "ours_over_sklearn": _common.ratio(
            by_system.get("ours"), by_system.get("sklearn")
        ),
        "ours_over_torch": _common.ratio(by_system.get("ours"), by_system.get("torch")),
    }
    return rows, summary


ROW_COLUMNS = [
    ("architecture", "architecture", "s"),
    ("dtype", "dtype", "s"),
    ("solver", "opt", "s"),
    ("system", "system", "s"),
    ("seconds_per_epoch", "s/epoch (median)", ".3f"),
    ("spread", "min..max", "s"),
    ("test_accuracy", "test acc", ".4f"),
    ("limit_seconds_per_epoch", "limit s/epoch", ".3f"),
    ("fraction_of_limit", "of limit", ".1%"),
]

SUMMARY_COLUMNS = [
    ("architecture", "architecture", "s"),
    ("dtype", "dtype", "s"),
    ("solver", "opt", "s"),
    ("ours_over_sklearn", "ours/sklearn", ".2f"),
    ("ours_over_torch", "ours/torch", ".2f"),
]


def format_results(rows, summaries):
    """The per-system table and the ratio table, as text."""
    shown = [
        {
            **row,
            "spread": f"{min(row['seconds_per_epoch_runs']):.3f}.."
            f"{max(row['seconds_per_epoch_runs']):.3f}",
        }
        for row in rows
    ]
    return (
        _common.format_table(shown, ROW_COLUMNS)
        + "\n\nratios of seconds per epoch (below 1: ours is faster)\n"
        + _common.format_table(summaries, SUMMARY_COLUMNS)
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--hidden",
        nargs="+",
        default=["256"],
        help="hidden widths of each architecture: 256, 1024,1024, ...",
    )
    parser.add_argument(
        "--solver", nargs="+", default=["adam", "sgd"], choices=["adam", "sgd"]
    )
    parser.add_argument(
        "--dtype", nargs="+", default=list(_common.DTYPES), choices=_common.DTYPES
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--lr-adam", type=float, default=_systems.DEFAULT_LEARNING_RATE["adam"]
    )
    parser.add_argument(
        "--lr-sgd", type=float, default=_systems.DEFAULT_LEARNING_RATE["sgd"]
    )
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
        default=list(_systems.ALL_SYSTEMS),
        choices=_systems.ALL_SYSTEMS,
        help="torch is skipped when it does not import",
    )
    parser.add_argument(
        "--limit-repeats",
        type=int,
        default=200,
        help="timed blocks per matrix product for the limit",
    )
    parser.add_argument(
        "--no-limit", action="store_true", help="skip measuring the matmul limit"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=SETTLE_SECONDS,
        help="idle seconds before each timed run, so that the previous run's "
        "spinning BLAS/OpenMP threads are asleep",
    )
    parser.add_argument("--json", default=str(_common.RESULTS_DIR / "training.json"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    systems = _systems.available_systems(args.systems)
    _common.print_machine_line()
    if "torch" in args.systems and "torch" not in systems:
        print("# torch does not import: skipping it (pip install torch to add it)")
    learning_rates = {"adam": args.lr_adam, "sgd": args.lr_sgd}

    rows, summaries, limits = [], [], []
    for dtype in args.dtype:
        data = _common.load_mnist_float(dtype, args.train_size, args.seed)
        n_train = len(data[0])
        for hidden_text in args.hidden:
            hidden = _common.parse_hidden(hidden_text)
            limit = None
            if not args.no_limit:
                limit = bench_matmul_limit.epoch_limit(
                    hidden, dtype, n_train, args.batch_size, repeats=args.limit_repeats
                )
                limits.append(limit)
                print(
                    f"# limit {limit['architecture']} {dtype}: "
                    f"{limit['limit_seconds_per_epoch']:.3f} s/epoch for "
                    f"{limit['epoch_gflop']:.1f} GFLOP",
                    flush=True,
                )
            for solver in args.solver:
                config = _systems.TrainConfig(
                    hidden=hidden,
                    solver=solver,
                    learning_rate=learning_rates[solver],
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    seed=args.seed,
                )
                setting_rows, summary = run_setting(
                    config,
                    systems,
                    data,
                    args.repeats,
                    limit,
                    log=lambda line: print(line, flush=True),
                    settle=args.settle,
                )
                rows += setting_rows
                summaries.append(summary)

    print()
    print(format_results(rows, summaries))
    settings = {
        **vars(args),
        "systems_run": systems,
        "alpha": 0.0,
        "tol": 0.0,
        "n_iter_no_change": _systems.NEVER_STOP,
        "shuffle": True,
    }
    path = _common.write_json(
        args.json, "training", settings, rows, summary=summaries, limits=limits
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
