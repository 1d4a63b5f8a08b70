"""``sknnscratch._labels``: classification targets to the network's target
matrix, class indices and class weights, on hand-made labels."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight

from sknnscratch._labels import (
    OUTPUT_ACTIVATION,
    check_same_kind,
    checked_labels,
    class_index,
    class_weight_per_class,
    class_weighted,
    indicator_matrix,
    label_metadata,
    one_hot,
)

INDICATOR = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 1]])


# --- labels and their kind --------------------------------------------------------


def test_checked_labels_passes_labels_through_with_their_kind():
    y, kind = checked_labels(np.array(["b", "a", "b"]), "y")
    assert_array_equal(y, ["b", "a", "b"])
    assert kind == "binary"
    assert checked_labels(np.array([0, 2, 1]), "y")[1] == "multiclass"


def test_checked_labels_ravels_a_column_with_scikit_learns_warning():
    with pytest.warns(DataConversionWarning):
        y, kind = checked_labels(np.array([[0], [1], [2]]), "y")
    assert y.shape == (3,) and kind == "multiclass"


def test_checked_labels_makes_a_sparse_indicator_dense():
    y, kind = checked_labels(sp.csr_matrix(INDICATOR), "y")
    assert isinstance(y, np.ndarray) and kind == "multilabel-indicator"
    assert_array_equal(y, INDICATOR)


def test_checked_labels_refuses_continuous_targets():
    with pytest.raises(ValueError, match="Unknown label type"):
        checked_labels(np.array([0.5, 1.5, 2.0]), "y")


@pytest.mark.parametrize(
    "classes, expected_classes, kind",
    [
        (None, [3], "single"),
        ([7, 3], [3, 7], "binary"),
        ([3, 9, 7], [3, 7, 9], "multiclass"),  # a class y does not hold yet
    ],
)
def test_label_metadata_counts_the_classes(classes, expected_classes, kind):
    found, found_kind = label_metadata(np.array([3, 3]), "binary", classes, False)
    assert_array_equal(found, expected_classes)
    assert found_kind == kind
    # Every kind has its output activation.
    assert OUTPUT_ACTIVATION[found_kind] in ("logistic", "softmax")


def test_label_metadata_of_an_indicator_numbers_its_columns():
    classes, kind = label_metadata(INDICATOR, "multilabel-indicator", None, True)
    assert_array_equal(classes, [0, 1, 2])
    assert kind == "multilabel-indicator"


def test_the_first_partial_fit_needs_the_classes():
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        label_metadata(np.array([0, 1]), "binary", None, True)


@pytest.mark.parametrize(
    "fitted, given",
    [("multilabel-indicator", "binary"), ("multiclass", "multilabel-indicator")],
)
def test_check_same_kind_refuses_switching_to_or_from_multilabel(fitted, given):
    with pytest.raises(ValueError, match=f"y_val is {given} but .* on {fitted}"):
        check_same_kind(fitted, given, "y_val")


def test_check_same_kind_lets_labels_change_in_number():
    # binary labels for a multiclass model are still labels (class_index
    # decides whether they are known).
    check_same_kind("multiclass", "binary", "y")
    check_same_kind("multilabel-indicator", "multilabel-indicator", "y")


# --- indicator matrices -----------------------------------------------------------


def test_indicator_matrix_is_one_byte_per_entry():
    Y = indicator_matrix(INDICATOR.astype(bool), 3, "y")
    assert Y.dtype == np.uint8
    assert_array_equal(Y, INDICATOR)


def test_indicator_matrix_must_have_the_fitted_number_of_labels():
    with pytest.raises(ValueError, match="y_val has 3 labels, the model 4"):
        indicator_matrix(INDICATOR, 4, "y_val")


@pytest.mark.parametrize(
    "encode, found",
    [(lambda Y: 2 * Y - 1, r"\[-1, 1\]"), (lambda Y: 2 * Y, r"\[0, 2\]")],
)
def test_indicator_matrix_refuses_values_other_than_0_and_1(encode, found):
    with pytest.raises(ValueError, match=f"must hold only 0 and 1.*holds {found}"):
        indicator_matrix(encode(INDICATOR), 3, "y")


# --- class indices and one-hot targets --------------------------------------------


def test_class_index_finds_every_label():
    classes = np.array(["ant", "bee", "cat"])
    index = class_index(classes, np.array(["cat", "ant", "cat", "bee"]), "y")
    assert_array_equal(index, [2, 0, 2, 1])
    assert_array_equal(
        class_index(np.array([-1, 4, 10]), np.array([10, -1]), "y"), [2, 0]
    )


@pytest.mark.parametrize("unknown", ["aardvark", "bat", "zebra"])
def test_class_index_refuses_unknown_labels_in_scikit_learns_words(unknown):
    # Before the first class, between two, and after the last.
    classes = np.array(["ant", "bee", "cat"])
    with pytest.raises(ValueError, match="`y_val` has classes not in `self.classes_`"):
        class_index(classes, np.array(["ant", unknown]), "y_val")


@pytest.mark.parametrize(
    "kind, n_classes, index, expected",
    [
        ("single", 1, [0, 0, 0], [[1], [1], [1]]),
        ("binary", 2, [0, 1, 1], [[0], [1], [1]]),  # one column: 1 is classes_[1]
        # Class 2 has no row here, and keeps its column.
        ("multiclass", 4, [0, 1, 3], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    ],
)
def test_one_hot_for_each_kind_of_target(kind, n_classes, index, expected):
    Y = one_hot(np.array(index), n_classes, kind)
    assert Y.dtype == np.uint8
    assert_array_equal(Y, expected)


# --- class weights ----------------------------------------------------------------


def test_class_weight_per_class_in_the_order_of_the_classes():
    classes = np.array(["ant", "bee", "cat"])
    per_class = class_weight_per_class({"cat": 3, "ant": 0.5}, classes)
    assert per_class.dtype == np.float64
    assert_array_equal(per_class, [0.5, 1.0, 3.0])  # bee is left out: 1


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({"dog": 2.0}, r"classes not in the data: \['dog'\]"),
        ({"bee": -1.0}, "class 'bee' must be a finite number of at least 0"),
        ({"bee": np.nan}, "class 'bee' must be a finite number"),
        ({"bee": np.inf}, "class 'bee' must be a finite number"),
        ({"bee": True}, "class 'bee' must be a finite number"),
        ({"bee": "2"}, "class 'bee' must be a finite number"),
        ({"ant": 0, "bee": 0, "cat": 0.0}, "every class a weight of 0"),
    ],
)
def test_class_weight_per_class_refuses_bad_weights(class_weight, match):
    with pytest.raises(ValueError, match=match):
        class_weight_per_class(class_weight, np.array(["ant", "bee", "cat"]))


def test_class_weighted_multiplies_sample_weights_by_a_dict():
    classes = np.array([0, 1, 2])
    sample_weight = np.array([1.0, 2.0, 1.0, 4.0], dtype=np.float32)
    weights, counts = class_weighted(
        {0: 3.0, 2: 0.5}, classes, sample_weight, None, np.array([0, 0, 1, 2]), None
    )
    assert weights.dtype == np.float32 and counts is None
    assert_array_equal(weights, [3.0, 6.0, 1.0, 2.0])


def test_balanced_weights_count_the_classes_across_partial_fit_calls():
    classes = np.array([0, 1, 2])
    # First call: 3 rows of class 0, 1 of class 1, none of class 2 (which
    # counts among the classes all the same, as it may come in a later call):
    # n / (n_classes * count) = 4 / (3 * 3) and 4 / (3 * 1).
    index = np.array([0, 0, 0, 1])
    weights, counts = class_weighted("balanced", classes, np.ones(4), None, index, None)
    assert_array_equal(counts, [3, 1, 0])
    assert_allclose(weights, [4 / 9, 4 / 9, 4 / 9, 4 / 3])
    # Second call: two rows of class 2, weighed by the counts of both calls,
    # [3, 1, 2] of 6 rows: 6 / (3 * 2) = 1 each.
    weights, counts = class_weighted(
        "balanced", classes, np.ones(2), None, np.array([2, 2]), counts
    )
    assert_array_equal(counts, [3, 1, 2])
    assert_allclose(weights, [1.0, 1.0])


def test_balanced_counts_are_weighted_by_the_sample_weights():
    # Weighted counts [1 + 3, 2] of 6: per class 6 / (2 * 4) and 6 / (2 * 2).
    sample_weight = np.array([1.0, 3.0, 2.0])
    weights, counts = class_weighted(
        "balanced", np.array(["a", "b"]), sample_weight, None, np.array([0, 0, 1]), None
    )
    assert_array_equal(counts, [4.0, 2.0])
    assert_allclose(weights, [0.75 * 1, 0.75 * 3, 1.5 * 2])


def test_multilabel_targets_are_balanced_label_by_label():
    sample_weight = np.array([1.0, 2.0, 1.0, 1.0])
    weights, counts = class_weighted(
        "balanced", np.arange(3), sample_weight, INDICATOR, None, None
    )
    assert counts is None
    expected = compute_sample_weight("balanced", INDICATOR) * sample_weight
    assert_allclose(weights, expected)


def test_multilabel_targets_refuse_a_class_weight_dict():
    with pytest.raises(ValueError, match="dict is not supported for multilabel"):
        class_weighted({0: 2.0}, np.arange(3), np.ones(4), INDICATOR, None, None)


def test_class_weights_that_zero_every_row_are_refused():
    with pytest.raises(ValueError, match="Every row weighs 0"):
        class_weighted(
            {0: 0.0}, np.array([0, 1]), np.ones(2), None, np.array([0, 0]), None
        )
