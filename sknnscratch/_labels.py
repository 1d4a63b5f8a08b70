"""Classification targets: labels to the network's target matrix, and back.

ScratchMLPClassifier trains on an indicator matrix ``Y`` (one byte per entry)
and predicts labels from the network's output. The kind of target decides
the output layer:

===================== ================= ======================== ==========
kind (``_label_type``) example labels    target matrix            output
===================== ================= ======================== ==========
single                one class         a column of ones         logistic
binary                two classes       one column: 1 = classes_[1] logistic
multiclass            three or more     one-hot, one column each softmax
multilabel-indicator  a 0/1 matrix      the matrix itself        logistic
===================== ================= ======================== ==========

Stateless functions of the labels and the fitted ``classes_``; the estimator
calls them and keeps the results as its fitted attributes.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

__all__ = [
    "OUTPUT_ACTIVATION",
    "check_same_kind",
    "checked_labels",
    "class_index",
    "class_weight_per_class",
    "class_weighted",
    "indicator_matrix",
    "label_metadata",
    "label_types",
    "n_outputs",
    "one_hot",
    "same_classes",
]

#: Output activation for each kind of classification target.
OUTPUT_ACTIVATION = {
    "single": "logistic",
    "binary": "logistic",
    "multiclass": "softmax",
    "multilabel-indicator": "logistic",
}

#: The kind of a (not multilabel) target by its number of classes; more than
#: two is 'multiclass'.
LABEL_TYPE_BY_COUNT = {1: "single", 2: "binary"}


def checked_labels(y, name):
    """Labels as a 1-d array (or an indicator matrix), and their kind."""
    if sp.issparse(y):
        # A sparse indicator matrix, as scikit-learn accepts; the network
        # trains on a dense one (one byte per entry).
        y = y.toarray()
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    return y, type_of_target(y, input_name=name)


def label_metadata(y, y_type, classes, incremental):
    """``(classes_, kind of target)`` from the first fit's labels."""
    if y_type == "multilabel-indicator":
        return np.arange(y.shape[1]), y_type
    if incremental and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    classes = unique_labels(y if classes is None else classes)
    # One class is accepted, as by scikit-learn: every prediction is that
    # class, with probability 1.
    return classes, LABEL_TYPE_BY_COUNT.get(len(classes), "multiclass")


def check_same_kind(label_type, y_type, name):
    """Refuse multilabel targets for a model fitted on labels, and the reverse."""
    if (y_type == "multilabel-indicator") != (label_type == "multilabel-indicator"):
        raise ValueError(
            f"{name} is {y_type} but the model was fitted on {label_type} targets."
        )


def indicator_matrix(y, n_labels, name):
    """A multilabel ``y`` as a 0/1 matrix; other values are refused.

    ``type_of_target`` calls any matrix of two integer values an indicator
    (-1/+1, 0/2); training on those values as if they were 0/1 would learn
    something else without a word.
    """
    y = np.asarray(y)
    if y.shape[1] != n_labels:
        raise ValueError(f"{name} has {y.shape[1]} labels, the model {n_labels}.")
    values = np.unique(y)
    if not np.isin(values, (0, 1)).all():
        raise ValueError(
            f"A multilabel indicator {name} must hold only 0 and 1 (or "
            f"booleans); it holds {values.tolist()}."
        )
    return y.astype(np.uint8)


def class_index(classes, y, name):
    """Index of each label of ``y`` in ``classes``; unknown labels raise."""
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        # scikit-learn's wording, so that a match= written for it matches.
        raise ValueError(
            f"`{name}` has classes not in `self.classes_`. `self.classes_` has "
            f"{classes}. '{name}' has {unique_labels(y)}."
        )
    return index


def one_hot(index, n_classes, label_type):
    """The indicator matrix the network trains on, from class indices.

    One byte per entry (0 or 1), not a float: a float copy would be the
    largest array a fit allocates after the data (2.3 MiB for MNIST in
    float32, against 0.6 MiB). Every use in the engine combines it with float
    arrays, which promotes it exactly. ``uint8`` rather than ``bool``: the
    binary log-loss computes ``1 - Y``.
    """
    if label_type == "single":
        return np.ones((len(index), 1), dtype=np.uint8)
    if label_type == "binary":
        return (index == 1)[:, None].astype(np.uint8)
    return np.eye(n_classes, dtype=np.uint8)[index]


