r"""A speed measure: keep subnormal numbers out of the optimizer state and weights.

The one place in the engine that exists for speed rather than for the math.
Floating-point numbers below ``finfo(dtype).tiny`` (about 1.2e-38 in float32)
are *subnormal*, and x86 arithmetic on them is one to two orders of magnitude
slower than on normal numbers. Training makes them without any error:

- a moving average whose gradient has become zero (a weight from an MNIST
  pixel that is blank in every image of the last few hundred batches) decays
  geometrically, :math:`m \beta^k`, and after a few hundred steps enters the
  subnormal range;
- with L2 (``alpha``) and Adam, a weight that never sees data (the blank
  border pixels again) is pulled to zero by a nearly constant factor per
  step, since Adam divides its tiny gradient by a tiny root. In measured
  MNIST runs about 20,000 first-layer weights went subnormal by the fourth
  epoch, and each epoch took 30% longer.

:func:`sweep_subnormals` runs every ``Optimizer.sweep_interval`` steps (64):
every entry of a decaying state array that is too small to stay normal until
the next sweep is set to zero, i.e. below :math:`\text{tiny} /
\text{decay}^{64}` (about 1e-35 in float32 for :math:`\beta_1 = 0.9`; never
above :math:`2^{32} \cdot \text{tiny}`, which a fast decay would exceed), and
every weight below :math:`2^{32} \cdot \text{tiny}` (about 5e-29 in float32).
Neither can move anything a network computes: a weight of 1e-29 beside
weights of 1e-2 changes no output. ``benchmarks/bench_subnormals.py``
measures what the sweep saves per epoch.
"""

import numpy as np

__all__ = ["WEIGHT_SWEEP_FACTOR", "sweep_subnormals"]

#: A weight below ``finfo(dtype).tiny`` times this is set to zero.
WEIGHT_SWEEP_FACTOR = 2.0**32


def sweep_subnormals(optimizer, params):
    """Set to zero the near-subnormal entries of ``params`` and of the
    optimizer's decaying state arrays (those named in ``optimizer.decays``)."""
    tiny = np.finfo(optimizer.dtype).tiny
    thresholds = [(params, tiny * WEIGHT_SWEEP_FACTOR)]
    for slot, hyperparameter in optimizer.decays.items():
        decay = getattr(optimizer, hyperparameter)
        if decay > 0:  # without decay nothing shrinks towards subnormals
            # A fast decay (a small momentum) would put the threshold among
            # live values (for 0.25: 4 in float32); it never goes above the
            # weights' (shrink is at least 2**-32), and never divides by 0.
            shrink = max(decay**optimizer.sweep_interval, 1 / WEIGHT_SWEEP_FACTOR)
            thresholds.append((getattr(optimizer, slot), tiny / shrink))
    for piece in optimizer.pieces:  # in the optimizer's pieces, as its steps
        magnitude = optimizer.scratch[: piece.stop - piece.start]
        for array, threshold in thresholds:
            np.abs(array[piece], out=magnitude)
            np.copyto(array[piece], 0, where=magnitude < threshold)
