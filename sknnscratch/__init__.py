"""sknnscratch: a scikit-learn compatible MLP on a from-scratch NumPy engine.

The estimators, :class:`ScratchMLPClassifier` and :class:`ScratchMLPRegressor`,
are facades; the engine that trains them lives in :mod:`sknnscratch.nn`
(layers, activations, losses, initializers, optimizers, schedules and the
training loop, one module each).
"""

# Defined before the imports below: modules read it when they record versions.
__version__ = "0.5.0"

from . import augment, chunks, datasets  # noqa: E402
from ._baseline import AverageDarknessClassifier  # noqa: E402
from ._classifier import ScratchMLPClassifier  # noqa: E402
from ._regressor import ScratchMLPRegressor  # noqa: E402
from .persistence import ModelFileError, load, save  # noqa: E402

__all__ = [
    "AverageDarknessClassifier",
    "ModelFileError",
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "__version__",
    "augment",
    "chunks",
    "datasets",
    "load",
    "save",
]
