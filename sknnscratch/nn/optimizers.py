r"""Gradient-based optimizers, each a plain class whose ``update`` is its formula.

``step(params, grads, learning_rate)`` changes the flat parameter vector
``params`` in place from the flat gradient ``grads`` (both from
:class:`~sknnscratch.nn.network.Network`): it counts the step and applies the
optimizer's ``update``, its rule, to the parameters and its state arrays.
The learning rate comes from the schedule (:mod:`sknnscratch.nn.schedules`)
at every step, so every schedule works with every optimizer. All state is a
few flat arrays and a step count, available as a plain dict through
``state_dict()`` / ``load_state_dict()``.

With :math:`g` the gradient, :math:`\eta` the learning rate and :math:`t` the
step count (after increment), the rules are those of docs/math.md:

``sgd`` (scikit-learn's rule, momentum :math:`\mu`)
    :math:`v \leftarrow \mu v - \eta g`; then
    :math:`\theta \leftarrow \theta + v` (classical momentum), or
    :math:`\theta \leftarrow \theta + \mu v - \eta g` (Nesterov's momentum).
    With :math:`\mu = 0` both are plain gradient descent.
``adagrad`` (Duchi et al., 2011)
    :math:`G \leftarrow G + g^2`;
    :math:`\theta \leftarrow \theta - \eta\, g / (\sqrt{G} + \epsilon)`.
``rmsprop`` (Tieleman & Hinton, 2012; decay :math:`\rho`)
    :math:`s \leftarrow \rho s + (1 - \rho) g^2`;
    :math:`\theta \leftarrow \theta - \eta\, g / (\sqrt{s} + \epsilon)`.
``adam`` (Kingma & Ba, 2014; exactly scikit-learn's)
    :math:`m \leftarrow \beta_1 m + (1 - \beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1 - \beta_2) g^2`,
    :math:`\hat\eta = \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)`,
    :math:`\theta \leftarrow \theta - \hat\eta\, m / (\sqrt{v} + \epsilon)`.

How the code is written: every rule is element-wise NumPy arithmetic, in
place, with its formula beside it. Temporaries go into ``scratch``, kept
between steps: a fresh temporary every step would cost page faults
comparable to the arithmetic itself. Scalars are Python floats: a NumPy
float64 scalar times a float32 array takes a casting loop about ten times
slower.

One speed measure sits outside the rules, in :meth:`Optimizer.step`, the
one place that applies it: the rule is applied to cache-sized pieces of the
vectors (see there).
"""

import math

import numpy as np

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "RMSprop", "Adam"]


