"""``sknnscratch predict``: classify images with a saved model.

Images are read and made to look like MNIST's by
:mod:`sknnscratch.datasets._images`; this module loads the model, gathers the
inputs and prints the probabilities.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._classifier import ScratchMLPClassifier
from ..datasets._images import (
    N_PIXELS,
    ImageFileError,
    is_npy_file,
    read_digit_image,
    read_npy_images,
)
from ..persistence import ModelFileError, load
from ._args import HelpFormatter, index_list
from ._data import load_mnist
from ._errors import CLIError, warnings_as_lines
from ._files import check_file
from ._text import one_line

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Add the ``predict`` command to the top-level parser's ``commands``."""
    parser = commands.add_parser(
        "predict",
        help="classify PNG images, .npy arrays or MNIST test images with a saved model",
        description=(
            "Classify digits with a model saved by 'sknnscratch train' or "
            "'sknnscratch compare'. Prints the predicted digit and the "
            "probability of every class for each input. Images are converted "
            "to 28x28 grayscale; an image of another size is cropped to its "
            "digit and centred in 28x28 as MNIST's digits are, and one with a "
            "light background is inverted to MNIST's white digit on black. "
            "Model files are safetensors files (the weights as tensors and one "
            "JSON document), never unpickled, so loading one cannot run code "
            "(see docs/security.md)."
        ),
        epilog="examples:\n"
        "  sknnscratch predict model.safetensors --mnist-index 0,1,2\n"
        "  sknnscratch predict model.safetensors my_digit.png digits.npy",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "model", metavar="MODEL", help="a model saved by sknnscratch (.safetensors)"
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="image files (PNG or any format Pillow reads) or .npy files of "
        "images, shape (n, 28, 28) or (n, 784), uint8 0-255 or float 0-1",
    )
    parser.add_argument(
        "--mnist-index",
        type=index_list,
        metavar="I[,I...]",
        help="also classify these MNIST test images (0-9999) and show their "
        "true labels",
    )
    parser.set_defaults(parser=parser)
    return parser


@dataclass
class _Input:
    """One image to classify: a label for the output, its pixels, its truth."""

    name: str
    pixels: np.ndarray  # (784,) float32 in [0, 1]
    true_label: int | None = None


def run(args, argv):
    """``sknnscratch predict``: classify each input and print probabilities."""
    if not args.inputs and not args.mnist_index:
        args.parser.error(
            "nothing to classify: give image or .npy files after MODEL, "
            "or --mnist-index"
        )
    # Pillow's warnings about a damaged file become warning lines too.
    with warnings_as_lines(hide_budget_warning=False):
        model = _load_model(args.model)
        inputs = [item for path in args.inputs for item in _read_input(Path(path))]
        if args.mnist_index:
            inputs += _mnist_inputs(args.mnist_index)
        try:
            proba = model.predict_proba(np.stack([item.pixels for item in inputs]))
        except ValueError as exc:  # e.g. weights that overflow: a broken model
            raise CLIError(
                f"the model in {args.model} cannot classify these images: "
                f"{one_line(exc)}"
            ) from None
    print(_prediction_table(inputs, proba, model.classes_))
    return 0


def _load_model(path):
    """Load a fitted ScratchMLPClassifier for 28x28 images, or raise CLIError."""
    path = Path(path)
    check_file(path, "model file")
    # Never unpickle: a model file may come from anyone, and loading a pickle
    # runs whatever code it holds. load reads a safetensors file: tensors and
    # one JSON document, nothing executable.
    try:
        model = load(path)
    except ModelFileError as exc:
        # The message names the file and the problem; it ends with a period.
        raise CLIError(
            f"cannot load the model: {exc} ('sknnscratch train' and 'sknnscratch "
            "compare' save models)"
        ) from None
    if not isinstance(model, ScratchMLPClassifier):
        raise CLIError(
            f"{path} holds a model of type {type(model).__name__}, not a "
            "ScratchMLPClassifier; save one with 'sknnscratch train' or "
            "'sknnscratch compare'"
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise CLIError(f"the model in {path} is not fitted") from None
    if model.n_features_in_ != N_PIXELS:
        raise CLIError(
            f"the model in {path} expects {model.n_features_in_} features, not "
            f"the {N_PIXELS} pixels of a 28x28 image"
        )
    return model


def _read_input(path):
    """The images in one INPUT file: an .npy array or a single image."""
    check_file(path, "input file")
    try:
        if is_npy_file(path):
            return [
                _Input(f"{path.name}[{i}]", row)
                for i, row in enumerate(read_npy_images(path))
            ]
        pixels, notes = read_digit_image(path)
    except ImageFileError as exc:
        raise CLIError(str(exc)) from None
    return [_Input(path.name + (f" ({', '.join(notes)})" if notes else ""), pixels)]


def _mnist_inputs(indices):
    """MNIST test images by index, with their true labels."""
    data = load_mnist()
    n_test = len(data.y_test)
    bad = [index for index in indices if index >= n_test]
    if bad:
        raise CLIError(
            f"--mnist-index {', '.join(map(str, bad))} out of range: the MNIST "
            f"test set has {n_test:,} images, indices 0-{n_test - 1}"
        )
    return [
        _Input(f"MNIST test #{i}", data.X_test[i], int(data.y_test[i])) for i in indices
    ]


def _prediction_table(inputs, proba, classes):
    """One row per input: name, predicted class, true label, probabilities."""
    predicted = classes[proba.argmax(axis=1)]
    show_truth = any(item.true_label is not None for item in inputs)
    names = [item.name for item in inputs]
    width = max(len("input"), *map(len, names))
    header = f"{'input':<{width}}  predicted"
    if show_truth:
        header += "  true"
    lines = [header + "  probability of each class"]
    n_correct = 0
    for item, label, row in zip(inputs, predicted, proba):
        line = f"{item.name:<{width}}  {label!s:>9}"
        if show_truth:
            truth = "" if item.true_label is None else str(item.true_label)
            line += f"  {truth:>4}"
            n_correct += item.true_label is not None and label == item.true_label
        probabilities = " ".join(f"{c}:{p:.2f}" for c, p in zip(classes, row))
        lines.append(f"{line}  {probabilities}")
    if show_truth:
        n_known = sum(item.true_label is not None for item in inputs)
        lines.append(f"{n_correct} of {n_known} MNIST test images predicted correctly.")
    return "\n".join(lines)
