"""Limit BLAS threads in the workers of a Dask cluster.

Why this module exists: NumPy multiplies matrices with a BLAS library
(OpenBLAS in the pip wheels) that runs its own pool of threads, by default one
per core. That is right for one process alone on the machine, and wrong when a
search trains several models at once. On a machine with 2 cores, two Dask
worker processes that each train a model with a BLAS pool of 2 threads keep 4
threads busy on 2 cores: the threads take turns, every switch evicts the other
product's data from the caches, and OpenBLAS threads that wait for each other
spin instead of sleeping. The search then runs slower than with one process,
and erratically so (see ``docs/performance.md``: a single product took up to
30 times longer when the machine was shared). The cure is to give every task
no more BLAS threads than its share of the cores: with ``w`` worker processes
of ``t`` threads each on a host of ``c`` cores, ``max(1, c // (w * t))``.

:class:`BLASThreadLimit` is a ``distributed`` worker plugin that applies such
a limit with :func:`threadpoolctl.threadpool_limits` in each worker when the
worker starts (or when the plugin is registered, for workers already running),
and :func:`limit_blas_threads` registers it on a client::

    from distributed import Client
    from sknnscratch.parallel import limit_blas_threads

    client = Client("tcp://scheduler:8786")
    limit_blas_threads(client)  # {worker address: BLAS threads}

Dask's nanny (the process that starts each worker) already sets
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` to 1 in
new workers by default (the ``distributed.nanny.pre-spawn-environ`` setting),
so with nanny-started workers the plugin mostly makes that limit explicit and
checkable (:func:`worker_blas_threads`). It matters when workers start without
a nanny or with that setting changed, when the environment of the workers sets
other values, and when a host has more cores than worker threads: there it
raises the limit from 1 to the worker's share of the cores.

This module is not imported by ``import sknnscratch``; it needs the optional
``dask`` extra (``pip install "sknnscratch[dask]"``) for everything but
:func:`default_blas_threads`.
"""

import os

from threadpoolctl import threadpool_info, threadpool_limits

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the optional dask extra is not installed
    WorkerPlugin = object
    _HAVE_DISTRIBUTED = False
else:
    _HAVE_DISTRIBUTED = True

__all__ = [
    "PLUGIN_NAME",
    "BLASThreadLimit",
    "default_blas_threads",
    "limit_blas_threads",
    "worker_blas_threads",
]

#: The name under which :func:`limit_blas_threads` registers the plugin;
#: registering again under this name replaces the previous limit.
PLUGIN_NAME = "sknnscratch-blas-thread-limit"


def _require_distributed():
    if not _HAVE_DISTRIBUTED:
        raise ImportError(
            "sknnscratch.parallel needs dask.distributed: "
            'pip install "sknnscratch[dask]"'
        )


