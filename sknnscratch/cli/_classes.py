"""What ``predict`` knows of a model's classes: its dataset and class names.

``train`` and ``compare`` record both in the model file
(``sknnscratch.save(..., metadata=...)``, read back with
:func:`sknnscratch.persistence.read_metadata`). A file that records no
dataset (saved by an older version, or by a user with ``sknnscratch.save``)
is taken for a model of MNIST's digits when its classes are 0-9, as predict
always did; any other model shows its raw class labels, or the class names
its file records.
"""

from dataclasses import dataclass

import numpy as np

from ..datasets._mnist_format import N_CLASSES
from ._data import DATASETS, DEFAULT_DATASET, Dataset

__all__ = ["ModelClasses", "model_classes"]


@dataclass(frozen=True)
class ModelClasses:
    """A model's dataset, if one predict knows, and the name of each class."""

    #: The dataset the model was trained on; None when the file records none
    #: that predict knows (then there are no test images to select).
    dataset: Dataset | None
    #: One name per entry of the model's ``classes_``, in that order.
    names: tuple

    def name_of(self, classes, label):
        """The name of ``label``, one of ``classes`` (the model's ``classes_``)."""
        return self.names[int(np.flatnonzero(classes == label)[0])]


def model_classes(classes, metadata):
    """Resolve a model's dataset and class names from its file's metadata.

    Parameters
    ----------
    classes : ndarray
        The model's ``classes_``.
    metadata : dict
        What the model file records (``read_metadata``): ``"dataset"``, a
        ``--dataset`` value, and ``"class_names"``, a list of str.

    Returns
    -------
    ModelClasses
        The dataset is trusted only for a model of its labels 0-9; the class
        names are the file's when they name every class, else the dataset's,
        else the labels themselves.
    """
    labels_0_9 = classes.dtype.kind in "iuf" and np.array_equal(
        classes, np.arange(N_CLASSES)
    )
    if "dataset" in metadata:
        key = metadata["dataset"]
        dataset = DATASETS.get(key) if isinstance(key, str) else None
    else:  # a file from before datasets were recorded: MNIST, as then
        dataset = DATASETS[DEFAULT_DATASET]
    if not labels_0_9:
        dataset = None
    names = metadata.get("class_names")
    if not (
        isinstance(names, list)
        and len(names) == len(classes)
        and all(isinstance(name, str) for name in names)
    ):
        names = dataset.class_names if dataset else [str(c) for c in classes]
    return ModelClasses(dataset, tuple(names))
