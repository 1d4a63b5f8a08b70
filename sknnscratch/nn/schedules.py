r"""Learning-rate schedules, usable with every step optimizer.

A schedule holds ``learning_rate``, the rate of the next update, and reacts
to three events:

``on_update(n_updates)``
    Before a run's first update and after every update; ``n_updates``
    counts the updates of the run so far (a ``partial_fit`` call continues
    the count of the calls before it; a ``fit`` starts it at 0). The
    per-update schedules recompute the rate here.
``on_epoch_end(samples_seen)``
    After each epoch; ``samples_seen`` counts training rows so far
    (scikit-learn's ``t_``).
``on_plateau()``
    When the monitored quantity stopped improving for ``n_iter_no_change``
    epochs. Returns ``(stop, message)``: whether training should stop, and
    what happened, for verbose output.

Per epoch, as in scikit-learn:

``constant``
    :math:`\eta = \eta_0` throughout; a plateau stops training.
``invscaling``
    :math:`\eta = \eta_0 / (t + 1)^{p}` with :math:`t` the samples seen and
    :math:`p` = ``power_t`` (updated at each epoch end, as scikit-learn does);
    a plateau stops training.
``adaptive``
    :math:`\eta = \eta_0` until a plateau, then :math:`\eta \leftarrow \eta / 5`;
    stops once :math:`\eta \le 10^{-6}`.

Per update, with :math:`k` the updates done before this one (0 for the
first):

``inverse_time``
    :math:`\eta_k = \eta_0 / (1 + d\,k)` with :math:`d` = ``decay`` (the decay
    of the "Neural Networks from Scratch" book); a plateau stops training.
``cosine``
    A linear warm-up over the first :math:`W` updates, then half a cosine
    from :math:`\eta_0` down to 0 at update :math:`T`:

    .. math::

        \eta_k = \begin{cases}
            \eta_0\,(k + 1) / W & k < W \\
            \tfrac{1}{2}\,\eta_0 \left(1 + \cos\left(\pi\,
                \min\left(1, \tfrac{k - W}{T - W}\right)\right)\right) & k \ge W
        \end{cases}

    :math:`T` is the planned run, ``max_iter`` epochs of
    :math:`\lceil n / B \rceil` updates (:math:`n` training rows, :math:`B` =
    ``batch_size``), and :math:`W` is ``warmup_iter`` epochs of them. The
    plan is the same whether or not early stopping ends the run sooner, and
    ``partial_fit`` calls follow the plan of the first (the estimator keeps
    its ``updates_per_epoch``); past :math:`T` the rate stays 0. A plateau
    stops training.
"""

import math

__all__ = [
    "SCHEDULES",
    "Adaptive",
    "Constant",
    "Cosine",
    "InvScaling",
    "InverseTime",
]


class Constant:
    """A constant learning rate."""

    def __init__(self, learning_rate_init, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate_init
        self.power_t = power_t

    def on_update(self, n_updates):
        """Nothing changes at an update."""

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


class InverseTime(Constant):
    r"""Decay as :math:`\eta_0 / (1 + d\,k)` with the updates done."""

    def __init__(self, learning_rate_init, decay=0.0):
        super().__init__(learning_rate_init)
        self.decay = decay

    def rate(self, k):
        """The rate of update ``k + 1``, after ``k`` updates."""
        return self.learning_rate_init / (1.0 + self.decay * k)

    def on_update(self, n_updates):
        """Set the rate of the next update."""
        self.learning_rate = self.rate(n_updates)


class Cosine(Constant):
    """Linear warm-up, then half a cosine down to 0 over the planned run."""

    def __init__(self, learning_rate_init, max_iter, updates_per_epoch, warmup_iter=0):
        super().__init__(learning_rate_init)
        self.n_updates_planned = max_iter * updates_per_epoch
        # At most the whole run warms up (then the rate only climbs).
        self.n_warmup = min(warmup_iter * updates_per_epoch, self.n_updates_planned)
        self.learning_rate = self.rate(0)

    def rate(self, k):
        """The rate of update ``k + 1``, after ``k`` updates."""
        eta_0, warmup, planned = (
            self.learning_rate_init,
            self.n_warmup,
            self.n_updates_planned,
        )
        if k >= planned:
            return 0.0
        if k < warmup:
            return eta_0 * (k + 1) / warmup
        progress = min(1.0, (k - warmup) / max(planned - warmup, 1))
        return 0.5 * eta_0 * (1.0 + math.cos(math.pi * progress))

    def on_update(self, n_updates):
        """Set the rate of the next update."""
        self.learning_rate = self.rate(n_updates)


#: Schedules keyed by the public ``learning_rate`` option names. Their
#: constructors take ``learning_rate_init`` and the estimator parameters of
#: the same names as their other arguments (``power_t``, ``decay``,
#: ``max_iter``, ``warmup_iter``), plus ``updates_per_epoch``.
SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "adaptive": Adaptive,
    "inverse_time": InverseTime,
    "cosine": Cosine,
}
