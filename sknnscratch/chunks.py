"""Out-of-core training: feed ``partial_fit`` one chunk of rows at a time.

A data set too large for memory can still train an incremental estimator
(anything with ``partial_fit``, such as :class:`~sknnscratch.ScratchMLPClassifier`), as
long as only one chunk of it is in memory at a time. :func:`iter_chunks`
reads a source a chunk of rows at a time, and :func:`fit_chunks` trains an
estimator over those chunks for a number of epochs, visiting the chunks in a
new random order every epoch.

A source is anything row-indexable: a NumPy array, a memory-mapped ``.npy``
file (``np.load(path, mmap_mode="r")``), an HDF5 or Zarr dataset, a pandas
DataFrame (rows by position), a list, a Dask array, or a SciPy sparse matrix
in a format that slices rows (CSR; CSC and LIL too, more slowly). Sparse
formats that cannot slice rows (COO matrices, BSR, DIA) are refused with a
pointer to ``.tocsr()`` rather than converted, which would copy the whole
matrix. Slicing the source is what reads the chunk, so a memory map reads
only the pages of the chunk, and a Dask array computes only the blocks the
chunk overlaps (one ``compute`` per chunk; Dask is imported only when a Dask
array is given).

Memory: the chunk, and whatever copies the estimator makes of it, is what
the process holds, not the data set. Pages read through one memory map of a
whole file may stay in the process's resident set as clean page cache (the
kernel reclaims them when it needs the memory): ``benchmarks/bench_streaming.py``
measures the resident set, and ``tests/test_streaming.py`` checks that the
allocations stay within a few chunks.

Examples
--------
>>> import numpy as np
>>> from sknnscratch import ScratchMLPClassifier
>>> from sknnscratch.chunks import fit_chunks, iter_chunks
>>> X = np.arange(10).reshape(5, 2)
>>> [len(X_chunk) for X_chunk, _ in iter_chunks(X, chunk_size=2)]
[2, 2, 1]
>>> rng = np.random.default_rng(0)
>>> X, y = rng.random((600, 4)), rng.integers(0, 3, 600)
>>> clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
>>> clf = fit_chunks(clf, X, y, classes=[0, 1, 2], chunk_size=100, n_epochs=3,
...                  random_state=0)
>>> clf.t_
1800
"""

import math
import os
from collections.abc import Mapping

import numpy as np
from scipy.sparse import issparse

from ._utils import as_generator, check_positive_int

__all__ = ["fit_chunks", "iter_chunks"]

#: Rows per chunk when none is given.
DEFAULT_CHUNK_SIZE = 10_000


def _is_dask(obj):
    """Whether ``obj`` is a Dask collection (checked without importing Dask)."""
    module = type(obj).__module__ or ""
    return module.split(".")[0] == "dask" and hasattr(obj, "compute")


def _check_sparse(source, name):
    """Refuse a SciPy sparse matrix or array that cannot be sliced by row.

    Left to themselves, a COO matrix (and a COO array before SciPy 1.15)
    fails only at the first chunk, with "not subscriptable"; BSR fails with
    an empty NotImplementedError, and DIA has no slicing at all. Converting
    here would copy the whole matrix, which is not what out-of-core chunking
    is for, so the caller is told to convert it, once.
    """
    try:
        # In memory, so an empty slice reads nothing; it fails now exactly
        # when slicing a chunk would fail later.
        source[0:0]
    except (TypeError, NotImplementedError, IndexError):
        pass
    else:
        return
    raise TypeError(
        f"{name} is a {type(source).__name__} (SciPy sparse {source.format.upper()} "
        f"format), which cannot be sliced by row; convert it once with "
        f"{name}.tocsr() (CSR slices rows cheaply)."
    )