class Optimizer:
    """What every optimizer shares: the step count and the state arrays.

    Subclasses name their state arrays in ``slots`` (each starts at zero, as
    long as the parameters) and write their rule in :meth:`update`.

    Parameters
    ----------
    n_params : int
        Length of the flat parameter vector.
    dtype : numpy dtype
        That of the parameters; the state arrays use it too.
    """

    slots = ()

    #: Bytes of each vector that one piece of a step covers (see :meth:`step`);
    #: 0 makes the whole vectors one piece.
    piece_bytes = 256 * 1024

    def __init__(self, n_params, dtype):
        self.t = 0
        self.dtype = np.dtype(dtype)
        for name in self.slots:
            setattr(self, name, np.zeros(n_params, dtype=self.dtype))
        length = n_params
        if self.piece_bytes:
            length = max(1, self.piece_bytes // self.dtype.itemsize)
        self.pieces = [
            slice(start, min(start + length, n_params))
            for start in range(0, n_params, length)
        ]
        self.scratch = np.empty(min(length, n_params), dtype=self.dtype)

    def step(self, params, grads, learning_rate):
        """One step: count it, then apply the rule (:meth:`update`) piece by piece.

        Why pieces: a rule is up to a dozen element-wise passes over four or
        five vectors as long as the network has parameters. Once those
        outgrow the CPU's cache, every pass on whole vectors streams them
        through main memory; on pieces of ``piece_bytes`` per vector, a piece
        stays in cache for all the passes. The rule is the same either way,
        element-wise arithmetic on whatever slices it is given, so the
        results are the same bit for bit. Measured on MNIST
        (``benchmarks/bench_training.py``, docs/performance.md): whole
        vectors made the epochs of a 784-1024-1024-10 network (1.9 million
        parameters) 25% slower with SGD and 9% with Adam in float32.
        """
        self.t += 1
        learning_rate = float(learning_rate)
        for piece in self.pieces:
            state = {name: getattr(self, name)[piece] for name in self.slots}
            self.update(params[piece], grads[piece], learning_rate, **state)

    def update(self, params, grads, learning_rate, **state):
        """The optimizer's rule: change ``params`` and the ``state`` arrays
        (its slots, by name) in place; ``self.t`` is already this step's."""
        raise NotImplementedError

    def state_dict(self):
        """The optimizer's state as a plain dict (step count and arrays)."""
        return {"t": self.t, **{name: getattr(self, name) for name in self.slots}}

    def load_state_dict(self, state):
        """Restore a state saved by :meth:`state_dict` (arrays are copied)."""
        self.t = int(state["t"])
        for name in self.slots:
            getattr(self, name)[...] = state[name]


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum."""

    slots = ("velocity",)

    def __init__(self, n_params, dtype, momentum=0.9, nesterovs_momentum=True):
        super().__init__(n_params, dtype)
        self.momentum = float(momentum)
        self.nesterovs_momentum = nesterovs_momentum

    def update(self, params, grads, learning_rate, velocity):
        """:math:`v \\leftarrow \\mu v - \\eta g`, then the step."""
        v, mu = velocity, self.momentum
        eta_g = np.multiply(grads, learning_rate, out=self.scratch[: grads.size])
        v *= mu
        v -= eta_g  # v = mu v - eta g
        if self.nesterovs_momentum:
            params -= eta_g
            params += np.multiply(v, mu, out=eta_g)  # theta += mu v - eta g
        else:
            params += v  # theta += v


class Adagrad(Optimizer):
    """Adagrad: per-weight rates shrinking with the summed squared gradients."""

    slots = ("sum_squares",)

    def __init__(self, n_params, dtype, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.epsilon = float(epsilon)

    def update(self, params, grads, learning_rate, sum_squares):
        """:math:`G \\leftarrow G + g^2`, :math:`\\theta \\leftarrow \\theta -
        \\eta g / (\\sqrt{G} + \\epsilon)`."""
        G, s = sum_squares, self.scratch[: grads.size]
        G += np.square(grads, out=s)  # G = G + g^2
        np.sqrt(G, out=s)
        s += self.epsilon
        np.divide(grads, s, out=s)
        s *= learning_rate
        params -= s  # theta -= eta g / (sqrt(G) + eps)


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a moving average of squared gradients."""

    slots = ("mean_squares",)

    def __init__(self, n_params, dtype, rho=0.9, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def update(self, params, grads, learning_rate, mean_squares):
        """:math:`s \\leftarrow \\rho s + (1 - \\rho) g^2`, :math:`\\theta
        \\leftarrow \\theta - \\eta g / (\\sqrt{s} + \\epsilon)`."""
        S, s = mean_squares, self.scratch[: grads.size]
        np.square(grads, out=s)
        s *= 1 - self.rho
        S *= self.rho
        S += s  # S = rho S + (1 - rho) g^2
        np.sqrt(S, out=s)
        s += self.epsilon
        np.divide(grads, s, out=s)
        s *= learning_rate
        params -= s  # theta -= eta g / (sqrt(S) + eps)


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSprop's scaling, bias-corrected.

    ``first_moment`` is :math:`m`, ``second_moment`` :math:`v`. The bias
    correction is folded into the step size, as scikit-learn does, so the
    update is the same as scikit-learn's ``AdamOptimizer``'s, operation for
    operation.
    """

    slots = ("first_moment", "second_moment")

    def __init__(self, n_params, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        # Adam needs two temporaries at once (the step and its divisor).
        self.scratch_2 = np.empty_like(self.scratch)

    def update(self, params, grads, learning_rate, first_moment, second_moment):
        """The moments, then :math:`\\theta \\leftarrow \\theta - \\hat\\eta\\,
        m / (\\sqrt{v} + \\epsilon)`."""
        m, v, s = first_moment, second_moment, self.scratch[: grads.size]
        b1, b2 = self.beta_1, self.beta_2
        m *= b1
        m += np.multiply(grads, 1 - b1, out=s)  # m = b1 m + (1 - b1) g
        v *= b2
        np.square(grads, out=s)
        v += np.multiply(s, 1 - b2, out=s)  # v = b2 v + (1 - b2) g^2
        eta_hat = learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        divisor = np.sqrt(v, out=self.scratch_2[: grads.size])
        divisor += self.epsilon
        step = np.multiply(m, eta_hat, out=s)
        params -= np.divide(step, divisor, out=s)  # theta -= eta_hat m / (...)

    def load_state_dict(self, state):
        """Restore a state saved by ``state_dict`` (arrays are copied).

        sknnscratch 0.3 kept the exponentially weighted sums
        ``gradient_sum`` (:math:`m / (1 - \\beta_1)`) and
        ``squared_gradient_sum`` (:math:`v / (1 - \\beta_2)`) instead of the
        moments; such a state is converted, so that an 0.3 model's
        ``partial_fit`` continues.
        """
        if "gradient_sum" in state:
            state = {
                "t": state["t"],
                "first_moment": np.multiply(state["gradient_sum"], 1 - self.beta_1),
                "second_moment": np.multiply(
                    state["squared_gradient_sum"], 1 - self.beta_2
                ),
            }
        super().load_state_dict(state)


#: Optimizers keyed by the public ``solver`` option names ('lbfgs' is not a
#: step rule but a full-batch method: see :func:`~sknnscratch.nn.lbfgs.train_lbfgs`).
OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}

#: Slot names an optimizer's saved state had in earlier versions (model files
#: of sknnscratch 0.3 hold Adam's sums); ``load_state_dict`` converts them.
FORMER_SLOTS = {"adam": [("gradient_sum", "squared_gradient_sum")]}
