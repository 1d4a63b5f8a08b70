"""Searches over the estimators on a Dask cluster, through joblib's dask backend.

One LocalCluster of 2 worker processes (1 thread each) serves the whole module.
Its nannies start the workers without Dask's default ``OPENBLAS_NUM_THREADS=1``
and friends, so the workers' BLAS pools start at their default size and the
tests can see :func:`sknnscratch.parallel.limit_blas_threads` act.
"""

import os
import uuid
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402
import joblib  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor  # noqa: E402
from sknnscratch.parallel import (  # noqa: E402
    PLUGIN_NAME,
    BLASThreadLimit,
    default_blas_threads,
    limit_blas_threads,
    worker_blas_threads,
)

N_WORKERS = 2
BLAS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# Small enough that a fit takes a tenth of a second, and each one stops on
# ``tol`` well before ``max_iter`` (no ConvergenceWarning from the workers).
MLP_PARAMS = dict(
    hidden_layer_sizes=(16,),
    learning_rate_init=0.01,
    tol=1e-3,
    n_iter_no_change=3,
    max_iter=200,
    random_state=0,
)


def classifier_case():
    X, y = load_digits(return_X_y=True)
    X, y = X[:1000], y[:1000]
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return ScratchMLPClassifier(**MLP_PARAMS), X, y, cv


def regressor_case():
    X, y = make_regression(n_samples=300, n_features=10, noise=5.0, random_state=0)
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    return ScratchMLPRegressor(**MLP_PARAMS), X, y / y.std(), cv


# One entry per estimator; each returns (estimator, X, y, cv). The searches
# address its parameters as ``mlp__<name>``, whatever the estimator.
CASES = [
    pytest.param(classifier_case, id="classifier"),
    pytest.param(regressor_case, id="regressor"),
]

SEARCHES = ["grid", "randomized"]


def make_search(kind, estimator, cv, scoring):
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", estimator)])
    if kind == "grid":
        grid = {"mlp__alpha": [1e-4, 1e-1], "mlp__hidden_layer_sizes": [(8,), (16,)]}
        return GridSearchCV(pipe, grid, cv=cv, scoring=scoring, error_score="raise")
    distributions = {
        "mlp__alpha": loguniform(1e-5, 1e-1),
        "mlp__learning_rate_init": loguniform(5e-3, 5e-2),
    }
    return RandomizedSearchCV(
        pipe,
        distributions,
        n_iter=4,
        cv=cv,
        scoring=scoring,
        error_score="raise",
        random_state=0,
    )


def recording_scorer(directory):
    """``estimator.score``, leaving a file named after the scoring process.

    A closure, so cloudpickle ships it to the workers by value; one empty file
    per call, so the files count the calls and name the processes.
    """
    directory = str(directory)

    def score(estimator, X, y):
        name = f"{os.getpid()}-{uuid.uuid4().hex}"
        open(os.path.join(directory, name), "w").close()
        return estimator.score(X, y)

    return score


def scoring_pids(directory):
    return [int(path.name.split("-")[0]) for path in Path(directory).iterdir()]


def comparable(cv_results):
    """``cv_results_`` without the timings, as plain Python values."""
    return {
        key: np.asarray(value).tolist() if key != "params" else value
        for key, value in cv_results.items()
        if not key.endswith("_time")
    }


