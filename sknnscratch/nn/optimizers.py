r"""Gradient-based optimizers, each a plain class with one ``update`` method.

``update(params, grads, learning_rate)`` changes the flat parameter vector
``params`` in place from the flat gradient ``grads`` (both from
:class:`~sknnscratch.nn.network.Network`). The learning rate comes from the
schedule (:mod:`sknnscratch.nn.schedules`) at every step, so every schedule
works with every optimizer. All state is a few flat arrays and a step count,
available as a plain dict through ``state_dict()`` / ``load_state_dict()``.

With :math:`g` the gradient, :math:`\eta` the learning rate and :math:`t` the
step count (after increment):

``sgd`` (exactly scikit-learn's, momentum :math:`\mu`)
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
``adam`` (Kingma & Ba, 2014; as scikit-learn writes it)
    :math:`m \leftarrow \beta_1 m + (1 - \beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1 - \beta_2) g^2`,
    :math:`\hat\eta = \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)`,
    :math:`\theta \leftarrow \theta - \hat\eta\, m / (\sqrt{v} + \epsilon)`.

Why ``update`` walks the vectors in chunks: an update is up to a dozen
element-wise passes over four or five vectors as long as the network has
parameters. Done on whole vectors, every pass streams them through main
memory; done on chunks of ``CHUNK_BYTES`` per vector, the chunk stays in the
CPU cache for all the passes, and memory is read and written about once. The
formulas (``_step``) are the same either way: they act on whatever slice of
the vectors they are given.

Why the ``_flush_subnormals`` step: a moving average whose gradient is always
zero (a weight from an always-blank MNIST border pixel, with ``alpha=0``)
decays geometrically, :math:`m \beta^k`, and after a few hundred steps enters
the *subnormal* range below ``finfo(dtype).tiny``. x86 arithmetic on subnormal
numbers is one to two orders of magnitude slower, and training slows down as
they accumulate. Every ``FLUSH_INTERVAL`` steps, each decaying state array is
swept once: entries too small to stay normal until the next sweep are set to
zero. They are at most ``tiny / decay**FLUSH_INTERVAL`` (about 1e-35 in
float32 for :math:`\beta_1 = 0.9`), far below anything that moves a weight.

The weights themselves get the same sweep, below ``tiny * 2**32`` (about
5e-29 in float32): with L2 (``alpha``) and Adam, a weight that never sees data
(the blank border pixels again) is pulled to zero by a nearly constant factor
per step, since Adam divides its tiny gradient by a tiny root. In measured
MNIST runs about 20,000 first-layer weights went subnormal by the fourth epoch
and each epoch took 30% longer. A weight of 1e-29 next to weights of 1e-2 has
no effect on any output, so it might as well be 0.

The squared gradients that feed ``adagrad``, ``rmsprop`` and ``adam`` are
raised by a floor, :math:`g^2 + 10^{-30}`, so that :math:`v` and :math:`s`
never hold a subnormal number (a float32 gradient below about 1e-19 squares
to one). The floor changes nothing a weight can feel: in float32 it is below
the rounding of any :math:`g^2` above :math:`10^{-22}`, and the squared term
ends up under a square root next to :math:`\epsilon = 10^{-8}`, with
:math:`\sqrt{10^{-30}} = 10^{-15} \ll \epsilon`. (An addition rather than
a ``maximum``: NumPy's ``maximum`` also checks for NaN, and took three times
as long as the addition on these vectors.)
"""

import numpy as np

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "RMSprop", "Adam"]

#: Steps between two sweeps of the optimizer state for near-subnormal values.
FLUSH_INTERVAL = 64

#: A swept weight below ``finfo(dtype).tiny`` times this is set to zero.
WEIGHT_FLUSH_FACTOR = 2.0**32

#: Added to every squared gradient of a squared-gradient average (see above).
SQUARED_GRADIENT_FLOOR = 1e-30

#: Bytes of each vector processed together (a few such chunks fit in L2 cache).
CHUNK_BYTES = 256 * 1024


