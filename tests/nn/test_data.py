"""``sknnscratch.nn.data``: a dataset's rows, and the mini-batches of an epoch.

Every row of the hand-made dataset says which it is: row i of X is
(3i, 3i + 1, 3i + 2), its target is i and its weight i / 2.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sknnscratch.nn.data import Dataset, minibatches


def numbered_rows(n=10, sparse=False, weighted=True):
    X = np.arange(3.0 * n).reshape(n, 3)
    weights = np.arange(n) / 2 if weighted else None
    return Dataset(sp.csr_matrix(X) if sparse else X, np.arange(n)[:, None], weights)


def dense(X):
    return X.toarray() if sp.issparse(X) else X


def row_ids(batch):
    """Which rows a batch holds, read off X, Y and the weights alike."""
    from_x = dense(batch.X)[:, 0] / 3
    assert_array_equal(from_x, batch.Y[:, 0])
    if batch.sample_weight is not None:
        assert_array_equal(batch.sample_weight, batch.Y[:, 0] / 2)
    return batch.Y[:, 0].tolist()


def test_len_counts_rows():
    assert len(numbered_rows(7)) == 7
    assert len(numbered_rows(7, sparse=True)) == 7


@pytest.mark.parametrize("sparse", [False, True])
def test_rows_by_slice_and_by_index_keep_x_y_and_weights_together(sparse):
    data = numbered_rows(sparse=sparse)
    assert row_ids(data.rows(slice(2, 5))) == [2, 3, 4]
    picked = data.rows(np.array([7, 0, 7]))
    assert row_ids(picked) == [7, 0, 7]
    assert sp.issparse(picked.X) == sparse


def test_rows_without_weights_have_none():
    assert numbered_rows(weighted=False).rows(np.array([1, 2])).sample_weight is None


def test_rows_gather_into_the_buffer_given():
    data = numbered_rows()
    buffer = np.full((4, 3), -1.0)
    picked = data.rows(np.array([9, 4, 1]), buffer)
    assert row_ids(picked) == [9, 4, 1]
    assert np.shares_memory(picked.X, buffer)
    assert_array_equal(buffer[3], -1.0)  # the rows it does not need: untouched
    # Sparse rows are not gathered into a dense buffer.
    picked = numbered_rows(sparse=True).rows(np.array([9, 4]), buffer)
    assert sp.issparse(picked.X) and row_ids(picked) == [9, 4]


@pytest.mark.parametrize("sparse", [False, True])
def test_minibatches_in_row_order_cover_every_row_once(sparse):
    batches = list(minibatches(numbered_rows(sparse=sparse), 4))
    assert [row_ids(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("sparse", [False, True])
def test_minibatches_in_a_given_order_cover_every_row_once(sparse):
    order = np.array([3, 9, 0, 6, 1, 8, 2, 7, 5, 4])
    batches = list(minibatches(numbered_rows(sparse=sparse), 4, order))
    # Consecutive runs of the order, the last one short.
    assert [row_ids(b) for b in batches] == [
        [3, 9, 0, 6],
        [1, 8, 2, 7],
        [5, 4],
    ]


def test_minibatches_gather_every_shuffled_batch_into_one_buffer():
    order = np.random.default_rng(0).permutation(10)
    buffer = np.empty((4, 3))
    seen, sizes = [], []
    for batch in minibatches(numbered_rows(), 4, order, buffer):
        # Every batch is a view of the buffer: read it before the next one.
        assert np.shares_memory(batch.X, buffer)
        sizes.append(len(batch))
        seen.extend(row_ids(batch))
    assert sizes == [4, 4, 2]
    assert seen == order.tolist()


def test_a_batch_larger_than_the_data_is_one_batch():
    batches = list(minibatches(numbered_rows(3), 200))
    assert [row_ids(b) for b in batches] == [[0, 1, 2]]


def test_no_rows_no_batches():
    assert list(minibatches(numbered_rows(0), 4)) == []
