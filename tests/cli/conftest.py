"""Fixtures of the command-line tests: the data, trained models, a tiny one.

Each is module-scoped: every test module makes its own, so none depends on
another module having run, and no test changes what a fixture made.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknnscratch import ScratchMLPClassifier
from sknnscratch.datasets import load_fashion_mnist, load_mnist
from sknnscratch.nn.divergence import DivergenceWarning

from ._support import DIVERGED_LATE, run, save


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist(subset="test", return_X_y=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model saved by ``train`` with a few flags, and the run's output."""
    path = tmp_path_factory.mktemp("train") / "sub" / "model.safetensors"
    argv = [
        "train",
        "--train-size",
        "2000",
        "--max-iter",
        "3",
        "--hidden-layer-sizes",
        "32,16",
        "--activation",
        "relu,tanh",
        "--dropout",
        "0.1",
        "--batch-size",
        "64",
        "--no-shuffle",
        "--output",
        str(path),
    ]
    code, out, err = run(argv)
    return code, out, err, path


@pytest.fixture(scope="module")
def fashion_test():
    return load_fashion_mnist(subset="test", return_X_y=True)


@pytest.fixture(scope="module")
def fashion_trained(tmp_path_factory):
    """A small model saved by ``train --dataset fashion-mnist``, and the output."""
    path = tmp_path_factory.mktemp("fashion") / "fashion.safetensors"
    argv = [
        "train",
        "--dataset",
        "fashion-mnist",
        "--train-size",
        "2000",
        "--max-iter",
        "3",
        "--hidden-layer-sizes",
        "32",
        "--output",
        str(path),
    ]
    code, out, err = run(argv)
    return code, out, err, path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A fitted ScratchMLPClassifier for 28x28 images, made without MNIST."""
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 784), dtype=np.float32), np.arange(40) % 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
        model.fit(X, y)
    return save(tmp_path_factory.mktemp("tiny") / "tiny.safetensors", model)


@pytest.fixture
def fit_diverges_late(monkeypatch):
    """Make ScratchMLPClassifier.fit end with the late-divergence warning.

    Finding a learning rate that diverges after exactly one epoch on MNIST
    would test the engine; this tests what the CLI does with its warning.
    """
    fit = ScratchMLPClassifier.fit

    def fit_then_warn(self, *args, **kwargs):
        fit(self, *args, **kwargs)
        warnings.warn(DIVERGED_LATE, DivergenceWarning, stacklevel=2)
        return self

    monkeypatch.setattr(ScratchMLPClassifier, "fit", fit_then_warn)
