"""Augmentation cost: deforming an epoch of MNIST against training on it.

Training on freshly deformed images every epoch (``sknnscratch.augment``) is
only worth it if deforming costs less than the epoch it feeds. In one run this
measures, on the same MNIST training rows (pixels / 255, ``--dtype``):

- seconds to augment all the rows in batches of ``--batch-size`` (128), the
  way training calls a transform, for RandomAffine, ElasticDistortion and
  Compose of both (default parameters), each with its own seeded generator;
- seconds of one training epoch of the network the augmentation feeds, the
  ``record`` preset's (``sknnscratch.presets.MNIST_RECORD``, without its
  ``augment``, with ``--batch-size``): one ``partial_fit`` call
  (initialisation included on the first repeat, so the median of several
  repeats is the steady state);
- augmentation / training: below 1, deforming is cheaper than training.

Augmentation and training alternate, each repeated ``--repeats`` times, and
medians are reported, so a slow phase of the machine hits both alike. Every
timed training epoch starts after ``--settle`` idle seconds so that the
previous work's BLAS threads are asleep.

Example: ``python benchmarks/bench_augment.py --rows 6000 --repeats 1`` for a
quick check.
"""

import argparse
import statistics
import sys
import time

import _common
import numpy as np

#: Seed of every augmentation generator and of the network.
SEED = 0


def transforms():
    """The transforms measured, by name."""
    from sknnscratch.augment import Compose, ElasticDistortion, RandomAffine

    return {
        "RandomAffine": RandomAffine(),
        "ElasticDistortion": ElasticDistortion(),
        "Compose(affine, elastic)": Compose([RandomAffine(), ElasticDistortion()]),
    }


def augment_seconds(transform, X, batch_size, seed=SEED):
    """Wall seconds to augment every row of ``X``, one batch after another."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for start in range(0, len(X), batch_size):
        transform(X[start : start + batch_size], rng)
    return time.perf_counter() - started


def network(batch_size):
    from sknnscratch import ScratchMLPClassifier
    from sknnscratch.presets import MNIST_RECORD

    params = {**MNIST_RECORD, "augment": None, "batch_size": batch_size}
    return ScratchMLPClassifier(**{**params, "max_iter": 1, "random_state": SEED})


def epoch_seconds(model, X, y, classes):
    """Wall seconds of one ``partial_fit`` call (one epoch) on ``X``."""
    started = time.perf_counter()
    with _common.quiet_convergence():
        model.partial_fit(X, y, classes=classes)
    return time.perf_counter() - started


COLUMNS = [
    ("work", "work", "s"),
    ("seconds", "s (median)", ".3f"),
    ("spread", "min..max", "s"),
    ("ms_per_batch", "ms/batch", ".2f"),
    ("over_training", "/ training epoch", ".2f"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help="use a seeded subset of this many training rows (all 60,000 if unset)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="passes of each augmentation and training epochs; medians are shown",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=128,
        help="rows per augmentation call and per training step",
    )
    parser.add_argument(
        "--dtype", default="float32", choices=_common.DTYPES, help="pixel dtype"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="idle seconds before each timed training epoch",
    )
    parser.add_argument(
        "--json", default=None, help="also write the results to this JSON file"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    _common.print_machine_line()
    X, _, y, _ = _common.load_mnist_float(args.dtype, args.rows, SEED)
    classes = np.unique(y)
    n_batches = -(-len(X) // args.batch_size)
    print(
        f"# {len(X)} rows of {X.shape[1]} pixels, {args.dtype}, "
        f"{n_batches} batches of {args.batch_size}, {args.repeats} repeats",
        flush=True,
    )

    measured = transforms()
    times = {name: [] for name in [*measured, "training epoch"]}
    model = network(args.batch_size)
    for repeat in range(args.repeats):
        for name, transform in measured.items():
            times[name].append(augment_seconds(transform, X, args.batch_size))
            print(f"  repeat {repeat + 1}: {name} {times[name][-1]:.3f} s", flush=True)
        time.sleep(args.settle)
        times["training epoch"].append(epoch_seconds(model, X, y, classes))
        print(
            f"  repeat {repeat + 1}: training epoch "
            f"{times['training epoch'][-1]:.3f} s",
            flush=True,
        )

    training = statistics.median(times["training epoch"])
    rows = [
        {
            "work": name,
            "seconds": statistics.median(runs),
            "seconds_runs": runs,
            "spread": f"{min(runs):.3f}..{max(runs):.3f}",
            "ms_per_batch": 1000 * statistics.median(runs) / n_batches,
            "over_training": statistics.median(runs) / training,
        }
        for name, runs in times.items()
    ]
    print()
    print(_common.format_table(rows, COLUMNS))
    if args.json:
        path = _common.write_json(
            args.json,
            "augment",
            {**vars(args), "rows_used": len(X), "network": "784-800-800-10"},
            rows,
        )
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
