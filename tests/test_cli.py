"""The ``sknnscratch`` command line, run through ``main`` with tiny settings."""

import contextlib
import csv
import io
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

import sknnscratch
from sknnscratch import AverageDarknessClassifier, ScratchMLPClassifier
from sknnscratch.cli import main
from sknnscratch.datasets import load_mnist
from sknnscratch.plotting import REPORT_PLOTS
from sknnscratch.presets import MNIST_DEFAULT

ROOT = Path(__file__).resolve().parents[1]


def run(argv):
    """``main(argv)`` with its stdout and stderr captured: (code, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist(subset="test", return_X_y=True)


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


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model saved by ``train`` with a few flags, and the run's output."""
    path = tmp_path_factory.mktemp("train") / "sub" / "model.npz"
    argv = [
        "train",
        "--train-size",
        "2000",
        "--max-iter",
        "3",
        "--hidden-layer-sizes",
        "32,16",
        "--activation",
        "relu,tanh",
        "--dropout",
        "0.1",
        "--batch-size",
        "64",
        "--no-shuffle",
        "--output",
        str(path),
    ]
    code, out, err = run(argv)
    return code, out, err, path


# --- the program ------------------------------------------------------------------


def test_python_dash_m_help_exits_0():
    result = subprocess.run(
        [sys.executable, "-m", "sknnscratch", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for command in ("compare", "train", "predict"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["compare", "train", "predict"])
def test_command_help_exits_0(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: sknnscratch {command}" in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "usage: sknnscratch" in capsys.readouterr().err


# --- compare ----------------------------------------------------------------------


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
    folder = compare_run[3]
    model = sknnscratch.load(folder / "model.npz")
    assert isinstance(model, ScratchMLPClassifier)
    assert model.n_iter_ == 2
    assert not hasattr(model, "_on_epoch_end")


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
    assert not (tmp_path / "model.npz").exists()
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


# --- train ------------------------------------------------------------------------


def test_train_saves_a_model_with_the_flags_given(trained):
    code, out, err, path = trained
    assert code == 0, err
    model = sknnscratch.load(path)
    assert model.hidden_layer_sizes == (32, 16)
    assert model.activation == ["relu", "tanh"]
    assert model.dropout == 0.1 and model.batch_size == 64 and model.shuffle is False
    # Flags not given keep the preset's values.
    assert model.random_state == 0 and model.tol == 0.0
    assert "epoch 1/3" in out and "epoch 3/3" in out
    assert "Test accuracy on the 10,000 MNIST test images" in out
    assert str(path) in out


def test_train_preset_none_starts_from_the_estimator_defaults(tmp_path):
    path = tmp_path / "m.npz"
    argv = ["train", "--preset", "none", "--hidden-layer-sizes", "8", "--max-iter"]
    code, _, err = run(
        [*argv, "1", "--train-size", "500", "--quiet", "--output", str(path)]
    )
    assert code == 0, err
    model = sknnscratch.load(path)
    assert model.batch_size == "auto" and model.random_state is None


def test_train_has_a_flag_for_every_hyperparameter(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    for name in ScratchMLPClassifier().get_params():
        assert "--" + name.replace("_", "-") in help_text


def test_train_bad_activation_names_the_allowed_ones(tmp_path):
    code, out, err = run(
        ["train", "--activation", "swish", "--output", str(tmp_path / "m.npz")]
    )
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert all(name in err for name in ("swish", "relu", "tanh", "logistic"))
    assert not (tmp_path / "m.npz").exists()


def test_train_error_names_the_preset_value_behind_it(tmp_path):
    code, _, err = run(
        [
            "train",
            "--solver",
            "lbfgs",
            "--train-size",
            "500",
            "--output",
            str(tmp_path),
        ]
    )
    assert code == 1  # --output is a folder
    assert "is a folder" in err
    argv = ["train", "--optimizer", "lbfgs", "--train-size", "500"]
    code, _, err = run([*argv, "--output", str(tmp_path / "m.npz")])
    assert code == 1
    assert f"dropout={MNIST_DEFAULT['dropout']} comes from --preset default" in err


def test_train_unknown_flag_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--hidden-units", "32"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: sknnscratch train" in err and "--hidden-units" in err


def test_train_badly_typed_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--hidden-layer-sizes", "32,x"])
    assert exc.value.code == 2
    assert "comma-separated integers" in capsys.readouterr().err


# --- predict ----------------------------------------------------------------------


def probabilities(out, name):
    """The ten class probabilities printed on the row of input ``name``."""
    row = next(line for line in out.splitlines() if line.startswith(name))
    return [float(cell.split(":")[1]) for cell in row.split()[-10:]]


def test_predict_mnist_indices_shows_true_labels(trained, mnist_test):
    code, out, err = run(["predict", str(trained[3]), "--mnist-index", "0,1,2"])
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["input", "predicted", "true"]
    for index in range(3):
        row = next(line for line in out.splitlines() if f"#{index} " in line)
        assert f" {mnist_test[1][index]} " in row
        assert len(probabilities(out, f"MNIST test #{index}")) == 10
    assert "of 3 MNIST test images predicted correctly" in out


def test_predict_png_with_light_background_is_inverted(trained, mnist_test, tmp_path):
    digit = mnist_test[0][0].reshape(28, 28)
    Image.fromarray(255 - digit).save(tmp_path / "seven.png")
    code, out, err = run(
        ["predict", str(trained[3]), str(tmp_path / "seven.png"), "--mnist-index", "0"]
    )
    assert code == 0, err
    assert "seven.png (inverted)" in out
    # Inverting back gives exactly the MNIST image, so the same probabilities.
    assert probabilities(out, "seven.png") == probabilities(out, "MNIST test #0")


def test_predict_png_of_another_size_is_resized(trained, mnist_test, tmp_path):
    digit = Image.fromarray(mnist_test[0][0].reshape(28, 28)).resize((90, 120))
    rgba = Image.new("RGBA", digit.size, (0, 0, 0, 0))
    rgba.putalpha(digit)  # a black digit on a transparent background
    rgba.save(tmp_path / "big.png")
    code, out, err = run(["predict", str(trained[3]), str(tmp_path / "big.png")])
    assert code == 0, err
    assert "big.png (inverted, resized from 90x120)" in out
    assert abs(sum(probabilities(out, "big.png")) - 1) < 0.05


def test_predict_npy_files(trained, mnist_test, tmp_path):
    images = mnist_test[0][:2]
    np.save(tmp_path / "uint8.npy", images.reshape(2, 28, 28))
    np.save(tmp_path / "float.npy", images.astype(np.float32) / 255)
    code, out, err = run(
        [
            "predict",
            str(trained[3]),
            str(tmp_path / "uint8.npy"),
            str(tmp_path / "float.npy"),
            "--mnist-index",
            "1",
        ]
    )
    assert code == 0, err
    expected = probabilities(out, "MNIST test #1")
    assert probabilities(out, "uint8.npy[1]") == expected
    assert probabilities(out, "float.npy[1]") == expected


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda folder: folder / "missing.png", "input file"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: _write(folder / "bad.png", b"not an image"), "as an image"),
        (lambda folder: _save_npy(folder / "bad.npy", np.zeros((3, 10))), "(3, 10)"),
    ],
    ids=["missing", "folder", "not-an-image", "wrong-shape"],
)
def test_predict_bad_input_is_an_error(trained, tmp_path, make_input, message):
    code, _, err = run(["predict", str(trained[3]), str(make_input(tmp_path))])
    assert code == 1
    assert err.startswith("error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("make_model", "message"),
    [
        (lambda folder: folder / "missing.npz", "not found"),
        (lambda folder: _write(folder / "text.npz", b"hello"), "not a model saved"),
        (lambda folder: _dump(folder / "model.joblib", {"a": 1}), "pickle"),
        (
            lambda folder: _save(folder / "baseline.npz", _baseline()),
            "holds a AverageDarknessClassifier",
        ),
        (lambda folder: _save(folder / "iris.npz", _iris_model()), "expects 4"),
    ],
    ids=["missing", "text", "pickle-refused", "not-an-mlp", "wrong-features"],
)
def test_predict_bad_model_is_an_error(tmp_path, make_model, message):
    code, _, err = run(["predict", str(make_model(tmp_path)), "--mnist-index", "0"])
    assert code == 1
    assert err.startswith("error: ") and message in err


def test_predict_index_out_of_range(trained):
    code, _, err = run(["predict", str(trained[3]), "--mnist-index", "3,10000"])
    assert code == 1
    assert "10000 out of range" in err and "0-9999" in err


def test_predict_without_inputs_is_a_usage_error(trained, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(trained[3])])
    assert exc.value.code == 2
    assert "usage: sknnscratch predict" in capsys.readouterr().err


def _write(path, data):
    path.write_bytes(data)
    return path


def _save_npy(path, array):
    np.save(path, array)
    return path


def _dump(path, obj):
    joblib.dump(obj, path)
    return path


def _save(path, estimator):
    sknnscratch.save(estimator, path)
    return path


def _baseline():
    X, y = load_iris(return_X_y=True)
    return AverageDarknessClassifier().fit(X, y)


def _iris_model():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ScratchMLPClassifier(max_iter=2, random_state=0).fit(X, y)
