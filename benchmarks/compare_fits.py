"""Record the fits of a fixed set of configurations, or compare with a record.

A refactoring of the engine must not change what it learns. Run this on the
commit before the change with ``--record before.npz``, then on the commit
after it with ``--check before.npz``: for every configuration it prints
whether the fitted weights are bitwise identical and, where they are not,
the largest relative difference of the loss curves (per epoch) and the
difference of test accuracy (or R²), against the tolerances given.

Usage::

    python benchmarks/compare_fits.py --record /tmp/before.npz
    python benchmarks/compare_fits.py --check /tmp/before.npz

Every configuration trains on scikit-learn's 8×8 digits (or a derived task),
deterministically (``random_state``), in a few seconds in all.
"""

import argparse
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor


def _digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float64)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _configurations():
    """name -> (estimator, X_train, y_train, X_test, y_test)."""
    X_train, X_test, y_train, y_test = _digits()
    binary_train, binary_test = y_train >= 5, y_test >= 5
    # Multilabel: "is the digit even" and "is it at least 5".
    multi_train = np.column_stack([y_train % 2 == 0, y_train >= 5]).astype(int)
    multi_test = np.column_stack([y_test % 2 == 0, y_test >= 5]).astype(int)
    common = dict(hidden_layer_sizes=(32,), random_state=0)
    return {
        "multiclass adam": (
            ScratchMLPClassifier(max_iter=30, **common),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "multiclass adam float32 dropout": (
            ScratchMLPClassifier(max_iter=30, dropout=0.2, alpha=1e-3, **common),
            X_train.astype(np.float32),
            y_train,
            X_test.astype(np.float32),
            y_test,
        ),
        "binary adam": (
            ScratchMLPClassifier(max_iter=30, **common),
            X_train,
            binary_train,
            X_test,
            binary_test,
        ),
        "multilabel adam": (
            ScratchMLPClassifier(max_iter=30, **common),
            X_train,
            multi_train,
            X_test,
            multi_test,
        ),
        "lbfgs": (
            ScratchMLPClassifier(solver="lbfgs", max_iter=50, **common),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "sgd nesterov momentum": (
            ScratchMLPClassifier(
                solver="sgd",
                momentum=0.9,
                learning_rate_init=0.05,
                max_iter=30,
                **common,
            ),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "sgd classical momentum invscaling": (
            ScratchMLPClassifier(
                solver="sgd",
                momentum=0.9,
                nesterovs_momentum=False,
                learning_rate="invscaling",
                learning_rate_init=0.5,
                max_iter=30,
                **common,
            ),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "early stopping class weights": (
            ScratchMLPClassifier(
                early_stopping=True,
                class_weight="balanced",
                max_iter=60,
                n_iter_no_change=5,
                **common,
            ),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "adagrad": (
            ScratchMLPClassifier(
                solver="adagrad", learning_rate_init=0.05, max_iter=30, **common
            ),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "rmsprop adaptive": (
            ScratchMLPClassifier(
                solver="rmsprop", learning_rate="adaptive", max_iter=30, **common
            ),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
        "regressor adam": (
            ScratchMLPRegressor(max_iter=30, **common),
            X_train,
            y_train.astype(float),
            X_test,
            y_test.astype(float),
        ),
    }


def _fit_all():
    results = {}
    for name, (model, X, y, X_test, y_test) in _configurations().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        results[name] = {
            "weights": np.concatenate(
                [a.ravel().astype(np.float64) for a in model.coefs_ + model.intercepts_]
            ),
            "loss_curve": np.asarray(model.loss_curve_, dtype=np.float64),
            "score": float(model.score(X_test, y_test)),
        }
    return results


def _record(path):
    arrays = {}
    for name, result in _fit_all().items():
        for key, value in result.items():
            arrays[f"{name}/{key}"] = np.asarray(value)
    np.savez(path, **arrays)
    print(f"recorded {len(arrays) // 3} configurations in {path}")


def _check(path, curve_tolerance, score_tolerance):
    before = np.load(path)
    failures = 0
    print(
        f"{'configuration':<36} {'weights':<18} {'max rel. loss diff':>18} "
        f"{'score diff (points)':>20}"
    )
    for name, result in _fit_all().items():
        old_weights = before[f"{name}/weights"]
        old_curve = before[f"{name}/loss_curve"]
        old_score = float(before[f"{name}/score"])
        identical = old_weights.shape == result["weights"].shape and np.array_equal(
            old_weights, result["weights"]
        )
        curve = result["loss_curve"]
        if len(curve) != len(old_curve):
            rel, ok_curve = f"epochs {len(old_curve)}->{len(curve)}", False
        else:
            diff = np.max(np.abs(curve - old_curve) / np.abs(old_curve))
            rel, ok_curve = f"{diff:.2e}", diff <= curve_tolerance
        score_diff = 100 * (result["score"] - old_score)
        ok = identical or (ok_curve and abs(score_diff) <= score_tolerance)
        failures += not ok
        print(
            f"{name:<36} {'bitwise identical' if identical else 'differ':<18} "
            f"{rel:>18} {score_diff:>+20.3f}{'' if ok else '  OUT OF TOLERANCE'}"
        )
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", metavar="FILE", help="write the fits to FILE")
    group.add_argument("--check", metavar="FILE", help="compare with FILE")
    parser.add_argument("--curve-tolerance", type=float, default=1e-4)
    parser.add_argument("--score-tolerance", type=float, default=0.2)
    args = parser.parse_args(argv)
    if args.record:
        _record(args.record)
        return 0
    failures = _check(args.check, args.curve_tolerance, args.score_tolerance)
    print(f"{failures} configuration(s) out of tolerance")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
