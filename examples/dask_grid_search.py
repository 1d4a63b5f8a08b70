"""
=============================
Grid search on a Dask cluster
=============================

A :class:`~sklearn.model_selection.GridSearchCV` trains one model per
candidate and fold, each independent of the others, so the fits can run on
many machines at once. joblib, which scikit-learn uses for ``n_jobs``, has a
``dask`` backend that sends every batch of fits to the workers of a Dask
cluster: nothing in the search changes but the ``with
joblib.parallel_config(backend="dask")`` block around ``fit``. This example
starts a cluster on this machine (2 worker processes of 1 thread each) or
connects to a real one (``--scheduler-address tcp://host:8786``), limits the
BLAS threads of every worker with :func:`sknnscratch.parallel.limit_blas_threads`
so that parallel fits do not fight over the cores, and searches the L2 penalty
``alpha`` and the width of the hidden layer of a
:class:`~sknnscratch.ScratchMLPClassifier` on scikit-learn's 8x8 digits.

What to look at: which workers ran how many fits (from the cluster's task
stream), the wall time against the sum of the fit times (the gap is the
parallel speed-up, minus the overhead of shipping the tasks), and the
candidates' mean cross-validation accuracy in the plot. The search is seeded,
so its scores are the same on one machine or many.

Run ``python examples/dask_grid_search.py`` (18 candidates, 5 folds: about
15 seconds on two idle cores, cluster start-up included) or add ``--fast``
for 4 candidates and 3 folds.
``docs/dask.md`` describes running it on a cluster of several machines.
"""

import argparse
import csv
import re
import time
from collections import Counter
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknnscratch import ScratchMLPClassifier
from sknnscratch.parallel import limit_blas_threads


def parse_args():
    parser = argparse.ArgumentParser(description="Grid search on a Dask cluster.")
    parser.add_argument("--fast", action="store_true", help="a small, quick search")
    parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
    parser.add_argument(
        "--scheduler-address",
        help="connect to this scheduler (tcp://host:8786) instead of starting "
        "a local cluster",
    )
    parser.add_argument(
        "--n-workers", type=int, default=2, help="workers of the local cluster"
    )
    return parser.parse_args()


def fits_per_worker(task_stream):
    """Fits run by each worker, from the joblib batches in a task stream."""
    fits = Counter()
    for task in task_stream:
        # joblib names its tasks "batch_of_<function>_<n>_calls-<uuid>".
        match = re.match(r"(?:mixed_)?batch_of_.*_(\d+)_calls-", str(task["key"]))
        if match:
            fits[task["worker"]] += int(match.group(1))
    return dict(sorted(fits.items()))


def run_search(client, fast):
    # Data: 1,797 images of 8x8 pixels; a quarter is kept aside for the end.
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"{len(X_train)} training and {len(X_test)} test images of 8x8 pixels")

    mlp = ScratchMLPClassifier(
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        random_state=0,
    )
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    if fast:
        grid = {"mlp__alpha": [1e-4, 1e-1], "mlp__hidden_layer_sizes": [(16,), (64,)]}
        n_splits = 3
    else:
        grid = {
            "mlp__alpha": [1e-4, 1e-2, 1.0],
            "mlp__hidden_layer_sizes": [(16,), (64,), (256,)],
            "mlp__learning_rate_init": [0.001, 0.01],
        }
        n_splits = 5
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, grid, cv=cv)

    # The only change from a search on this machine: the joblib backend. The
    # task stream records which worker ran each batch of fits.
    with get_task_stream(client) as stream:
        with joblib.parallel_config(backend="dask", client=client):
            start = time.perf_counter()
            search.fit(X_train, y_train)
            seconds = time.perf_counter() - start

    results = search.cv_results_
    n_candidates = len(results["params"])
    fit_seconds = float(np.sum(results["mean_fit_time"]) * n_splits)
    print(
        f"{n_candidates} candidates x {n_splits} folds searched in {seconds:.1f} s "
        f"wall time ({fit_seconds:.1f} s of fitting in the workers)"
    )
    print("fits per worker:")
    for worker, n_fits in fits_per_worker(stream.data).items():
        print(f"  {worker}: {n_fits}")

    best = {k.removeprefix("mlp__"): v for k, v in search.best_params_.items()}
    print(f"best parameters: {best}")
    print(f"best mean cross-validation accuracy: {search.best_score_:.4f}")
    # refit=True: the best pipeline was refitted here, on all training rows.
    print(f"test accuracy of the best model: {search.score(X_test, y_test):.4f}")
    return search


def write_results(search, output_dir):
    """cv_results_ as CSV, and a bar plot of the candidates' scores."""
    results = search.cv_results_
    names = [k for k in results if not k.startswith("split")]
    path = output_dir / "dask_grid_search_cv_results.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for i in range(len(results["params"])):
            writer.writerow([results[name][i] for name in names])
    print(f"cv_results_ written to {path}")

    short = {"hidden_layer_sizes": "hidden", "learning_rate_init": "lr"}
    labels = []
    for params in results["params"]:
        names = [name.removeprefix("mlp__") for name in params]
        labels.append(
            ", ".join(f"{short.get(n, n)}={v}" for n, v in zip(names, params.values()))
        )
    order = np.argsort(results["mean_test_score"], kind="stable")
    best = results["rank_test_score"][order] == 1
    fig, ax = plt.subplots(figsize=(8, 1.4 + 0.28 * len(labels)), layout="constrained")
    ax.barh(
        np.arange(len(order)),
        results["mean_test_score"][order],
        xerr=results["std_test_score"][order],
        color=np.where(best, "tab:orange", "tab:blue"),
        capsize=3,
    )
    ax.set_yticks(np.arange(len(order)), [labels[i] for i in order], fontsize=8)
    low = results["mean_test_score"].min() - 2 * results["std_test_score"].max()
    ax.set_xlim(max(0.0, low), 1.0)
    ax.set_xlabel("mean cross-validation accuracy, +/- one standard deviation")
    fig.suptitle("Candidates of the search on Dask (best in orange)")
    path = output_dir / "dask_grid_search_scores.png"
    fig.savefig(path, dpi=100)
    print(f"plot of the candidates' scores written to {path}")


def main():
    args = parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)

    if args.scheduler_address:
        client = Client(args.scheduler_address)
        cluster = None
    else:
        # Worker processes, 1 thread each: the model's NumPy code holds the
        # GIL between BLAS calls, so threads in one process would not help.
        cluster = LocalCluster(
            n_workers=args.n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        workers = client.ncores()
        print(f"Dask cluster: {len(workers)} workers, {sum(workers.values())} threads")
        # Each worker's share of its machine's cores (1 with 2 workers on 2
        # cores), so that two fits on one machine do not oversubscribe it.
        limits = limit_blas_threads(client)
        print(f"BLAS threads per worker: {sorted(set(limits.values()))}")
        search = run_search(client, args.fast)
        write_results(search, args.output_dir)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