class Optimizer:
    """Shared bookkeeping: the step count, state arrays and subnormal sweeps.

    Subclasses name their state arrays in ``slots`` and, for each one that
    decays geometrically, its decay factor in ``_decays``.
    """

    slots = ()

    def __init__(self, n_params, dtype):
        self.t = 0
        self.dtype = np.dtype(dtype)
        for name in self.slots:
            setattr(self, name, np.zeros(n_params, dtype=self.dtype))
        self._decays = {}
        chunk = max(1, CHUNK_BYTES // self.dtype.itemsize)
        self._chunks = [
            slice(start, min(start + chunk, n_params))
            for start in range(0, n_params, chunk)
        ]
        # Scratch space for one chunk, so that an update allocates nothing.
        self._scratch = np.empty(min(chunk, n_params), dtype=self.dtype)

    def update(self, params, grads, learning_rate):
        """Apply one step to ``params`` in place, chunk by chunk."""
        self.t += 1
        # A NumPy float64 scalar times a float32 array takes a casting loop
        # about ten times slower than a Python float does: keep them Python.
        learning_rate = float(learning_rate)
        flush = self.t % FLUSH_INTERVAL == 0
        for chunk in self._chunks:
            state = [getattr(self, name)[chunk] for name in self.slots]
            scratch = self._scratch[: chunk.stop - chunk.start]
            self._step(params[chunk], grads[chunk], learning_rate, *state, scratch)
            if flush:
                self._flush_subnormals(params[chunk], state, scratch)

    def _flush_subnormals(self, params, state, scratch):
        tiny = np.finfo(self.dtype).tiny
        thresholds = [(params, tiny * WEIGHT_FLUSH_FACTOR)]
        for name, array in zip(self.slots, state):
            decay = self._decays.get(name, 0.0)
            if decay > 0:  # without decay nothing shrinks towards subnormals
                thresholds.append((array, tiny / decay**FLUSH_INTERVAL))
        for array, threshold in thresholds:
            np.abs(array, out=scratch)
            np.copyto(array, 0, where=scratch < threshold)

    def state_dict(self):
        """The optimizer's state as a plain dict (step count and arrays)."""
        return {"t": self.t, **{name: getattr(self, name) for name in self.slots}}

    def load_state_dict(self, state):
        """Restore a state saved by :meth:`state_dict` (arrays are copied)."""
        self.t = int(state["t"])
        for name in self.slots:
            getattr(self, name)[...] = state[name]


def _squared_gradient(grads, out):
    r""":math:`g^2 + 10^{-30}` into ``out``: never a subnormal number."""
    # np.square rather than grads * grads: the same values, twice as fast
    # (measured on float32 vectors of 200,000 entries).
    np.square(grads, out=out)
    out += SQUARED_GRADIENT_FLOOR
    return out


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum."""

    slots = ("velocity",)

    def __init__(self, n_params, dtype, momentum=0.9, nesterovs_momentum=True):
        super().__init__(n_params, dtype)
        self.momentum = float(momentum)
        self.nesterovs_momentum = nesterovs_momentum
        self._decays = {"velocity": momentum}

    def _step(self, params, grads, learning_rate, velocity, scratch):
        step = np.multiply(grads, learning_rate, out=scratch)  # eta * g
        velocity *= self.momentum
        velocity -= step  # v = mu v - eta g
        if self.nesterovs_momentum:
            params -= step
            params += np.multiply(velocity, self.momentum, out=step)
        else:
            params += velocity


class Adagrad(Optimizer):
    """Adagrad: per-weight rates shrinking with the summed squared gradients."""

    slots = ("sum_squares",)

    def __init__(self, n_params, dtype, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.epsilon = float(epsilon)

    def _step(self, params, grads, learning_rate, sum_squares, scratch):
        _squared_gradient(grads, scratch)
        sum_squares += scratch  # G += g^2
        np.sqrt(sum_squares, out=scratch)
        scratch += self.epsilon
        np.divide(grads, scratch, out=scratch)
        scratch *= learning_rate
        params -= scratch


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a moving average of squared gradients."""

    slots = ("mean_squares",)

    def __init__(self, n_params, dtype, rho=0.9, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self._decays = {"mean_squares": rho}

    def _step(self, params, grads, learning_rate, mean_squares, scratch):
        _squared_gradient(grads, scratch)
        scratch *= 1 - self.rho
        mean_squares *= self.rho
        mean_squares += scratch  # s = rho s + (1 - rho) g^2
        np.sqrt(mean_squares, out=scratch)
        scratch += self.epsilon
        np.divide(grads, scratch, out=scratch)
        scratch *= learning_rate
        params -= scratch


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and RMSprop's scaling, bias-corrected.

    The moving averages are kept without their :math:`(1 - \beta)` factors,
    as the exponentially weighted *sums*

    .. math::

        u = m / (1 - \beta_1): \quad u \leftarrow \beta_1 u + g, \qquad
        w = v / (1 - \beta_2): \quad w \leftarrow \beta_2 w + g^2,

    and the factors move into the step size and :math:`\epsilon`:

    .. math::

        \frac{m}{\sqrt{v} + \epsilon}
        = \frac{1 - \beta_1}{\sqrt{1 - \beta_2}}
          \cdot \frac{u}{\sqrt{w} + \epsilon / \sqrt{1 - \beta_2}}.

    Why: each average then costs one multiply and one add per step instead
    of a third pass for the factor; the update is the same up to rounding
    (it matches scikit-learn's ``AdamOptimizer`` to 1e-12 in float64).
    ``state_dict`` holds ``gradient_sum`` (:math:`u`) and
    ``squared_gradient_sum`` (:math:`w`).
    """

    slots = ("gradient_sum", "squared_gradient_sum")

    def __init__(self, n_params, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self._decays = {"gradient_sum": beta_1, "squared_gradient_sum": beta_2}

    def _step(self, params, grads, learning_rate, u, w, scratch):
        u *= self.beta_1
        u += grads  # u = b1 u + g
        w *= self.beta_2
        w += _squared_gradient(grads, scratch)  # w = b2 w + g^2
        root = (1 - self.beta_2) ** 0.5
        # Bias correction folded into the step size, as scikit-learn does,
        # together with the (1 - beta) factors of m and v.
        corrected_rate = (
            learning_rate
            * (1 - self.beta_2**self.t) ** 0.5
            / (1 - self.beta_1**self.t)
            * (1 - self.beta_1)
            / root
        )
        np.sqrt(w, out=scratch)
        scratch += self.epsilon / root
        np.divide(u, scratch, out=scratch)
        scratch *= corrected_rate
        params -= scratch

    def load_state_dict(self, state):
        """Restore a state saved by ``state_dict`` (arrays are copied).

        A state saved by earlier versions, which kept the averages
        ``first_moment`` (:math:`m`) and ``second_moment`` (:math:`v`), is
        converted, so that such a model's ``partial_fit`` continues.
        """
        if "first_moment" in state:
            state = {
                "t": state["t"],
                "gradient_sum": np.divide(state["first_moment"], 1 - self.beta_1),
                "squared_gradient_sum": np.divide(
                    state["second_moment"], 1 - self.beta_2
                ),
            }
        super().load_state_dict(state)


#: Optimizers keyed by the public ``optimizer`` option names ('lbfgs' is not a
#: step rule but a full-batch method: see :func:`~sknnscratch.nn.training.fit_lbfgs`).
OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}
