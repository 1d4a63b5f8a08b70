"""The ``sknnscratch`` command line: ``compare``, ``train`` and ``predict``.

``compare`` is the package's main job: it trains :class:`ScratchMLPClassifier`
on MNIST next to an SVC, scikit-learn's ``MLPClassifier`` and a naive
baseline, prints a table and writes a report folder.  ``train`` fits one
:class:`ScratchMLPClassifier` with any hyperparameters and saves it;
``predict`` classifies PNG images, ``.npy`` arrays or MNIST test images with
a saved model.

Both ``python -m sknnscratch`` and the ``sknnscratch`` script call
:func:`main`.  Wrong arguments end in argparse's usage message (exit code 2);
expected runtime failures (a missing file, an invalid hyperparameter) print
one ``error: ...`` line to stderr (exit code 1); nothing the user can cause
should end in a traceback.
"""

import argparse
import csv
import inspect
import math
import os
import platform
import re
import shlex
import sys
import textwrap
import threading
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

from . import __version__
from ._baseline import AverageDarknessClassifier
from ._classifier import ScratchMLPClassifier, class_weight_per_class
from .datasets import ChecksumError, IDXFormatError, load_mnist_split
from .nn.training import DivergenceError, DivergenceWarning
from .persistence import ModelFileError
from .persistence import load as load_model
from .persistence import save as save_model
from .presets import PRESETS

__all__ = ["main"]

#: The seed of every subsample the CLI draws, so that runs are comparable.
_SEED = 0
_IMAGE_SHAPE = (28, 28)
_N_PIXELS = _IMAGE_SHAPE[0] * _IMAGE_SHAPE[1]
_DEFAULT_MODEL = "model.safetensors"

#: The models ``compare`` knows, by their ``--models`` name, in table order.
_MODEL_NAMES = {
    "mlp": "ScratchMLPClassifier",
    "svc": "SVC",
    "sklearn-mlp": "sklearn MLPClassifier",
    "darkness": "AverageDarknessClassifier",
}


class CLIError(Exception):
    """An expected failure, reported as one ``error: ...`` line and exit code 1."""


# --- entry point ----------------------------------------------------------------


def main(argv=None):
    """Run the ``sknnscratch`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    exit_code : int
        0 on success, 1 on an expected error (reported on stderr), 130 when
        interrupted with Ctrl-C.  Invalid arguments raise ``SystemExit(2)``
        from argparse after printing the usage message.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extras = _build_parser().parse_known_args(argv)
    if extras:
        # Reported by the command's own parser, so that the usage shown is
        # that of the command the user was typing, not the top-level one.
        args.parser.error(f"unrecognized arguments: {' '.join(extras)}")
    try:
        return args.run(args, argv)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


class _HelpFormatter(argparse.HelpFormatter):
    """Wrap descriptions and epilogs, but keep indented lines (examples) as is."""

    def _fill_text(self, text, width, indent):
        blocks = []
        for block in text.split("\n\n"):
            if block.startswith(" ") or "\n " in block:
                blocks.append("\n".join(indent + line for line in block.splitlines()))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)


def _build_parser():
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="sknnscratch",
        description=(
            "A scikit-learn compatible MLP on a from-scratch NumPy engine, "
            "trained and compared on the MNIST digits bundled with the package."
        ),
        epilog=(
            "examples:\n"
            "  sknnscratch compare                     # the full comparison "
            "(takes minutes)\n"
            "  sknnscratch compare --train-size 10000 --svc-train-size 5000 "
            "--max-iter 5\n"
            "  sknnscratch train --hidden-layer-sizes 256,128 --dropout 0.2\n"
            "  sknnscratch predict model.safetensors digit.png --mnist-index 0,1,2\n"
            "\n"
            "Run 'sknnscratch COMMAND --help' for the options of a command."
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    _add_compare_parser(commands)
    _add_train_parser(commands)
    _add_predict_parser(commands)
    return parser


# --- argument types ---------------------------------------------------------------


def _positive_int(text):
    """An integer of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _split_commas(text):
    """The non-empty, stripped items of a comma-separated list."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or not all(items):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list, got {text!r}"
        )
    return items


def _index_list(text):
    """Comma-separated non-negative integers, e.g. ``0,1,2`` (argparse type)."""
    try:
        values = [int(item) for item in _split_commas(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 0,1,2, got {text!r}"
        ) from None
    if min(values) < 0:
        raise argparse.ArgumentTypeError(f"indices must be 0 or more, got {text!r}")
    return values


def _model_list(text):
    """The ``--models`` list, checked against the known names, duplicates dropped."""
    names = _split_commas(text)
    unknown = [name for name in names if name not in _MODEL_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown model {', '.join(map(repr, unknown))}; choose from "
            f"{','.join(_MODEL_NAMES)}"
        )
    return list(dict.fromkeys(names))


def _int_tuple(text):
    """Layer sizes such as ``256,128`` -> ``(256, 128)`` (argparse type)."""
    try:
        sizes = tuple(int(item) for item in _split_commas(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 256,128, got {text!r}"
        ) from None
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"every layer needs at least 1 unit, got {text!r}"
        )
    return sizes


def _str_or_list(text):
    """``relu`` -> ``'relu'``; ``relu,tanh`` -> ``['relu', 'tanh']`` (per layer)."""
    items = _split_commas(text)
    return items[0] if len(items) == 1 else items


def _float_or_list(text):
    """``0.2`` -> ``0.2``; ``0.2,0.1`` -> ``[0.2, 0.1]`` (per layer)."""
    try:
        items = [float(item) for item in _split_commas(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or comma-separated numbers such as 0.2,0.1, "
            f"got {text!r}"
        ) from None
    return items[0] if len(items) == 1 else items


def _scalar(text):
    """An int, a float, None (``none``) or else the string itself."""
    if text.lower() == "none":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _int_or_inf(text):
    """An integer, or ``inf`` (never) for ``--n-iter-no-change`` (argparse type)."""
    if text.strip().lower() in ("inf", "infinity"):
        return np.inf
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'inf', got {text!r}"
        ) from None


#: The classes of MNIST, the only labels ``--class-weight`` can name.
_DIGITS = range(10)


def _class_weight(text):
    """``balanced``, ``none`` or ``CLASS:WEIGHT,...`` such as ``0:1,8:2.5``.

    The estimator checks a ``class_weight`` dict only once ``fit`` sees the
    labels, after MNIST is loaded; every command trains on MNIST, whose
    classes are the digits 0-9, so a typo is reported here at once, naming
    the class at fault.
    """
    if text.strip().lower() in ("balanced", "none"):
        return _scalar(text.strip().lower())
    weights = {}
    for item in _split_commas(text):
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
        if label not in _DIGITS:
            raise argparse.ArgumentTypeError(
                f"class {label_text!r} in {text!r} is not an MNIST class: the "
                "classes are the digits 0-9"
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
        class_weight_per_class(weights, np.asarray(_DIGITS))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_one_line(exc)) from None
    return weights


# --- train: one flag per hyperparameter ---------------------------------------

#: Parameters whose command-line form the default's type cannot tell: their
#: argparse type and metavar, and a note on the command-line syntax.
_SPECIAL_FLAGS = {
    "hidden_layer_sizes": (_int_tuple, "N[,N...]", "Comma-separated, e.g. 256,128."),
    "activation": (
        _str_or_list,
        "NAME[,NAME...]",
        "Per layer: comma-separated, e.g. relu,tanh.",
    ),
    "dropout": (
        _float_or_list,
        "RATE[,RATE...]",
        "Per layer: comma-separated, e.g. 0.2,0.1.",
    ),
    "batch_size": (_scalar, "auto|N", ""),
    "random_state": (_scalar, "SEED|none", ""),
    "class_weight": (
        _class_weight,
        "balanced|none|C:W,...",
        "E.g. 0:1,8:2.5: classes are the digits 0-9, weights finite and 0 or more; "
        "classes left out weigh 1.",
    ),
    "n_iter_no_change": (_int_or_inf, "N|inf", "'inf' never stops on a plateau."),
}

#: Other spellings of a hyperparameter flag: ``--optimizer`` is the name the
#: classic from-scratch train.py scripts use for the solver.
_FLAG_ALIASES = {"solver": ["--optimizer"]}


def _format_value(value):
    """A parameter value as one would type it on the command line."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    if value is None:
        return "none"
    return str(value)


