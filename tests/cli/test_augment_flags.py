"""``--augment``, ``--augment-strength``, the new schedule flags and ``record``.

What ``train`` hands the estimator (``train_params`` on parsed arguments, and
the saved model), how a preset's transform is printed, and what ``compare``
says about the settings scikit-learn's MLPClassifier twin cannot match
(``twin_differences`` and the table's footnote and note column).
"""

import re

import pytest

import sknnscratch
from sknnscratch import ScratchMLPClassifier
from sknnscratch.augment import Compose, ElasticDistortion, RandomAffine
from sknnscratch.cli import _build_parser, main, train
from sknnscratch.cli._models import sklearn_mlp, twin_differences
from sknnscratch.cli._text import format_value
from sknnscratch.presets import PRESETS

from ._support import TRAIN_BASE, assert_one_error_line, cells, run

RECORD = PRESETS["record"]
#: The strengths ``--augment-strength`` multiplies, by transform.
STRENGTHS = {
    RandomAffine: ("shift", "rotation", "scale", "shear"),
    ElasticDistortion: ("alpha",),
}


def params_of(*argv):
    """``train_params`` of ``sknnscratch train ARGV``, nothing trained."""
    return train.train_params(_build_parser().parse_args(["train", *argv]))


def steps(transform):
    """The transforms in ``transform``: its steps if a Compose, else itself."""
    return list(transform.steps) if isinstance(transform, Compose) else [transform]


def strengths(transform):
    """``{(step index, name): value}`` of every strength in ``transform``."""
    return {
        (i, name): getattr(step, name)
        for i, step in enumerate(steps(transform))
        for name in STRENGTHS[type(step)]
    }


def other_params(transform):
    """Each step's parameters that are not strengths (sigma, image_shape)."""
    return [
        {k: v for k, v in step.get_params().items() if k not in STRENGTHS[type(step)]}
        for step in steps(transform)
    ]


def one_spaced(text):
    return " ".join(text.split())


def train_help(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    return one_spaced(capsys.readouterr().out)


def train_quietly(tmp_path, *argv):
    """Run ``train`` on the tiny base with ``argv``: (out, loaded model)."""
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, "--quiet", *argv, "--output", str(path)]
    code, out, err = run(argv)
    assert code == 0, err
    return out, sknnscratch.load(path)


