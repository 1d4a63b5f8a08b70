"""Inference speed: ``predict_proba`` of ScratchMLPClassifier and MLPClassifier.

Both estimators hold the very same weights: ScratchMLPClassifier is fitted
briefly on MNIST (``--fit-epochs``, default 1), an MLPClassifier of the same
architecture is fitted for one epoch on the same data so that it has all its
fitted attributes, and then its ``coefs_`` and ``intercepts_`` are replaced
by copies of ours (checked: their probabilities agree). Each dtype gets its
own pair of models, and inputs come in that dtype. Measured:

- latency: seconds of one ``predict_proba`` call on a single row, median
  (and 90th percentile) over ``--calls`` calls after ``--warmup`` untimed
  ones; the systems alternate every 100 calls;
- throughput: rows per second of one ``predict_proba`` call on the 10,000
  test rows, median over ``--repeats`` alternating calls.

Ratios are ours/sklearn of the time per call (below 1: ours is faster).
One-row latency is mostly fixed per-call overhead (input validation,
Python), not arithmetic.
"""

import argparse
import statistics
import sys
import time

import _common
import _systems
import numpy as np

#: Calls in a row for one system before the other one takes its turn.
ROUND = 100


def paired_models(config, X_train, y_train):
    """Ours fitted per ``config``, and an MLPClassifier carrying its weights."""
    ours = _systems.train_ours(config, X_train, y_train).model
    one_epoch = _systems.TrainConfig(
        config.hidden, config.solver, config.learning_rate, 1, config.batch_size
    )
    sklearn = _systems.train_sklearn(one_epoch, X_train, y_train).model
    sklearn.coefs_ = [w.copy() for w in ours.coefs_]
    sklearn.intercepts_ = [b.copy() for b in ours.intercepts_]
    return {"ours": ours, "sklearn": sklearn}


def _time_calls(function, argument, n_calls):
    times = []
    for _ in range(n_calls):
        started = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - started)
    return times


def measure(models, one_row, many_rows, calls, warmup, repeats):
    """Latency and throughput of each model's ``predict_proba``.

    Returns
    -------
    dict of str to dict
        Per system: ``latency_s`` (median), ``latency_p90_s``,
        ``batch_s`` (median seconds for ``many_rows``), ``rows_per_s``.
    """
    latencies = {name: [] for name in models}
    batch_times = {name: [] for name in models}
    for model in models.values():
        _time_calls(model.predict_proba, one_row, warmup)
        _time_calls(model.predict_proba, many_rows, 2)
    for _ in range(max(1, calls // ROUND)):
        for name, model in models.items():
            latencies[name] += _time_calls(model.predict_proba, one_row, ROUND)
    for _ in range(repeats):
        for name, model in models.items():
            batch_times[name] += _time_calls(model.predict_proba, many_rows, 1)
    results = {}
    for name in models:
        batch_s = statistics.median(batch_times[name])
        results[name] = {
            "latency_s": statistics.median(latencies[name]),
            "latency_p90_s": statistics.quantiles(latencies[name], n=10)[-1],
            "latency_calls": len(latencies[name]),
            "batch_s": batch_s,
            "batch_rows": many_rows.shape[0],
            "batch_repeats": len(batch_times[name]),
            "rows_per_s": many_rows.shape[0] / batch_s,
        }
    return results


COLUMNS = [
    ("architecture", "architecture", "s"),
    ("dtype", "dtype", "s"),
    ("system", "system", "s"),
    ("latency_us", "1-row latency us (median)", ".1f"),
    ("latency_p90_us", "p90 us", ".1f"),
    ("rows_per_s", "10k-row throughput rows/s", ",.0f"),
    ("latency_ratio", "latency ours/sklearn", ".2f"),
    ("batch_ratio", "10k time ours/sklearn", ".2f"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--hidden", default="256", help="hidden widths, e.g. 256")
    parser.add_argument(
        "--dtype", nargs="+", default=list(_common.DTYPES), choices=_common.DTYPES
    )
    parser.add_argument("--calls", type=int, default=2000, help="timed 1-row calls")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls")
    parser.add_argument(
        "--batch-rows", type=int, default=10_000, help="rows of a throughput call"
    )
    parser.add_argument("--repeats", type=int, default=20, help="throughput calls")
    parser.add_argument("--fit-epochs", type=int, default=1)
    parser.add_argument(
        "--train-size",
        type=int,
        default=None,
        help="fit on a seeded subset of this many rows (all if unset)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=str(_common.RESULTS_DIR / "inference.json"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    _common.print_machine_line()
    hidden = _common.parse_hidden(args.hidden)
    rows = []
    for dtype in args.dtype:
        X_train, X_test, y_train, _ = _common.load_mnist_float(
            dtype, args.train_size, args.seed
        )
        config = _systems.TrainConfig(
            hidden, "adam", 0.001, args.fit_epochs, seed=args.seed
        )
        models = paired_models(config, X_train, y_train)
        one_row = np.ascontiguousarray(X_test[:1])
        many_rows = np.ascontiguousarray(
            np.resize(X_test, (args.batch_rows, X_test.shape[1]))
        )
        gap = float(
            np.max(
                np.abs(
                    models["ours"].predict_proba(many_rows)
                    - models["sklearn"].predict_proba(many_rows)
                )
            )
        )
        results = measure(
            models, one_row, many_rows, args.calls, args.warmup, args.repeats
        )
        architecture = _common.architecture_name(784, hidden, 10)
        for system, result in results.items():
            rows.append(
                {
                    "architecture": architecture,
                    "dtype": dtype,
                    "system": system,
                    **result,
                    "latency_us": result["latency_s"] * 1e6,
                    "latency_p90_us": result["latency_p90_s"] * 1e6,
                    "max_abs_probability_gap": gap,
                }
            )
        ours, sk = results["ours"], results["sklearn"]
        rows[-2]["latency_ratio"] = ours["latency_s"] / sk["latency_s"]
        rows[-2]["batch_ratio"] = ours["batch_s"] / sk["batch_s"]
        print(
            f"# {dtype}: same weights, max |proba ours - proba sklearn| = {gap:.1e}",
            flush=True,
        )

    print()
    print(_common.format_table(rows, COLUMNS))
    print("\nratios are ours/sklearn time per call (below 1: ours is faster)")
    path = _common.write_json(args.json, "inference", vars(args), rows)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
