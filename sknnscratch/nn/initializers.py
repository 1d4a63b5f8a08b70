r"""Weight initializers.

Each initializer is a function ``init(fan_in, fan_out, activation, rng)``
returning ``(weights, biases)`` as float64 arrays of shapes
``(fan_in, fan_out)`` and ``(fan_out,)``; the network casts them to its dtype.
``activation`` is the name of the activation that follows the layer, and
``rng`` a :class:`numpy.random.Generator`, so ``random_state`` controls every
draw.

Why the scale matters: with :math:`n` inputs of unit variance, a unit's
pre-activation has variance :math:`n \operatorname{Var}(w)`. Too large and
tanh/logistic units saturate (their gradient vanishes); too small and the
signal dies out layer by layer.

``glorot_uniform`` (Glorot & Bengio, 2010; scikit-learn's MLP default)
    :math:`w, b \sim U(-r, r)` with :math:`r = \sqrt{6 / (n_{in} + n_{out})}`,
    or :math:`\sqrt{2 / (n_{in} + n_{out})}` before a logistic unit, exactly as
    scikit-learn does.
``he_normal`` (He et al., 2015)
    :math:`w \sim N(0, 2 / n_{in})`, :math:`b = 0`: keeps the variance of ReLU
    activations constant from layer to layer (ReLU zeroes half of them).
``he_uniform``
    :math:`w \sim U(-r, r)` with :math:`r = \sqrt{6 / n_{in}}` (same variance
    as ``he_normal``), :math:`b = 0`.
"""

import numpy as np

__all__ = ["INITIALIZERS"]


def glorot_uniform(fan_in, fan_out, activation, rng):
    """Glorot/Xavier uniform weights and biases (scikit-learn's scheme)."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    weights = rng.uniform(-bound, bound, (fan_in, fan_out))
    biases = rng.uniform(-bound, bound, fan_out)
    return weights, biases


def he_normal(fan_in, fan_out, activation, rng):
    """He/Kaiming normal weights, zero biases."""
    weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
    return weights, np.zeros(fan_out)


def he_uniform(fan_in, fan_out, activation, rng):
    """He/Kaiming uniform weights, zero biases."""
    bound = np.sqrt(6.0 / fan_in)
    weights = rng.uniform(-bound, bound, (fan_in, fan_out))
    return weights, np.zeros(fan_out)


#: Initializers keyed by the public ``weight_init`` option names.
INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}
