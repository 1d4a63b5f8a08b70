"""``sknnscratch train``: one ScratchMLPClassifier on MNIST or Fashion-MNIST."""

import re
import textwrap
import time
from contextlib import nullcontext

from .._classifier import ScratchMLPClassifier
from ..datasets._mnist_format import IMAGE_SHAPE
from ..presets import PRESETS
from ._args import HelpFormatter, add_train_size
from ._augment import with_strength
from ._data import add_dataset, load_dataset, subsample
from ._errors import (
    CLIError,
    divergence_message,
    divergence_warnings,
    is_divergence_error,
    warnings_as_lines,
)
from ._files import DEFAULT_MODEL, prepare_model_path, save_model
from ._hyperparameters import add_hyperparameter_flags, estimator_defaults, preset_help
from ._progress import EpochLines, callbacks_attached
from ._text import format_value, one_line, plural

__all__ = ["add_parser", "run", "train_params"]


def add_parser(commands):
    """Add the ``train`` command to the top-level parser's ``commands``."""
    parser = commands.add_parser(
        "train",
        help="train one ScratchMLPClassifier on MNIST or Fashion-MNIST with any "
        "hyperparameters and save it",
        description=(
            "Train a ScratchMLPClassifier on the 60,000 training images of MNIST "
            "or Fashion-MNIST (--dataset; pixels scaled to [0, 1], labels 0-9), "
            "print the loss after each epoch and the accuracy on the 10,000 "
            "test images, and save the model (a safetensors file, see "
            "sknnscratch.save, recording the dataset and its class names) for "
            "'sknnscratch predict'. Starts from the preset 'default'; every "
            "hyperparameter flag overrides it."
        ),
        epilog=(
            "examples:\n"
            "  sknnscratch train --max-iter 5 --train-size 10000\n"
            "  sknnscratch train --dataset fashion-mnist --output fashion.safetensors\n"
            "  sknnscratch train --hidden-layer-sizes 256,128 --activation relu,tanh "
            "--dropout 0.2,0.1 --early-stopping --output models/deep.safetensors"
        ),
        formatter_class=HelpFormatter,
    )
    add_dataset(parser)
    parser.add_argument(
        "--preset",
        choices=[*sorted(PRESETS), "none"],
        default="default",
        help=preset_help(),
    )
    add_train_size(
        parser,
        "train on a stratified sample of N training images (fixed seed) "
        "(default: all 60,000)",
    )
    parser.add_argument(
        "--output",
        default=DEFAULT_MODEL,
        metavar="FILE",
        help="where to save the fitted model (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    add_hyperparameter_flags(parser)
    parser.set_defaults(parser=parser)
    return parser


def train_params(args):
    """The preset's hyperparameters updated with the flags given."""
    params = {} if args.preset == "none" else dict(PRESETS[args.preset])
    for name in estimator_defaults():
        if hasattr(args, name):  # flags not given are absent (SUPPRESS)
            params[name] = getattr(args, name)
    if hasattr(args, "augment_strength"):
        if params.get("augment") is None:
            raise CLIError(
                "--augment-strength needs an augmentation to scale: give "
                "--augment affine, elastic or both, or a preset that has one "
                "(--preset record)"
            )
        if not args.augment_strength >= 0:
            raise CLIError(
                f"--augment-strength must be 0 or more, got {args.augment_strength}"
            )
        params["augment"] = with_strength(params["augment"], args.augment_strength)
    return params


def run(args, argv):
    """``sknnscratch train``: fit, report test accuracy, save."""
    output = prepare_model_path(args.output)
    params = train_params(args)
    model = _checked_estimator(params, args)
    data = load_dataset(args.dataset)
    name = data.dataset.name
    X, y = subsample(data.X_train, data.y_train, args.train_size, "--train-size")

    print(f"Training ScratchMLPClassifier on {len(y):,} {name} training images with")
    settings = ", ".join(f"{k}={format_value(v)}" for k, v in params.items())
    print(textwrap.fill(settings, 88, initial_indent="  ", subsequent_indent="  "))
    if not args.quiet:
        _explain_epoch_lines(model)
    progress = nullcontext() if args.quiet else callbacks_attached(model, EpochLines())
    started = time.perf_counter()
    try:
        # The budget warning is news only when tol could have stopped earlier.
        with progress, warnings_as_lines(hide_budget_warning=model.tol == 0) as caught:
            model.fit(X, y)
    except ValueError as exc:  # what the parameter check cannot see
        if is_divergence_error(exc):
            advice = _rate_advice(model, args)
            raise CLIError(divergence_message(advice, exc)) from None
        raise CLIError(one_line(exc) + _preset_hint(exc, args)) from None
    seconds = time.perf_counter() - started
    diverged = divergence_warnings(caught)

    try:
        accuracy = model.score(data.X_test, data.y_test)
    except ValueError as exc:  # kept weights that overflow on the test images
        raise CLIError(divergence_message(_rate_advice(model, args), exc)) from None
    unit = "L-BFGS iteration" if model.solver == "lbfgs" else "epoch"
    print(
        f"Trained {plural(model.n_iter_, unit)}"
        f"{' (then training diverged: see the warning)' if diverged else ''} in "
        f"{seconds:.1f} s. Test accuracy on the {len(data.y_test):,} {name} test "
        f"images: {accuracy:.2%}"
    )
    save_model(model, output, data.dataset)
    print(f"Model saved to {output}")
    print(f"Try it: sknnscratch predict {output} --index 0,1,2")
    return 0


def _rate_advice(model, args):
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
        f"{name}={format_value(value)}"
        for name, value in preset.items()
        if not hasattr(args, name) and re.search(rf"\b{name}\b", str(exc))
    ]
    if not named:
        return ""
    return (
        f" ({', '.join(named)} comes from --preset {args.preset}; override it "
        "with its flag, or use --preset none)"
    )


def _checked_estimator(params, args):
    """The estimator, its parameters checked before any data is loaded.

    ``_check_parameters`` runs what ``fit`` checks first (scikit-learn's
    parameter constraints, then the per-layer rules: sizes, one activation
    and dropout rate per layer, no dropout with L-BFGS); running it now
    reports a mistake at once instead of after loading the data.
    """
    model = ScratchMLPClassifier(**params)
    try:
        model._check_parameters()
        if model.augment is not None:
            # Also checks the transform's strengths, which the estimator
            # reaches only once it sees the data.
            model.augment.check_width(IMAGE_SHAPE[0] * IMAGE_SHAPE[1])
    except ValueError as exc:
        hint = _preset_hint(exc, args)
        if hasattr(args, "augment_strength") and not hint:
            hint = f" (after --augment-strength {args.augment_strength:g})"
        raise CLIError(one_line(exc) + hint) from None
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
