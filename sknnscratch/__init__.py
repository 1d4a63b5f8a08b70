"""sknnscratch: a scikit-learn compatible MLP on a from-scratch NumPy engine.

The estimator, :class:`ScratchMLPClassifier`, is a facade; the engine that
trains it lives in :mod:`sknnscratch.nn` (layers, activations, losses,
initializers, optimizers, schedules and the training loop, one module each).
"""

from ._classifier import ScratchMLPClassifier

__version__ = "0.1.0"

__all__ = ["ScratchMLPClassifier", "__version__"]
