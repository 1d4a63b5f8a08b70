"""A GIF of a 2-D decision boundary taking shape, epoch by epoch."""

from numbers import Real
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.animation import PillowWriter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sklearn.base import clone, is_regressor

from .._utils import check_positive_int

__all__ = ["animate_decision_boundary"]


def animate_decision_boundary(
    estimator,
    X,
    y,
    path,
    *,
    n_frames=30,
    epochs_per_frame=1,
    fps=5,
    resolution=200,
):
    """Write an animated GIF of a 2-D decision boundary taking shape.

    A clone of ``estimator`` (the estimator itself is left untouched) is
    trained with ``partial_fit`` on all of ``(X, y)``, ``epochs_per_frame``
    epochs per frame; each frame shows the predicted class over a grid
    (paler where the model is less sure) with the training points on top.

    Parameters
    ----------
    estimator : classifier with ``partial_fit``
        Its parameters are used; its fitted state, if any, is not.
        ``early_stopping`` is switched off on the clone, since ``partial_fit``
        trains on every row.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    path : str or path-like
        Where to write the GIF; must end in ``.gif``.  Missing parent folders
        are created.
    n_frames : int, default=30
    epochs_per_frame : int, default=1
    fps : float, default=5
        Frames per second of the GIF.
    resolution : int, default=200
        Grid points per axis of the shaded decision regions.

    Returns
    -------
    path : pathlib.Path
        The GIF written.

    Raises
    ------
    TypeError
        If ``estimator`` is a regressor, which has no classes to draw.
    ValueError
        If X is not of shape (n_samples, 2), y does not match it, an integer
        argument is out of range, ``path`` does not end in ``.gif``, or the
        estimator cannot ``partial_fit`` (e.g. ``solver='lbfgs'``).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            "animate_decision_boundary draws 2-D data: X must have shape "
            f"(n_samples, 2), got shape {X.shape}."
        )
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must hold one label per row of X ({len(X)}), got shape {y.shape}."
        )
    n_frames = check_positive_int(n_frames, "n_frames")
    epochs_per_frame = check_positive_int(epochs_per_frame, "epochs_per_frame")
    resolution = check_positive_int(resolution, "resolution", minimum=2)
    if isinstance(fps, bool) or not isinstance(fps, Real) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}.")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif (an animated GIF), got {path}.")

    model = clone(estimator)
    if _is_regressor(model):
        raise TypeError(
            "animate_decision_boundary draws a classifier's decision regions; "
            f"{type(model).__name__} is a regressor."
        )
    if model.get_params().get("early_stopping"):
        model.set_params(early_stopping=False)
    if not hasattr(model, "partial_fit"):
        raise ValueError(
            f"{type(model).__name__} with these parameters has no partial_fit, "
            "which the animation needs to train epoch by epoch (for "
            "ScratchMLPClassifier, use a step solver such as 'adam' rather "
            "than 'lbfgs')."
        )
    classes = np.unique(y)
    colors = _class_colors(len(classes))

    pad_x = 0.08 * (np.ptp(X[:, 0]) or 1.0)
    pad_y = 0.08 * (np.ptp(X[:, 1]) or 1.0)
    extent = (
        X[:, 0].min() - pad_x,
        X[:, 0].max() + pad_x,
        X[:, 1].min() - pad_y,
        X[:, 1].max() + pad_y,
    )
    grid_x = np.linspace(extent[0], extent[1], resolution)
    grid_y = np.linspace(extent[2], extent[3], resolution)
    mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)
    grid = np.column_stack([mesh_x.ravel(), mesh_y.ravel()])

    fig = Figure(figsize=(6.2, 5.5), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(
        np.ones((resolution, resolution, 3)),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
    )
    size = 22 if len(X) <= 500 else 8
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=colors[np.searchsorted(classes, y)],
        s=size,
        edgecolors="black",
        linewidths=0.5,
    )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
    if len(classes) <= 10:
        handles = [
            Line2D([], [], ls="", marker="o", mfc=c, mec="black", label=str(label))
            for c, label in zip(colors, classes)
        ]
        ax.legend(
            handles=handles,
            title="class",
            # Outside the axes, so no point or region is hidden behind it.
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
        )
    fig.supxlabel("shading: predicted class, paler where less confident", fontsize=8)
    title = ax.set_title(" \n ")

    def train_one_frame():
        for _ in range(epochs_per_frame):
            model.partial_fit(X, y, classes=classes)

    def draw_frame(frame):
        proba = np.asarray(model.predict_proba(grid))
        winner = proba.argmax(axis=1)
        # Confidence rescaled so chance level (1/k) is white and certainty
        # the class colour at 60% strength: the points stay visible on top.
        chance = 1.0 / len(classes)
        strength = (proba.max(axis=1) - chance) / (1.0 - chance)
        strength = 0.6 * np.clip(strength, 0.0, 1.0)[:, None]
        rgb = 1.0 - strength * (1.0 - colors[winner, :3])
        image.set_data(rgb.reshape(resolution, resolution, 3))
        accuracy = np.mean(model.predict(X) == y)
        title.set_text(
            f"{type(model).__name__}\nepoch {frame * epochs_per_frame}: "
            f"training accuracy {accuracy:.1%}"
        )

    # The first frame is trained before the GIF is opened, so that data the
    # estimator rejects raise its own error rather than the writer's failure
    # to save zero frames.
    train_one_frame()
    draw_frame(1)
    # Freeze the layout computed for the first frame: the axes cannot jitter
    # as the title changes, and the frames skip the layout's extra dry-run
    # draw (half the rendering time).
    fig.draw_without_rendering()
    fig.set_layout_engine(None)

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PillowWriter(fps=fps)
    try:
        with writer.saving(fig, path, dpi=80):
            writer.grab_frame()
            for frame in range(2, n_frames + 1):
                train_one_frame()
                draw_frame(frame)
                writer.grab_frame()
    except BaseException:
        # No half-made GIF left behind to be mistaken for a finished one.
        path.unlink(missing_ok=True)
        raise
    return path


def _is_regressor(estimator):
    """Whether ``estimator`` is a scikit-learn regressor (False if unsure)."""
    try:
        return is_regressor(estimator)
    except AttributeError:  # no scikit-learn tags: not a scikit-learn estimator
        return False


def _class_colors(n_classes):
    """One distinct colour per class (RGBA rows)."""
    cmap = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return np.array([cmap(i % cmap.N) for i in range(n_classes)])