def class_weight_per_class(class_weight, classes):
    """A ``class_weight`` dict as one weight per class of ``classes``.

    Each weight must be a finite number of at least 0, and one at least
    positive: a negative weight would train the model to misclassify its
    class, and all zeros train nothing. Classes the dict leaves out weigh 1.
    (The command line checks ``--class-weight`` with it too, against the ten
    digits.)
    """
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has classes not in the data: {sorted(unknown)}."
        )
    for label, weight in class_weight.items():
        if not (
            isinstance(weight, Real)
            and not isinstance(weight, bool)
            and np.isfinite(weight)
            and weight >= 0
        ):
            raise ValueError(
                f"class_weight of class {label!r} must be a finite number of at "
                f"least 0, got {weight!r}."
            )
    per_class = np.array(
        [class_weight.get(c, 1.0) for c in classes.tolist()], dtype=np.float64
    )
    if not per_class.any():
        raise ValueError(
            "class_weight gives every class a weight of 0: nothing to learn."
        )
    return per_class


def class_weighted(class_weight, classes, sample_weight, Y, index, counts):
    """Sample weights times class weights, and the class counts to keep.

    Parameters
    ----------
    class_weight : dict or 'balanced'
    classes : ndarray
        The fitted ``classes_``.
    sample_weight : ndarray
        Checked sample weights (ones if none were given), in the training
        dtype, which the result keeps.
    Y : ndarray
        The target matrix (used for multilabel targets).
    index : ndarray or None
        The class index of every row; None for multilabel targets.
    counts : ndarray or None
        For 'balanced' in ``partial_fit``: the (weighted) rows per class of
        the earlier calls, to which this call's are added, since one chunk's
        counts need not reflect the data's. None otherwise.

    Returns
    -------
    weights : ndarray
    counts : ndarray or None
        With 'balanced' (not multilabel): the rows per class counted so far.
    """
    dtype = sample_weight.dtype
    if index is None:  # multilabel
        if not isinstance(class_weight, str):
            raise ValueError(
                "A class_weight dict is not supported for multilabel targets; "
                "use class_weight='balanced' or sample_weight."
            )
        return (compute_sample_weight("balanced", Y) * sample_weight).astype(
            dtype
        ), None
    if isinstance(class_weight, str):  # 'balanced'
        counts = np.bincount(index, weights=sample_weight, minlength=len(classes)) + (
            0 if counts is None else counts
        )
        per_class = counts.sum() / (len(classes) * np.maximum(counts, 1e-12))
    else:
        counts = None
        per_class = class_weight_per_class(class_weight, classes)
    weights = per_class[index].astype(dtype) * sample_weight
    if not weights.sum() > 0:
        raise ValueError(
            "Every row weighs 0 once class_weight multiplies sample_weight: "
            "nothing to learn."
        )
    return weights, counts


def label_types(fitted):
    """The kinds of target ``classes_`` can belong to (a schema rule)."""
    count = len(fitted["classes_"])
    return {"multilabel-indicator", LABEL_TYPE_BY_COUNT.get(count, "multiclass")}


def n_outputs(fitted):
    """Output units: one for a single class or two classes, else one per class
    (a schema rule)."""
    single_output = fitted["_label_type"] in ("single", "binary")
    return 1 if single_output else len(fitted["classes_"])


def same_classes(classes, y):
    """Refuse a warm-start ``y`` whose classes are not the fitted ``classes``
    (scikit-learn's error, in its words)."""
    seen = unique_labels(y)
    if set(seen.tolist()) != set(classes.tolist()):
        raise ValueError(
            "warm_start can only be used where `y` has the same classes "
            "as in the previous call to fit. Previously got "
            f"{classes}, `y` has {seen}"
        )
