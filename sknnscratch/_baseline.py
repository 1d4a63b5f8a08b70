"""A deliberately naive baseline classifier to compare neural networks against."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._fitted_state import Labels, Tensor, input_state

__all__ = ["AverageDarknessClassifier"]


class AverageDarknessClassifier(ClassifierMixin, BaseEstimator):
    """Classify a sample by how dark it is on average.

    The baseline from chapter 1 of Michael Nielsen's "Neural Networks and
    Deep Learning": the *darkness* of a sample is the mean of its features
    (for an image, its mean pixel value).  Fitting computes the mean darkness
    of each class; prediction picks the class whose mean darkness is closest
    to the sample's own.  Every sample is thus reduced to a single number,
    so the classifier is weak by design: it gets about 22% accuracy on
    MNIST, where guessing gets 10% and a small neural network over 95%.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit``, sorted.
    class_darkness_ : ndarray of shape (n_classes,), dtype float64
        The (sample-weighted) mean darkness of each class, in the order of
        ``classes_``.  NaN for a class whose sample weights sum to zero,
        which is then never predicted, just as if its samples were absent.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``.  Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    sklearn.dummy.DummyClassifier : Baselines that ignore the features.

    Notes
    -----
    Darkness is the plain mean of the features, so features on different
    scales, or negative values, make it meaningless; the classifier is
    meant for images whose pixels all measure ink the same way.  Ties
    between two equally close classes go to the one that comes first in
    ``classes_``.

    References
    ----------
    .. [1] M. A. Nielsen, "Neural Networks and Deep Learning", Determination
       Press, 2015, chapter 1, http://neuralnetworksanddeeplearning.com/chap1.html

    Examples
    --------
    >>> import numpy as np
    >>> from sknnscratch._baseline import AverageDarknessClassifier
    >>> X = np.array([[0, 0], [0, 2], [8, 10], [10, 10]])
    >>> y = np.array(["light", "light", "dark", "dark"])
    >>> clf = AverageDarknessClassifier().fit(X, y)
    >>> clf.class_darkness_
    array([9.5, 0.5])
    >>> clf.predict([[1, 1], [7, 9]])
    array(['light', 'dark'], dtype='<U5')
    """

    _parameter_constraints: dict = {}

    #: Every fitted attribute and its rules; model files hold exactly these
    #: (see _fitted_state.py).
    _fitted_state = {
        **input_state(),
        "classes_": Labels("classes"),
        "class_darkness_": Tensor(
            "class_darkness", (np.dtype(np.float64),), lambda f: (len(f["classes_"]),)
        ),
    }

    def _check_parameters(self):
        """Every check of the parameters alone (there are none to check)."""
        self._validate_params()

    def fit(self, X, y, sample_weight=None):
        """Compute the mean darkness of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples; sparse input must be CSR or CSC (others are
            converted to CSR).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a class's darkness is the weighted mean of
            its samples' darkness.  None weighs every sample equally.

        Returns
        -------
        self : AverageDarknessClassifier
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"])
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )

        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        darkness = _darkness(X)
        weight_sum = np.bincount(y_index, weights=sample_weight, minlength=n_classes)
        weighted_darkness_sum = np.bincount(
            y_index, weights=sample_weight * darkness, minlength=n_classes
        )
        if not np.any(weight_sum > 0):
            # Recent scikit-learn versions reject this in _check_sample_weight;
            # older ones do not, and there would be no class left to predict.
            raise ValueError("sample_weight sums to zero: no class has any weight.")
        with np.errstate(invalid="ignore", divide="ignore"):
            # 0 / 0 gives the documented NaN for classes without weight.
            self.class_darkness_ = weighted_darkness_sum / weight_sum
        self.class_darkness_[weight_sum == 0] = np.nan
        return self

    def predict(self, X):
        """Predict the class whose mean darkness is closest to each sample's.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels, taken from ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        distance = np.abs(_darkness(X)[:, np.newaxis] - self.class_darkness_)
        # Classes without weight (NaN darkness) must never win the argmin.
        distance[:, np.isnan(self.class_darkness_)] = np.inf
        return self.classes_[np.argmin(distance, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Reducing each sample to one number cannot reach the 0.83 accuracy
        # scikit-learn's common checks expect on their three 2-d blobs (it
        # gets 0.68); this tag exists for exactly such weak models.
        tags.classifier_tags.poor_score = True
        return tags


def _darkness(X):
    """Return the mean of each row of ``X`` (dense or sparse) as float64."""
    # An explicit float64 accumulator: NumPy would otherwise sum float32 rows
    # in float32 and lose precision on long rows.  np.asarray(...).ravel()
    # turns the np.matrix that scipy.sparse matrices return into a 1-d array.
    return np.asarray(X.mean(axis=1, dtype=np.float64)).ravel()
