r"""Finite-difference gradient checking: is backpropagation right?

For each parameter :math:`\theta_j` the central difference

.. math::

    \frac{\partial J}{\partial \theta_j} \approx
    \frac{J(\theta + \varepsilon e_j) - J(\theta - \varepsilon e_j)}{2 \varepsilon}

has error :math:`O(\varepsilon^2)`, so in float64 with
:math:`\varepsilon = 10^{-6}` it agrees with a correct analytic gradient to
about seven significant digits. A bug in a backward function (a missing
factor, a transposed product) shows up as a relative error near 1.

Dropout makes :math:`J` random; to check it, every evaluation reseeds the
dropout layers with the same seed, so all of them see the same mask.

Example
-------
>>> import numpy as np
>>> from sknnscratch.nn import Network
>>> from sknnscratch.nn.gradcheck import gradient_check
>>> rng = np.random.default_rng(0)
>>> net = Network([4, 5, 3], ["tanh"], "softmax", "log_loss", [0.0], np.float64, rng)
>>> net.initialize("glorot_uniform", rng)
>>> X = rng.normal(size=(6, 4))
>>> Y = np.eye(3)[rng.integers(0, 3, 6)]
>>> gradient_check(net, X, Y, alpha=0.1)["max_relative_error"] < 1e-6
True
"""

import numpy as np

from .layers import Dropout

__all__ = ["gradient_check"]


def gradient_check(
    network,
    X,
    Y,
    sample_weight=None,
    alpha=0.0,
    *,
    alpha_bias=0.0,
    dropout_seed=None,
    epsilon=1e-6,
    indices=None,
):
    r"""Compare the backpropagated gradient with central differences.

    Parameters
    ----------
    network : Network
        A float64 network (float32 rounding swamps the finite differences).
    X, Y : ndarray
        A small batch and its target matrix.
    sample_weight : ndarray or None
    alpha : float
        L2 penalty of the weights, included in the objective being checked.
    alpha_bias : float
        L2 penalty of the biases, likewise.
    dropout_seed : int or None
        With dropout layers, the seed every evaluation reuses so that the mask
        is fixed; None evaluates without dropout.
    epsilon : float
        Finite-difference step.
    indices : array-like of int or None
        Parameters to check (all of them by default).

    Returns
    -------
    result : dict
        ``analytic`` and ``numeric`` gradients at ``indices``, and
        ``max_relative_error``, the largest
        :math:`|a - n| / \max(|a| + |n|, 10^{-8})` over them (:math:`a`
        analytic, :math:`n` numeric).
    """
    if network.dtype != np.float64:
        raise ValueError("gradient_check needs a float64 network.")
    training = dropout_seed is not None
    dropouts = [layer for layer in network.layers if isinstance(layer, Dropout)]

    def objective_and_gradient():
        for layer in dropouts:
            layer.rng = np.random.default_rng(dropout_seed)
        loss, _ = network.loss_and_gradient(
            X, Y, sample_weight, alpha, alpha_bias, training=training
        )
        return loss

    params = network.params
    original = params.copy()
    indices = np.arange(params.size) if indices is None else np.asarray(indices)
    objective_and_gradient()
    analytic = network.grads[indices].copy()
    numeric = np.empty_like(analytic)
    try:
        for k, j in enumerate(indices):
            params[j] = original[j] + epsilon
            loss_plus = objective_and_gradient()
            params[j] = original[j] - epsilon
            loss_minus = objective_and_gradient()
            params[j] = original[j]
            numeric[k] = (loss_plus - loss_minus) / (2 * epsilon)
    finally:
        np.copyto(params, original)
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    return {
        "analytic": analytic,
        "numeric": numeric,
        "max_relative_error": float(np.max(np.abs(analytic - numeric) / scale)),
    }
