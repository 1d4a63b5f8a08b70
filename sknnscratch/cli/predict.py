"""``sknnscratch predict``: classify images with a saved model.

Images are read and prepared by :mod:`sknnscratch.datasets._images` (as
MNIST's digits for a model of MNIST, only resized for any other); the
model's dataset and class names come from its file (:mod:`._classes`). This
module loads the model, gathers the inputs and prints the probabilities.
"""

import argparse
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
    read_image,
    read_npy_images,
)
from ..persistence import ModelFileError, load
from ._args import HelpFormatter, index_list
from ._classes import model_classes
from ._data import DATASETS, load_test_set
from ._errors import CLIError, warnings_as_lines
from ._files import check_file
from ._text import one_line

__all__ = ["add_parser", "run"]

#: The test-image flag, and its older name from when every model was MNIST's.
_INDEX_FLAGS = ("--index", "--mnist-index")


class _IndexAction(argparse.Action):
    """Store the indices, and which spelling of the flag gave them (for errors)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.index_flag = option_string


def add_parser(commands):
    """Add the ``predict`` command to the top-level parser's ``commands``."""
    parser = commands.add_parser(
        "predict",
        help="classify PNG images, .npy arrays or test images of the model's "
        "dataset with a saved model",
        description=(
            "Classify images with a model saved by 'sknnscratch train' or "
            "'sknnscratch compare'. Prints the predicted class and the "
            "probability of every class, by name (the model file records its "
            "dataset, MNIST or Fashion-MNIST, and the class names; a file "
            "without them, such as one saved by an older version, is taken for "
            "an MNIST model if its classes are 0-9, else its class labels are "
            "shown). Images are converted to 28x28 grayscale. For an MNIST "
            "model, an image of another size is cropped to its digit and "
            "centred in 28x28 as MNIST's digits are, and one with a light "
            "background is inverted to MNIST's white digit on black; for any "
            "other model an image is only resized. Model files are "
            "safetensors files (the weights as tensors and one JSON document), "
            "never unpickled, so loading one cannot run code (see "
            "docs/security.md)."
        ),
        epilog="examples:\n"
        "  sknnscratch predict model.safetensors --index 0,1,2\n"
        "  sknnscratch predict model.safetensors my_digit.png digits.npy\n"
        "  sknnscratch predict fashion.safetensors shoe.png --index 0",
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
        *_INDEX_FLAGS,
        dest="index",
        type=index_list,
        action=_IndexAction,
        metavar="I[,I...]",
        help="also classify these test images (0-9999) of the model's dataset, "
        "MNIST or Fashion-MNIST, and show their true labels; --mnist-index is "
        "its older name",
    )
    parser.set_defaults(parser=parser, index_flag=_INDEX_FLAGS[0])
    return parser


@dataclass
class _Input:
    """One image to classify: a label for the output, its pixels, its truth."""

    name: str
    pixels: np.ndarray  # (784,) float32 in [0, 1]
    true_label: int | None = None


def run(args, argv):
    """``sknnscratch predict``: classify each input and print probabilities."""
    if not args.inputs and not args.index:
        args.parser.error(
            "nothing to classify: give image or .npy files after MODEL, or --index"
        )
    # Pillow's warnings about a damaged file become warning lines too.
    with warnings_as_lines(hide_budget_warning=False):
        model, classes = _load_model(args.model)
        digit = classes.dataset is not None and classes.dataset.digits
        inputs = [
            item for path in args.inputs for item in _read_input(Path(path), digit)
        ]
        if args.index:
            inputs += _test_inputs(args.index, args.index_flag, classes, args.model)
        try:
            proba = model.predict_proba(np.stack([item.pixels for item in inputs]))
        except ValueError as exc:  # e.g. weights that overflow: a broken model
            raise CLIError(
                f"the model in {args.model} cannot classify these images: "
                f"{one_line(exc)}"
            ) from None
    print(_prediction_table(inputs, proba, model.classes_, classes))
    return 0


