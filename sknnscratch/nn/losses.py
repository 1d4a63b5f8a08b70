r"""Loss functions for the output layer.

Each loss is a pair of small, stateless functions:

``per_sample(y_true, y_out, out_activation)``
    The loss of every row, shape ``(n_samples,)``. The network averages it
    (weighted by ``sample_weight``) and adds the L2 penalty.
``delta(y_true, y_out, out_activation, out)``
    :math:`\delta = \partial \ell / \partial z` for every row, written into
    ``out``: the gradient with respect to the output layer's *pre-activation*
    :math:`z`, which is where backpropagation starts.

``log_loss`` (cross-entropy)
    With a softmax output (multiclass):
    :math:`\ell = -\sum_k y_k \log a_k`.
    With logistic outputs (binary, multilabel):
    :math:`\ell = -\sum_k [y_k \log a_k + (1 - y_k) \log(1 - a_k)]`.
    In both cases the output activation is the loss's *canonical link*, and the
    chain rule through it collapses to :math:`\delta = a - y`: no Jacobian, no
    division by :math:`a (1 - a)`, which is both faster and numerically safer.

``squared_error`` (the quadratic cost of the classic from-scratch networks)
    :math:`\ell = \tfrac12 \sum_k (a_k - y_k)^2`, so
    :math:`\partial \ell / \partial a = a - y`, and
    :math:`\delta = f'(z)^T (a - y)` through the output activation's own
    backward function (for a logistic output :math:`(a - y)\, a (1 - a)`: the
    learning slowdown of saturated sigmoid units that motivated cross-entropy).
    With the identity output of a regressor, :math:`\delta = a - y`.

``huber`` (robust regression, identity output)
    Quadratic near the target and linear beyond :math:`\kappa` =
    :data:`HUBER_DELTA` (in the units of the target), so that outliers pull on
    the weights with a bounded force. Per output, with :math:`r = a - y`:

    .. math::

        \ell(r) = \begin{cases} \tfrac12 r^2 & |r| \le \kappa \\
                   \kappa (|r| - \tfrac12 \kappa) & |r| > \kappa \end{cases}
        \qquad
        \delta = \operatorname{clip}(r, -\kappa, \kappa)

    summed over the outputs. Scale the target (e.g. with
    :class:`~sklearn.compose.TransformedTargetRegressor`) so that a typical
    residual is of order 1.

``poisson`` (counts and rates, exp output: the log link)
    Half the Poisson deviance, per output with the mean :math:`a = e^z > 0`:

    .. math::

        \ell = y \log \frac{y}{a} - y + a
        \qquad
        \delta = a - y

    (:math:`y \log y = 0` at :math:`y = 0`). It is zero when :math:`a = y`,
    and the exponential output is the loss's canonical link, so, as for
    cross-entropy, the chain rule collapses to :math:`\delta = a - y`. The
    targets must be non-negative; it is scikit-learn's
    ``MLPRegressor(loss='poisson')``.

Each loss also names the ``tasks`` it serves ('classification',
'regression'); the estimators build their ``loss`` options from that. A
regression loss names its ``regression_output`` too: the output activation it
is paired with, the inverse of its link function (identity, or exp for the
Poisson loss's log link). A classifier's output activation follows from its
targets instead (softmax or logistic).
"""

from typing import NamedTuple

import numpy as np
from scipy.special import xlogy

from .activations import OUTPUT_ACTIVATIONS

__all__ = ["HUBER_DELTA", "LOSSES", "Loss"]

#: Residual beyond which the Huber loss grows linearly (PyTorch's and Keras's
#: default too).
HUBER_DELTA = 1.0


class Loss(NamedTuple):
    """A loss as a pair of functions (see the module docstring)."""

    per_sample: callable
    delta: callable
    tasks: frozenset
    regression_output: str | None = None