def settings_line(out):
    """train's settings, the indented lines after 'Training ...', as one line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Training "))
    indented = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        indented.append(line)
    return one_spaced(" ".join(indented))


# --- --augment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", None),
        ("affine", RandomAffine()),
        ("elastic", ElasticDistortion()),
        ("both", Compose([RandomAffine(), ElasticDistortion()])),
    ],
)
def test_augment_choice_is_its_transform(choice, expected):
    augment = params_of("--augment", choice)["augment"]
    assert not isinstance(augment, str)
    assert repr(augment) == repr(expected)  # the class and every parameter
    if expected is not None:
        assert [type(step) for step in steps(augment)] == [
            type(step) for step in steps(expected)
        ]


def test_augment_flag_overrides_the_presets_transform():
    assert repr(params_of("--preset", "record")["augment"]) == repr(
        Compose([RandomAffine(), ElasticDistortion()])
    )
    assert params_of("--preset", "record", "--augment", "none")["augment"] is None
    params = params_of("--preset", "record", "--augment", "elastic")
    assert isinstance(params["augment"], ElasticDistortion)
    assert "augment" not in params_of()  # the default preset has none


def test_bad_augment_choice_is_a_usage_error_listing_the_choices():
    assert_one_error_line(
        ["train", *TRAIN_BASE, "--augment", "rotate"],
        2,
        "argument --augment: invalid choice: 'rotate' "
        "(choose from none, affine, elastic, both)",
    )


def test_augment_help_lists_the_choices(capsys):
    help_text = train_help(capsys)
    assert "--augment none|affine|elastic|both" in help_text
    assert "--augment-strength X" in help_text


# --- --augment-strength -----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        ["--preset", "record"],
        ["--augment", "affine"],
        ["--augment", "elastic"],
        ["--augment", "both"],
    ],
    ids=["preset-record", "affine", "elastic", "both"],
)
@pytest.mark.parametrize("factor", [0.5, 0.0])
def test_augment_strength_multiplies_every_strength(source, factor):
    before = repr(RECORD["augment"])
    plain = params_of(*source)["augment"]
    scaled = params_of(*source, "--augment-strength", str(factor))["augment"]
    assert [type(step) for step in steps(scaled)] == [
        type(step) for step in steps(plain)
    ]
    expected = {key: value * factor for key, value in strengths(plain).items()}
    assert strengths(scaled) == expected
    assert len(expected) in (1, 4, 5)  # shift, rotation, scale, shear; alpha
    assert other_params(scaled) == other_params(plain)  # sigma, image_shape
    assert repr(RECORD["augment"]) == before  # the preset itself is untouched


def test_augment_strength_reaches_the_saved_model(tmp_path):
    out, model = train_quietly(
        tmp_path, "--augment", "both", "--augment-strength", "0.5"
    )
    default = Compose([RandomAffine(), ElasticDistortion()])
    assert isinstance(model.augment, Compose)
    assert strengths(model.augment) == {
        key: value / 2 for key, value in strengths(default).items()
    }
    # A scaled transform is no --augment choice: shown as itself, not 'both'.
    settings = settings_line(out)
    assert "augment=both" not in settings
    assert "augment=Compose(" in settings and "shift=1.0" in settings


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--preset", "none"],
        ["--preset", "record", "--augment", "none"],
        ["--augment", "none"],
    ],
    ids=["preset-default", "preset-none", "record-augment-none", "augment-none"],
)
def test_augment_strength_without_augmentation_is_an_error(argv, tmp_path):
    path = tmp_path / "m.safetensors"
    argv = [*argv, "--augment-strength", "0.5", "--output", str(path)]
    assert_one_error_line(
        ["train", *TRAIN_BASE, *argv],
        1,
        "--augment-strength needs an augmentation to scale",
    )
    assert not path.exists()


@pytest.mark.parametrize(
    ("value", "shown"), [("-0.5", "-0.5"), ("-1", "-1.0"), ("nan", "nan")]
)
def test_augment_strength_below_zero_is_refused(value, shown, tmp_path):
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, "--augment", "affine", "--output", str(path)]
    assert_one_error_line(
        [*argv, f"--augment-strength={value}"],
        1,
        f"--augment-strength must be 0 or more, got {shown}",
    )
    assert not path.exists()


def test_augment_strength_beyond_the_transforms_limits_is_one_error_line(tmp_path):
    # 9 times the default shear is 90 degrees, which RandomAffine refuses.
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, "--augment", "affine", "--output", str(path)]
    assert_one_error_line([*argv, "--augment-strength", "9"], 1, "RandomAffine: ")
    assert not path.exists()


def test_augment_strength_not_a_number_is_a_usage_error():
    assert_one_error_line(
        ["train", *TRAIN_BASE, "--augment", "affine", "--augment-strength", "half"],
        2,
        "argument --augment-strength: invalid float value: 'half'",
    )


# --- the record preset as printed -------------------------------------------------


def test_record_settings_print_the_augmentation_by_name(tmp_path):
    out, model = train_quietly(tmp_path, "--preset", "record")
    settings = settings_line(out)
    assert "augment=both" in settings
    assert "Compose(" not in settings
    assert "learning_rate=cosine" in settings
    assert f"warmup_iter={RECORD['warmup_iter']}" in settings
    assert repr(model.augment) == repr(RECORD["augment"])
    assert model.learning_rate == "cosine"
    assert model.warmup_iter == RECORD["warmup_iter"]


def test_record_preset_in_help_names_its_augmentation(capsys):
    help_text = train_help(capsys)
    assert "--preset {best,default,record,none}" in help_text
    record = re.search(r"record: (.*?)\. 'none' starts", help_text).group(1)
    assert "augment=both" in record
    assert "learning_rate=cosine" in record
    assert "Compose(" not in help_text


# --- the new generic flags --------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--learning-rate", "cosine", "--warmup-iter", "1"],
            {"learning_rate": "cosine", "warmup_iter": 1},
        ),
        (
            ["--learning-rate", "inverse_time", "--decay", "0.01"],
            {"learning_rate": "inverse_time", "decay": 0.01},
        ),
        (["--alpha-bias", "0.1"], {"alpha_bias": 0.1}),
    ],
    ids=["cosine-warmup", "inverse-time-decay", "alpha-bias"],
)
def test_new_flags_reach_the_estimator(argv, expected, tmp_path):
    out, model = train_quietly(tmp_path, *argv)
    params = model.get_params()
    assert {name: params[name] for name in expected} == expected
    parsed = params_of(*argv)
    assert {name: parsed[name] for name in expected} == expected
    assert all(type(parsed[name]) is type(value) for name, value in expected.items())
    settings = settings_line(out)
    for name, value in expected.items():
        assert f"{name}={value}" in settings


def test_learning_rate_help_lists_the_new_schedules(capsys):
    help_text = train_help(capsys)
    assert "One of: constant, invscaling, adaptive, inverse_time, cosine." in help_text
    for flag in ("--alpha-bias X", "--decay X", "--warmup-iter N"):
        assert flag in help_text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learning-rate", "warm"], "'learning_rate' parameter"),
        (["--decay", "-1"], "'decay' parameter"),
        (["--warmup-iter", "-1"], "'warmup_iter' parameter"),
        (["--alpha-bias", "-1"], "'alpha_bias' parameter"),
    ],
)
def test_new_flags_bad_values_are_one_error_line(argv, message, tmp_path):
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, *argv, "--output", str(path)]
    assert_one_error_line(argv, 1, message)
    assert not path.exists()


def test_bad_learning_rate_names_the_new_schedules(tmp_path):
    argv = ["train", *TRAIN_BASE, "--output", str(tmp_path / "m.safetensors")]
    code, _, err = run([*argv, "--learning-rate", "warm"])
    assert code == 1
    assert all(f"'{name}'" in err for name in ("inverse_time", "cosine"))


def test_warmup_iter_takes_whole_epochs():
    assert_one_error_line(
        ["train", *TRAIN_BASE, "--warmup-iter", "1.5"],
        2,
        "argument --warmup-iter: invalid int value: '1.5'",
    )


# --- scikit-learn's twin: twin_differences ----------------------------------------


def full(**params):
    """Every parameter, as compare's footnote gets them."""
    return ScratchMLPClassifier(**params).get_params()


