"""Scores computed by the engine on its own outputs (no label decoding).

``accuracy(Y, output, out_activation, sample_weight)`` compares an indicator
target matrix with the network's output: the arg-max class for a softmax
output, and, for logistic outputs (binary or multilabel), every output
thresholded at 0.5 (the exact-match accuracy that scikit-learn's ``score``
reports for multilabel data).
"""

import numpy as np

__all__ = ["accuracy"]


def accuracy(Y, output, out_activation, sample_weight=None):
    """(Weighted) fraction of rows whose predicted labels all match ``Y``."""
    if out_activation == "softmax":
        correct = output.argmax(axis=1) == Y.argmax(axis=1)
    else:
        correct = ((output > 0.5) == (Y > 0.5)).all(axis=1)
    return float(np.average(correct, weights=sample_weight))