#: Metavar of a flag by the type its value is parsed with.
_METAVARS = {int: "N", float: "X", str: "NAME"}


def _estimator_defaults():
    """ScratchMLPClassifier's parameters and defaults, in signature order.

    ``get_params()`` is the authority on which parameters exist (it sorts
    them by name); the signature order puts the important ones first, as in
    the estimator's documentation.
    """
    params = ScratchMLPClassifier().get_params(deep=False)
    order = list(inspect.signature(ScratchMLPClassifier).parameters)
    return dict(sorted(params.items(), key=lambda item: _position(order, item[0])))


def _position(order, name):
    return order.index(name) if name in order else len(order)


def _parameter_docs(estimator_class):
    """Each parameter's numpydoc summary and choices, from the class docstring.

    The estimator's docstring is the one place that describes its parameters,
    so the flags' help is read from it instead of being written twice.

    Returns
    -------
    docs : dict of str to str
        First sentence of each parameter's description, followed by the
        allowed values when its type line lists them as ``{...}``.
    """
    doc = inspect.getdoc(estimator_class) or ""
    match = re.search(r"^Parameters\n-+\n(.*?)(?=^\w[\w ]*\n-+\n|\Z)", doc, re.S | re.M)
    if match is None:
        return {}
    entries = {}
    names = []
    for line in match.group(1).splitlines():
        if line and not line[0].isspace():  # "name[, name] : type"
            names_part, _, type_part = line.partition(" : ")
            names = [name.strip() for name in names_part.split(",")]
            for name in names:
                entries[name] = {"type_line": type_part, "text": []}
        else:
            for name in names:
                entries[name]["text"].append(line.strip())
    return {name: _summarize_entry(**entry) for name, entry in entries.items()}


def _summarize_entry(type_line, text):
    """First sentence of a description, plain text, plus ``{...}`` choices."""
    description = _plain_rst(" ".join(text).strip())
    sentence = re.split(r"(?<=\.)\s+(?=[A-Z])", description, maxsplit=1)[0]
    if "\\" in sentence:  # inline LaTeX: keep what comes before it
        sentence = sentence.split(":", 1)[0] + "."
    choices = re.match(r"\{(.*?)\}", type_line)
    if choices:
        sentence += f" One of: {choices.group(1).replace(chr(39), '')}."
    return sentence


def _plain_rst(text):
    """Strip reStructuredText roles and literals: ``:mod:`x``` and ````x```` -> x."""
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
    return text.replace("``", "")


def _add_hyperparameter_flags(parser):
    """Add one flag per ScratchMLPClassifier parameter, typed from its default.

    Built from ``get_params()`` so that a parameter added to the estimator
    gets its flag without touching the CLI.  Every flag defaults to
    ``argparse.SUPPRESS``: only the flags actually given override the preset.
    """
    group = parser.add_argument_group(
        "hyperparameters",
        "Every ScratchMLPClassifier parameter. Unset ones keep the preset's value "
        "(see --preset), else the estimator's default; the estimator checks the "
        "values.",
    )
    docs = _parameter_docs(ScratchMLPClassifier)
    for name, default in _estimator_defaults().items():
        options = {
            "dest": name,
            "help": _flag_help(name, docs.get(name, ""), default),
            # Absent from the namespace unless given, so unset flags never
            # override the preset.
            "default": argparse.SUPPRESS,
        }
        if name in _SPECIAL_FLAGS:
            options["type"], options["metavar"], _ = _SPECIAL_FLAGS[name]
        elif isinstance(default, bool):
            options["action"] = argparse.BooleanOptionalAction
        else:
            kind = type(default) if isinstance(default, int | float | str) else _scalar
            options["type"], options["metavar"] = kind, _METAVARS.get(kind, "VALUE")
        flags = ["--" + name.replace("_", "-"), *_FLAG_ALIASES.get(name, [])]
        group.add_argument(*flags, **options)


def _flag_help(name, summary, default):
    """Help of a hyperparameter flag: summary, syntax note and the defaults."""
    note = _SPECIAL_FLAGS.get(name, (None, None, ""))[2]
    aliases = _FLAG_ALIASES.get(name)
    if aliases:
        # argparse lists the alias next to the flag without saying it is one.
        note = f"{note} {' or '.join(aliases)} is another name for this flag.".strip()
    preset = PRESETS["default"]
    if name in preset and preset[name] != default:
        defaults = (
            f"Default: {_format_value(preset[name])} (from --preset default; the "
            f"estimator's own: {_format_value(default)})."
        )
    else:
        defaults = f"Default: {_format_value(default)}."
    text = " ".join(part for part in (summary, note, defaults) if part)
    return text.replace("%", "%%")  # argparse formats help with %


def _preset_help():
    """Help of ``--preset``: each preset's values, read from :mod:`.presets`."""
    lines = [
        f"{name}: "
        + ", ".join(f"{key}={_format_value(value)}" for key, value in preset.items())
        for name, preset in PRESETS.items()
    ]
    return (
        "Hyperparameters to start from; the flags below override them. "
        + "; ".join(lines)
        + ". 'none' starts from the estimator's own defaults."
    ).replace("%", "%%")


