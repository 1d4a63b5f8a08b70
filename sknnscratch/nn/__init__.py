"""The from-scratch NumPy engine behind the estimators.

One module per concept, each formula in its docstring:

- :mod:`~sknnscratch.nn.activations`: activation functions and derivatives;
- :mod:`~sknnscratch.nn.losses`: output losses and the output delta;
- :mod:`~sknnscratch.nn.initializers`: weight initializers;
- :mod:`~sknnscratch.nn.layers`: ``Dense`` and ``Dropout`` (forward, backward);
- :mod:`~sknnscratch.nn.network`: the stack of layers over one flat parameter
  vector, with the objective and its gradient;
- :mod:`~sknnscratch.nn.optimizers`: SGD, Adagrad, RMSprop, Adam;
- :mod:`~sknnscratch.nn.schedules`: learning-rate schedules;
- :mod:`~sknnscratch.nn.data`: a dataset and its mini-batches;
- :mod:`~sknnscratch.nn.training`: one epoch (batch, forward, loss, backward,
  update) and the mini-batch training loop;
- :mod:`~sknnscratch.nn.lbfgs`: full-batch training with L-BFGS;
- :mod:`~sknnscratch.nn.gradcheck`: finite-difference gradient checking.

Beside the arithmetic, what training keeps track of:

- :mod:`~sknnscratch.nn.bookkeeping`: history, improvement, plateaus;
- :mod:`~sknnscratch.nn.divergence`: a loss or weight that becomes inf or NaN;
- :mod:`~sknnscratch.nn.interrupts`: Ctrl-C at a batch boundary.

Nothing here imports a scikit-learn estimator; all randomness comes from a
:class:`numpy.random.Generator` handed in by the caller.
"""

from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from .initializers import INITIALIZERS
from .losses import LOSSES
from .network import Network
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "OUTPUT_ACTIVATIONS",
    "SCHEDULES",
    "Network",
]