def _load_model(path):
    """Load a fitted ScratchMLPClassifier for 28x28 images, or raise CLIError.

    Returns the model and its :class:`~._classes.ModelClasses`.
    """
    path = Path(path)
    check_file(path, "model file")
    # Never unpickle: a model file may come from anyone, and loading a pickle
    # runs whatever code it holds. load reads a safetensors file: tensors and
    # one JSON document, nothing executable.
    try:
        # One read: the model and its metadata come from the same file.
        model, metadata = load(path, return_metadata=True)
    except ModelFileError as exc:
        # The message names the file and the problem; it ends with a period.
        raise CLIError(
            f"cannot load the model: {exc} ('sknnscratch train' and 'sknnscratch "
            "compare' save models)"
        ) from None
    except OSError as exc:  # unreadable, say; check_file saw it exists
        raise CLIError(f"cannot read the model file {path}: {exc}") from None
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
    return model, model_classes(model.classes_, metadata)


def _read_input(path, digit):
    """The images in one INPUT file: an .npy array or a single image.

    ``digit``: whether an image file is prepared as MNIST's digits are.
    """
    check_file(path, "input file")
    try:
        if is_npy_file(path):
            return [
                _Input(f"{path.name}[{i}]", row)
                for i, row in enumerate(read_npy_images(path))
            ]
        pixels, notes = read_image(path, digit=digit)
    except ImageFileError as exc:
        raise CLIError(str(exc)) from None
    return [_Input(path.name + (f" ({', '.join(notes)})" if notes else ""), pixels)]


def _test_inputs(indices, flag, classes, model_path):
    """Test images of the model's dataset by index, with their true labels."""
    dataset = classes.dataset
    if dataset is None:
        known = " or ".join(d.name for d in DATASETS.values())
        raise CLIError(
            f"{flag} selects test images of the model's dataset, but the model "
            f"in {model_path} was not trained on {known} (its classes are "
            f"{', '.join(classes.names)}); classify image or .npy files instead"
        )
    X_test, y_test = load_test_set(dataset)
    n_test = len(y_test)
    bad = [index for index in indices if index >= n_test]
    if bad:
        raise CLIError(
            f"{flag} {', '.join(map(str, bad))} out of range: the {dataset.name} "
            f"test set has {n_test:,} images, indices 0-{n_test - 1}"
        )
    return [
        _Input(f"{dataset.name} test #{i}", X_test[i], int(y_test[i])) for i in indices
    ]


def _prediction_table(inputs, proba, labels, classes):
    """One row per input: name, predicted class, true class, probabilities.

    ``labels`` is the model's ``classes_``, ``classes`` its
    :class:`~._classes.ModelClasses`; classes are shown by name, each
    probability as ``name: 0.65``, as in "Neural Networks from Scratch".
    """
    predicted = proba.argmax(axis=1)
    show_truth = any(item.true_label is not None for item in inputs)
    width = max(len("input"), *(len(item.name) for item in inputs))
    name_width = max(len("predicted"), *map(len, classes.names))
    header = f"{'input':<{width}}  {'predicted':<{name_width}}"
    if show_truth:
        header += f"  {'true':<{name_width}}"
    lines = [header + "  probability of each class"]
    n_correct = 0
    for item, index, row in zip(inputs, predicted, proba):
        line = f"{item.name:<{width}}  {classes.names[index]:<{name_width}}"
        if show_truth:
            truth = ""
            if item.true_label is not None:
                truth = classes.name_of(labels, item.true_label)
                n_correct += labels[index] == item.true_label
            line += f"  {truth:<{name_width}}"
        probabilities = ", ".join(
            f"{name}: {p:.2f}" for name, p in zip(classes.names, row)
        )
        lines.append(f"{line}  {probabilities}")
    if show_truth:
        n_known = sum(item.true_label is not None for item in inputs)
        lines.append(
            f"{n_correct} of {n_known} {classes.dataset.name} test images predicted "
            "correctly."
        )
    return "\n".join(lines)
