"""Training data for the engine: a dataset, and its mini-batches.

A :class:`Dataset` is a design matrix ``X`` (dense or sparse), its target
matrix ``Y`` and optional sample weights. :func:`minibatches` cuts it into
the batches of one epoch, in a shuffled order or in row order, and
:func:`augmented` transforms each batch's rows (training-time augmentation).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Dataset", "TrainingData", "augmented", "minibatches"]


@dataclass
class Dataset:
    """A design matrix with its target matrix and optional sample weights."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    def __len__(self):
        return self.X.shape[0]

    def rows(self, index, x_buffer=None):
        """The rows ``index`` (a slice or integer array) as a new Dataset.

        With ``x_buffer``, dense rows picked by an integer array are gathered
        into it (reused batch after batch) instead of a fresh array.
        """
        weights = self.sample_weight
        if x_buffer is not None and not sp.issparse(self.X):
            # mode="clip": with the default "raise", NumPy gathers into a
            # temporary and copies that into ``out`` (twice the memory traffic);
            # ``index`` comes from a permutation, so it is always in range.
            X = np.take(self.X, index, axis=0, out=x_buffer[: len(index)], mode="clip")
        else:
            X = self.X[index]
        return Dataset(X, self.Y[index], None if weights is None else weights[index])


@dataclass
class TrainingData:
    """What a training run reads: the training rows, the rows scored after
    every epoch (or None), and the random stream that shuffles the rows."""

    train: Dataset
    validation: Dataset | None
    rng: np.random.Generator


def minibatches(data, batch_size, order=None, buffer=None):
    """The mini-batches of one epoch: consecutive ``batch_size`` rows of
    ``data`` taken in ``order`` (a permutation of the rows; None: row order).

    The last batch holds what is left. ``buffer`` (dense rows only) is an
    array of shape (batch_size, n_features) reused to gather every shuffled
    batch's rows; a batch is valid until the next one is drawn.
    """
    n_samples = len(data)
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        if order is None:
            yield data.rows(slice(start, stop))
        else:
            yield data.rows(order[start:stop], buffer)


def augmented(batches, transform, rng):
    """The ``batches`` with their rows replaced by ``transform(X, rng)``.

    The targets and weights are those of the original rows: a transform
    (a shifted or distorted image, say) keeps each row's meaning. Its random
    draws come from ``rng``, the run's stream, so a fit stays reproducible.
    """
    for batch in batches:
        X = transform(batch.X, rng)
        # A transform of the user's own must hand back rows the network can
        # train on; anything else would fail later with a puzzling message,
        # or train silently on other data (uint8 pixels, say).
        if not (
            isinstance(X, np.ndarray)
            and X.shape == batch.X.shape
            and X.dtype == batch.X.dtype
        ):
            got = (
                f"{X.dtype} array of shape {X.shape}"
                if isinstance(X, np.ndarray)
                else type(X).__name__
            )
            raise ValueError(
                f"augment must return an array like its input ({batch.X.dtype}, "
                f"shape {batch.X.shape}); it returned a {got}."
            )
        yield Dataset(X, batch.Y, batch.sample_weight)
