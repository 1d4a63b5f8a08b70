"""Named hyperparameter sets for MNIST, used by the CLI and the docs.

``MNIST_DEFAULT`` is what ``sknnscratch compare`` trains; ``MNIST_BEST`` is
the documented configuration that aims above the SVC. Both expect pixels
scaled to [0, 1] in float32. The measured results are in docs/results.md.
"""

__all__ = ["MNIST_BEST", "MNIST_DEFAULT", "PRESETS"]

MNIST_DEFAULT = {
    "hidden_layer_sizes": (512,),
    "activation": "relu",
    "optimizer": "adam",
    "dropout": 0.2,
    "batch_size": 128,
    "learning_rate_init": 0.001,
    "max_iter": 20,
    "tol": 0.0,
    "random_state": 0,
}

MNIST_BEST = {
    "hidden_layer_sizes": (1024, 1024),
    "activation": "relu",
    "optimizer": "adam",
    "dropout": 0.3,
    "batch_size": 128,
    "learning_rate_init": 0.001,
    "max_iter": 30,
    "tol": 0.0,
    "random_state": 0,
}

#: Presets by the name the CLI's ``--preset`` takes.
PRESETS = {"default": MNIST_DEFAULT, "best": MNIST_BEST}
