"""``train``'s flags: one per ScratchMLPClassifier parameter, from the estimator.

The flags are built from ``get_params()`` and their help from the class
docstring, so a parameter added to the estimator gets its flag, documented,
without touching the command line.
"""

import argparse
import inspect
import re

from .._classifier import ScratchMLPClassifier
from ..presets import PRESETS
from ._args import (
    class_weight,
    float_or_list,
    int_or_inf,
    int_tuple,
    scalar,
    str_or_list,
)
from ._augment import AUGMENTATIONS, augmentation
from ._text import format_value

__all__ = ["add_hyperparameter_flags", "estimator_defaults", "preset_help"]

#: Parameters whose command-line form the default's type cannot tell: their
#: argparse type and metavar, and a note on the command-line syntax.
_SPECIAL_FLAGS = {
    "hidden_layer_sizes": (int_tuple, "N[,N...]", "Comma-separated, e.g. 256,128."),
    "activation": (
        str_or_list,
        "NAME[,NAME...]",
        "Per layer: comma-separated, e.g. relu,tanh.",
    ),
    "dropout": (
        float_or_list,
        "RATE[,RATE...]",
        "Per layer: comma-separated, e.g. 0.2,0.1.",
    ),
    "batch_size": (scalar, "auto|N", ""),
    "random_state": (scalar, "SEED|none", ""),
    "class_weight": (
        class_weight,
        "balanced|none|C:W,...",
        "E.g. 0:1,8:2.5: classes are the labels 0-9 (Fashion-MNIST's by index), "
        "weights finite and 0 or more; classes left out weigh 1.",
    ),
    "n_iter_no_change": (int_or_inf, "N|inf", "'inf' never stops on a plateau."),
    "augment": (
        augmentation,
        "|".join(AUGMENTATIONS),
        "Random deformations of the training images: 'affine' (shift, rotation, "
        "scale, shear), 'elastic' (Simard's elastic distortion), 'both' or "
        "'none'; --augment-strength scales them.",
    ),
}

#: Other spellings of a hyperparameter flag: ``--optimizer`` is the name the
#: classic from-scratch train.py scripts use for the solver.
_FLAG_ALIASES = {"solver": ["--optimizer"]}

#: Metavar of a flag by the type its value is parsed with.
_METAVARS = {int: "N", float: "X", str: "NAME"}


def estimator_defaults():
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
    # A type line continued with a backslash is one line.
    doc = (inspect.getdoc(estimator_class) or "").replace("\\\n", "")
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


def add_hyperparameter_flags(parser):
    """Add one flag per ScratchMLPClassifier parameter, typed from its default.

    Every flag defaults to ``argparse.SUPPRESS``: only the flags actually
    given override the preset.
    """
    group = parser.add_argument_group(
        "hyperparameters",
        "Every ScratchMLPClassifier parameter. Unset ones keep the preset's value "
        "(see --preset), else the estimator's default; the estimator checks the "
        "values.",
    )
    docs = _parameter_docs(ScratchMLPClassifier)
    for name, default in estimator_defaults().items():
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
            kind = type(default) if isinstance(default, int | float | str) else scalar
            options["type"], options["metavar"] = kind, _METAVARS.get(kind, "VALUE")
        flags = ["--" + name.replace("_", "-"), *_FLAG_ALIASES.get(name, [])]
        group.add_argument(*flags, **options)
    group.add_argument(
        "--augment-strength",
        type=float,
        default=argparse.SUPPRESS,
        metavar="X",
        help="Multiply every strength of the augmentation in effect (from "
        "--augment or the preset) by X: 0.5 deforms half as much. Default: 1.",
    )


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
            f"Default: {format_value(preset[name])} (from --preset default; the "
            f"estimator's own: {format_value(default)})."
        )
    else:
        defaults = f"Default: {format_value(default)}."
    text = " ".join(part for part in (summary, note, defaults) if part)
    return text.replace("%", "%%")  # argparse formats help with %


def preset_help():
    """Help of ``--preset``: each preset's values, read from :mod:`.presets`."""
    lines = [
        f"{name}: "
        + ", ".join(f"{key}={format_value(value)}" for key, value in preset.items())
        for name, preset in PRESETS.items()
    ]
    return (
        "Hyperparameters to start from; the flags below override them. "
        + "; ".join(lines)
        + ". 'none' starts from the estimator's own defaults."
    ).replace("%", "%%")
