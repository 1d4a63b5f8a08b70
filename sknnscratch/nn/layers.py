r"""Layers: the two building blocks of a multi-layer perceptron.

Every layer speaks the same tiny protocol:

``forward(x, training)``
    Returns the layer's output for the batch ``x`` and remembers what its
    backward pass will need.
``backward(grad)``
    Takes :math:`\partial L / \partial \text{output}` and returns
    :math:`\partial L / \partial x` (or ``None`` where nobody needs it: the
    first layer's input is the data). A layer with parameters also writes
    their gradients into its gradient views.

Outputs are written into buffers the layer keeps between batches, so a
training step allocates (almost) nothing. A returned array is therefore only
valid until the layer's next ``forward``: callers that keep it must copy it.
"""

import numpy as np
import scipy.sparse as sp

from .activations import OUTPUT_ACTIVATIONS

__all__ = ["Dense", "Dropout"]


def _buffer(buffers, key, shape, dtype):
    """Return a ``shape`` view of a reusable buffer, growing it when needed."""
    buf = buffers.get(key)
    if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:]:
        buf = np.empty(shape, dtype=dtype)
        buffers[key] = buf
    return buf[: shape[0]]


class Dense:
    r"""Fully connected layer followed by its activation.

    Forward: :math:`z = x W + b`, :math:`a = f(z)`.

    Backward, with :math:`g = \partial L / \partial a` (shape batch x out):

    - :math:`\delta = \partial L / \partial z = g \odot f'(z)`
      (the activation's backward function);
    - :math:`\partial L / \partial W = x^T \delta`,
      :math:`\partial L / \partial b = \sum_{\text{rows}} \delta`;
    - :math:`\partial L / \partial x = \delta W^T`.

    Parameters
    ----------
    weights, biases : ndarray
        Views into the network's flat parameter vector, updated in place by
        the optimizer.
    weight_grads, bias_grads : ndarray
        Views into the network's flat gradient vector, written by ``backward``.
    activation : str
        Key of :data:`~sknnscratch.nn.activations.OUTPUT_ACTIVATIONS`.
    needs_input_grad : bool
        False for the first layer: the gradient with respect to the data is
        never used, and skipping it saves one matrix product per batch.
    """

    def __init__(
        self,
        weights,
        biases,
        weight_grads,
        bias_grads,
        activation,
        needs_input_grad=True,
    ):
        self.weights = weights
        self.biases = biases
        self.weight_grads = weight_grads
        self.bias_grads = bias_grads
        self.activation = activation
        self.needs_input_grad = needs_input_grad
        self._activation = OUTPUT_ACTIVATIONS[activation]
        self._buffers = {}
        self._input = None
        self._output = None

    def forward(self, x, training=False):
        """Compute :math:`f(x W + b)` for a batch."""
        shape = (x.shape[0], self.weights.shape[1])
        out = _buffer(self._buffers, "output", shape, self.weights.dtype)
        if sp.issparse(x):
            out[...] = x @ self.weights
        else:
            np.matmul(x, self.weights, out=out)
        out += self.biases
        self._activation.forward(out)
        self._input = x
        self._output = out
        return out

    def backward(self, grad):
        """Backpropagate ``grad`` (dL/da), overwriting it with dL/dz (delta)."""
        return self.backward_delta(self._activation.backward(self._output, grad))

    def backward_delta(self, delta):
        """Backpropagate from delta = dL/dz directly.

        The output layer starts here: the loss already gives dL/dz (for
        log-loss the fused ``a - y``), so the activation is not applied again.
        """
        x = self._input
        if sp.issparse(x):
            self.weight_grads[...] = x.T @ delta
        else:
            np.matmul(x.T, delta, out=self.weight_grads)
        np.sum(delta, axis=0, out=self.bias_grads)
        if not self.needs_input_grad:
            return None
        shape = (delta.shape[0], self.weights.shape[0])
        grad_input = _buffer(self._buffers, "grad_input", shape, delta.dtype)
        return np.matmul(delta, self.weights.T, out=grad_input)


class Dropout:
    r"""Inverted dropout.

    While training, each unit is kept with probability :math:`1 - p` and
    scaled by :math:`1 / (1 - p)`:

    .. math:: y = x \odot m / (1 - p), \qquad m_{ij} \sim \text{Bernoulli}(1 - p)

    so that :math:`E[y] = x` and inference needs no rescaling (it is the
    identity). Backward applies the same mask: :math:`g_x = g_y \odot m / (1 - p)`.

    Parameters
    ----------
    rate : float
        Probability :math:`p` of dropping a unit, in ``[0, 1)``.
    rng : numpy.random.Generator
        Source of the masks; the estimator hands in the one built from
        ``random_state``.
    """

    def __init__(self, rate, rng):
        self.rate = rate
        self.rng = rng
        self._buffers = {}
        self._mask = None

    def forward(self, x, training=False):
        """Drop and rescale units while training; pass ``x`` through otherwise."""
        if not training or self.rate == 0:
            self._mask = None
            return x
        uniform = _buffer(self._buffers, "uniform", x.shape, x.dtype)
        self.rng.random(out=uniform, dtype=x.dtype)
        # The mask holds 0 or 1/(1-p): one multiply applies drop and rescale.
        mask = _buffer(self._buffers, "mask", x.shape, x.dtype)
        np.greater_equal(uniform, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        # A separate output buffer: x is the previous layer's activation,
        # which that layer still needs, unscaled, for its own backward pass.
        out = _buffer(self._buffers, "output", x.shape, x.dtype)
        return np.multiply(x, mask, out=out)

    def backward(self, grad):
        """Apply the forward pass's mask to the incoming gradient."""
        if self._mask is not None:
            grad *= self._mask
        return grad
