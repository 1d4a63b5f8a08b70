"""The models ``compare`` trains: how each is fitted, timed, scored and described.

Each runner takes the data, the preset's parameters and the command's
arguments and returns the model's row of the table and the fitted model.
"""

import time
from contextlib import nullcontext

from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from .._baseline import AverageDarknessClassifier
from .._classifier import ScratchMLPClassifier
from ._data import subsample
from ._errors import CLIError
from ._progress import epoch_bar, status
from ._report import Result
from ._text import format_value, join_notes, one_line, plural

__all__ = ["MODEL_NAMES", "RUNNERS", "sklearn_mlp", "twin_differences"]

#: The models ``compare`` knows, by their ``--models`` name, in table order.
MODEL_NAMES = {
    "mlp": "ScratchMLPClassifier",
    "svc": "SVC",
    "sklearn-mlp": "sklearn MLPClassifier",
    "darkness": "AverageDarknessClassifier",
}


def _trained_on(n_train, data):
    """Note for a model trained on fewer images than the others (the SVC).

    The common training set is stated above the table, so only a model that
    differs from it needs a note: 'trained on 5,000 of 60,000'.
    """
    if n_train < len(data.y_train):
        return f"trained on {n_train:,} of {data.n_full_train:,}"
    return ""


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
    return Result(
        model=name,
        accuracy=accuracy_score(data.y_test, predicted),
        fit_seconds=fit_seconds,
        predict_seconds=predict_seconds,
        n_train=len(y_train),
        note=join_notes(note(model), _trained_on(len(y_train), data)),
    )


def _describe_mlp(params, n_epochs, twin=False):
    """A short description of an MLP's settings for the table's note column.

    With ``twin=True`` (scikit-learn's MLPClassifier trained on the preset's
    settings) what it cannot match is marked with '*', which the table's
    footnote explains (:func:`twin_differences`).
    """
    sizes = params["hidden_layer_sizes"]
    sizes = (sizes,) if isinstance(sizes, int) else tuple(sizes)
    rate = f"{params['solver']} lr={params['learning_rate_init']:g}"
    if twin and _ignored_schedule(params):
        rate += " constant*"
    elif params["learning_rate"] != "constant" and params["solver"] != "lbfgs":
        rate += f" {params['learning_rate']}"
    parts = [f"{'+'.join(map(str, sizes))} {format_value(params['activation'])}"]
    if params["dropout"]:
        parts.append(
            "no dropout*" if twin else f"dropout {format_value(params['dropout'])}"
        )
    if params["augment"] is not None:
        parts.append("no augmentation*" if twin else "augmented")
    if twin and params["alpha_bias"]:
        parts.append("no alpha_bias*")
    parts += [rate, f"batch {params['batch_size']}", plural(n_epochs, "epoch")]
    return ", ".join(parts)


#: The schedules scikit-learn's MLPClassifier has (applied with 'sgd' only).
SKLEARN_SCHEDULES = {"constant", "invscaling", "adaptive"}


def _ignored_schedule(params):
    """Whether scikit-learn's twin trains at a constant rate where ours does not."""
    schedule, solver = params["learning_rate"], params["solver"]
    if schedule == "constant" or solver == "lbfgs":
        return False
    return schedule not in SKLEARN_SCHEDULES or solver != "sgd"


def twin_differences(params):
    """What scikit-learn's MLPClassifier twin of ``params`` trains without.

    One phrase per difference, each read after "scikit-learn's MLPClassifier
    has", for the table's footnote: the twin copies every parameter the two
    estimators share, and cannot do the rest.
    """
    differences = []
    if params["dropout"]:
        differences.append(
            f"no dropout: it trains the same network without the dropout of "
            f"{format_value(params['dropout'])}"
        )
    if params["augment"] is not None:
        differences.append(
            "no augmentation: it trains on the images as they are, not on "
            "freshly deformed ones every epoch"
        )
    schedule = params["learning_rate"]
    if _ignored_schedule(params) and schedule not in SKLEARN_SCHEDULES:
        differences.append(
            f"no '{schedule}' schedule: its rate stays {params['learning_rate_init']:g}"
        )
    elif _ignored_schedule(params):
        differences.append(
            f"'{schedule}' learning rates for solver='sgd' only: with "
            f"'{params['solver']}' its rate stays {params['learning_rate_init']:g}"
        )
    if params["alpha_bias"]:
        differences.append("no alpha_bias: its biases are not penalised")
    return differences


def _run_scratch_mlp(data, params, args):
    model = ScratchMLPClassifier(**params)
    full = model.get_params()
    name = MODEL_NAMES["mlp"]
    return _score(
        name,
        model,
        data.X_train,
        data.y_train,
        data,
        epoch_bar(model, name, args.quiet),
        status(f"{name}: predicting", args.quiet),
        lambda fitted: _describe_mlp(full, fitted.n_iter_),
    ), model


def _sklearn_mlp_params(scratch_params):
    """MLPClassifier settings matching a ScratchMLPClassifier's as near as it can.

    Every parameter the two share by name is copied (architecture, epochs,
    batch size, solver, learning rate, alpha, tol, seed, Adam's betas, ...).
    ``verbose`` and ``warm_start`` are left out: they are about a session, not
    the model.
    """
    shared = set(MLPClassifier().get_params()) & set(scratch_params)
    shared -= {"verbose", "warm_start"}
    params = {name: scratch_params[name] for name in shared}
    if params["learning_rate"] not in SKLEARN_SCHEDULES:
        # Its nearest: a constant rate (see twin_differences).
        params["learning_rate"] = "constant"
    return params


def sklearn_mlp(params):
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
            f"{one_line(exc).rstrip('.')}; leave sklearn-mlp out of --models"
        ) from None
    return model, full


def _run_sklearn_mlp(data, params, args):
    model, full = sklearn_mlp(params)
    name = MODEL_NAMES["sklearn-mlp"]
    return _score(
        name,
        model,
        data.X_train,
        data.y_train,
        data,
        status(f"{name}: fitting, no per-epoch progress available", args.quiet),
        status(f"{name}: predicting", args.quiet),
        lambda fitted: _describe_mlp(full, fitted.n_iter_, twin=True),
    ), model


def _run_svc(data, params, args):
    X, y = subsample(
        data.X_train, data.y_train, args.svc_train_size, "--svc-train-size"
    )
    model = SVC(C=10, kernel="rbf", gamma="scale")
    return _score(
        MODEL_NAMES["svc"],
        model,
        X,
        y,
        data,
        status(f"SVC: fitting on {len(y):,} images", args.quiet),
        status("SVC: predicting", args.quiet),
        lambda fitted: "RBF kernel, C=10, gamma='scale'",
    ), model


def _run_darkness(data, params, args):
    model = AverageDarknessClassifier()
    return _score(
        MODEL_NAMES["darkness"],
        model,
        data.X_train,
        data.y_train,
        data,
        # Both take well under a second: no status line needed.
        nullcontext(),
        nullcontext(),
        lambda fitted: "naive baseline: nearest mean pixel intensity",
    ), model


#: How each ``--models`` name is trained and scored: (result, fitted model).
RUNNERS = {
    "mlp": _run_scratch_mlp,
    "svc": _run_svc,
    "sklearn-mlp": _run_sklearn_mlp,
    "darkness": _run_darkness,
}
