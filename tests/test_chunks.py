"""sknnscratch.chunks: reading a source a chunk of rows at a time, and training.

Covers what a chunk holds (every row once, in order, dtype kept), the kinds of
source (arrays, memmaps, h5py-like objects, pandas, lists, Dask arrays), that
a chunk is read only when it is reached (one slice, or one Dask compute, per
chunk), the seeded chunk order, the errors, and end to end: training from a
memory-mapped ``.npy`` or a Dask array gives bitwise the same weights as from
the same array in memory. How much memory streaming a large memmap takes is
tested in ``test_streaming.py``.
"""

import pathlib

import numpy as np
import pytest

from sknnscratch import ScratchMLPClassifier
from sknnscratch.chunks import fit_chunks, iter_chunks


class RecordingArray:
    """An h5py-like source: shape, dtype and slicing, logging every read."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim
        self.reads = []

    def __getitem__(self, key):
        self.reads.append(key)
        return self.array[key].copy()  # like h5py: a new array per read

    def rows_read(self):
        """(start, stop) of the non-empty row ranges read, in order."""
        spans = []
        for key in self.reads:
            rows = key[0] if isinstance(key, tuple) else key
            start, stop, _ = rows.indices(self.shape[0])
            if stop > start:
                spans.append((start, stop))
        return spans


class RecordingEstimator:
    """Records what each partial_fit call receives."""

    def __init__(self):
        self.calls = []

    def partial_fit(self, X, y=None, **kwargs):
        self.calls.append((np.asarray(X).copy(), y, kwargs))
        return self


def make_data(n_rows=23, n_features=3, dtype=np.float64):
    X = np.arange(n_rows * n_features).reshape(n_rows, n_features).astype(dtype)
    return X, np.arange(n_rows) % 4


def same_weights(a, b):
    return all(
        np.array_equal(p, q)
        for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


# --- what the chunks hold ----------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 5, 7, 23, 100])
def test_chunks_cover_every_row_once_in_order(chunk_size):
    X, y = make_data()
    chunks = list(iter_chunks(X, y, chunk_size=chunk_size))
    assert len(chunks) == -(-len(X) // chunk_size)
    assert all(len(Xc) == len(yc) == chunk_size for Xc, yc in chunks[:-1])
    assert 1 <= len(chunks[-1][0]) <= chunk_size
    np.testing.assert_array_equal(np.concatenate([Xc for Xc, _ in chunks]), X)
    np.testing.assert_array_equal(np.concatenate([yc for _, yc in chunks]), y)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64, bool])
def test_dtype_is_preserved_and_y_may_be_none(dtype):
    X, _ = make_data(dtype=dtype)
    for Xc, yc in iter_chunks(X, chunk_size=4):
        assert Xc.dtype == dtype and yc is None


def test_chunks_of_an_array_are_views_not_copies():
    X, y = make_data()
    for Xc, _ in iter_chunks(X, y, chunk_size=5):
        assert np.shares_memory(Xc, X)


def test_memmap_source(tmp_path):
    X, y = make_data(dtype=np.uint8)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    chunks = list(iter_chunks(mapped, y, chunk_size=6))
    assert all(Xc.dtype == np.uint8 and not Xc.flags.owndata for Xc, _ in chunks)
    np.testing.assert_array_equal(np.concatenate([Xc for Xc, _ in chunks]), X)


def test_h5py_like_source_is_read_one_slice_per_chunk_when_reached():
    X, y = make_data()
    source = RecordingArray(X)
    chunks = iter_chunks(source, y, chunk_size=10)
    assert source.reads == []  # nothing read before the first chunk is asked for
    for i, (Xc, _) in enumerate(chunks):
        np.testing.assert_array_equal(Xc, X[10 * i : 10 * i + 10])
        assert source.rows_read()[-1] == (10 * i, min(10 * i + 10, len(X)))
        assert len(source.reads) == i + 1


def test_pandas_source_is_sliced_by_position():
    pd = pytest.importorskip("pandas")
    X, y = make_data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=np.arange(len(X)) * 10)
    labels = pd.Series(y, index=frame.index[::-1])  # labels would mislead slicing
    chunks = list(iter_chunks(frame, labels, chunk_size=5))
    assert all(list(Xc.columns) == ["a", "b", "c"] for Xc, _ in chunks)
    np.testing.assert_array_equal(pd.concat([Xc for Xc, _ in chunks]).to_numpy(), X)
    np.testing.assert_array_equal(np.concatenate([yc for _, yc in chunks]), y)


def test_list_source():
    X, y = make_data()
    chunks = list(iter_chunks(X.tolist(), y.tolist(), chunk_size=10))
    assert [len(Xc) for Xc, _ in chunks] == [10, 10, 3]
    assert sum((yc for _, yc in chunks), []) == y.tolist()


def test_sparse_source():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = make_data()
    chunks = list(iter_chunks(sparse.csr_matrix(X), y, chunk_size=10))
    assert all(sparse.issparse(Xc) for Xc, _ in chunks)
    np.testing.assert_array_equal(sparse.vstack([Xc for Xc, _ in chunks]).toarray(), X)


# --- Dask arrays ---------------------------------------------------------------


def test_dask_source_computes_one_chunk_at_a_time():
    da = pytest.importorskip("dask.array")
    from dask.callbacks import Callback

    class CountComputes(Callback):
        def __init__(self):
            super().__init__()
            self.count = 0

        def _start(self, dsk):
            self.count += 1

    X, y = make_data(n_rows=100, dtype=np.float32)
    source = RecordingArray(X)
    lazy_X = da.from_array(source, chunks=(10, -1))
    lazy_y = da.from_array(y, chunks=10)
    source.reads.clear()  # from_array reads an empty slice for its metadata
    with CountComputes() as computes:
        chunks = iter_chunks(lazy_X, lazy_y, chunk_size=20, shuffle=True)
        for i, (Xc, yc) in enumerate(chunks):
            assert type(Xc) is np.ndarray and Xc.dtype == np.float32
            start = int(np.flatnonzero((X == Xc[0]).all(axis=1))[0])
            np.testing.assert_array_equal(Xc, X[start : start + 20])
            np.testing.assert_array_equal(yc, y[start : start + 20])
            # X and y in one compute; only the two blocks of this chunk read.
            assert computes.count == i + 1
            assert sorted(source.rows_read()[-2:]) == [
                (start, start + 10),
                (start + 10, start + 20),
            ]
    assert len(source.rows_read()) == 10  # every block read exactly once


def test_dask_source_with_unknown_chunk_sizes_is_refused():
    da = pytest.importorskip("dask.array")
    X, _ = make_data()
    lazy = da.from_array(X, chunks=(5, -1))
    lazy = lazy[lazy[:, 0] > 10]  # the number of rows is now unknown
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        iter_chunks(lazy, chunk_size=5)


def test_dask_dataframe_is_refused():
    # A stand-in: dask.dataframe needs pyarrow, and only the type is looked at.
    class DataFrame:
        __module__ = "dask.dataframe.dask_expr._collection"
        shape = (10, 1)

        def __getitem__(self, key):
            raise AssertionError("never sliced")

        def compute(self):
            raise AssertionError("never computed")

    with pytest.raises(TypeError, match="to_dask_array"):
        iter_chunks(DataFrame(), chunk_size=5)


# --- chunk order ---------------------------------------------------------------


def chunk_order(X, **kwargs):
    """Indices of the chunks of 10 rows of a make_data X, in the order read."""
    return [int(Xc[0, 0]) // 30 for Xc, _ in iter_chunks(X, chunk_size=10, **kwargs)]


def test_shuffled_chunk_order_is_seeded_and_keeps_rows_within_chunks():
    X, y = make_data(n_rows=100)
    assert chunk_order(X) == list(range(10))  # shuffle=False: in order
    # random_state=None: a fresh, unseeded order, still every chunk once.
    assert sorted(chunk_order(X, shuffle=True)) == list(range(10))
    seeded = chunk_order(X, shuffle=True, random_state=3)
    assert seeded == np.random.default_rng(3).permutation(10).tolist()
    assert chunk_order(X, shuffle=True, random_state=3) == seeded != list(range(10))
    assert chunk_order(X, shuffle=True, random_state=4) != seeded
    for Xc, yc in iter_chunks(X, y, chunk_size=10, shuffle=True, random_state=3):
        start = int(Xc[0, 0]) // 3
        np.testing.assert_array_equal(Xc, X[start : start + 10])  # rows in order
        np.testing.assert_array_equal(yc, y[start : start + 10])


def test_a_generator_continues_and_the_global_random_state_is_untouched():
    X, _ = make_data(n_rows=100)
    np.random.seed(12345)  # noqa: NPY002
    _, keys, position, *_ = np.random.get_state()  # noqa: NPY002

    rng = np.random.default_rng(7)
    first = chunk_order(X, shuffle=True, random_state=rng)
    second = chunk_order(X, shuffle=True, random_state=rng)
    expected = np.random.default_rng(7)
    assert first == expected.permutation(10).tolist()
    assert second == expected.permutation(10).tolist()
    chunk_order(X, shuffle=True, random_state=None)
    chunk_order(X, shuffle=True, random_state=np.random.RandomState(0))
    fit_chunks(RecordingEstimator(), X, chunk_size=10, n_epochs=2)
    _, keys_after, position_after, *_ = np.random.get_state()  # noqa: NPY002
    assert position_after == position
    np.testing.assert_array_equal(keys_after, keys)


@pytest.mark.parametrize(
    "random_state",
    ["seed", 1.5, [1, 2], np.random.SeedSequence(0)],
    ids=["str", "float", "list", "SeedSequence"],
)
def test_random_state_accepts_what_scikit_learn_accepts(random_state):
    # None, an int, a RandomState or a Generator (tested above); anything
    # else is refused at the call, shuffled or not, in scikit-learn's words.
    X, y = make_data(n_rows=100)
    refused = "cannot be used to seed a numpy.random.RandomState instance"
    with pytest.raises(ValueError, match=refused):
        iter_chunks(X, chunk_size=10, random_state=random_state)
    with pytest.raises(ValueError, match=refused):
        fit_chunks(RecordingEstimator(), X, y, chunk_size=10, random_state=random_state)


def test_a_random_state_instance_seeds_a_reproducible_order():
    X, _ = make_data(n_rows=100)
    orders = [
        chunk_order(X, shuffle=True, random_state=np.random.RandomState(5))
        for _ in range(2)
    ]
    assert orders[0] == orders[1]
    assert sorted(orders[0]) == list(range(10))


def test_fit_chunks_draws_a_new_chunk_order_every_epoch():
    X, y = make_data(n_rows=100)

    def orders(**kwargs):
        estimator = RecordingEstimator()
        fit_chunks(estimator, X, y, chunk_size=10, n_epochs=3, **kwargs)
        starts = [int(call[0][0, 0]) // 30 for call in estimator.calls]
        return [starts[i : i + 10] for i in range(0, 30, 10)]

    seeded = orders(random_state=0)
    rng = np.random.default_rng(0)
    assert seeded == [rng.permutation(10).tolist() for _ in range(3)]
    assert seeded[0] != seeded[1] != seeded[2]
    assert orders(random_state=0) == seeded
    assert orders(random_state=1) != seeded
    assert orders(shuffle=False) == [list(range(10))] * 3


def test_fit_chunks_passes_classes_weights_and_transformed_chunks():
    X, y = make_data(dtype=np.uint8)
    weights = np.linspace(0.5, 1.5, len(X))
    estimator = RecordingEstimator()
    fit_chunks(
        estimator,
        X,
        y,
        classes=[0, 1, 2, 3],
        chunk_size=10,
        shuffle=False,
        sample_weight=weights,
        transform=lambda chunk: chunk.astype(np.float32) / 255,
    )
    assert len(estimator.calls) == 3
    for i, (Xc, yc, kwargs) in enumerate(estimator.calls):
        rows = slice(10 * i, 10 * i + 10)
        assert Xc.dtype == np.float32
        np.testing.assert_array_equal(Xc, X[rows].astype(np.float32) / 255)
        np.testing.assert_array_equal(yc, y[rows])
        np.testing.assert_array_equal(kwargs["sample_weight"], weights[rows])
        assert kwargs["classes"] == [0, 1, 2, 3]
    # Neither is passed when not given: partial_fit(X, y) of any estimator.
    estimator = RecordingEstimator()
    fit_chunks(estimator, X, chunk_size=10)
    assert all(call[1] is None and call[2] == {} for call in estimator.calls)


# --- errors --------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [0, -3, 2.5, True, "10", None])
def test_bad_chunk_size(chunk_size):
    X, y = make_data()
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        iter_chunks(X, y, chunk_size=chunk_size)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        fit_chunks(RecordingEstimator(), X, y, chunk_size=chunk_size)


def test_lengths_must_match():
    X, y = make_data()
    with pytest.raises(ValueError, match="X and y have different numbers of rows"):
        iter_chunks(X, y[:-1], chunk_size=5)
    with pytest.raises(ValueError, match="X and sample_weight have different"):
        fit_chunks(RecordingEstimator(), X, y, sample_weight=np.ones(3))


@pytest.mark.parametrize(
    "source, error, message",
    [
        ((row for row in range(5)), TypeError, "not row-indexable"),
        (5, TypeError, "not row-indexable"),
        ({1, 2, 3}, TypeError, "not row-indexable"),
        ({"a": [1, 2]}, TypeError, "row-indexable array-like"),
        ("abcde", TypeError, "row-indexable array-like"),
        (None, TypeError, "row-indexable array-like"),
        (np.float64(3.0), ValueError, "0-d array"),
    ],
)
def test_sources_that_are_not_row_indexable(source, error, message):
    with pytest.raises(error, match=message):
        iter_chunks(source, chunk_size=2)
    if source is not None:  # y=None means no targets
        with pytest.raises(error, match="y .*" + message):
            iter_chunks(np.zeros((5, 2)), source, chunk_size=2)


SPARSE_WITHOUT_ROW_SLICING = [
    "coo_matrix",
    "bsr_matrix",
    "bsr_array",
    "dia_matrix",
    "dia_array",
]


@pytest.mark.parametrize("kind", SPARSE_WITHOUT_ROW_SLICING)
def test_sparse_formats_that_cannot_slice_rows_are_refused_at_once(kind):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = make_data()
    source = getattr(sparse, kind)(X)
    fmt = kind.split("_")[0].upper()
    for name, args in (("X", (source, y)), ("y", (X, source))):
        message = (
            rf"{name} is a {kind} \(SciPy sparse {fmt} format\), which cannot be "
            rf"sliced by row; convert it once with {name}\.tocsr\(\)"
        )
        # When called, not at the first chunk: nothing is read or trained.
        with pytest.raises(TypeError, match=message):
            iter_chunks(*args, chunk_size=5)
        estimator = RecordingEstimator()
        with pytest.raises(TypeError, match=message):
            fit_chunks(estimator, *args, chunk_size=5)
        assert estimator.calls == []
    chunks = list(iter_chunks(source.tocsr(), y, chunk_size=10))
    np.testing.assert_array_equal(sparse.vstack([c for c, _ in chunks]).toarray(), X)


@pytest.mark.parametrize("fmt", ["csr", "csc", "lil", "dok"])
@pytest.mark.parametrize("kind", ["matrix", "array"])
def test_sparse_formats_that_slice_rows_are_accepted(fmt, kind):
    # DOK is a dict too, but one that slices rows: not refused as a mapping.
    sparse = pytest.importorskip("scipy.sparse")
    X, y = make_data()
    source = getattr(sparse, f"{fmt}_{kind}")(X)
    chunks = list(iter_chunks(source, y, chunk_size=10))
    assert [c.shape[0] for c, _ in chunks] == [10, 10, 3]
    np.testing.assert_array_equal(np.vstack([c.toarray() for c, _ in chunks]), X)


@pytest.mark.parametrize(
    "path", ["X.npy", b"X.npy", pathlib.Path("X.npy")], ids=["str", "bytes", "Path"]
)
def test_file_names_are_refused_with_how_to_read_a_npy_file(path):
    message = r"A file name is not opened: for a \.npy file, pass np\.load\(path, "
    with pytest.raises(TypeError, match=r"X must be a row-indexable .*" + message):
        iter_chunks(path, chunk_size=2)
    with pytest.raises(TypeError, match=r"y must be a row-indexable .*" + message):
        fit_chunks(RecordingEstimator(), np.zeros((5, 2)), path, chunk_size=2)


def test_one_dimensional_and_empty_sources():
    # A 1-D source is chunked like y is; one without rows has no chunks
    # (fit_chunks refuses it, in test_fit_chunks_errors).
    chunks = list(iter_chunks(np.arange(5), chunk_size=2))
    assert [c.tolist() for c, _ in chunks] == [[0, 1], [2, 3], [4]]
    assert list(iter_chunks(np.zeros((0, 3)), np.zeros(0), chunk_size=2)) == []


def test_fit_chunks_errors():
    X, y = make_data()
    with pytest.raises(TypeError, match="object has no partial_fit method"):
        fit_chunks(object(), X, y)
    with pytest.raises(TypeError, match="ScratchMLPClassifier has no partial_fit"):
        fit_chunks(ScratchMLPClassifier(solver="lbfgs"), X, y)  # full batch only
    with pytest.raises(ValueError, match="n_epochs must be an integer >= 1"):
        fit_chunks(RecordingEstimator(), X, y, n_epochs=0)
    with pytest.raises(ValueError, match="X has no rows"):
        fit_chunks(RecordingEstimator(), X[:0], y[:0])
    with pytest.raises(TypeError, match="transform must be callable"):
        fit_chunks(RecordingEstimator(), X, y, transform="scale")
    with pytest.raises(ValueError, match="transform changed the number of rows"):
        fit_chunks(RecordingEstimator(), X, y, chunk_size=5, transform=lambda c: c[1:])
    # Errors of partial_fit itself pass through.
    with pytest.raises(ValueError, match="classes must be passed"):
        fit_chunks(ScratchMLPClassifier(), X, y)


# --- end to end: the same weights from every source ---------------------------


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(600, 20), dtype=np.uint8)
    y = (X[:, :10].sum(axis=1) > X[:, 10:].sum(axis=1)).astype(int) + 2 * (
        X[:, 0] > 127
    )
    return X, y


def train(X, y, **kwargs):
    model = ScratchMLPClassifier(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    return fit_chunks(
        model,
        X,
        y,
        classes=np.arange(4),
        chunk_size=100,
        n_epochs=3,
        random_state=0,
        transform=lambda chunk: chunk.astype(np.float32) / 255,
        **kwargs,
    )


def test_fit_chunks_without_shuffle_is_a_loop_of_partial_fit(digits):
    X, y = digits
    by_hand = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=50, random_state=0
    )
    for _ in range(3):
        for start in range(0, len(X), 100):
            by_hand.partial_fit(
                X[start : start + 100].astype(np.float32) / 255,
                y[start : start + 100],
                classes=np.arange(4),
            )
    assert same_weights(train(X, y, shuffle=False), by_hand)


def test_memmap_trains_bitwise_like_the_array_in_memory(digits, tmp_path):
    X, y = digits
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    in_memory = train(X, y)
    mapped = train(
        np.load(tmp_path / "X.npy", mmap_mode="r"),
        np.load(tmp_path / "y.npy", mmap_mode="r"),
    )
    assert in_memory.t_ == mapped.t_ == 3 * len(X)
    assert in_memory.coefs_[0].dtype == np.float32
    assert same_weights(mapped, in_memory)
    # The chunk order matters: another seed trains to other weights.
    assert not same_weights(train(X, y, shuffle=False), in_memory)


def test_dask_array_trains_bitwise_like_the_array_in_memory(digits, tmp_path):
    da = pytest.importorskip("dask.array")
    X, y = digits
    np.save(tmp_path / "X.npy", X)
    lazy_X = da.from_array(np.load(tmp_path / "X.npy", mmap_mode="r"), chunks=100)
    lazy_y = da.from_array(y, chunks=50)  # other blocks than X's: still aligned
    assert same_weights(train(lazy_X, lazy_y), train(X, y))