# --- shared helpers -------------------------------------------------------------


@dataclass
class _MNIST:
    """The official MNIST split, pixels scaled to [0, 1] in float32."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_full_train: int


def _scale_pixels(images):
    """uint8 0-255 pixels -> float32 in [0, 1], the input every model here gets."""
    return images.astype(np.float32) / np.float32(255)


def _load_mnist():
    """Load and scale MNIST, turning a missing or damaged copy into a CLIError."""
    try:
        X_train, X_test, y_train, y_test = load_mnist_split()
    except (FileNotFoundError, ChecksumError, IDXFormatError) as exc:
        raise CLIError(f"cannot load MNIST: {exc}") from None
    return _MNIST(
        _scale_pixels(X_train), y_train, _scale_pixels(X_test), y_test, len(y_train)
    )


def _subsample(X, y, n, flag):
    """A stratified sample of ``n`` rows, drawn with the fixed seed.

    ``n`` of None (or all rows) returns the data unchanged; the rows keep
    their original order.
    """
    if n is None or n == len(y):
        return X, y
    if n > len(y):
        raise CLIError(f"{flag} {n:,} is more than the {len(y):,} images available")
    try:
        index, _ = train_test_split(
            np.arange(len(y)), train_size=n, stratify=y, random_state=_SEED
        )
    except ValueError as exc:  # fewer rows than classes
        raise CLIError(f"{flag} {n}: {exc}") from None
    index.sort()
    return X[index], y[index]


def _progress_disabled(quiet):
    """tqdm's ``disable``: off with --quiet, else on only when stderr is a TTY."""
    return True if quiet else None


@contextmanager
def _status(description, quiet):
    """Show ``description`` and a ticking elapsed time on stderr during the block.

    For fits that report no progress (SVC, scikit-learn's MLPClassifier): an
    honest clock rather than a made-up percentage.  A thread refreshes the
    line, since nothing inside the fit calls back.
    """
    bar = tqdm(
        desc=description,
        bar_format="{desc} ({elapsed})",
        file=sys.stderr,
        disable=_progress_disabled(quiet),
        leave=False,  # a passing status: the table reports the timings
    )
    stop = threading.Event()

    def tick():
        while not stop.wait(0.5):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    if not bar.disable:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()
        bar.close()


@contextmanager
def _epoch_bar(estimator, description, quiet):
    """A tqdm bar over epochs, advanced by ScratchMLPClassifier's epoch hook."""
    bar = tqdm(
        total=estimator.max_iter,
        desc=description,
        unit="epoch",
        file=sys.stderr,
        disable=_progress_disabled(quiet),
    )

    def on_epoch_end(record):
        postfix = {"loss": f"{record['loss']:.4f}"}
        if record["accuracy"] is not None:
            postfix["train_acc"] = f"{record['accuracy']:.2%}"
        if record["val_accuracy"] is not None:
            postfix["val_acc"] = f"{record['val_accuracy']:.2%}"
        bar.set_postfix(postfix, refresh=False)
        bar.update(1)

    estimator._on_epoch_end = on_epoch_end
    try:
        yield bar
    finally:
        # The hook holds the bar; it must not outlive this fit.
        del estimator._on_epoch_end
        bar.close()


