r"""Scores computed by the engine on its own outputs (no label decoding).

Every metric is a pair of small functions, so that a score over a whole epoch
can be accumulated batch by batch, exactly:

``statistics(Y, output, out_activation, sample_weight)``
    A 1-D array of sums over the rows of one batch. The statistics of two
    batches add up to those of their union.
``from_statistics(stats)``
    The score from summed statistics.

``accuracy`` (classifiers)
    The weighted fraction of rows whose predicted labels all match ``Y``: the
    arg-max class for a softmax output, and for logistic outputs (binary or
    multilabel) every output thresholded at 0.5 (the exact-match accuracy that
    scikit-learn's ``score`` reports for multilabel data). Statistics:
    :math:`(\sum_i s_i [\hat y_i = y_i],\ \sum_i s_i)`.

``r2`` (regressors)
    The coefficient of determination, averaged uniformly over the outputs as
    scikit-learn's ``r2_score`` does:

    .. math::

        R^2_k = 1 - \frac{\sum_i s_i (y_{ik} - a_{ik})^2}
                         {\sum_i s_i (y_{ik} - \bar y_k)^2}

    The denominator needs the mean, which is not known batch by batch; but
    :math:`\sum_i s_i (y_{ik} - \bar y_k)^2 = \sum_i s_i y_{ik}^2 -
    (\sum_i s_i y_{ik})^2 / \sum_i s_i`, so the statistics are the sums
    :math:`\sum s_i (y - a)^2`, :math:`\sum s_i y`, :math:`\sum s_i y^2` per
    output and :math:`\sum s_i`, accumulated in float64. A constant target
    scores 1 when predicted exactly and 0 otherwise (scikit-learn's
    ``force_finite``).
"""

from typing import NamedTuple

import numpy as np

__all__ = ["METRICS", "Metric", "accuracy", "r2"]


class Metric(NamedTuple):
    """A score as a pair of functions (see the module docstring)."""

    statistics: callable
    from_statistics: callable

    def __call__(self, Y, output, out_activation, sample_weight=None):
        """The score of one set of rows."""
        return self.from_statistics(
            self.statistics(Y, output, out_activation, sample_weight)
        )


def _weights(n_rows, sample_weight):
    if sample_weight is None:
        return np.ones(n_rows)
    return np.asarray(sample_weight, dtype=np.float64)


def accuracy_statistics(Y, output, out_activation, sample_weight=None):
    """Weighted count of exactly right rows, and the total weight."""
    if out_activation == "softmax":
        correct = output.argmax(axis=1) == Y.argmax(axis=1)
    else:
        correct = ((output > 0.5) == (Y > 0.5)).all(axis=1)
    if sample_weight is None:  # every batch of an unweighted fit: just count
        return np.array([np.count_nonzero(correct), len(correct)], dtype=np.float64)
    weights = _weights(len(correct), sample_weight)
    return np.array([weights @ correct, weights.sum()])


def accuracy_from_statistics(stats):
    """Right rows over all rows (weighted); None when all weights are zero."""
    correct, total = stats
    return float(correct / total) if total > 0 else None


def r2_statistics(Y, output, out_activation, sample_weight=None):
    r"""Per output :math:`\sum s (y-a)^2`, :math:`\sum s y`, :math:`\sum s y^2`;
    then :math:`\sum s`."""
    weights = _weights(len(Y), sample_weight)
    Y = np.asarray(Y, dtype=np.float64)
    residual = Y - output
    return np.concatenate(
        [
            weights @ (residual * residual),
            weights @ Y,
            weights @ (Y * Y),
            [weights.sum()],
        ]
    )


def r2_from_statistics(stats):
    """Uniform average over outputs of :math:`R^2`; None for zero weight."""
    *per_output, total = stats
    if not total > 0:
        return None
    squared_error, y_sum, y_squared_sum = np.reshape(per_output, (3, -1))
    # Clipped at 0: rounding can make a constant column's sum of squares a
    # tiny negative number.
    total_squares = np.maximum(y_squared_sum - y_sum * y_sum / total, 0.0)
    scores = np.where(
        total_squares > 0,
        1 - squared_error / np.where(total_squares > 0, total_squares, 1.0),
        np.where(squared_error == 0, 1.0, 0.0),
    )
    return float(scores.mean())


#: Metrics keyed by the name they have in ``history_`` ('accuracy',
#: 'val_accuracy'; 'r2', 'val_r2').
METRICS = {
    "accuracy": Metric(accuracy_statistics, accuracy_from_statistics),
    "r2": Metric(r2_statistics, r2_from_statistics),
}

accuracy = METRICS["accuracy"]
r2 = METRICS["r2"]