def _n_rows(source, name):
    """The number of rows of ``source``, or a clear error why it has none."""
    if issparse(source):
        # Before the Mapping check: a DOK matrix is a dict as well, and it
        # does slice rows.
        _check_sparse(source, name)
    elif isinstance(source, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{name} must be a row-indexable array-like (a NumPy array or "
            f"memmap, an HDF5 dataset, a Dask array, a DataFrame, a list); got "
            f"{type(source).__name__}. A file name is not opened: for a .npy "
            f"file, pass np.load(path, mmap_mode='r')."
        )
    elif source is None or isinstance(source, Mapping):
        raise TypeError(
            f"{name} must be a row-indexable array-like (a NumPy array or "
            f"memmap, an HDF5 dataset, a Dask array, a DataFrame, a list); got "
            f"{type(source).__name__}."
        )
    if _is_dask(source) and not hasattr(source, "chunks"):
        # A Dask DataFrame or Series: .iloc cannot slice rows by position.
        raise TypeError(
            f"{name} is a {type(source).__name__}, which cannot be sliced by row "
            f"position; convert it with .to_dask_array(lengths=True)."
        )
    if not hasattr(source, "__getitem__"):
        raise TypeError(
            f"{name} is not row-indexable: {type(source).__name__} does not "
            f"support slicing. Pass an array-like, such as a NumPy array, "
            f"np.load(path, mmap_mode='r'), an HDF5 dataset or a Dask array."
        )
    shape = getattr(source, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise ValueError(f"{name} is a 0-d array (a scalar); it has no rows.")
        n_rows = shape[0]
        if n_rows is None or (isinstance(n_rows, float) and math.isnan(n_rows)):
            raise ValueError(
                f"{name} has an unknown number of rows (a Dask array with unknown "
                f"chunk sizes?); call {name}.compute_chunk_sizes() first."
            )
        return int(n_rows)
    try:
        return len(source)
    except TypeError:
        raise TypeError(
            f"{name} is not row-indexable: {type(source).__name__} has neither a "
            f"shape nor a length."
        ) from None


def _check_sources(X, y, sample_weight=None):
    """The number of rows of X, checked against y's and sample_weight's."""
    n_rows = _n_rows(X, "X")
    for name, other in (("y", y), ("sample_weight", sample_weight)):
        if other is not None:
            n_other = _n_rows(other, name)
            if n_other != n_rows:
                raise ValueError(
                    f"X and {name} have different numbers of rows: {n_rows} and "
                    f"{n_other}."
                )
    return n_rows


def _chunk_order(n_chunks, shuffle, rng):
    return rng.permutation(n_chunks) if shuffle else np.arange(n_chunks)


def _read(sources, start, stop):
    """Rows start:stop of every source (None stays None), in memory.

    Dask parts are computed together, in one ``dask.compute`` call.
    """
    parts = []
    for source in sources:
        if source is None:
            parts.append(None)
        elif hasattr(source, "iloc"):  # pandas: rows by position, not by label
            parts.append(source.iloc[start:stop])
        else:
            parts.append(source[start:stop])
    lazy = [i for i, part in enumerate(parts) if _is_dask(part)]
    if lazy:
        import dask  # only reached with a Dask array, so Dask is installed

        for i, value in zip(lazy, dask.compute(*(parts[i] for i in lazy))):
            parts[i] = value
    return parts


def _iter_rows(sources, n_rows, chunk_size, order):
    for index in order:
        start = int(index) * chunk_size
        yield _read(sources, start, min(start + chunk_size, n_rows))


def iter_chunks(
    X, y=None, *, chunk_size=DEFAULT_CHUNK_SIZE, shuffle=False, random_state=None
):
    """Read ``X`` (and ``y``) one chunk of rows at a time.

    Chunk ``i`` holds rows ``i * chunk_size`` up to ``(i + 1) * chunk_size``
    (the last chunk may be shorter); every row is in exactly one chunk. A
    chunk is read only when the generator reaches it, by slicing the source:
    a memory map reads the pages of those rows, a Dask array computes the
    blocks they overlap, an HDF5 dataset reads them from the file.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Any row-indexable source: an object with ``__getitem__`` accepting a
        slice and with ``shape`` or ``len()``. NumPy arrays and memmaps,
        HDF5 and Zarr datasets, Dask arrays (with known chunk sizes), pandas
        DataFrames and Series (sliced with ``.iloc``), lists, SciPy sparse
        matrices that slice rows (CSR is the fast one).
    y : array-like of shape (n_samples, ...), default=None
        Sliced like ``X``; may be a different kind of source than ``X``.
    chunk_size : int, default=10_000
        Rows per chunk. For a Dask array, a multiple of its row block size
        (``X.chunks[0]``) means no block is computed for two chunks.
    shuffle : bool, default=False
        Whether to visit the chunks in a random order; rows inside a chunk
        keep their order.
    random_state : int, numpy.random.Generator, RandomState or None, \
default=None
        Seeds the chunk order when ``shuffle=True``, through
        ``np.random.default_rng(random_state)``: the order is
        ``rng.permutation(n_chunks)``. A Generator is used, and advanced, as
        it is. NumPy's global random state is never used.

    Yields
    ------
    X_chunk : object
        ``X[start:stop]``, of the source's own type and dtype; computed to a
        NumPy array for a Dask array. A chunk of a NumPy array or memmap is
        a view, not a copy.
    y_chunk : object or None
        ``y[start:stop]``, or None when ``y`` is None.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not row-indexable (a generator, a set, a dict, a
        string or file name, None for ``X``, a Dask DataFrame, a SciPy sparse
        matrix in COO, BSR or DIA format).
    ValueError
        If ``chunk_size`` is not an integer >= 1, if ``X`` and ``y`` have
        different numbers of rows, if ``X`` is 0-d, or if a Dask array's
        number of rows is unknown.

    Notes
    -----
    The arguments are checked when ``iter_chunks`` is called, before the
    first chunk is read.

    Examples
    --------
    >>> import numpy as np
    >>> from sknnscratch.chunks import iter_chunks
    >>> X, y = np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> for X_chunk, y_chunk in iter_chunks(X, y, chunk_size=2):
    ...     print(X_chunk.tolist(), y_chunk.tolist())
    [[0, 1], [2, 3]] [0, 1]
    [[4, 5], [6, 7]] [0, 1]
    [[8, 9]] [1]
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    n_rows = _check_sources(X, y)
    n_chunks = -(-n_rows // chunk_size)
    order = _chunk_order(n_chunks, shuffle, as_generator(random_state))
    # The checks above run now; only the reading is deferred to the generator.
    return (tuple(parts) for parts in _iter_rows((X, y), n_rows, chunk_size, order))


def fit_chunks(
    estimator,
    X,
    y=None,
    *,
    classes=None,
    chunk_size=DEFAULT_CHUNK_SIZE,
    n_epochs=1,
    shuffle=True,
    random_state=None,
    sample_weight=None,
    transform=None,
):
    """Train ``estimator`` with ``partial_fit``, one chunk of rows at a time.

    Every epoch calls ``estimator.partial_fit`` once per chunk of
    :func:`iter_chunks`, in a new random chunk order per epoch (with
    ``shuffle=True``); only one chunk is in memory at a time. The estimator
    itself shuffles the rows inside a chunk if it is set to (as
    :class:`~sknnscratch.ScratchMLPClassifier` does with ``shuffle=True``).

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Trained in place, continuing from its current state.
    X : array-like of shape (n_samples, n_features)
        A row-indexable source; see :func:`iter_chunks`.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
        Targets, sliced like ``X``; None for unsupervised estimators.
    classes : array-like of shape (n_classes,), default=None
        Every class of the whole problem, passed to every ``partial_fit``
        call (a classifier needs it on its first call, since one chunk need
        not hold every class). Not passed when None.
    chunk_size : int, default=10_000
        Rows per chunk (and per ``partial_fit`` call).
    n_epochs : int, default=1
        Passes over the whole source.
    shuffle : bool, default=True
        Whether each epoch visits the chunks in a random order. Chunk
        boundaries stay fixed, so a source sorted by class should be shuffled
        once, when it is written.
    random_state : int, numpy.random.Generator, RandomState or None, \
default=None
        Seeds the chunk orders: one ``rng = np.random.default_rng(
        random_state)`` per call, and epoch ``e`` uses the ``e``-th
        ``rng.permutation(n_chunks)``. Passing the same Generator to several
        calls (one epoch each, say, to score the model in between) continues
        its sequence. NumPy's global random state is never used. This does
        not seed the estimator, which has its own ``random_state``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sliced like ``X`` and passed to ``partial_fit``; not passed when None.
    transform : callable, default=None
        Applied to each chunk of ``X`` before ``partial_fit``, such as
        ``lambda X: X.astype(np.float32) / 255`` for uint8 images: the
        converted copy exists for one chunk at a time. It must keep the
        number of rows.

    Returns
    -------
    estimator : object
        The estimator, trained.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``partial_fit`` method, if ``transform`` is
        not callable, or if a source is not row-indexable.
    ValueError
        If ``chunk_size`` or ``n_epochs`` is not an integer >= 1, if ``X``
        has no rows, if ``X``, ``y`` and ``sample_weight`` have different
        numbers of rows, or if ``transform`` changes the number of rows.
        Whatever ``partial_fit`` raises is passed on.

    Examples
    --------
    >>> import numpy as np
    >>> from sknnscratch import ScratchMLPClassifier
    >>> from sknnscratch.chunks import fit_chunks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(500, 16), dtype=np.uint8)
    >>> y = rng.integers(0, 2, size=500)
    >>> clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    >>> clf = fit_chunks(clf, X, y, classes=[0, 1], chunk_size=100, n_epochs=2,
    ...                  random_state=0, transform=lambda X: X / 255)
    >>> clf.t_
    1000
    """
    if not callable(getattr(estimator, "partial_fit", None)):
        raise TypeError(
            f"{type(estimator).__name__} has no partial_fit method (not with its "
            f"current parameters, at least); fit_chunks needs an estimator that "
            f"learns incrementally."
        )
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable or None; got {transform!r}.")
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    n_rows = _check_sources(X, y, sample_weight)
    if n_rows == 0:
        raise ValueError("X has no rows to train on.")
    n_chunks = -(-n_rows // chunk_size)
    rng = as_generator(random_state)
    kwargs = {} if classes is None else {"classes": classes}
    for _ in range(int(n_epochs)):
        order = _chunk_order(n_chunks, shuffle, rng)
        for X_chunk, y_chunk, w_chunk in _iter_rows(
            (X, y, sample_weight), n_rows, chunk_size, order
        ):
            if transform is not None:
                rows = _n_rows(X_chunk, "X chunk")
                X_chunk = transform(X_chunk)
                if _n_rows(X_chunk, "transform(X chunk)") != rows:
                    raise ValueError(
                        f"transform changed the number of rows of a chunk from "
                        f"{rows} to {_n_rows(X_chunk, 'transform(X chunk)')}."
                    )
            if w_chunk is not None:
                kwargs["sample_weight"] = w_chunk
            estimator.partial_fit(X_chunk, y_chunk, **kwargs)
            del X_chunk, y_chunk, w_chunk  # free the chunk before reading the next
    return estimator
