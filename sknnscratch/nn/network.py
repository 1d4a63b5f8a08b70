r"""The network: a stack of layers over one flat parameter vector.

All weights and biases live in one contiguous vector ``params``, laid out as
``[W_1, ..., W_L, b_1, ..., b_L]`` (scikit-learn's packing order); every
layer's ``weights`` and ``biases`` are views into it, and the same holds for
``grads``. Hence:

- an optimizer updates every layer with a few whole-vector operations;
- the L2 penalty and its gradient touch the weight block ``params[:n_weights]``
  in one operation each;
- L-BFGS (which wants one vector) needs no packing or unpacking.

The objective minimised over a batch with sample weights :math:`s_i` is

.. math::

    J = \frac{1}{\sum_i s_i} \Big( \sum_i s_i\, \ell(y_i, a_i)
        + \frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2
        + \frac{\alpha_b}{2} \sum_l \lVert b_l \rVert^2 \Big)

(``alpha`` scaled exactly as in scikit-learn's ``MLPClassifier``;
:math:`\alpha_b` is ``alpha_bias``, 0 unless asked for, scaled the same way).
"""

import numpy as np

from .initializers import INITIALIZERS
from .layers import Dense, Dropout
from .losses import LOSSES

__all__ = ["Network", "forward", "predict"]

#: Rows per chunk when predicting, so memory stays bounded on large inputs.
PREDICT_CHUNK_ROWS = 4096