def _prepare_folder(path):
    """Create the output folder now, so a bad path fails before any training."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--output {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(
            f"cannot create the folder {folder} for --output: {exc}"
        ) from None
    return folder


def _prepare_model_path(path):
    """Check where the model will be saved before training for minutes."""
    path = Path(path)
    if path.is_dir():
        raise CLIError(
            f"--output {path} is a folder; give a file name such as "
            f"{path / _DEFAULT_MODEL}"
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise CLIError(
            f"cannot save the model to {path}: {path.parent} is a file, not a folder"
        )
    _prepare_folder(path.parent)
    return path


def _save_model(estimator, path):
    """Save a fitted model as a safetensors file, the format ``predict`` loads."""
    try:
        save_model(estimator, path)
    except OSError as exc:
        raise CLIError(f"cannot save the model to {path}: {exc}") from None


def _is_budget_warning(category, text):
    """Whether a warning only says that the iteration budget ran out.

    A fixed epoch budget (``tol=0``, as in the presets) always ends with this
    ConvergenceWarning, which says nothing new.  Other ConvergenceWarnings
    (a diverged fit, L-BFGS stopping abnormally) are news, never hidden.
    """
    return issubclass(category, ConvergenceWarning) and (
        text.startswith("Stochastic Optimizer: Maximum iterations")
        or "ITERATIONS REACHED LIMIT" in text.upper()  # scipy's L-BFGS-B status
    )


@contextmanager
def _warnings_as_lines(hide_budget_warning):
    """Report warnings as one ``warning: ...`` line each on stderr.

    Parameters
    ----------
    hide_budget_warning : bool
        Hide the ConvergenceWarning that only says the maximum number of
        iterations was reached (see :func:`_is_budget_warning`).

    Yields
    ------
    caught : list of (type, str)
        Category and one-line text of every warning raised in the block,
        hidden or not, so the caller can tell whether a fit diverged.
    """
    caught = []

    def show(message, category, filename, lineno, file=None, line=None):
        # Some messages (scikit-learn's L-BFGS one) span several lines.
        text = " ".join(str(message).split())
        caught.append((category, text))
        if not (hide_budget_warning and _is_budget_warning(category, text)):
            print(f"warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield caught


#: How scikit-learn's MLP begins the ValueError of a fit that diverged
#: (ScratchMLPClassifier's DivergenceError begins alike).
_NON_FINITE_WEIGHTS = "Solver produced non-finite parameter weights"


def _is_divergence_error(exc):
    """Whether a fit's ValueError says it diverged and kept nothing usable.

    Ours raise :class:`~sknnscratch.nn.training.DivergenceError`; scikit-learn's
    MLPClassifier (``compare``) a plain ValueError known by its wording.
    """
    return isinstance(exc, DivergenceError) or str(exc).startswith(_NON_FINITE_WEIGHTS)


def _divergence_warnings(caught):
    """The texts of the warnings in ``caught`` that report a diverged fit."""
    return [
        text for category, text in caught if issubclass(category, DivergenceWarning)
    ]


def _divergence_message(advice, exc):
    """The one-line error for a fit that diverged and left nothing usable.

    ``advice`` goes on the sentence, with its leading punctuation; then what
    the estimator says happened (``exc``): ours the epoch and the loss, not
    its own advice, which names the parameter rather than the flag.
    """
    detail = exc.what if isinstance(exc, DivergenceError) else _one_line(exc)
    return (
        "training diverged: the loss or the weights became infinite or NaN "
        f"before anything usable was learned{advice}. ({detail})"
    )


# --- compare --------------------------------------------------------------------


def _add_compare_parser(commands):
    parser = commands.add_parser(
        "compare",
        help="train ScratchMLPClassifier, an SVC, sklearn's MLPClassifier and a "
        "baseline on MNIST; print and save a comparison",
        description=(
            "Train ScratchMLPClassifier, SVC(C=10, kernel='rbf'), scikit-learn's "
            "MLPClassifier (same network and training settings, no dropout) and "
            "AverageDarknessClassifier on the official 60,000 MNIST training "
            "images, score them on the 10,000 test images, print a table and "
            "write a report folder: results.md, results.csv, plots of the "
            "ScratchMLPClassifier and the fitted model as model.safetensors (for "
            "'sknnscratch predict'). The full run takes several minutes, most "
            "of it the SVC."
        ),
        epilog=(
            "examples:\n"
            "  sknnscratch compare                # the full comparison\n"
            "  sknnscratch compare --train-size 10000 --svc-train-size 5000 "
            "--max-iter 5   # under a minute\n"
            "  sknnscratch compare --models mlp,sklearn-mlp --preset best"
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--models",
        type=_model_list,
        default=list(_MODEL_NAMES),
        metavar="M[,M...]",
        help=f"models to train, in table order (default: {','.join(_MODEL_NAMES)})",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="hyperparameters of both MLPs, from sknnscratch.presets "
        "(default: %(default)s; 'best' is larger and slower)",
    )
    parser.add_argument(
        "--train-size",
        type=_positive_int,
        metavar="N",
        help="train every model on a stratified sample of N training images "
        "(fixed seed), for quick runs (default: all 60,000)",
    )
    parser.add_argument(
        "--svc-train-size",
        type=_positive_int,
        metavar="N",
        help="train the SVC on a stratified sample of N of those images; its "
        "fit grows about quadratically with N (default: all)",
    )
    parser.add_argument(
        "--max-iter",
        type=_positive_int,
        metavar="EPOCHS",
        help="epochs of both MLPs, overriding the preset's",
    )
    parser.add_argument(
        "--output",
        default="reports/compare",
        metavar="DIR",
        help="report folder, created if needed; files in it are overwritten "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="do not draw the PNG plots"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars on stderr"
    )
    parser.set_defaults(run=_run_compare, parser=parser)


@dataclass
class _Result:
    """One row of the comparison table."""

    model: str
    accuracy: float
    fit_seconds: float
    predict_seconds: float
    n_train: int
    note: str


def _run_compare(args, argv):
    """``sknnscratch compare``: fit, score, print the table, write the report."""
    folder = _prepare_folder(args.output)
    _check_report_paths(folder, args)
    _check_svc_train_size(args.svc_train_size, args.train_size)
    params = dict(PRESETS[args.preset])
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    if "sklearn-mlp" in args.models:
        _sklearn_mlp(params)
    data = _load_mnist()
    data.X_train, data.y_train = _subsample(
        data.X_train, data.y_train, args.train_size, "--train-size"
    )
    _check_svc_train_size(args.svc_train_size, len(data.y_train))
    print(_data_summary(data))

    results, scratch_model = [], None
    with _warnings_as_lines(hide_budget_warning=True) as caught:
        for key in args.models:
            n_caught = len(caught)
            try:
                result, model = _COMPARE_RUNNERS[key](data, params, args)
            except ValueError as exc:  # what the parameter checks cannot see
                raise CLIError(_compare_fit_error(key, exc, params)) from None
            if key in ("mlp", "sklearn-mlp"):
                _mark_if_diverged(model, result, caught[n_caught:])
            results.append(result)
            if key == "mlp":
                scratch_model = model

    print()
    print(_text_table(results))
    footnote = _footnote(results, params)
    if footnote:
        print(footnote)
    print()
    _write_report(folder, results, footnote, scratch_model, data, args, argv)
    return 0


def _report_files(args):
    """The names of the files ``compare`` will write to its report folder."""
    names = ["results.md", "results.csv"]
    if "mlp" in args.models:
        names.append("model.safetensors")
        if not args.no_plots:
            # matplotlib comes with it, but the plots will need it anyway.
            from .plotting import REPORT_PLOTS

            names += [f"{name}.png" for name in REPORT_PLOTS]
    return names


def _check_report_paths(folder, args):
    """Fail before minutes of training if a report file cannot be written.

    Writing over a folder (say ``confusion_matrix.png/``) fails only at the
    end, after every model has been trained.
    """
    for name in _report_files(args):
        path = folder / name
        if path.exists() and not path.is_file():
            raise CLIError(
                f"cannot write the report: {path} is a folder, where the report "
                "writes a file; remove it or choose another --output"
            )


def _compare_fit_error(key, exc, params):
    """The error line for a model of ``compare`` whose fit raised ValueError."""
    name = _MODEL_NAMES[key]
    if _is_divergence_error(exc):
        advice = _compare_rate_advice(params)
        return f"{name}: {_divergence_message(advice, exc)}"
    return f"{name}: {_one_line(exc)}"


def _compare_rate_advice(params):
    # compare has no --learning-rate-init: the preset sets the rate.
    return (
        f"; the learning_rate_init of --preset ({params['learning_rate_init']:g}) "
        "is too high for it: try 'sknnscratch train' with a lower "
        "--learning-rate-init"
    )


def _mark_if_diverged(model, result, caught):
    """Flag a model that diverged in its row of the table.

    ``caught`` holds the warnings of this model's fit.  A fit that diverged
    after some epochs keeps the weights of the last completed one (one that
    learned nothing raises, see ``_compare_fit_error``): its row stays,
    marked, so that its accuracy is not read as that of a sound run.
    scikit-learn's MLPClassifier does not warn, but its loss curve shows it.
    """
    curve = getattr(model, "loss_curve_", None)
    if _divergence_warnings(caught) or (
        curve is not None and not np.isfinite(curve).all()
    ):
        result.note = _join_notes(result.note, "training diverged")


def _check_svc_train_size(svc_train_size, train_size):
    """The SVC's sample is drawn from the training set: it cannot be larger."""
    if svc_train_size and train_size and svc_train_size > train_size:
        raise CLIError(
            f"--svc-train-size {svc_train_size:,} is more than the "
            f"{train_size:,} training images (--train-size)"
        )


def _data_summary(data):
    """The first line of output: what the models train and are scored on."""
    if len(data.y_train) < data.n_full_train:
        train = (
            f"a stratified sample of {len(data.y_train):,} of the "
            f"{data.n_full_train:,} training images"
        )
    else:
        train = f"the {data.n_full_train:,} training images"
    return (
        f"MNIST: training on {train}; scoring on the {len(data.y_test):,} test images."
    )


