"""``sknnscratch compare``: the table, the report folder and their failures."""

import csv

import pytest

import sknnscratch
from sknnscratch import ScratchMLPClassifier
from sknnscratch.cli import main
from sknnscratch.persistence import read_metadata
from sknnscratch.plotting import REPORT_PLOTS
from sknnscratch.presets import PRESETS

from ._support import (
    COMPARE_BASE,
    DIVERGED_LATE,
    assert_one_error_line,
    extra,
    run,
    write,
)


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    argv = [
        "compare",
        "--train-size",
        "2000",
        "--svc-train-size",
        "300",
        "--max-iter",
        "2",
        "--output",
        str(folder),
    ]
    code, out, err = run(argv)
    return code, out, err, folder


@pytest.mark.slow  # its fixture trains the four models
def test_compare_prints_a_table_of_the_four_models(compare_run):
    code, out, err, _ = compare_run
    assert code == 0, err
    assert "2,000 of the 60,000 training images" in out
    for name in (
        "ScratchMLPClassifier",
        "SVC",
        "sklearn MLPClassifier",
        "AverageDarknessClassifier",
    ):
        row = next(line for line in out.splitlines() if line.startswith(name))
        assert "%" in row
    assert "trained on 300 of 60,000" in out
    assert (
        "no dropout*" in out and "* scikit-learn's MLPClassifier has no dropout" in out
    )
    assert "Traceback" not in err


def test_compare_writes_the_report(compare_run):
    code, _, _, folder = compare_run
    assert code == 0
    markdown = (folder / "results.md").read_text()
    assert "| model | test accuracy |" in markdown
    assert "sknnscratch compare --train-size 2000" in markdown
    assert "scikit-learn" in markdown and "CPUs" in markdown
    with (folder / "results.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["n_train"] for row in rows] == ["2000", "300", "2000", "2000"]
    assert all(0 <= float(row["test_accuracy"]) <= 1 for row in rows)
    for name in REPORT_PLOTS:
        assert (folder / f"{name}.png").stat().st_size > 0
        assert f"({name}.png)" in markdown


def test_compare_saves_the_scratch_model(compare_run):
    _, out, _, folder = compare_run
    model = sknnscratch.load(folder / "model.safetensors")
    assert isinstance(model, ScratchMLPClassifier)
    assert "results.md, model.safetensors, results.csv" in out
    assert f"sknnscratch predict {folder / 'model.safetensors'} --index" in out
    assert read_metadata(folder / "model.safetensors") == {
        "dataset": "mnist",
        "class_names": [str(digit) for digit in range(10)],
    }
    assert model.n_iter_ == 2
    assert not hasattr(model, "_skl_callbacks")


def test_compare_without_the_mlp_writes_no_model(tmp_path):
    code, out, err = run(
        [
            "compare",
            "--models",
            "darkness",
            "--train-size",
            "1000",
            "--output",
            str(tmp_path),
        ]
    )
    assert code == 0, err
    assert "AverageDarknessClassifier" in out
    assert not (tmp_path / "model.safetensors").exists()
    assert (tmp_path / "results.csv").exists()


def test_compare_unknown_model_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--models", "mlp,knn"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: sknnscratch compare" in err and "'knn'" in err and "darkness" in err


def test_compare_svc_sample_larger_than_training_set(tmp_path, capsys):
    argv = ["compare", "--train-size", "500", "--svc-train-size", "1000"]
    assert main([*argv, "--output", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("error: --svc-train-size 1,000")


# --- bad inputs: an exit code and one error line, never a traceback ---------------


def _folder_with_report_dir(folder, name):
    (folder / name).mkdir()
    return str(folder)


# (arguments after the base ones, exit code, what the message must say)
BAD_INPUTS = {
    "compare-unknown-model": (
        extra("--models", "mlp,knn"),
        2,
        "unknown model 'knn'",
    ),
    "compare-negative-train-size": (
        extra("--train-size", "-5"),
        2,
        "expected a positive integer, got -5",
    ),
    "compare-train-size-too-large": (
        extra("--train-size", "70000"),
        1,
        "--train-size 70,000 is more than the 60,000 images",
    ),
    "compare-max-iter-0": (
        extra("--max-iter", "0"),
        2,
        "expected a positive integer, got 0",
    ),
    "compare-output-is-a-file": (
        lambda folder: ["--output", str(write(folder / "f", b"x"))],
        1,
        "is a file, not a folder",
    ),
    "compare-plot-path-is-a-folder": (
        lambda folder: [
            "--models",
            "mlp",
            "--output",
            _folder_with_report_dir(folder, "confusion_matrix.png"),
        ],
        1,
        "confusion_matrix.png is a folder",
    ),
    "compare-csv-path-is-a-folder": (
        lambda folder: ["--output", _folder_with_report_dir(folder, "results.csv")],
        1,
        "results.csv is a folder",
    ),
}


@pytest.mark.parametrize(
    ("make_args", "code", "message"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS)
)
def test_bad_input_is_one_error_line(make_args, code, message, tmp_path):
    base = [*COMPARE_BASE, "--quiet", "--output", str(tmp_path / "report")]
    assert_one_error_line(["compare", *base, *make_args(tmp_path)], code, message)


# --- divergence ---------------------------------------------------------------------


def _quick_compare(folder, *args):
    """A compare run of a moment, without plots, the report in folder/report."""
    output = str(folder / "report")
    return [
        "compare",
        *COMPARE_BASE,
        "--quiet",
        "--no-plots",
        "--output",
        output,
        *args,
    ]


@pytest.mark.parametrize(
    ("key", "name"),
    [("mlp", "ScratchMLPClassifier"), ("sklearn-mlp", "sklearn MLPClassifier")],
)
def test_compare_model_that_learned_nothing_is_an_error(
    key, name, monkeypatch, tmp_path
):
    monkeypatch.setitem(PRESETS["default"], "learning_rate_init", 1e200)
    code, out, err = run(_quick_compare(tmp_path, "--models", key))
    assert code == 1
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in err
    assert errors[0].startswith(f"error: {name}: training diverged")
    assert "learning_rate_init of --preset (1e+200)" in errors[0]
    assert name not in out  # no table


def test_compare_model_that_diverged_late_is_marked(fit_diverges_late, tmp_path):
    code, out, err = run(_quick_compare(tmp_path, "--models", "mlp"))
    assert code == 0, err
    assert f"warning: {DIVERGED_LATE}" in err.splitlines()
    row = next(line for line in out.splitlines() if line.startswith("ScratchMLP"))
    assert row.endswith("training diverged")
    with (tmp_path / "report" / "results.csv").open() as file:
        assert "training diverged" in next(csv.DictReader(file))["note"]
