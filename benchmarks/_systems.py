"""The systems under comparison, trained the same way: ours, sklearn, torch.

Each ``train_*`` function builds a fresh model from a :class:`TrainConfig`,
times its training on (X, y) with ``time.perf_counter`` (construction, input
checks and every epoch included, the way a user calling ``fit`` waits for
it), then scores it on the test set outside the timed region.

The three are configured to do the same work: the same layer sizes with
ReLU hidden units and a softmax/cross-entropy output, the same optimizer and
hyperparameters, batch size, number of epochs, no L2 penalty, no early
stopping and a reshuffle of the rows every epoch.
"""

import os
import time
from dataclasses import asdict, dataclass

import _common
import numpy as np

#: Systems in the order they run within one repeat.
ALL_SYSTEMS = ("ours", "sklearn", "torch")

#: ``n_iter_no_change`` large enough that no run ever stops on a plateau.
NEVER_STOP = 1_000_000

#: Learning rates used when none is given: each optimizer's usual one.
DEFAULT_LEARNING_RATE = {"adam": 0.001, "sgd": 0.01}


@dataclass(frozen=True)
class TrainConfig:
    """One training setting shared by every system.

    Attributes
    ----------
    hidden : tuple of int
        Hidden-layer widths (ReLU).
    solver : {'adam', 'sgd'}
        Adam with betas (0.9, 0.999) and eps 1e-8, or SGD with Nesterov
        momentum 0.9 (the scikit-learn defaults).
    learning_rate : float
    epochs : int
    batch_size : int
    seed : int
        Seeds the initial weights and the shuffling of every system.
    """

    hidden: tuple
    solver: str
    learning_rate: float
    epochs: int
    batch_size: int = 128
    seed: int = 0

    def as_dict(self):
        """The settings as JSON-ready values."""
        return {**asdict(self), "hidden": list(self.hidden)}


@dataclass
class FitResult:
    """What one timed training run gives."""

    seconds: float
    epochs: int
    accuracy: float | None
    model: object = None

    @property
    def seconds_per_epoch(self):
        return self.seconds / self.epochs


def available_systems(requested=ALL_SYSTEMS):
    """``requested`` minus 'torch' when PyTorch does not import."""
    systems = [s for s in requested if s != "torch"]
    if "torch" in requested and _common.optional_torch() is not None:
        systems.append("torch")
    return [s for s in ALL_SYSTEMS if s in systems]


def estimator_params(config):
    """Parameters with the same name and meaning in both estimators."""
    return {
        "hidden_layer_sizes": tuple(config.hidden),
        "activation": "relu",
        "alpha": 0.0,
        "batch_size": config.batch_size,
        "learning_rate": "constant",
        "learning_rate_init": config.learning_rate,
        "max_iter": config.epochs,
        "shuffle": True,
        "random_state": config.seed,
        "tol": 0.0,
        "n_iter_no_change": NEVER_STOP,
        "early_stopping": False,
        "momentum": 0.9,
        "nesterovs_momentum": True,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
    }


def make_ours(config):
    """An unfitted ScratchMLPClassifier for ``config``."""
    from sknnscratch import ScratchMLPClassifier

    return ScratchMLPClassifier(solver=config.solver, **estimator_params(config))


def make_sklearn(config):
    """An unfitted scikit-learn MLPClassifier for ``config``."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(solver=config.solver, **estimator_params(config))


def _train_estimator(estimator, X, y, X_test, y_test):
    with _common.quiet_convergence():
        started = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - started
    accuracy = None if X_test is None else float(estimator.score(X_test, y_test))
    return FitResult(seconds, int(estimator.n_iter_), accuracy, estimator)


def train_ours(config, X, y, X_test=None, y_test=None):
    """Fit ScratchMLPClassifier; X's dtype is the training dtype."""
    return _train_estimator(make_ours(config), X, y, X_test, y_test)


def train_sklearn(config, X, y, X_test=None, y_test=None):
    """Fit MLPClassifier (which trains in X's dtype, float32 or float64)."""
    return _train_estimator(make_sklearn(config), X, y, X_test, y_test)


def build_torch_model(torch, layer_units, dtype, seed):
    """``nn.Sequential(Linear, ReLU, ..., Linear)`` initialized like sklearn.

    Glorot-uniform weights and biases in ``+-sqrt(6 / (fan_in + fan_out))``,
    the scheme of both estimators, drawn from a seeded generator, so the
    accuracies are comparable; the initialization does not change the speed.
    """
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
        linear = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
        bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            linear.bias.uniform_(-bound, bound, generator=generator)
        layers.append(linear)
        if i < len(layer_units) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train_torch(config, X, y, X_test=None, y_test=None):
    """Train the equivalent PyTorch CPU model with a manual mini-batch loop.

    No DataLoader: each epoch draws a permutation from a seeded
    ``torch.Generator`` and slices it into batches, as the estimators do.
    ``torch.set_num_threads(os.cpu_count())``; the model is in X's dtype.
    The epoch loss is accumulated (``loss.item()``) as the estimators
    accumulate theirs.
    """
    torch = _common.optional_torch()
    if torch is None:
        raise RuntimeError("PyTorch is not installed: pip install torch")
    torch.set_num_threads(os.cpu_count())
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[X.dtype.type]
    classes, y_index = np.unique(y, return_inverse=True)

    started = time.perf_counter()
    X_t = torch.from_numpy(np.ascontiguousarray(X))
    y_t = torch.from_numpy(y_index.astype(np.int64))
    model = build_torch_model(
        torch, [X.shape[1], *config.hidden, len(classes)], torch_dtype, config.seed
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    if config.solver == "adam":
        optimizer = torch.optim.Adam(
            model.parameters(),
            lr=config.learning_rate,
            betas=(0.9, 0.999),
            eps=1e-8,
        )
    elif config.solver == "sgd":
        optimizer = torch.optim.SGD(
            model.parameters(), lr=config.learning_rate, momentum=0.9, nesterov=True
        )
    else:
        raise ValueError(f"no PyTorch equivalent for solver {config.solver!r}")
    shuffler = torch.Generator().manual_seed(config.seed)
    n_samples = X_t.shape[0]
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(n_samples, generator=shuffler)
        loss_sum = 0.0
        for start in range(0, n_samples, config.batch_size):
            index = order[start : start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
    seconds = time.perf_counter() - started

    accuracy = None
    if X_test is not None:
        model.eval()
        with torch.no_grad():
            scores = model(torch.from_numpy(np.ascontiguousarray(X_test)))
        predicted = classes[scores.argmax(dim=1).numpy()]
        accuracy = float(np.mean(predicted == y_test))
    return FitResult(seconds, config.epochs, accuracy, model)


TRAINERS = {"ours": train_ours, "sklearn": train_sklearn, "torch": train_torch}


def warm_up(systems, config, X, y, rows=1024):
    """One short untimed fit per system on a few rows.

    Pays one-off costs (BLAS thread pools, lazy imports, PyTorch's first-call
    setup) before anything is timed.
    """
    small = TrainConfig(
        config.hidden, config.solver, config.learning_rate, 1, config.batch_size
    )
    for system in systems:
        TRAINERS[system](small, X[:rows], y[:rows])