def _trained_on(n_train, data):
    """Note for a model trained on fewer images than the others (the SVC).

    The common training set is stated above the table, so only a model that
    differs from it needs a note: 'trained on 5,000 of 60,000'.
    """
    if n_train < len(data.y_train):
        return f"trained on {n_train:,} of {data.n_full_train:,}"
    return ""


def _plural(count, word):
    return f"{count} {word}{'s' * (count != 1)}"


def _join_notes(*notes):
    return "; ".join(note for note in notes if note)


def _score(name, model, X_train, y_train, data, fit_context, predict_context, note):
    """Fit and time a model, time its prediction of the test set, score it."""
    started = time.perf_counter()
    with fit_context:
        model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with predict_context:
        predicted = model.predict(data.X_test)
    predict_seconds = time.perf_counter() - started
    return _Result(
        model=name,
        accuracy=accuracy_score(data.y_test, predicted),
        fit_seconds=fit_seconds,
        predict_seconds=predict_seconds,
        n_train=len(y_train),
        note=_join_notes(note(model), _trained_on(len(y_train), data)),
    )


def _describe_mlp(params, n_epochs, dropout=True):
    """A short description of an MLP's settings for the table's note column.

    With ``dropout=False`` (scikit-learn's MLPClassifier) a preset's dropout
    shows as 'no dropout*', which the table's footnote explains.
    """
    sizes = params["hidden_layer_sizes"]
    sizes = (sizes,) if isinstance(sizes, int) else tuple(sizes)
    parts = [
        f"{'+'.join(map(str, sizes))} {_format_value(params['activation'])}",
        f"{params['solver']} lr={params['learning_rate_init']:g}",
        f"batch {params['batch_size']}",
        _plural(n_epochs, "epoch"),
    ]
    if params["dropout"]:
        text = f"dropout {_format_value(params['dropout'])}" if dropout else None
        parts.insert(1, text or "no dropout*")
    return ", ".join(parts)


def _run_scratch_mlp(data, params, args):
    model = ScratchMLPClassifier(**params)
    full = model.get_params()
    name = _MODEL_NAMES["mlp"]
    return _score(
        name,
        model,
        data.X_train,
        data.y_train,
        data,
        _epoch_bar(model, name, args.quiet),
        _status(f"{name}: predicting", args.quiet),
        lambda fitted: _describe_mlp(full, fitted.n_iter_),
    ), model


def _sklearn_mlp_params(scratch_params):
    """MLPClassifier settings matching a ScratchMLPClassifier's, minus dropout.

    Every parameter the two share by name is copied (architecture, epochs,
    batch size, solver, learning rate, alpha, tol, seed, Adam's betas, ...).
    ``verbose`` and ``warm_start`` are left out: they are about a session, not
    the model.
    """
    shared = set(MLPClassifier().get_params()) & set(scratch_params)
    shared -= {"verbose", "warm_start"}
    return {name: scratch_params[name] for name in shared}


def _sklearn_mlp(params):
    """The MLPClassifier twin of a preset, or a CLIError if it has none.

    A preset may use what only ScratchMLPClassifier offers (per-layer or
    'elu' activations, 'rmsprop'); say so before anything is trained.
    """
    full = ScratchMLPClassifier(**params).get_params()
    model = MLPClassifier(**_sklearn_mlp_params(full))
    try:
        model._validate_params()  # scikit-learn's own parameter check
    except ValueError as exc:
        raise CLIError(
            f"scikit-learn's MLPClassifier cannot match these settings: "
            f"{_one_line(exc).rstrip('.')}; leave sklearn-mlp out of --models"
        ) from None
    return model, full


def _run_sklearn_mlp(data, params, args):
    model, full = _sklearn_mlp(params)
    name = _MODEL_NAMES["sklearn-mlp"]
    return _score(
        name,
        model,
        data.X_train,
        data.y_train,
        data,
        _status(f"{name}: fitting, no per-epoch progress available", args.quiet),
        _status(f"{name}: predicting", args.quiet),
        lambda fitted: _describe_mlp(full, fitted.n_iter_, dropout=False),
    ), model


def _run_svc(data, params, args):
    X, y = _subsample(
        data.X_train, data.y_train, args.svc_train_size, "--svc-train-size"
    )
    model = SVC(C=10, kernel="rbf", gamma="scale")
    name = _MODEL_NAMES["svc"]
    return _score(
        name,
        model,
        X,
        y,
        data,
        _status(f"SVC: fitting on {len(y):,} images", args.quiet),
        _status("SVC: predicting", args.quiet),
        lambda fitted: "RBF kernel, C=10, gamma='scale'",
    ), model


def _run_darkness(data, params, args):
    model = AverageDarknessClassifier()
    return _score(
        _MODEL_NAMES["darkness"],
        model,
        data.X_train,
        data.y_train,
        data,
        # Both take well under a second: no status line needed.
        nullcontext(),
        nullcontext(),
        lambda fitted: "naive baseline: nearest mean pixel intensity",
    ), model


_COMPARE_RUNNERS = {
    "mlp": _run_scratch_mlp,
    "svc": _run_svc,
    "sklearn-mlp": _run_sklearn_mlp,
    "darkness": _run_darkness,
}


def _footnote(results, params):
    """The table's footnote on the one difference between the two MLPs."""
    if any("*" in result.note for result in results):
        return (
            f"* scikit-learn's MLPClassifier has no dropout: it trains the same "
            f"network without the dropout of {_format_value(params['dropout'])}."
        )
    return ""


_COLUMNS = ("model", "test accuracy", "fit (s)", "predict (s)", "note")


def _table_cells(result):
    return (
        result.model,
        f"{result.accuracy:.2%}",
        f"{result.fit_seconds:.1f}",
        f"{result.predict_seconds:.2f}",
        result.note,
    )


