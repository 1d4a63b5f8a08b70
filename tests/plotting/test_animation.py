"""sknnscratch.plotting._animation: the GIF of a decision boundary taking shape.

A clone is trained; the estimator passed in is left as it was.
"""

import numpy as np
import pytest
from PIL import Image

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import make_spiral
from sknnscratch.plotting import animate_decision_boundary

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def spiral():
    return make_spiral(n_samples=120, n_classes=3, random_state=0)


def test_animate_decision_boundary(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    params = model.get_params()
    path = animate_decision_boundary(
        model, X, y, tmp_path / "sub" / "movie.gif", n_frames=4, resolution=30
    )
    assert path == tmp_path / "sub" / "movie.gif"
    assert path.read_bytes()[:6] == b"GIF89a"
    with Image.open(path) as image:
        assert image.n_frames == 4
    # The estimator passed in is neither fitted nor reconfigured.
    assert not hasattr(model, "coefs_")
    assert model.get_params() == params


def test_animate_leaves_fitted_estimator_unchanged(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0
    ).fit(X, y)
    coefs = [c.copy() for c in model.coefs_]
    history = {k: list(v) for k, v in model.history_.items()}
    # early_stopping is switched off on the clone (partial_fit refuses it).
    path = animate_decision_boundary(
        model, X, y, tmp_path / "movie.gif", n_frames=2, epochs_per_frame=2
    )
    with Image.open(path) as image:
        assert image.n_frames == 2
    for before, after in zip(coefs, model.coefs_):
        np.testing.assert_array_equal(before, after)
    assert model.history_ == history
    assert model.early_stopping is True


def test_animate_bad_input(spiral, tmp_path):
    X, y = spiral
    model = ScratchMLPClassifier(hidden_layer_sizes=(4,))
    path = tmp_path / "movie.gif"
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        animate_decision_boundary(model, np.c_[X, X[:, 0]], y, path)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        animate_decision_boundary(model, X[:, 0], y, path)
    with pytest.raises(ValueError, match="one label per row"):
        animate_decision_boundary(model, X, y[:-1], path)
    with pytest.raises(ValueError, match=".gif"):
        animate_decision_boundary(model, X, y, tmp_path / "movie.png")
    with pytest.raises(ValueError, match="n_frames"):
        animate_decision_boundary(model, X, y, path, n_frames=0)
    with pytest.raises(ValueError, match="partial_fit"):
        animate_decision_boundary(
            ScratchMLPClassifier(solver="lbfgs"), X, y, path, n_frames=1
        )
    # The estimator's own error comes through, and no GIF is left behind.
    with pytest.raises(ValueError, match="Unknown label type"):
        animate_decision_boundary(model, X, np.linspace(0, 1, len(y)), path, n_frames=2)
    assert not path.exists()
