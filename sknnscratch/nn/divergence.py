"""When training diverges: detect it, go back, and keep what still works.

A loss (or a weight, or an optimizer state entry) that becomes inf or NaN
means training has diverged. The mini-batch loop then restores the weights
and optimizer state of the last completed epoch (those at the start of the
failed one, kept by :class:`EpochStart`); L-BFGS keeps its last iterate.
Those weights are checked once by a forward pass over the training rows
(:func:`keep_or_raise`): if they give finite outputs, a
:class:`DivergenceWarning` names the epoch and suggests a remedy; if no epoch
of this run completed, or the kept weights overflow anyway, there is nothing
usable and :class:`DivergenceError` is raised, as scikit-learn's MLP raises
its ``ValueError`` for non-finite weights.
"""

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._warn import warn

__all__ = [
    "DivergenceError",
    "DivergenceWarning",
    "EpochStart",
    "is_finite",
    "keep_or_raise",
]


class DivergenceError(ValueError):
    """Training diverged and left no usable weights.

    A ``ValueError`` whose message starts as scikit-learn's MLP's does for
    non-finite weights, so code written for it catches and matches ours; then
    come ``what`` happened (kept as an attribute too) and the ``advice``.
    """

    def __init__(self, what, advice):
        super().__init__(
            "Solver produced non-finite parameter weights. The input data may "
            f"contain large values and need to be preprocessed. ({what} {advice})"
        )
        self.what = what


class DivergenceWarning(ConvergenceWarning):
    """Training diverged; it stopped and kept earlier weights that still work.

    A ``ConvergenceWarning``, so filters written for scikit-learn's warnings
    apply; its own class, so that a caller can tell it from a budget that ran
    out.
    """


def is_finite(network, optimizer):
    """Whether the weights and the optimizer state are all finite.

    The optimizer state too: a squared gradient that overflowed to inf
    leaves the weights finite but frozen (g / sqrt(inf) = 0).
    """
    return np.isfinite(network.params).all() and all(
        np.isfinite(value).all()
        for value in optimizer.state_dict().values()
        if isinstance(value, np.ndarray)
    )


class EpochStart:
    """The weights and optimizer state at the start of the current epoch.

    :meth:`take` reuses its arrays: a fresh copy every epoch would hold two
    copies of the optimizer state at once (the new one and the one being
    replaced), a few parameter-vectors' worth of peak memory.
    """

    def __init__(self, network, optimizer):
        self.network = network
        self.optimizer = optimizer
        self.params = np.empty_like(network.params)
        self.optimizer_state = None

    def take(self):
        """Remember the current weights and optimizer state."""
        np.copyto(self.params, self.network.params)
        state = self.optimizer.state_dict()
        if self.optimizer_state is None:
            self.optimizer_state = {k: np.copy(v) for k, v in state.items()}
            return
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                np.copyto(self.optimizer_state[key], value)
            else:
                self.optimizer_state[key] = value

    def restore(self):
        """Put the remembered weights and optimizer state back."""
        np.copyto(self.network.params, self.params)
        self.optimizer.load_state_dict(self.optimizer_state)


def keep_or_raise(network, train, what, kept, step, advice):
    """Keep the weights in place after a divergence, or raise.

    ``kept`` says which weights these are, None if this run completed no
    ``step`` (epoch or iteration) and there are none of its own. They are
    kept, with a :class:`DivergenceWarning`, only if one forward pass over the
    training rows gives finite outputs with them: weights of 1e200 are
    finite, yet useless. Otherwise :class:`DivergenceError`.
    """
    if kept is None:
        raise DivergenceError(f"{what} No {step} completed.", advice)
    if not np.isfinite(network.predict(train.X)).all():
        raise DivergenceError(
            f"{what} {kept[0].upper()}{kept[1:]} give non-finite outputs on the "
            "training data.",
            advice,
        )
    warn(f"{what} Training stopped and kept {kept}. {advice}", DivergenceWarning)