def _clipped(y_out):
    # log(0) would give -inf for a confidently wrong prediction; clip to the
    # dtype's eps as scikit-learn's MLP does, so the loss stays finite.
    eps = np.finfo(y_out.dtype).eps
    return np.clip(y_out, eps, 1 - eps)


def log_loss_per_sample(y_true, y_out, out_activation):
    """Cross-entropy of each row (categorical or binary, by output)."""
    prob = _clipped(y_out)
    if out_activation == "softmax":
        # y * log(p) summed per row; p is clipped away from 0, so a zero y
        # gives 0 exactly as xlogy would, in one in-place log and a row-wise
        # dot product (a training step computes this for every batch).
        log_prob = np.log(prob, out=prob)
        return -np.einsum("ij,ij->i", y_true, log_prob)
    return -(xlogy(y_true, prob) + xlogy(1 - y_true, 1 - prob)).sum(axis=1)


def log_loss_delta(y_true, y_out, out_activation, out):
    r""":math:`\delta = a - y` (canonical link: softmax or logistic output)."""
    return np.subtract(y_out, y_true, out=out)


def squared_error_per_sample(y_true, y_out, out_activation):
    r""":math:`\tfrac12 \sum_k (a_k - y_k)^2` of each row."""
    residual = y_out - y_true
    return 0.5 * np.einsum("ij,ij->i", residual, residual)


def squared_error_delta(y_true, y_out, out_activation, out):
    r""":math:`\delta = f'(z)^T (a - y)` through the output activation."""
    np.subtract(y_out, y_true, out=out)
    return OUTPUT_ACTIVATIONS[out_activation].backward(y_out, out)


def huber_per_sample(y_true, y_out, out_activation):
    r"""Huber loss of each row, summed over the outputs."""
    magnitude = np.abs(y_out - y_true)
    quadratic = np.minimum(magnitude, HUBER_DELTA)
    # 0.5 q^2 + kappa (|r| - q) is 0.5 r^2 inside and kappa (|r| - kappa/2)
    # outside, without a branch.
    return (0.5 * quadratic * quadratic + HUBER_DELTA * (magnitude - quadratic)).sum(
        axis=1
    )


def huber_delta(y_true, y_out, out_activation, out):
    r""":math:`\delta = f'(z)^T \operatorname{clip}(a - y, -\kappa, \kappa)`."""
    np.subtract(y_out, y_true, out=out)
    np.clip(out, -HUBER_DELTA, HUBER_DELTA, out=out)
    return OUTPUT_ACTIVATIONS[out_activation].backward(y_out, out)


def poisson_per_sample(y_true, y_out, out_activation):
    r"""Half Poisson deviance :math:`\sum_k y_k \log(y_k / a_k) - y_k + a_k`.

    Written as :math:`y \log y - y \log a`, not :math:`y \log(y / a)`: a
    mean that underflows to 0 where the count is 0 is a perfect prediction
    (0 log 0 = 0), not the NaN of 0 / 0.
    """
    return (xlogy(y_true, y_true) - xlogy(y_true, y_out) - y_true + y_out).sum(axis=1)


def poisson_delta(y_true, y_out, out_activation, out):
    r""":math:`\delta = a - y` (canonical link: exp output)."""
    return np.subtract(y_out, y_true, out=out)


_CLASSIFICATION = frozenset({"classification"})
_REGRESSION = frozenset({"regression"})

#: Losses keyed by the public ``loss`` option names.
LOSSES = {
    "log_loss": Loss(log_loss_per_sample, log_loss_delta, _CLASSIFICATION),
    "squared_error": Loss(
        squared_error_per_sample,
        squared_error_delta,
        _CLASSIFICATION | _REGRESSION,
        regression_output="identity",
    ),
    "huber": Loss(huber_per_sample, huber_delta, _REGRESSION, "identity"),
    "poisson": Loss(poisson_per_sample, poisson_delta, _REGRESSION, "exp"),
}
