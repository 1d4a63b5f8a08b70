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
- :mod:`~sknnscratch.nn.training`: the mini-batch loop and L-BFGS;
- :mod:`~sknnscratch.nn.gradcheck`: finite-difference gradient checking.

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
