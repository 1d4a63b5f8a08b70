"""Choose the ``record`` preset's hyperparameters on a validation split.

The test images choose nothing: every candidate trains on 50,000 of the
60,000 MNIST training images and is scored, after every epoch, on the other
10,000 (a stratified split with a fixed seed). The candidate with the best
final validation accuracy becomes ``sknnscratch.presets.MNIST_RECORD``,
which is then trained on all 60,000 images (``benchmarks/mnist_presets.py``).

Usage::

    python benchmarks/record_search.py                 # every candidate
    python benchmarks/record_search.py --only dropout-0.2 --max-iter 5

Prints one line per epoch and a summary table; ``--json FILE`` writes the
histories.
"""

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import train_test_split

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import load_mnist
from sknnscratch.presets import MNIST_RECORD

#: What every candidate shares: the preset's settings (784-800-800-10 ReLU,
#: Adam with a cosine decay after one epoch of warm-up, batches of 128,
#: images deformed afresh every epoch, 40 epochs), one source for both; each
#: candidate sets the dropout, and some the epochs.
BASE = dict(MNIST_RECORD)

#: The candidates, by name: what each changes in BASE. The first round
#: compared dropout at 40 epochs (0.0 won); the second, a longer cosine run
#: of the winner, which a 20-minute fit on all 60,000 images still allows.
CANDIDATES = {
    "dropout-0.2": {"dropout": 0.2},
    "dropout-0.0": {"dropout": 0.0},
    "dropout-0.0-60ep": {"dropout": 0.0, "max_iter": 60},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(CANDIDATES), action="append")
    parser.add_argument("--max-iter", type=int, help="epochs (default: BASE's)")
    parser.add_argument("--train-size", type=int, help="fewer training rows")
    parser.add_argument("--json", help="write the histories to this file")
    args = parser.parse_args(argv)

    X, y = load_mnist(return_X_y=True, subset="train")
    X = (X / 255.0).astype(np.float32)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    print(f"training on {len(y_train):,} images, validating on {len(y_val):,}")

    results = {}
    for name in args.only or CANDIDATES:
        params = {**BASE, **CANDIDATES[name], "verbose": True}
        if args.max_iter:
            params["max_iter"] = args.max_iter
        model = ScratchMLPClassifier(**params)
        started = time.perf_counter()
        model.fit(X_train, y_train, X_val=X_val, y_val=y_val)
        seconds = time.perf_counter() - started
        history = model.history_
        results[name] = {
            "params": repr(CANDIDATES[name]),
            "fit_seconds": seconds,
            "val_accuracy": history["val_accuracy"],
            "seconds": history["seconds"],
        }
        print(
            f"{name}: final validation accuracy {history['val_accuracy'][-1]:.4f} "
            f"(best {max(history['val_accuracy']):.4f}), fit {seconds:.1f} s"
        )

    print("\ncandidate      final val acc  best val acc  fit (s)")
    for name, result in results.items():
        accuracy = result["val_accuracy"]
        print(
            f"{name:<14} {accuracy[-1]:>13.4f}  {max(accuracy):>12.4f}  "
            f"{result['fit_seconds']:>7.1f}"
        )
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)


if __name__ == "__main__":
    main()
