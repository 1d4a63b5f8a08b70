"""The ``sknnscratch`` command line: ``compare``, ``train`` and ``predict``.

``compare`` is the package's main job: it trains :class:`ScratchMLPClassifier`
on MNIST (or, with ``--dataset fashion-mnist``, on Fashion-MNIST) next to an
SVC, scikit-learn's ``MLPClassifier`` and a naive baseline, prints a table
and writes a report folder.  ``train`` fits one :class:`ScratchMLPClassifier`
with any hyperparameters and saves it, with the dataset and its class names;
``predict`` classifies PNG images, ``.npy`` arrays or test images of the
model's dataset with a saved model, by class name. Each command is a module
of this package with an ``add_parser(commands)`` and a ``run(args, argv)``.

Both ``python -m sknnscratch`` and the ``sknnscratch`` script call
:func:`main`.  Wrong arguments end in argparse's usage message (exit code 2);
expected runtime failures (a missing file, an invalid hyperparameter) print
one ``error: ...`` line to stderr (exit code 1); nothing the user can cause
should end in a traceback.
"""

import argparse
import sys

from .. import __version__
from . import compare, predict, train
from ._args import HelpFormatter
from ._errors import CLIError

__all__ = ["main"]

#: The commands by name, in the order ``--help`` lists them.
_COMMANDS = {"compare": compare, "train": train, "predict": predict}


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
        return _COMMANDS[args.command].run(args, argv)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def _build_parser():
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="sknnscratch",
        description=(
            "A scikit-learn compatible MLP on a from-scratch NumPy engine, "
            "trained and compared on the MNIST digits or Fashion-MNIST, both "
            "bundled with the package."
        ),
        epilog=(
            "examples:\n"
            "  sknnscratch compare                     # the full comparison "
            "(takes minutes)\n"
            "  sknnscratch compare --train-size 10000 --svc-train-size 5000 "
            "--max-iter 5\n"
            "  sknnscratch compare --dataset fashion-mnist --models mlp,sklearn-mlp\n"
            "  sknnscratch train --hidden-layer-sizes 256,128 --dropout 0.2\n"
            "  sknnscratch predict model.safetensors digit.png --index 0,1,2\n"
            "\n"
            "Run 'sknnscratch COMMAND --help' for the options of a command."
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="COMMAND"
    )
    for command in _COMMANDS.values():
        command.add_parser(commands)
    return parser
