"""``--augment``: named augmentations, never a string passed to the estimator.

``train --augment both`` gives the estimator a transform of
:mod:`sknnscratch.augment`; ``--augment-strength`` scales it; and a preset's
transform is shown by its name wherever the command line prints settings.
"""

import argparse

from sklearn.base import clone

from ..augment import Compose, ElasticDistortion, RandomAffine

__all__ = ["AUGMENTATIONS", "augmentation", "augmentation_name", "with_strength"]

#: What ``--augment`` names: the transforms of sknnscratch.augment with their
#: default strengths (the command line never passes a string to ``augment``).
AUGMENTATIONS = {
    "none": None,
    "affine": RandomAffine(),
    "elastic": ElasticDistortion(),
    "both": Compose([RandomAffine(), ElasticDistortion()]),
}

#: The parameters of each transform that ``--augment-strength`` multiplies.
_STRENGTHS = {
    RandomAffine: ("shift", "rotation", "scale", "shear"),
    ElasticDistortion: ("alpha",),
}


def augmentation(text):
    """The transform ``--augment`` names (argparse type)."""
    if text not in AUGMENTATIONS:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(AUGMENTATIONS)})"
        )
    # A copy: the estimator gets a transform of its own.
    named = AUGMENTATIONS[text]
    return None if named is None else clone(named)


def with_strength(transform, factor):
    """A copy of ``transform`` with every strength multiplied by ``factor``."""
    if isinstance(transform, Compose):
        return Compose([with_strength(step, factor) for step in transform.steps])
    names = _STRENGTHS[type(transform)]
    return clone(transform).set_params(
        **{name: getattr(transform, name) * factor for name in names}
    )


def augmentation_name(transform):
    """The ``--augment`` name of ``transform``, or None if it has none."""
    for name, named in AUGMENTATIONS.items():
        if named is not None and repr(named) == repr(transform):
            return name
    return None