def _text_table(results):
    """The comparison as an aligned plain-text table (numbers right-aligned)."""
    rows = [_COLUMNS, *map(_table_cells, results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i in (0, 4) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_table(results):
    """The comparison as a Markdown table."""
    lines = [
        "| " + " | ".join(_COLUMNS) + " |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        cells = [
            cell.replace("|", "\\|").replace("*", "\\*")
            for cell in _table_cells(result)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write_report(folder, results, footnote, model, data, args, argv):
    """Write model.safetensors, results.csv, the plots and results.md to ``folder``."""
    written = []
    if model is not None:
        _save_model(model, folder / "model.safetensors")
        written.append("model.safetensors")
    _write_csv(folder / "results.csv", results)
    written.append("results.csv")
    plots = {}
    if model is not None and not args.no_plots:
        plots = _save_plots(model, data, folder, args.quiet)
        written += [path.name for path in plots.values()]
    markdown = _markdown_report(results, footnote, model, data, plots, argv)
    _write_text(folder / "results.md", markdown)
    written.insert(0, "results.md")
    print(f"Report written to {folder}/: {', '.join(written)}")
    if model is None:
        print(
            "(no ScratchMLPClassifier in --models: no plots and no model.safetensors)"
        )
        return
    if args.no_plots:
        print("(plots skipped: --no-plots)")
    print(
        "Classify digits with the saved model: sknnscratch predict "
        f"{folder / 'model.safetensors'} --mnist-index 0,1,2"
    )


def _save_plots(model, data, folder, quiet):
    """The report plots of the ScratchMLPClassifier (plotting imported lazily)."""
    # matplotlib takes a second to import; only plotting commands pay for it.
    from .plotting import save_report_plots

    try:
        with _status("Drawing the report plots", quiet):
            return save_report_plots(
                model, data.X_test, data.y_test, folder, image_shape=_IMAGE_SHAPE
            )
    except OSError as exc:  # _check_report_paths cannot foresee a full disk
        raise CLIError(f"cannot write the plots to {folder}: {exc}") from None


def _write_text(path, text):
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


_CSV_COLUMNS = (
    "model",
    "test_accuracy",
    "fit_seconds",
    "predict_seconds",
    "n_train",
    "note",
)


def _csv_row(result):
    return (
        result.model,
        f"{result.accuracy:.4f}",
        f"{result.fit_seconds:.3f}",
        f"{result.predict_seconds:.3f}",
        result.n_train,
        result.note.replace("*", ""),  # the footnote is not in the CSV
    )


def _write_csv(path, results):
    """results.csv: one row per model, accuracy as a fraction."""
    try:
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(_CSV_COLUMNS)
            writer.writerows(map(_csv_row, results))
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


def _machine_info():
    """Where the timings were measured: OS, CPU, Python and library versions."""
    return {
        "Machine": (
            f"{platform.platform()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs reported by os.cpu_count()"
        ),
        "Versions": (
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, sknnscratch {__version__}"
        ),
    }


def _markdown_report(results, footnote, model, data, plots, argv):
    """The text of results.md."""
    lines = [
        "# sknnscratch compare: MNIST",
        "",
        _data_summary(data),
        "",
        _markdown_table(results),
        "",
    ]
    if footnote:
        lines += [footnote.replace("*", "\\*", 1), ""]
    lines += [
        f"- Command: `{shlex.join(['sknnscratch', *argv])}`",
        f"- Date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        *(f"- {key}: {value}" for key, value in _machine_info().items()),
    ]
    if model is not None:
        # repr wraps long lines with runs of spaces; one line reads better.
        lines.append(f"- ScratchMLPClassifier: `{' '.join(repr(model).split())}`")
    if plots:
        lines += ["", "## Plots of the ScratchMLPClassifier", ""]
        for name, path in plots.items():
            lines += [f"![{name.replace('_', ' ')}]({path.name})", ""]
    return "\n".join(lines).rstrip() + "\n"


# --- train ----------------------------------------------------------------------


def _add_train_parser(commands):
    parser = commands.add_parser(
        "train",
        help="train one ScratchMLPClassifier on MNIST with any hyperparameters "
        "and save it",
        description=(
            "Train a ScratchMLPClassifier on the MNIST training images (pixels "
            "scaled to [0, 1]), print the loss after each epoch and the "
            "accuracy on the 10,000 test images, and save the model (a "
            "safetensors file, see sknnscratch.save) for 'sknnscratch predict'. "
            "Starts from the MNIST preset "
            "'default'; every hyperparameter flag overrides it."
        ),
        epilog=(
            "examples:\n"
            "  sknnscratch train --max-iter 5 --train-size 10000\n"
            "  sknnscratch train --hidden-layer-sizes 256,128 --activation relu,tanh "
            "--dropout 0.2,0.1 --early-stopping --output models/deep.safetensors"
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--preset",
        choices=[*sorted(PRESETS), "none"],
        default="default",
        help=_preset_help(),
    )
    parser.add_argument(
        "--train-size",
        type=_positive_int,
        metavar="N",
        help="train on a stratified sample of N training images (fixed seed) "
        "(default: all 60,000)",
    )
    parser.add_argument(
        "--output",
        default=_DEFAULT_MODEL,
        metavar="FILE",
        help="where to save the fitted model (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _add_hyperparameter_flags(parser)
    parser.set_defaults(run=_run_train, parser=parser)


def _train_params(args):
    """The preset's hyperparameters updated with the flags given."""
    params = {} if args.preset == "none" else dict(PRESETS[args.preset])
    for name in _estimator_defaults():
        if hasattr(args, name):  # flags not given are absent (SUPPRESS)
            params[name] = getattr(args, name)
    return params


def _print_epoch(record, max_iter):
    """One line of training progress per epoch."""
    line = (
        f"epoch {record['epoch']:>{len(str(max_iter))}}/{max_iter}  "
        f"loss {record['loss']:.4f}"
    )
    if record["accuracy"] is not None:
        line += f"  train acc {record['accuracy']:6.2%}"
    if record["val_accuracy"] is not None:
        line += (
            f"  val loss {record['val_loss']:.4f}"
            f"  val acc {record['val_accuracy']:6.2%}"
        )
    print(f"{line}  ({record['seconds']:.1f} s)", flush=True)


def _run_train(args, argv):
    """``sknnscratch train``: fit, report test accuracy, save."""
    output = _prepare_model_path(args.output)
    params = _train_params(args)
    model = _checked_estimator(params, args)
    data = _load_mnist()
    X, y = _subsample(data.X_train, data.y_train, args.train_size, "--train-size")

    print(f"Training ScratchMLPClassifier on {len(y):,} MNIST training images with")
    settings = ", ".join(f"{k}={_format_value(v)}" for k, v in params.items())
    print(textwrap.fill(settings, 88, initial_indent="  ", subsequent_indent="  "))
    if not args.quiet:
        _explain_epoch_lines(model)
        model._on_epoch_end = lambda record: _print_epoch(record, model.max_iter)
    started = time.perf_counter()
    try:
        # The budget warning is news only when tol could have stopped earlier.
        with _warnings_as_lines(hide_budget_warning=model.tol == 0) as caught:
            model.fit(X, y)
    except ValueError as exc:  # what the parameter check cannot see
        if _is_divergence_error(exc):
            advice = _train_rate_advice(model, args)
            raise CLIError(_divergence_message(advice, exc)) from None
        raise CLIError(_one_line(exc) + _preset_hint(exc, args)) from None
    finally:
        model.__dict__.pop("_on_epoch_end", None)
    seconds = time.perf_counter() - started
    diverged = _divergence_warnings(caught)

    try:
        accuracy = model.score(data.X_test, data.y_test)
    except ValueError as exc:  # kept weights that overflow on the test images
        advice = _train_rate_advice(model, args)
        raise CLIError(_divergence_message(advice, exc)) from None
    unit = "L-BFGS iteration" if model.solver == "lbfgs" else "epoch"
    print(
        f"Trained {_plural(model.n_iter_, unit)}"
        f"{' (then training diverged: see the warning)' if diverged else ''} in "
        f"{seconds:.1f} s. Test accuracy on the {len(data.y_test):,} MNIST test "
        f"images: {accuracy:.2%}"
    )
    _save_model(model, output)
    print(f"Model saved to {output}")
    print(f"Try it: sknnscratch predict {output} --mnist-index 0,1,2")
    return 0


def _train_rate_advice(model, args):
    """What to change after a diverged fit, and that nothing was saved."""
    if model.solver == "lbfgs":
        return ", so no model was saved; try a larger --alpha or a step --solver"
    if hasattr(args, "learning_rate_init"):
        source = ""
    elif args.preset == "none":
        source = ", the estimator's default"
    else:
        source = f", from --preset {args.preset}"
    return (
        ", so no model was saved; try a lower --learning-rate-init (it is "
        f"{model.learning_rate_init:g}{source})"
    )


def _preset_hint(exc, args):
    """Point out preset values an error names, which the user did not type."""
    if args.preset == "none":
        return ""
    preset = PRESETS[args.preset]
    named = [
        f"{name}={_format_value(value)}"
        for name, value in preset.items()
        if not hasattr(args, name) and re.search(rf"\b{name}\b", str(exc))
    ]
    if not named:
        return ""
    return (
        f" ({', '.join(named)} comes from --preset {args.preset}; override it "
        "with its flag, or use --preset none)"
    )


def _one_line(exc):
    return " ".join(str(exc).split())


def _checked_estimator(params, args):
    """The estimator, its parameters checked before any data is loaded.

    ``_check_parameters`` runs what ``fit`` checks first (scikit-learn's
    parameter constraints, then the per-layer rules: sizes, one activation
    and dropout rate per layer, no dropout with L-BFGS); running it now
    reports a mistake at once instead of after loading MNIST.
    """
    model = ScratchMLPClassifier(**params)
    try:
        model._check_parameters()
    except ValueError as exc:
        raise CLIError(_one_line(exc) + _preset_hint(exc, args)) from None
    return model


def _explain_epoch_lines(model):
    """Say what the per-epoch numbers are before the first line appears."""
    if model.solver == "lbfgs":
        print("(L-BFGS: one line per iteration, with the full-batch loss.)")
    elif not model.early_stopping:
        print(
            "(train acc: running accuracy over each epoch's batches; pass "
            "--early-stopping for a held-out validation accuracy.)"
        )


# --- predict --------------------------------------------------------------------


def _add_predict_parser(commands):
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
        formatter_class=_HelpFormatter,
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
        type=_index_list,
        metavar="I[,I...]",
        help="also classify these MNIST test images (0-9999) and show their "
        "true labels",
    )
    parser.set_defaults(run=_run_predict, parser=parser)


@dataclass
class _Input:
    """One image to classify: a label for the output, its pixels, its truth."""

    name: str
    pixels: np.ndarray  # (784,) float32 in [0, 1]
    true_label: int | None = None


def _run_predict(args, argv):
    """``sknnscratch predict``: classify each input and print probabilities."""
    if not args.inputs and not args.mnist_index:
        args.parser.error(
            "nothing to classify: give image or .npy files after MODEL, "
            "or --mnist-index"
        )
    with _warnings_as_lines(hide_budget_warning=False):
        model = _load_model(args.model)
        inputs = [item for path in args.inputs for item in _read_input(Path(path))]
        if args.mnist_index:
            inputs += _mnist_inputs(args.mnist_index)
        try:
            proba = model.predict_proba(np.stack([item.pixels for item in inputs]))
        except ValueError as exc:  # e.g. weights that overflow: a broken model
            raise CLIError(
                f"the model in {args.model} cannot classify these images: "
                f"{_one_line(exc)}"
            ) from None
    print(_prediction_table(inputs, proba, model.classes_))
    return 0


def _load_model(path):
    """Load a fitted ScratchMLPClassifier for 28x28 images, or raise CLIError."""
    path = Path(path)
    _check_file(path, "model file")
    # Never unpickle: a model file may come from anyone, and loading a pickle
    # runs whatever code it holds. load_model reads a safetensors file: tensors
    # and one JSON document, nothing executable.
    try:
        model = load_model(path)
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
    if model.n_features_in_ != _N_PIXELS:
        raise CLIError(
            f"the model in {path} expects {model.n_features_in_} features, not "
            f"the {_N_PIXELS} pixels of a 28x28 image"
        )
    return model


def _check_file(path, what):
    if path.is_dir():
        raise CLIError(f"{what} {path} is a folder, not a file")
    if not path.exists():
        raise CLIError(f"{what} {path} not found")
    if not path.is_file():
        raise CLIError(f"{what} {path} is not a regular file")
    if path.stat().st_size == 0:
        raise CLIError(f"{what} {path} is empty (0 bytes)")


#: The first bytes of an .npy file, of a zip archive (.npz) and of a pickle.
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_MAGIC = b"\x80"


def _read_input(path):
    """The images in one INPUT file: an .npy array or a single image."""
    _check_file(path, "input file")
    magic = _first_bytes(path, len(_NPY_MAGIC))
    if path.suffix.lower() == ".npy" or magic == _NPY_MAGIC:
        return _read_npy(path, magic)
    return [_read_image(path)]


def _first_bytes(path, n):
    try:
        with path.open("rb") as file:
            return file.read(n)
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc}") from None


def _read_npy(path, magic):
    """Images from an .npy file of shape (n, 28, 28), (n, 784) or one image.

    The header is read and checked first (format, dtype, shape, and that the
    file holds as many bytes as the header announces), so that a wrong or
    damaged file is reported without loading it: a header may claim any size.
    """
    if not magic.startswith(_NPY_MAGIC):
        if magic.startswith(_ZIP_MAGIC):
            kind = "but a zip archive, such as an .npz file"
        elif magic.startswith(_PICKLE_MAGIC):
            kind = "but a pickle, which predict never loads"
        else:
            kind = "(it does not start as one)"
        raise CLIError(
            f"{path} is not a NumPy .npy file {kind}; save the images with numpy.save"
        )
    shape, dtype, offset = _npy_header(path)
    if dtype.hasobject:
        # Reading an object array means unpickling it, which can run code.
        raise CLIError(
            f"{path} holds Python objects (dtype {dtype}), which cannot be read "
            "without unpickling, and predict never unpickles; save the images "
            "as numbers (uint8 0-255 or float 0-1)"
        )
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise CLIError(
            f"{path} holds {dtype} values, not pixel intensities; expected "
            "integers 0-255 or floats 0-1"
        )
    n_images = _npy_image_count(shape)
    if n_images is None:
        raise CLIError(
            f"{path} holds an array of shape {shape}; expected images of shape "
            "(n, 28, 28) or (n, 784), or one image of shape (28, 28) or (784,)"
        )
    if n_images == 0:
        raise CLIError(f"{path} holds no images: its array has shape {shape}")
    if path.stat().st_size - offset < math.prod(shape) * dtype.itemsize:
        raise CLIError(
            f"{path} is shorter than its header says (an array of shape {shape}, "
            f"{dtype}): the file is truncated or damaged"
        )
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, MemoryError) as exc:
        raise CLIError(f"cannot read {path} as a NumPy .npy file: {exc}") from None
    return [
        _Input(f"{path.name}[{i}]", row)
        for i, row in enumerate(_npy_pixels(path, array.reshape(n_images, -1)))
    ]


def _npy_header(path):
    """Shape, dtype and data offset from an .npy file's header."""
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    try:
        with path.open("rb") as file:
            version = np.lib.format.read_magic(file)
            if version not in readers:
                # Version 3 only adds non-Latin-1 field names: not pixels.
                raise CLIError(
                    f"{path} is an .npy file of format version {version}, which "
                    "only structured arrays use; save plain pixel arrays"
                )
            shape, _, dtype = readers[version](file)
            return shape, dtype, file.tell()
    except (OSError, ValueError, EOFError) as exc:
        raise CLIError(
            f"cannot read {path} as a NumPy .npy file: its header is damaged ({exc})"
        ) from None


def _npy_image_count(shape):
    """How many 28x28 images an array of ``shape`` holds, or None if it is not.

    A (28, 28) or (784,) array is one image; (n, 28, 28) and (n, 784) are n.
    Nothing else is read as images, even with 784 values per row, since a
    (n, 14, 56) or (n, 784, 1) array is not clearly images.
    """
    if shape in (_IMAGE_SHAPE, (_N_PIXELS,)):
        return 1
    if len(shape) == 2 and shape[1] == _N_PIXELS:
        return shape[0]
    if len(shape) == 3 and shape[1:] == _IMAGE_SHAPE:
        return shape[0]
    return None


def _npy_pixels(path, array):
    """Rows of pixels from an .npy file, float32 in [0, 1], or CLIError.

    uint8 images are 0-255; floats are taken as 0-1 unless they are plainly
    0-255 values stored as floats.  Anything else (NaN, negative values,
    standardised features) would be classified without a word, wrongly.
    """
    if np.issubdtype(array.dtype, np.floating):
        n_nan, n_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if n_nan or n_inf:
            what = " and ".join(
                f"{count:,} {name}"
                for count, name in ((n_nan, "NaN"), (n_inf, "infinite"))
                if count
            )
            raise CLIError(
                f"{path} holds {what} values; pixel intensities must be finite"
            )
    low, high = array.min(), array.max()
    if low < 0 or high > 255:
        raise CLIError(
            f"{path} holds values from {low:g} to {high:g}; expected pixel "
            "intensities 0-255 (e.g. uint8) or 0-1 (floats), as in MNIST"
        )
    pixels = array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer) or high > 1:
        pixels /= 255
    return pixels


def _read_image(path):
    """One image file as MNIST-like pixels, with notes on what was changed."""
    # Pillow comes with matplotlib; imported here as only predict needs it.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that, then
            # decodes gigabytes; no digit needs that many pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image = _flatten_alpha(image)
                gray = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        size = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(size.group(1)):,} pixels, " if size else ""
        raise CLIError(
            f"{path} is too large an image to read safely ({pixels}over Pillow's "
            f"limit of {Image.MAX_IMAGE_PIXELS:,} pixels against decompression "
            "bombs); scale it down: a few hundred pixels a side are plenty for a "
            "digit"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CLIError(f"cannot read {path} as an image: {exc}") from None
    # E.g. damaged metadata Pillow skipped, often once per read of a tag.
    for message in dict.fromkeys(_one_line(warning.message) for warning in caught):
        print(f"warning: {path}: {message}", file=sys.stderr)
    notes = []
    if _border_is_bright(gray):
        gray = 1 - gray
        notes.append("inverted")
    if gray.shape != _IMAGE_SHAPE:
        notes.append(f"resized from {gray.shape[1]}x{gray.shape[0]}")
        gray = _fit_like_mnist(gray)
    name = path.name + (f" ({', '.join(notes)})" if notes else "")
    return _Input(name, gray.reshape(_N_PIXELS).astype(np.float32))


def _flatten_alpha(image):
    """Paint a transparent image onto white, as it appears in a viewer.

    Without this, transparent pixels (often stored as black) would turn a
    dark digit on a transparent background into an all-black image.
    """
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba)
    return image