def test_twin_differences_of_the_record_preset():
    differences = twin_differences(full(**RECORD))
    expected = [
        "no augmentation: it trains on the images as they are, not on freshly "
        "deformed ones every epoch",
        f"no 'cosine' schedule: its rate stays {RECORD['learning_rate_init']:g}",
    ]
    if RECORD["dropout"]:
        expected.insert(
            0,
            "no dropout: it trains the same network without the dropout of "
            f"{format_value(RECORD['dropout'])}",
        )
    assert differences == expected


def test_twin_differences_of_the_best_preset():
    best = PRESETS["best"]
    assert twin_differences(full(**best)) == [
        f"no dropout: it trains the same network without the dropout of "
        f"{format_value(best['dropout'])}",
        "'adaptive' learning rates for solver='sgd' only: with 'adam' its rate "
        f"stays {best['learning_rate_init']:g}",
    ]


def test_twin_differences_of_the_default_preset_is_its_dropout():
    (difference,) = twin_differences(full(**PRESETS["default"]))
    assert difference.startswith("no dropout:")


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_no_twin_differences_for_sgd_without_dropout(schedule):
    preset = dict(PRESETS["default"], solver="sgd", dropout=0.0)
    assert twin_differences(full(**preset, learning_rate=schedule)) == []


def test_no_twin_differences_for_lbfgs_whatever_the_schedule():
    # L-BFGS has no learning rate: neither estimator uses the schedule.
    assert twin_differences(full(solver="lbfgs", learning_rate="cosine")) == []