def _available_cores():
    """Cores this process may run on (CPU affinity, then ``os.cpu_count``)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _load_blas_libraries():
    """Load the BLAS libraries a fit uses (NumPy's, and SciPy's own copy)."""
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401


def default_blas_threads(threads_on_host, n_cores=None):
    """The BLAS threads per task that keep a host's cores busy, not oversubscribed.

    Parameters
    ----------
    threads_on_host : int
        Tasks that may run at once on the host: the sum of the ``nthreads`` of
        all Dask workers on it (2 for two workers of one thread each).
    n_cores : int, optional
        Cores of the host. Defaults to the cores this process may run on.

    Returns
    -------
    int
        ``max(1, n_cores // threads_on_host)``.

    Examples
    --------
    >>> default_blas_threads(2, n_cores=2)
    1
    >>> default_blas_threads(4, n_cores=16)
    4
    >>> default_blas_threads(8, n_cores=4)
    1
    """
    if threads_on_host < 1:
        raise ValueError(f"threads_on_host must be at least 1, got {threads_on_host}")
    if n_cores is None:
        n_cores = _available_cores()
    return max(1, int(n_cores) // int(threads_on_host))


class BLASThreadLimit(WorkerPlugin):
    """A Dask worker plugin that limits the BLAS and OpenMP thread pools.

    At setup (when a worker starts, or at registration for running workers)
    it loads NumPy's and SciPy's BLAS libraries and calls
    ``threadpoolctl.threadpool_limits(limits=n)`` in the worker process. For
    BLAS libraries the limit holds for the whole process, so every task of
    the worker sees it. OpenMP keeps its thread count per thread, so for
    OpenMP libraries the limit reaches only the worker's main thread; tasks
    run in other threads, which start with ``OMP_NUM_THREADS`` (1 when a Dask
    nanny started the worker).

    Parameters
    ----------
    n_threads : int, optional
        Threads per BLAS pool. By default each worker computes
        :func:`default_blas_threads` from the cores of its host and the
        threads of all workers the scheduler knows on that host (including
        itself), so register the plugin once the workers have joined.

    Attributes
    ----------
    limit : int
        Set in the worker by ``setup``: the number of threads applied there.

    See Also
    --------
    limit_blas_threads : register this plugin on a client.
    """

    name = PLUGIN_NAME

    def __init__(self, n_threads=None):
        _require_distributed()
        if n_threads is not None and int(n_threads) < 1:
            raise ValueError(f"n_threads must be at least 1, got {n_threads}")
        self.n_threads = None if n_threads is None else int(n_threads)
        self.limit = None
        self._limiter = None

    async def setup(self, worker):
        """Apply the limit in ``worker``'s process."""
        # threadpoolctl acts on the libraries loaded so far: load both BLAS
        # libraries now, or one loaded later by a task keeps its default pool.
        _load_blas_libraries()
        n = self.n_threads
        if n is None:
            n = await self._default_limit(worker)
        self.limit = n
        self._limiter = threadpool_limits(limits=n)

    async def _default_limit(self, worker):
        from dask.system import CPU_COUNT  # affinity and cgroup quotas, too
        from distributed.comm import get_address_host

        host = get_address_host(worker.address)
        nthreads = await worker.scheduler.ncores()  # {address: threads}, all workers
        others = sum(
            n
            for address, n in nthreads.items()
            if address != worker.address and get_address_host(address) == host
        )
        return default_blas_threads(others + worker.state.nthreads, CPU_COUNT)

    def teardown(self, worker):
        """Restore the thread pools to what they were before ``setup``."""
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter = None


def _limit_of(dask_worker, name):
    return dask_worker.plugins[name].limit


def limit_blas_threads(client, n_threads=None):
    """Limit the BLAS threads of every worker of ``client``'s cluster.

    Registers a :class:`BLASThreadLimit` plugin under :data:`PLUGIN_NAME`:
    workers that join later get the limit when they start, and a new call
    replaces the previous limit.

    Parameters
    ----------
    client : distributed.Client
        A client connected to the cluster.
    n_threads : int, optional
        Threads per BLAS pool; by default each worker's share of the cores of
        its host (see :class:`BLASThreadLimit`).

    Returns
    -------
    dict of str to int
        The limit applied in each worker, by worker address.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1)  # doctest: +SKIP
    >>> client = Client(cluster)  # doctest: +SKIP
    >>> limit_blas_threads(client)  # on 2 cores  # doctest: +SKIP
    {'tcp://127.0.0.1:40331': 1, 'tcp://127.0.0.1:41529': 1}
    """
    # Raises the worker's exception if the setup failed in any worker.
    client.register_plugin(BLASThreadLimit(n_threads), name=PLUGIN_NAME)
    return client.run(_limit_of, name=PLUGIN_NAME)


def _blas_threads_here():
    _load_blas_libraries()
    return {
        os.path.basename(info["filepath"]): info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def worker_blas_threads(client):
    """The threads of each BLAS library, as a task on each worker sees them.

    A check for :func:`limit_blas_threads`: it runs a small task on every
    worker (in the worker's task threads, where fits run) and reads
    :func:`threadpoolctl.threadpool_info`.

    Parameters
    ----------
    client : distributed.Client
        A client connected to the cluster.

    Returns
    -------
    dict of str to dict of str to int
        By worker address: the file name of each loaded BLAS library and the
        number of threads of its pool.
    """
    _require_distributed()
    futures = {
        address: client.submit(
            _blas_threads_here, workers=[address], allow_other_workers=False, pure=False
        )
        for address in sorted(client.ncores())
    }
    return {address: future.result() for address, future in futures.items()}
