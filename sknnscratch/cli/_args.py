"""Argument types, the help layout and the flags several commands share.

Each type parses one command-line value and raises
``argparse.ArgumentTypeError`` for a bad one, so that argparse reports it as
a usage error (exit code 2) naming the flag.
"""

import argparse

import numpy as np

from .._labels import class_weight_per_class
from .._utils import check_positive_int
from ..datasets._mnist_format import N_CLASSES
from ._text import one_line

__all__ = [
    "HelpFormatter",
    "add_train_size",
    "class_weight",
    "float_or_list",
    "index_list",
    "int_or_inf",
    "int_tuple",
    "positive_int",
    "scalar",
    "split_commas",
    "str_or_list",
]


class HelpFormatter(argparse.HelpFormatter):
    """Wrap descriptions and epilogs, but keep indented lines (examples) as is."""

    def _fill_text(self, text, width, indent):
        blocks = []
        for block in text.split("\n\n"):
            if block.startswith(" ") or "\n " in block:
                blocks.append("\n".join(indent + line for line in block.splitlines()))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)


def add_train_size(parser, help):
    """Add ``--train-size N``, a stratified sample of the training images."""
    parser.add_argument("--train-size", type=positive_int, metavar="N", help=help)


def positive_int(text):
    """An integer of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    try:
        return check_positive_int(value, "the value")
    except ValueError:
        # argparse names the flag in front of this; the rule's own message
        # would name a parameter instead.
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {value}"
        ) from None


def split_commas(text):
    """The non-empty, stripped items of a comma-separated list."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or not all(items):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list, got {text!r}"
        )
    return items


def index_list(text):
    """Comma-separated non-negative integers, e.g. ``0,1,2`` (argparse type)."""
    try:
        values = [int(item) for item in split_commas(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 0,1,2, got {text!r}"
        ) from None
    if min(values) < 0:
        raise argparse.ArgumentTypeError(f"indices must be 0 or more, got {text!r}")
    return values


def int_tuple(text):
    """Layer sizes such as ``256,128`` -> ``(256, 128)`` (argparse type)."""
    try:
        sizes = tuple(int(item) for item in split_commas(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 256,128, got {text!r}"
        ) from None
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"every layer needs at least 1 unit, got {text!r}"
        )
    return sizes


def str_or_list(text):
    """``relu`` -> ``'relu'``; ``relu,tanh`` -> ``['relu', 'tanh']`` (per layer)."""
    items = split_commas(text)
    return items[0] if len(items) == 1 else items


def float_or_list(text):
    """``0.2`` -> ``0.2``; ``0.2,0.1`` -> ``[0.2, 0.1]`` (per layer)."""
    try:
        items = [float(item) for item in split_commas(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or comma-separated numbers such as 0.2,0.1, "
            f"got {text!r}"
        ) from None
    return items[0] if len(items) == 1 else items


def scalar(text):
    """An int, a float, None (``none``) or else the string itself."""
    if text.lower() == "none":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def int_or_inf(text):
    """An integer, or ``inf`` (never) for ``--n-iter-no-change`` (argparse type)."""
    if text.strip().lower() in ("inf", "infinity"):
        return np.inf
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'inf', got {text!r}"
        ) from None


#: The labels of every dataset the commands train on (MNIST's digits,
#: Fashion-MNIST's classes by index): the only ones ``--class-weight`` can name.
_LABELS = range(N_CLASSES)


def class_weight(text):
    """``balanced``, ``none`` or ``CLASS:WEIGHT,...`` such as ``0:1,8:2.5``.

    The estimator checks a ``class_weight`` dict only once ``fit`` sees the
    labels, after the data are loaded; every command trains on labels 0-9
    (MNIST's digits, Fashion-MNIST's classes by index), so a typo is
    reported here at once, naming the class at fault.
    """
    if text.strip().lower() in ("balanced", "none"):
        return scalar(text.strip().lower())
    weights = {}
    for item in split_commas(text):
        label_text, sep, weight_text = (part.strip() for part in item.partition(":"))
        if not sep:
            raise argparse.ArgumentTypeError(
                f"expected 'balanced', 'none' or CLASS:WEIGHT pairs such as "
                f"0:1,8:2.5, got {text!r}"
            )
        try:
            label = int(label_text)
        except ValueError:
            label = None
        if label not in _LABELS:
            raise argparse.ArgumentTypeError(
                f"class {label_text!r} in {text!r} is not one of the labels 0-9: "
                "MNIST's digits, or Fashion-MNIST's classes in order (0 "
                "T-shirt/top to 9 Ankle boot)"
            )
        if label in weights:
            raise argparse.ArgumentTypeError(
                f"class {label} is given twice in {text!r}"
            )
        try:
            weights[label] = float(weight_text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"the weight of class {label} must be a number, got {weight_text!r}"
            ) from None
    try:  # the estimator's own check of the weights
        class_weight_per_class(weights, np.asarray(_LABELS))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(one_line(exc)) from None
    return weights
