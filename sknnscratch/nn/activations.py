r"""Activation functions and their derivatives.

Every activation is a pair of small, stateless functions that work **in place**
(the network owns preallocated buffers, so nothing here allocates a full
array per batch):

``forward(z)``
    Overwrites the pre-activation ``z`` with :math:`a = f(z)`.
``backward(a, grad)``
    Overwrites ``grad`` (:math:`\partial L / \partial a`) with
    :math:`\partial L / \partial z`, given the activation's *output* ``a``.

Each derivative below is written in terms of the output :math:`a`, never the
input :math:`z`. That is why the forward pass may overwrite :math:`z`: the
backward pass only needs what the forward pass kept.

===========  =======================================  ================================
name         :math:`a = f(z)`                         :math:`f'(z)` written with `a`
===========  =======================================  ================================
identity     :math:`z`                                :math:`1`
logistic     :math:`1 / (1 + e^{-z})`                 :math:`a (1 - a)`
tanh         :math:`\tanh z`                          :math:`1 - a^2`
relu         :math:`\max(0, z)`                       :math:`[a > 0]`
leaky_relu   :math:`z` if :math:`z > 0` else          :math:`1` if :math:`a > 0`
             :math:`0.01 z`                           else :math:`0.01`
elu          :math:`z` if :math:`z > 0` else          :math:`1` if :math:`a > 0`
             :math:`e^{z} - 1`                        else :math:`a + 1`
softmax      :math:`e^{z_k} / \sum_j e^{z_j}`         Jacobian-vector product:
                                                      :math:`a \odot (g - (g \cdot a))`
exp          :math:`e^{z}`                            :math:`a`
===========  =======================================  ================================

``ACTIVATIONS`` holds the hidden-layer choices offered to users;
``OUTPUT_ACTIVATIONS`` adds the ones the estimator picks for the output layer:
softmax (multiclass) and exp (the log link of the Poisson regressor, whose
output is a positive mean).
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit

__all__ = ["ACTIVATIONS", "OUTPUT_ACTIVATIONS", "Activation"]

#: Slope of leaky ReLU for negative inputs (the common choice, as in PyTorch).
LEAKY_RELU_SLOPE = 0.01


class Activation(NamedTuple):
    """An activation function as a pair of in-place functions."""

    forward: callable
    backward: callable


# --- forward passes (overwrite z with a) ------------------------------------


def identity(z):
    """:math:`f(z) = z`."""
    return z


def logistic(z):
    r""":math:`f(z) = 1 / (1 + e^{-z})`, via scipy's overflow-safe ``expit``."""
    return expit(z, out=z)


def tanh(z):
    r""":math:`f(z) = \tanh(z)`."""
    return np.tanh(z, out=z)


def relu(z):
    r""":math:`f(z) = \max(0, z)`."""
    return np.maximum(z, 0, out=z)


def leaky_relu(z):
    r""":math:`f(z) = z` for :math:`z > 0`, else :math:`0.01 z`."""
    # max(z, 0.01 z) equals the piecewise definition because 0 < slope < 1.
    return np.maximum(z, z * LEAKY_RELU_SLOPE, out=z)


def elu(z):
    r""":math:`f(z) = z` for :math:`z > 0`, else :math:`e^{z} - 1`."""
    negative = z < 0
    # expm1 is exact for small |z| where exp(z) - 1 would cancel.
    np.expm1(z, out=z, where=negative)
    return z


def softmax(z):
    r""":math:`f(z)_k = e^{z_k} / \sum_j e^{z_j}`, row-wise.

    Subtracting the row maximum first changes nothing mathematically and keeps
    ``exp`` from overflowing.
    """
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def exp(z):
    r""":math:`f(z) = e^{z}` (output only: the inverse of the log link)."""
    return np.exp(z, out=z)


# --- backward passes (overwrite grad = dL/da with dL/dz) ---------------------


def identity_backward(a, grad):
    """:math:`f'(z) = 1`: the gradient passes through unchanged."""
    return grad


def logistic_backward(a, grad):
    """:math:`f'(z) = a (1 - a)`."""
    grad *= a
    grad *= 1 - a
    return grad


def tanh_backward(a, grad):
    """:math:`f'(z) = 1 - a^2`."""
    grad *= 1 - a * a
    return grad


def relu_backward(a, grad):
    """:math:`f'(z) = 1` where :math:`a > 0`, else 0."""
    grad *= a > 0
    return grad


def leaky_relu_backward(a, grad):
    """:math:`f'(z) = 1` where :math:`a > 0`, else the leak slope."""
    np.multiply(grad, LEAKY_RELU_SLOPE, out=grad, where=a <= 0)
    return grad


def elu_backward(a, grad):
    """:math:`f'(z) = 1` where :math:`a > 0`, else :math:`e^{z} = a + 1`."""
    np.multiply(grad, a + 1, out=grad, where=a <= 0)
    return grad


def softmax_backward(a, grad):
    r"""Jacobian-vector product of softmax: :math:`a \odot (g - (g \cdot a))`.

    The softmax Jacobian is :math:`J = \mathrm{diag}(a) - a a^T`, so
    :math:`J^T g = a \odot g - a (a \cdot g)` row by row, without building
    :math:`J`. With log-loss the estimator never calls this: the product
    collapses to :math:`a - y` (see :mod:`sknnscratch.nn.losses`).
    """
    grad -= np.einsum("ij,ij->i", grad, a)[:, None]
    grad *= a
    return grad


#: Hidden-layer activations, keyed by the public ``activation`` option names.
ACTIVATIONS = {
    "identity": Activation(identity, identity_backward),
    "logistic": Activation(logistic, logistic_backward),
    "tanh": Activation(tanh, tanh_backward),
    "relu": Activation(relu, relu_backward),
    "leaky_relu": Activation(leaky_relu, leaky_relu_backward),
    "elu": Activation(elu, elu_backward),
}


def exp_backward(a, grad):
    """:math:`f'(z) = e^{z} = a`."""
    grad *= a
    return grad


#: Every activation the engine can run, including the output-only softmax and exp.
OUTPUT_ACTIVATIONS = {
    **ACTIVATIONS,
    "softmax": Activation(softmax, softmax_backward),
    "exp": Activation(exp, exp_backward),
}