class Network:
    """A feed-forward network: Dense layers with optional Dropout between them.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first: ``[n_features, *hidden, n_outputs]``.
    hidden_activations : sequence of str
        One activation name per hidden layer.
    output_activation : str
        ``'softmax'``, ``'logistic'``, ``'identity'`` or ``'exp'``.
    loss : str
        Key of :data:`~sknnscratch.nn.losses.LOSSES`.
    dropout_rates : sequence of float
        One dropout rate per hidden layer (0 for none).
    dtype : numpy dtype
        ``float32`` or ``float64``; parameters, buffers and gradients use it.
    rng : numpy.random.Generator
        Source of the dropout masks.
    """

    def __init__(
        self,
        layer_units,
        hidden_activations,
        output_activation,
        loss,
        dropout_rates,
        dtype,
        rng,
    ):
        n_hidden = len(layer_units) - 2
        if len(hidden_activations) != n_hidden or len(dropout_rates) != n_hidden:
            raise ValueError("need an activation and a dropout rate per hidden layer")
        self.layer_units = list(layer_units)
        self.activations = [*hidden_activations, output_activation]
        self.output_activation = output_activation
        self.loss = LOSSES[loss]
        self.dtype = np.dtype(dtype)

        shapes = list(zip(layer_units[:-1], layer_units[1:]))
        self.n_weights = sum(n_in * n_out for n_in, n_out in shapes)
        n_params = self.n_weights + sum(n_out for _, n_out in shapes)
        self.params = np.zeros(n_params, dtype=self.dtype)
        self.grads = np.zeros(n_params, dtype=self.dtype)
        self._l2_buffer = None
        # Per-layer views: writing through them changes params/grads.
        self.coefs, self.intercepts = self._views(self.params, shapes)
        weight_grads, bias_grads = self._views(self.grads, shapes)
        self.dense_layers = [
            Dense(w, b, gw, gb, act, needs_input_grad=i > 0)
            for i, (w, b, gw, gb, act) in enumerate(
                zip(
                    self.coefs,
                    self.intercepts,
                    weight_grads,
                    bias_grads,
                    self.activations,
                )
            )
        ]
        self.layers = []
        for i, dense in enumerate(self.dense_layers):
            self.layers.append(dense)
            if i < n_hidden and dropout_rates[i] > 0:
                self.layers.append(Dropout(dropout_rates[i], rng))

    def _views(self, flat, shapes):
        """Split a flat vector into per-layer weight matrices and bias vectors."""
        weights, biases = [], []
        start = 0
        for n_in, n_out in shapes:
            weights.append(flat[start : start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        for _, n_out in shapes:
            biases.append(flat[start : start + n_out])
            start += n_out
        return weights, biases

    # --- parameters ---------------------------------------------------------

    def initialize(self, weight_init, rng):
        """Draw fresh weights with the named initializer."""
        init = INITIALIZERS[weight_init]
        for coef, intercept, activation in zip(
            self.coefs, self.intercepts, self.activations
        ):
            weights, biases = init(*coef.shape, activation, rng)
            coef[...] = weights
            intercept[...] = biases

    def set_weights(self, coefs, intercepts):
        """Copy per-layer weights and biases (e.g. a fitted model's) in."""
        for dst, src in zip(self.coefs + self.intercepts, coefs + intercepts):
            if dst.shape != np.shape(src):
                raise ValueError(f"expected shape {dst.shape}, got {np.shape(src)}")
            dst[...] = src

    # --- forward and backward -------------------------------------------------

    def forward(self, X, training=False):
        """Forward pass: the network's output for the batch ``X``.

        The result is a view into the last layer's buffer, valid until the next
        call; :meth:`predict` returns a fresh array instead.
        """
        return forward(self.layers, X, training)

    def backward(self, delta):
        """Backward pass from :math:`\\delta = \\partial L / \\partial z` at the
        output layer; fills ``grads``."""
        *hidden, output_layer = self.layers
        grad = output_layer.backward_delta(delta)
        for layer in reversed(hidden):
            grad = layer.backward(grad)

    def predict(self, X):
        """Output probabilities (or values) for any number of rows, in chunks."""
        return _predict_in_chunks(self.layers, X, self.layer_units[-1], self.dtype)

    def loss_and_gradient(
        self, X, Y, sample_weight=None, alpha=0.0, alpha_bias=0.0, training=True
    ):
        """Objective :math:`J` of one batch, and its gradient into ``grads``.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            Targets: label indicator matrix for a classifier.
        sample_weight : ndarray of shape (n_samples,) or None
        alpha : float
            L2 penalty of the weights (scaled as in scikit-learn, see the
            module docstring).
        alpha_bias : float
            L2 penalty of the biases, scaled as ``alpha``.
        training : bool
            Apply dropout (False gives the deterministic objective, as used by
            L-BFGS and by gradient checks without dropout).

        Returns
        -------
        loss : float
            The objective :math:`J` (data term plus L2 terms).
        output : ndarray of shape (n_samples, n_outputs)
            The forward pass's output (a buffer view; copy to keep).
        """
        # Python floats: NumPy float64 scalars would upcast float32 arrays.
        weight_sum = float(X.shape[0] if sample_weight is None else sample_weight.sum())
        if weight_sum <= 0:
            # A batch whose rows all weigh zero carries no information: no step.
            self.grads[...] = 0
            return 0.0, self.forward(X, training)
        output = self.forward(X, training)
        loss = self.objective(output, Y, sample_weight, alpha, alpha_bias)

        # Backward: delta at the output, scaled once by s_i / sum(s) so that
        # every gradient downstream is already the weighted mean.
        delta = np.empty_like(output)
        self.loss.delta(Y, output, self.output_activation, delta)
        if sample_weight is None:
            delta *= 1.0 / weight_sum
        else:
            delta *= (sample_weight / weight_sum).astype(self.dtype)[:, None]
        self.backward(delta)
        # d/dW of (alpha / 2) ||W||^2 / sum(s) is alpha W / sum(s).
        if alpha:
            # Into a kept buffer: a fresh weights-sized temporary every batch
            # costs page faults comparable to the arithmetic.
            if self._l2_buffer is None:
                self._l2_buffer = np.empty(self.n_weights, dtype=self.dtype)
            weights = self.params[: self.n_weights]
            penalty = np.multiply(weights, alpha / weight_sum, out=self._l2_buffer)
            self.grads[: self.n_weights] += penalty
        # Likewise alpha_bias b / sum(s) for (alpha_bias / 2) ||b||^2 / sum(s):
        # the biases are few, so a temporary costs nothing here.
        if alpha_bias:
            biases = self.params[self.n_weights :]
            self.grads[self.n_weights :] += biases * (alpha_bias / weight_sum)
        return loss, output

    def objective(self, output, Y, sample_weight=None, alpha=0.0, alpha_bias=0.0):
        """The objective :math:`J` for a given network output (no backward)."""
        per_sample = self.loss.per_sample(Y, output, self.output_activation)
        if sample_weight is None:
            weight_sum = output.shape[0]
            data_loss = per_sample.sum()
        else:
            weight_sum = sample_weight.sum()
            data_loss = per_sample @ sample_weight
        if alpha:
            weights = self.params[: self.n_weights]
            data_loss += 0.5 * alpha * np.dot(weights, weights)
        if alpha_bias:
            biases = self.params[self.n_weights :]
            data_loss += 0.5 * alpha_bias * np.dot(biases, biases)
        return float(data_loss / weight_sum)


def forward(layers, X, training=False):
    """The output of ``layers`` for the batch ``X``: each layer's output is
    the next one's input."""
    out = X
    for layer in layers:
        out = layer.forward(out, training)
    return out


def predict(coefs, intercepts, activations, X):
    """The output of a network with these weights for every row of ``X``.

    Forward only, as prediction from fitted weights needs: the layers are
    built over the given arrays (no copy, no gradients), which costs a few
    Python objects, so that predicting one row stays cheap.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        Per-layer weight matrices (inputs, outputs) and bias vectors.
    activations : list of str
        One activation name per layer, the output layer's last.
    X : ndarray or sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
        A fresh array.
    """
    layers = [
        Dense(w, b, None, None, activation, needs_input_grad=False)
        for w, b, activation in zip(coefs, intercepts, activations)
    ]
    return _predict_in_chunks(layers, X, coefs[-1].shape[1], coefs[0].dtype)


def _predict_in_chunks(layers, X, n_outputs, dtype):
    """The forward pass over ``PREDICT_CHUNK_ROWS`` rows at a time, so that
    the layers' buffers stay small whatever the number of rows."""
    n_samples = X.shape[0]
    result = np.empty((n_samples, n_outputs), dtype=dtype)
    for start in range(0, n_samples, PREDICT_CHUNK_ROWS):
        stop = min(start + PREDICT_CHUNK_ROWS, n_samples)
        result[start:stop] = forward(layers, X[start:stop])
    return result
