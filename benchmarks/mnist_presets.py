"""Train MNIST presets on the official split and time their accuracy.

Each preset of ``sknnscratch.presets`` trains on the 60,000 training images
(pixels / 255, float32) and is scored on the 10,000 test images once after
every epoch, through ``X_val``: the test images only watch, they choose
nothing (``early_stopping`` is off and every preset runs its fixed number of
epochs; the hyperparameters were chosen on a validation split, see
``benchmarks/record_search.py``). Scoring the test images after each epoch
costs a fraction of a second, which the fit seconds include.

Usage::

    python benchmarks/mnist_presets.py --presets default,best,record \\
        --json docs/data/mnist_presets.json

Prints a table: test accuracy at the end, fit seconds, and the seconds until
the test accuracy first reached 99.0% (``--target``).
"""

import argparse
import json
import platform
import time

import numpy as np
import sklearn

import sknnscratch
from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import load_mnist
from sknnscratch.presets import PRESETS


def first_time_above(history, target):
    """Seconds of training until the test accuracy first reached ``target``."""
    elapsed = np.cumsum(history["seconds"])
    for seconds, accuracy in zip(elapsed, history["val_accuracy"]):
        if accuracy >= target:
            return float(seconds)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="record", help="comma-separated")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--max-iter", type=int, help="fewer epochs, for a try")
    parser.add_argument("--train-size", type=int, help="fewer rows, for a try")
    parser.add_argument("--json", help="write the histories to this file")
    args = parser.parse_args(argv)
    names = args.presets.split(",")
    unknown = sorted(set(names) - set(PRESETS))
    if unknown:
        parser.error(f"unknown presets {unknown}; known: {sorted(PRESETS)}")

    X_train, y_train = load_mnist(return_X_y=True, subset="train")
    X_test, y_test = load_mnist(return_X_y=True, subset="test")
    X_train = (X_train / 255.0).astype(np.float32)
    X_test = (X_test / 255.0).astype(np.float32)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]

    rows, results = [], {}
    for name in names:
        params = dict(PRESETS[name], verbose=True)
        if args.max_iter:
            params["max_iter"] = args.max_iter
        model = ScratchMLPClassifier(**params)
        started = time.perf_counter()
        model.fit(X_train, y_train, X_val=X_test, y_val=y_test)
        fit_seconds = time.perf_counter() - started
        history = model.history_
        accuracy = float(np.mean(model.predict(X_test) == y_test))
        reached = first_time_above(history, args.target)
        results[name] = {
            "accuracy": accuracy,
            "fit_seconds": fit_seconds,
            "seconds_to_target": reached,
            "epoch_seconds": history["seconds"],
            "test_accuracy": history["val_accuracy"],
        }
        rows.append((name, accuracy, fit_seconds, reached, len(history["epoch"])))

    print(
        f"\nMNIST, {len(y_train):,} training images, {len(y_test):,} test images; "
        f"sknnscratch {sknnscratch.__version__}, scikit-learn {sklearn.__version__}, "
        f"NumPy {np.__version__}, {platform.processor() or platform.machine()}"
    )
    print(
        f"preset   test accuracy  fit (s)  epochs  s to {args.target:.1%}\n"
        "-------  -------------  -------  ------  ---------"
    )
    for name, accuracy, seconds, reached, epochs in rows:
        reached = "never" if reached is None else f"{reached:.1f}"
        line = f"{name:<7}  {accuracy:>13.2%}  {seconds:>7.1f}  {epochs:>6}"
        print(f"{line}  {reached:>9}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"target": args.target, "presets": results}, file, indent=1)


if __name__ == "__main__":
    main()