def _border_is_bright(gray):
    """Whether the image's outer ring is mostly light: a dark digit on paper."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return np.mean(border > 0.5) > 0.5


def _fit_like_mnist(gray):
    """Crop to the digit, scale it into 20x20 and centre it in 28x28.

    MNIST's digits were normalised this way; a digit filling a whole photo
    or canvas would otherwise look nothing like what the model learnt.
    """
    from PIL import Image

    ink = gray > 0.1
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        gray = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = gray.shape
    scale = 20 / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    digit = Image.fromarray(gray.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(digit), 0, 1)
    return _paste_centred(digit)


def _paste_centred(digit):
    """Paste ``digit`` into a black 28x28 image, its centre of mass at the middle."""
    canvas = np.zeros(_IMAGE_SHAPE, dtype=np.float32)
    height, width = digit.shape
    total = digit.sum()
    if total > 0:
        rows, cols = np.indices(digit.shape)
        centre = ((rows * digit).sum() / total, (cols * digit).sum() / total)
    else:
        centre = ((height - 1) / 2, (width - 1) / 2)
    top = int(np.clip(round(13.5 - centre[0]), 0, _IMAGE_SHAPE[0] - height))
    left = int(np.clip(round(13.5 - centre[1]), 0, _IMAGE_SHAPE[1] - width))
    canvas[top : top + height, left : left + width] = digit
    return canvas


def _mnist_inputs(indices):
    """MNIST test images by index, with their true labels."""
    data = _load_mnist()
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