@pytest.mark.parametrize("schedule", ["inverse_time", "cosine"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_twin_differences_schedule_it_lacks(schedule, solver):
    params = full(solver=solver, learning_rate=schedule, learning_rate_init=0.01)
    assert twin_differences(params) == [
        f"no '{schedule}' schedule: its rate stays 0.01"
    ]


def test_twin_differences_schedule_for_sgd_only():
    params = full(solver="adam", learning_rate="invscaling")
    assert twin_differences(params) == [
        "'invscaling' learning rates for solver='sgd' only: with 'adam' its rate "
        "stays 0.001"
    ]


def test_twin_differences_alpha_bias():
    assert twin_differences(full(alpha_bias=0.1)) == [
        "no alpha_bias: its biases are not penalised"
    ]
    assert twin_differences(full(alpha_bias=0.0)) == []


def test_twin_differences_augmentation_alone():
    (difference,) = twin_differences(full(augment=ElasticDistortion()))
    assert difference.startswith("no augmentation:")


def test_twin_gets_the_nearest_settings():
    model, _ = sklearn_mlp(RECORD)
    assert model.learning_rate == "constant"  # it has no 'cosine'
    assert model.learning_rate_init == RECORD["learning_rate_init"]
    assert model.hidden_layer_sizes == RECORD["hidden_layer_sizes"]
    model, _ = sklearn_mlp(PRESETS["best"])
    assert model.learning_rate == "adaptive"  # kept; ignored with Adam


# --- compare's footnote and note column -------------------------------------------


def compare(tmp_path, preset, models):
    argv = ["compare", "--preset", preset, "--models", models, "--train-size"]
    argv += ["100", "--max-iter", "1", "--no-plots", "--quiet", "--output"]
    code, out, err = run([*argv, str(tmp_path / "report")])
    assert code == 0, err
    footnotes = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(footnotes) == 1, out
    return out, footnotes[0]


def test_compare_record_footnote_and_marks(tmp_path):
    out, footnote = compare(tmp_path, "record", "mlp,sklearn-mlp")
    assert footnote.startswith("* scikit-learn's MLPClassifier has ")
    assert ("no dropout" in footnote) == bool(RECORD["dropout"])
    if RECORD["dropout"]:
        assert f"without the dropout of {format_value(RECORD['dropout'])}" in footnote
    assert "no augmentation" in footnote
    assert "no 'cosine' schedule" in footnote
    twin_note = cells(out, "sklearn MLPClassifier")[-1]
    rate = f"{RECORD['solver']} lr={RECORD['learning_rate_init']:g}"
    assert f"{rate} constant*" in twin_note
    assert "no augmentation*" in twin_note
    assert ("no dropout*" in twin_note) == bool(RECORD["dropout"])
    scratch_note = cells(out, "ScratchMLPClassifier")[-1]
    assert "*" not in scratch_note
    assert "augmented" in scratch_note and f"{rate} cosine" in scratch_note
    # The report's Markdown has the same footnote.
    results = (tmp_path / "report" / "results.md").read_text()
    assert "no 'cosine' schedule" in results and "no augmentation\\*" in results


def test_compare_best_footnote_says_adaptive_is_for_sgd_only(tmp_path):
    best = PRESETS["best"]
    out, footnote = compare(tmp_path, "best", "sklearn-mlp")
    dropout, rate = format_value(best["dropout"]), best["learning_rate_init"]
    assert footnote == (
        "* scikit-learn's MLPClassifier has no dropout: it trains the same network "
        f"without the dropout of {dropout}; 'adaptive' learning rates for "
        f"solver='sgd' only: with 'adam' its rate stays {rate:g}."
    )
    assert "adam lr=0.001 constant*" in cells(out, "sklearn MLPClassifier")[-1]
