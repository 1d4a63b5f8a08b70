"""``sknnscratch compare``: four models on MNIST (or Fashion-MNIST), a table and
a report folder.
"""

import argparse

import numpy as np

from .._classifier import ScratchMLPClassifier
from ..presets import PRESETS
from ._args import HelpFormatter, add_train_size, positive_int, split_commas
from ._data import (
    DEFAULT_DATASET,
    add_dataset,
    data_summary,
    load_dataset,
    subsample,
)
from ._errors import (
    CLIError,
    divergence_message,
    divergence_warnings,
    is_divergence_error,
    warnings_as_lines,
)
from ._files import prepare_folder
from ._models import MODEL_NAMES, RUNNERS, sklearn_mlp, twin_differences
from ._report import check_report_paths, text_table, write_report
from ._text import join_notes, one_line

__all__ = ["add_parser", "run"]


def _model_list(text):
    """The ``--models`` list, checked against the known names, duplicates dropped."""
    names = split_commas(text)
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown model {', '.join(map(repr, unknown))}; choose from "
            f"{','.join(MODEL_NAMES)}"
        )
    return list(dict.fromkeys(names))


def add_parser(commands):
    """Add the ``compare`` command to the top-level parser's ``commands``."""
    parser = commands.add_parser(
        "compare",
        help="train ScratchMLPClassifier, an SVC, sklearn's MLPClassifier and a "
        "baseline on MNIST or Fashion-MNIST; print and save a comparison",
        description=(
            "Train ScratchMLPClassifier, SVC(C=10, kernel='rbf'), scikit-learn's "
            "MLPClassifier (the same network and training settings, as near as "
            "it has them: the table's footnote says what differs) and "
            "AverageDarknessClassifier on the official 60,000 training images of "
            "MNIST or Fashion-MNIST (--dataset), score them on the 10,000 test "
            "images, print a table and "
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
            "  sknnscratch compare --models mlp,sklearn-mlp --preset best\n"
            "  sknnscratch compare --dataset fashion-mnist --models mlp,sklearn-mlp"
        ),
        formatter_class=HelpFormatter,
    )
    add_dataset(parser)
    parser.add_argument(
        "--models",
        type=_model_list,
        default=list(MODEL_NAMES),
        metavar="M[,M...]",
        help=f"models to train, in table order (default: {','.join(MODEL_NAMES)})",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="hyperparameters of both MLPs, from sknnscratch.presets "
        "(default: %(default)s; 'best' is larger and slower)",
    )
    add_train_size(
        parser,
        "train every model on a stratified sample of N training images "
        "(fixed seed), for quick runs (default: all 60,000)",
    )
    parser.add_argument(
        "--svc-train-size",
        type=positive_int,
        metavar="N",
        help="train the SVC on a stratified sample of N of those images; its "
        "fit grows about quadratically with N (default: all)",
    )
    parser.add_argument(
        "--max-iter",
        type=positive_int,
        metavar="EPOCHS",
        help="epochs of both MLPs, overriding the preset's",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="report folder, created if needed; files in it are overwritten "
        f"(default: {_default_output('mnist')}, or "
        f"{_default_output('fashion-mnist')} with --dataset fashion-mnist, so "
        "that one dataset's report does not replace the other's)",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="do not draw the PNG plots"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars on stderr"
    )
    parser.set_defaults(parser=parser)
    return parser


def run(args, argv):
    """``sknnscratch compare``: fit, score, print the table, write the report."""
    folder = prepare_folder(args.output or _default_output(args.dataset))
    check_report_paths(folder, "mlp" in args.models, with_plots=not args.no_plots)
    _check_svc_train_size(args.svc_train_size, args.train_size)
    params = dict(PRESETS[args.preset])
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    if "sklearn-mlp" in args.models:
        sklearn_mlp(params)  # a preset it cannot match fails before any training
    data = load_dataset(args.dataset)
    data.X_train, data.y_train = subsample(
        data.X_train, data.y_train, args.train_size, "--train-size"
    )
    _check_svc_train_size(args.svc_train_size, len(data.y_train))
    print(data_summary(data))

    results, scratch_model = [], None
    with warnings_as_lines(hide_budget_warning=True) as caught:
        for key in args.models:
            n_caught = len(caught)
            try:
                result, model = RUNNERS[key](data, params, args)
            except ValueError as exc:  # what the parameter checks cannot see
                raise CLIError(_fit_error(key, exc, params)) from None
            if key in ("mlp", "sklearn-mlp"):
                _mark_if_diverged(model, result, caught[n_caught:])
            results.append(result)
            if key == "mlp":
                scratch_model = model

    print()
    print(text_table(results))
    footnote = _footnote(results, params)
    if footnote:
        print(footnote)
    print()
    write_report(
        folder,
        results,
        footnote,
        scratch_model,
        data,
        argv,
        plots=not args.no_plots,
        quiet=args.quiet,
    )
    return 0


def _default_output(dataset):
    """The report folder of ``dataset`` when no ``--output`` is given."""
    return (
        "reports/compare"
        if dataset == DEFAULT_DATASET
        else f"reports/compare-{dataset}"
    )


def _fit_error(key, exc, params):
    """The error line for a model whose fit raised ValueError."""
    name = MODEL_NAMES[key]
    if is_divergence_error(exc):
        # compare has no --learning-rate-init: the preset sets the rate.
        advice = (
            f"; the learning_rate_init of --preset ({params['learning_rate_init']:g}) "
            "is too high for it: try 'sknnscratch train' with a lower "
            "--learning-rate-init"
        )
        return f"{name}: {divergence_message(advice, exc)}"
    return f"{name}: {one_line(exc)}"


def _mark_if_diverged(model, result, caught):
    """Flag a model that diverged in its row of the table.

    ``caught`` holds the warnings of this model's fit.  A fit that diverged
    after some epochs keeps the weights of the last completed one (one that
    learned nothing raises, see ``_fit_error``): its row stays, marked, so
    that its accuracy is not read as that of a sound run. scikit-learn's
    MLPClassifier does not warn, but its loss curve shows it.
    """
    curve = getattr(model, "loss_curve_", None)
    if divergence_warnings(caught) or (
        curve is not None and not np.isfinite(curve).all()
    ):
        result.note = join_notes(result.note, "training diverged")


def _check_svc_train_size(svc_train_size, train_size):
    """The SVC's sample is drawn from the training set: it cannot be larger."""
    if svc_train_size and train_size and svc_train_size > train_size:
        raise CLIError(
            f"--svc-train-size {svc_train_size:,} is more than the "
            f"{train_size:,} training images (--train-size)"
        )


def _footnote(results, params):
    """The table's footnote: what scikit-learn's MLPClassifier could not match."""
    if not any("*" in result.note for result in results):
        return ""
    differences = twin_differences(ScratchMLPClassifier(**params).get_params())
    return "* scikit-learn's MLPClassifier has " + "; ".join(differences) + "."
