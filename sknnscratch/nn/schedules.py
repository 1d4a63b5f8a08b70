r"""Learning-rate schedules, usable with every optimizer.

A schedule holds the current ``learning_rate`` and reacts to two events:

``on_epoch_end(samples_seen)``
    After each epoch; ``samples_seen`` counts training rows so far
    (scikit-learn's ``t_``).
``on_plateau()``
    When the monitored quantity stopped improving for ``n_iter_no_change``
    epochs. Returns ``(stop, message)``: whether training should stop, and
    what happened, for verbose output.

``constant``
    :math:`\eta = \eta_0` throughout; a plateau stops training.
``invscaling``
    :math:`\eta = \eta_0 / (t + 1)^{p}` with :math:`t` the samples seen and
    :math:`p` = ``power_t`` (updated at each epoch end, as scikit-learn does);
    a plateau stops training.
``adaptive``
    :math:`\eta = \eta_0` until a plateau, then :math:`\eta \leftarrow \eta / 5`;
    stops once :math:`\eta \le 10^{-6}`.
"""

__all__ = ["SCHEDULES", "Constant", "InvScaling", "Adaptive"]


class Constant:
    """A constant learning rate."""

    def __init__(self, learning_rate_init, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate_init
        self.power_t = power_t

    def on_epoch_end(self, samples_seen):
        """Nothing changes at an epoch's end."""

    def on_plateau(self):
        """A plateau ends training."""
        return True, "Stopping."


class InvScaling(Constant):
    r"""Decay as :math:`\eta_0 / (t + 1)^{p}` with the samples seen."""

    def on_epoch_end(self, samples_seen):
        """Recompute the rate from the number of samples seen."""
        self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** (
            self.power_t
        )


class Adaptive(Constant):
    """Divide the rate by 5 at each plateau; stop below 1e-6."""

    MIN_LEARNING_RATE = 1e-6

    def on_plateau(self):
        """Lower the rate, or stop once it is already tiny."""
        if self.learning_rate <= self.MIN_LEARNING_RATE:
            return True, "Learning rate too small. Stopping."
        self.learning_rate /= 5.0
        return False, f"Setting learning rate to {self.learning_rate:f}"


#: Schedules keyed by the public ``learning_rate`` option names.
SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive}
