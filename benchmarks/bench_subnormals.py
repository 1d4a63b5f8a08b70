"""What the subnormal sweep saves: seconds per epoch with it and without it.

The engine's one speed measure outside the formulas
(:mod:`sknnscratch.nn.subnormals`) sets near-subnormal optimizer state and
weights to zero every 64 steps. It matters in long runs with L2 and Adam on
MNIST, where the weights of always-blank border pixels and their moments
shrink towards the subnormal range. This benchmark trains that network
(784-256-10 by default, float32, Adam, ``alpha=1e-4``) for ``--epochs``
epochs, alternately with the sweep and without it (``sweep_interval = 0``),
``--repeats`` times each, and prints the median seconds of each epoch and
the ratio without/with (above 1: the sweep saves time). It also counts the
subnormal entries left at the end of each run.

Example: ``python benchmarks/bench_subnormals.py --epochs 8 --repeats 3``.
"""

import argparse
import statistics
import sys
import time

import _common
import numpy as np

from sknnscratch import ScratchMLPClassifier
from sknnscratch.callbacks import EpochCallback
from sknnscratch.nn.optimizers import Optimizer

#: The two variants compared: steps between sweeps (0: never).
VARIANTS = {"with sweep": Optimizer.sweep_interval, "without": 0}


class EpochSeconds(EpochCallback):
    """Collects the seconds of every epoch."""

    def __init__(self):
        self.seconds = []

    def on_epoch_end(self, estimator, record):
        self.seconds.append(record["seconds"])


def count_subnormal(arrays):
    tiny = np.finfo(np.float32).tiny
    return sum(int(np.count_nonzero((a != 0) & (np.abs(a) < tiny))) for a in arrays)


def run(variant, args, X, y):
    """One training run; returns (seconds per epoch, subnormals at the end)."""
    Optimizer.sweep_interval = VARIANTS[variant]
    timer = EpochSeconds()
    model = ScratchMLPClassifier(
        hidden_layer_sizes=_common.parse_hidden(args.hidden),
        alpha=args.alpha,
        max_iter=args.epochs,
        tol=0,
        n_iter_no_change=np.inf,
        batch_size=args.batch_size,
        random_state=args.seed,
    ).set_callbacks(timer)
    with _common.quiet_convergence():
        model.fit(X, y)
    state = model._optimizer_state
    arrays = [*model.coefs_, state["first_moment"], state["second_moment"]]
    return timer.seconds, count_subnormal(arrays)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--hidden", default="256")
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settle", type=float, default=1.0)
    args = parser.parse_args(argv)

    _common.print_machine_line()
    X, _, y, _ = _common.load_mnist_float("float32", args.train_size, args.seed)
    runs = {variant: [] for variant in VARIANTS}
    subnormals = {variant: [] for variant in VARIANTS}
    for repeat in range(args.repeats):
        for variant in VARIANTS:  # alternating, so a slow phase hits both
            time.sleep(args.settle)
            seconds, left = run(variant, args, X, y)
            runs[variant].append(seconds)
            subnormals[variant].append(left)
            print(
                f"run {repeat + 1}/{args.repeats} {variant:<10} "
                f"{sum(seconds):6.1f} s, {left:,} subnormal entries at the end",
                flush=True,
            )
    print(f"\n{'epoch':>5} {'with sweep (s)':>15} {'without (s)':>12} {'ratio':>7}")
    for epoch in range(args.epochs):
        with_sweep = statistics.median(r[epoch] for r in runs["with sweep"])
        without = statistics.median(r[epoch] for r in runs["without"])
        print(
            f"{epoch + 1:>5} {with_sweep:>15.2f} {without:>12.2f} "
            f"{without / with_sweep:>7.3f}"
        )
    totals = {v: statistics.median(sum(r) for r in runs[v]) for v in VARIANTS}
    print(
        f"{'all':>5} {totals['with sweep']:>15.2f} {totals['without']:>12.2f} "
        f"{totals['without'] / totals['with sweep']:>7.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