@pytest.fixture(scope="module")
def cluster():
    # Spawned workers inherit this process's environment and the nanny adds
    # distributed.nanny.pre-spawn-environ: clear the BLAS variables of both.
    # The nannies also write variables of their own (PYTHONHASHSEED,
    # __DASK_PARENT_PID) into this process's os.environ, for good: put it
    # back, so that the subprocesses of later tests do not depend on whether
    # this module ran first.
    environ = dict(os.environ)
    with pytest.MonkeyPatch.context() as mp:
        for name in BLAS_ENV:
            mp.delenv(name, raising=False)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": {}}):
            cluster = LocalCluster(
                n_workers=N_WORKERS,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
    try:
        with cluster:
            yield cluster
    finally:
        for name in set(os.environ) - set(environ):
            del os.environ[name]
        os.environ.update(environ)


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(N_WORKERS)
        yield client


def test_default_blas_threads():
    assert default_blas_threads(2, n_cores=2) == 1
    assert default_blas_threads(1, n_cores=2) == 2
    assert default_blas_threads(4, n_cores=16) == 4
    assert default_blas_threads(3, n_cores=8) == 2
    assert default_blas_threads(8, n_cores=4) == 1
    assert 1 <= default_blas_threads(1) <= (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="at least 1"):
        default_blas_threads(0, n_cores=4)
    with pytest.raises(ValueError, match="at least 1"):
        BLASThreadLimit(n_threads=0)


class FakeState:
    nthreads = 1


class FakeWorker:
    """What the plugin uses of a ``distributed.Worker``."""

    address = "tcp://10.0.0.1:4000"
    state = FakeState()

    class scheduler:
        @staticmethod
        async def ncores():
            # This worker, a second one on its host, one on another host.
            return {
                "tcp://10.0.0.1:4000": 1,
                "tcp://10.0.0.1:4001": 1,
                "tcp://10.0.0.2:4000": 4,
            }


def blas_threads_in_this_process():
    return {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }


@pytest.mark.parametrize("n_threads", [1, 2, None])
def test_plugin_without_a_cluster(n_threads, monkeypatch):
    import asyncio

    monkeypatch.setattr("dask.system.CPU_COUNT", 4)
    before = blas_threads_in_this_process()
    plugin = BLASThreadLimit(n_threads)
    worker = FakeWorker()
    asyncio.run(plugin.setup(worker))
    try:
        # Without n_threads: 4 cores shared by the 2 one-thread workers of
        # this worker's host.
        expected = 2 if n_threads is None else n_threads
        assert plugin.limit == expected
        assert blas_threads_in_this_process() == {expected}
    finally:
        plugin.teardown(worker)
    assert blas_threads_in_this_process() == before


@pytest.mark.slow  # the module's cluster: 2 worker processes
def test_limit_blas_threads_in_workers(client):
    workers = sorted(client.ncores())
    try:
        assert limit_blas_threads(client, n_threads=2) == dict.fromkeys(workers, 2)
        for libraries in worker_blas_threads(client).values():
            assert libraries and set(libraries.values()) == {2}

        # The default: each worker's share of the cores of the (one) host.
        expected = default_blas_threads(N_WORKERS * 1, n_cores=dask.system.CPU_COUNT)
        assert limit_blas_threads(client) == dict.fromkeys(workers, expected)
        seen = worker_blas_threads(client)
        assert sorted(seen) == workers
        for libraries in seen.values():
            # NumPy's and SciPy's OpenBLAS, in the pip wheels.
            assert libraries and set(libraries.values()) == {expected}
    finally:
        client.unregister_worker_plugin(PLUGIN_NAME)


@pytest.mark.slow
@pytest.mark.parametrize("kind", SEARCHES)
@pytest.mark.parametrize("make_case", CASES)
def test_search_on_dask_matches_a_serial_search(make_case, kind, client, tmp_path):
    estimator, X, y, cv = make_case()
    # The default limit (1 thread on 2 cores), the same in both workers.
    (n_blas,) = set(limit_blas_threads(client).values())
    worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == N_WORKERS and os.getpid() not in worker_pids

    on_dask = tmp_path / "dask"
    on_dask.mkdir()
    search = make_search(kind, estimator, cv, recording_scorer(on_dask))
    with joblib.parallel_config(backend="dask", client=client):
        search.fit(X, y)

    # Every score of every candidate on every fold was computed in a worker
    # process, and both workers took a share.
    n_fits = cv.get_n_splits() * len(search.cv_results_["params"])
    pids = scoring_pids(on_dask)
    assert len(pids) == n_fits
    assert set(pids) <= worker_pids
    assert len(set(pids)) == N_WORKERS

    # The same search in this process, one fit after the other, with the
    # BLAS pools of the workers: the same numbers, to the last bit.
    serial = tmp_path / "serial"
    serial.mkdir()
    reference = make_search(kind, estimator, cv, recording_scorer(serial))
    reference.set_params(n_jobs=1)
    with threadpool_limits(limits=n_blas, user_api="blas"):
        reference.fit(X, y)
    assert set(scoring_pids(serial)) == {os.getpid()}

    assert comparable(search.cv_results_) == comparable(reference.cv_results_)
    assert search.best_params_ == reference.best_params_
    assert search.best_score_ == reference.best_score_
