"""The ``sknnscratch`` command line, run through ``main`` with tiny settings."""

import contextlib
import csv
import io
import json
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import joblib
import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

import sknnscratch
from sknnscratch import AverageDarknessClassifier, ScratchMLPClassifier, cli
from sknnscratch.cli import main
from sknnscratch.datasets import load_mnist
from sknnscratch.nn.training import DivergenceWarning
from sknnscratch.plotting import REPORT_PLOTS
from sknnscratch.presets import MNIST_DEFAULT, PRESETS

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
    path = tmp_path_factory.mktemp("train") / "sub" / "model.safetensors"
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
    _, out, _, folder = compare_run
    model = sknnscratch.load(folder / "model.safetensors")
    assert isinstance(model, ScratchMLPClassifier)
    assert "results.md, model.safetensors, results.csv" in out
    assert f"sknnscratch predict {folder / 'model.safetensors'} --mnist-index" in out
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


def test_train_writes_a_safetensors_file(trained):
    # Any safetensors reader opens the weights; no sknnscratch code needed.
    from safetensors.numpy import load_file

    path = trained[3]
    model = sknnscratch.load(path)
    tensors = load_file(path)
    for i, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_)):
        np.testing.assert_array_equal(tensors[f"coefs.{i}"], coef)
        np.testing.assert_array_equal(tensors[f"intercepts.{i}"], intercept)
    assert tensors["coefs.0"].shape == (784, 32)


def test_train_saves_to_model_safetensors_by_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default: model.safetensors)" in help_text
    assert cli._DEFAULT_MODEL == "model.safetensors"


def test_train_preset_none_starts_from_the_estimator_defaults(tmp_path):
    path = tmp_path / "m.safetensors"
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
        ["train", "--activation", "swish", "--output", str(tmp_path / "m.safetensors")]
    )
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert all(name in err for name in ("swish", "relu", "tanh", "logistic"))
    assert not (tmp_path / "m.safetensors").exists()


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
    code, _, err = run([*argv, "--output", str(tmp_path / "m.safetensors")])
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
        (lambda folder: folder / "missing.safetensors", "not found"),
        (
            lambda folder: _write(folder / "text.safetensors", b"hello"),
            "not a sknnscratch model file",
        ),
        (lambda folder: _dump(folder / "model.joblib", {"a": 1}), "pickle"),
        (
            lambda folder: _save(folder / "baseline.safetensors", _baseline()),
            "holds a model of type AverageDarknessClassifier, not a",
        ),
        (lambda folder: _save(folder / "iris.safetensors", _iris_model()), "expects 4"),
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


def _savez(path, **arrays):
    # np.savez adds .npz to a name without it; write through a file object.
    with path.open("wb") as file:
        np.savez(file, **arrays)
    return path


def _old_zip_model(path):
    """A model file as sknnscratch 0.2 wrote them: a zip (.npz) with JSON."""
    document = {"format": "sknnscratch-model", "format_version": 1}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sknnscratch.json", json.dumps(document))
        with archive.open("coefs_0.npy", "w") as member:
            np.save(member, np.zeros((784, 4)))
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


# --- bad inputs: an exit code and one error line, never a traceback ---------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A fitted ScratchMLPClassifier for 28x28 images, made without MNIST."""
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 784), dtype=np.float32), np.arange(40) % 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
        model.fit(X, y)
    return _save(tmp_path_factory.mktemp("tiny") / "tiny.safetensors", model)


def run_any(argv):
    """``run``, with argparse's usage errors (SystemExit) as an exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _blank_png(path, width, height):
    """A valid all-black 1-bit PNG, written row by row: a few KB, any size.

    PIL's Image.new would first allocate a byte per pixel (200 MB for the
    largest here) and take a second to encode it.
    """

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then 8 pixels a byte
    data = b"".join(compressor.compress(row) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data + compressor.flush())
        + chunk(b"IEND", b"")
    )
    return path


def _truncated_png(path):
    """A real image cut off in the middle of its pixel data."""
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return _write(path, buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _npy_header_only(path, shape):
    """An .npy header announcing ``shape`` (float64) with almost no data."""
    with path.open("wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": "<f8", "fortran_order": False, "shape": shape}
        )
        file.write(bytes(100))
    return path


def _object_npy(path):
    np.save(path, np.array([1, "a", None], dtype=object), allow_pickle=True)
    return path


def _predict_input(make):
    """A ``predict`` case: the tiny model and one input made by ``make``."""
    return lambda folder, model: [str(model), str(make(folder))]


def _npy(name, array):
    return _predict_input(lambda folder: _save_npy(folder / name, array))


def _folder_with_report_dir(folder, name):
    (folder / name).mkdir()
    return str(folder)


#: Every ``train`` case starts from this, so that a case the command wrongly
#: accepts trains for a moment, not minutes; the case's arguments come last
#: and override it.
TRAIN_BASE = ["--train-size", "100", "--max-iter", "1", "--hidden-layer-sizes", "4"]
#: Likewise for ``compare``: one quick model unless the case says otherwise.
COMPARE_BASE = ["--train-size", "100", "--max-iter", "1", "--models", "darkness"]


def _args(*args):
    """A ``train`` or ``compare`` case: these arguments after the base ones."""
    return lambda folder, model: list(args)


# (command, arguments after the command, exit code, what the message must say)
BAD_INPUTS = {
    # predict: input files
    "npy-nan": ("predict", _npy("nan.npy", np.full((2, 784), np.nan)), 1, "NaN"),
    "npy-inf": ("predict", _npy("inf.npy", np.full((784,), np.inf)), 1, "infinite"),
    "npy-no-images": (
        "predict",
        _npy("empty.npy", np.zeros((0, 784))),
        1,
        "no images: its array has shape (0, 784)",
    ),
    "npy-no-28x28-images": (
        "predict",
        _npy("empty3.npy", np.zeros((0, 28, 28))),
        1,
        "no images",
    ),
    "npy-0-bytes": (
        "predict",
        _predict_input(lambda folder: _write(folder / "zero.npy", b"")),
        1,
        "zero.npy is empty (0 bytes)",
    ),
    "npy-object-dtype": (
        "predict",
        _predict_input(lambda folder: _object_npy(folder / "obj.npy")),
        1,
        "holds Python objects",
    ),
    "npy-wrong-feature-count": (
        "predict",
        _npy("feat.npy", np.zeros((3, 100))),
        1,
        "shape (3, 100)",
    ),
    "npy-3d-not-28x28": (
        "predict",
        _npy("odd.npy", np.zeros((2, 14, 56), np.uint8)),
        1,
        "shape (2, 14, 56)",
    ),
    "npy-strings": ("predict", _npy("s.npy", np.array(["7"] * 784)), 1, "<U1 values"),
    "npy-complex": (
        "predict",
        _npy("c.npy", np.zeros(784, complex)),
        1,
        "complex128 values",
    ),
    "npy-negative": (
        "predict",
        _npy("neg.npy", np.linspace(-1, 1, 784)),
        1,
        "values from -1 to 1",
    ),
    "npy-above-255": (
        "predict",
        _npy("big.npy", np.arange(784, dtype=np.int32)),
        1,
        "values from 0 to 783",
    ),
    "npy-that-is-an-npz": (
        "predict",
        _predict_input(lambda folder: _savez(folder / "arch.npy", a=np.zeros(3))),
        1,
        "not a NumPy .npy file but a zip archive",
    ),
    "npy-that-is-text": (
        "predict",
        _predict_input(lambda folder: _write(folder / "t.npy", b"1,2,3\n")),
        1,
        "not a NumPy .npy file",
    ),
    "npy-truncated": (
        "predict",
        _predict_input(lambda folder: _npy_header_only(folder / "t.npy", (2, 784))),
        1,
        "truncated",
    ),
    "npy-header-claims-58-GB": (
        "predict",
        _predict_input(lambda folder: _npy_header_only(folder / "h.npy", (10**7, 784))),
        1,
        "truncated",
    ),
    "input-folder": (
        "predict",
        _predict_input(lambda folder: folder),
        1,
        "is a folder, not a file",
    ),
    "input-missing": (
        "predict",
        _predict_input(lambda folder: folder / "missing.png"),
        1,
        "missing.png not found",
    ),
    "png-14000x14000": (
        "predict",
        _predict_input(lambda folder: _blank_png(folder / "bomb.png", 14000, 14000)),
        1,
        "too large an image",
    ),
    # Pillow only warns from 89,478,485 pixels up to twice that.
    "png-9500x9500": (
        "predict",
        _predict_input(lambda folder: _blank_png(folder / "big.png", 9500, 9500)),
        1,
        "too large an image",
    ),
    "png-truncated": (
        "predict",
        _predict_input(lambda folder: _truncated_png(folder / "cut.png")),
        1,
        "cannot read",
    ),
    "png-that-is-text": (
        "predict",
        _predict_input(lambda folder: _write(folder / "t.png", b"not an image")),
        1,
        "cannot identify image file",
    ),
    # predict: model files and indices
    "model-missing": (
        "predict",
        lambda folder, model: [str(folder / "nope.safetensors"), "--mnist-index", "0"],
        1,
        "nope.safetensors not found",
    ),
    "model-random-bytes": (
        "predict",
        lambda folder, model: [
            str(_write(folder / "r.safetensors", np.random.default_rng(0).bytes(1000))),
            "--mnist-index",
            "0",
        ],
        1,
        "not a sknnscratch model file",
    ),
    "model-empty-file": (
        "predict",
        lambda folder, model: [
            str(_write(folder / "e.safetensors", b"")),
            "--mnist-index",
            "0",
        ],
        1,
        "is empty (0 bytes)",
    ),
    "model-npz-of-arrays": (
        "predict",
        lambda folder, model: [
            str(_savez(folder / "arrays.npz", a=np.zeros(3))),
            "--mnist-index",
            "0",
        ],
        1,
        "not a sknnscratch model file",
    ),
    "model-from-sknnscratch-0.2": (
        "predict",
        lambda folder, model: [
            str(_old_zip_model(folder / "old.npz")),
            "--mnist-index",
            "0",
        ],
        1,
        "sknnscratch 0.2 or earlier",
    ),
    "mnist-index-10000": (
        "predict",
        lambda folder, model: [str(model), "--mnist-index", "3,10000"],
        1,
        "10000 out of range",
    ),
    "mnist-index-negative": (
        "predict",
        lambda folder, model: [str(model), "--mnist-index", "-1"],
        2,
        "indices must be 0 or more",
    ),
    "nothing-to-predict": (
        "predict",
        lambda folder, model: [str(model)],
        2,
        "nothing to classify",
    ),
    # compare
    "compare-unknown-model": (
        "compare",
        _args("--models", "mlp,knn"),
        2,
        "unknown model 'knn'",
    ),
    "compare-negative-train-size": (
        "compare",
        _args("--train-size", "-5"),
        2,
        "expected a positive integer, got -5",
    ),
    "compare-train-size-too-large": (
        "compare",
        _args("--train-size", "70000"),
        1,
        "--train-size 70,000 is more than the 60,000 images",
    ),
    "compare-max-iter-0": (
        "compare",
        _args("--max-iter", "0"),
        2,
        "expected a positive integer, got 0",
    ),
    "compare-output-is-a-file": (
        "compare",
        lambda folder, model: ["--output", str(_write(folder / "f", b"x"))],
        1,
        "is a file, not a folder",
    ),
    "compare-plot-path-is-a-folder": (
        "compare",
        lambda folder, model: [
            "--models",
            "mlp",
            "--output",
            _folder_with_report_dir(folder, "confusion_matrix.png"),
        ],
        1,
        "confusion_matrix.png is a folder",
    ),
    "compare-csv-path-is-a-folder": (
        "compare",
        lambda folder, model: [
            "--output",
            _folder_with_report_dir(folder, "results.csv"),
        ],
        1,
        "results.csv is a folder",
    ),
    # train: command options
    "train-negative-train-size": (
        "train",
        _args("--train-size", "-1"),
        2,
        "expected a positive integer, got -1",
    ),
    "train-train-size-too-large": (
        "train",
        _args("--train-size", "70000"),
        1,
        "--train-size 70,000 is more than the 60,000 images",
    ),
    "train-output-is-a-folder": (
        "train",
        lambda folder, model: ["--output", str(folder)],
        1,
        "is a folder",
    ),
    "train-output-in-a-file": (
        "train",
        lambda folder, model: [
            "--output",
            str(_write(folder / "f", b"x") / "m.safetensors"),
        ],
        1,
        "is a file, not a folder",
    ),
    # train: hyperparameters
    "hidden-layer-sizes-0": (
        "train",
        _args("--hidden-layer-sizes", "0"),
        2,
        "at least 1 unit, got '0'",
    ),
    "hidden-layer-sizes--1": (
        "train",
        _args("--hidden-layer-sizes=-1"),
        2,
        "at least 1 unit, got '-1'",
    ),
    "hidden-layer-sizes-a": (
        "train",
        _args("--hidden-layer-sizes", "a"),
        2,
        "expected comma-separated integers",
    ),
    "activation-unknown": (
        "train",
        _args("--activation", "swish"),
        1,
        "'activation' parameter",
    ),
    "activation-unknown-in-a-layer": (
        "train",
        _args("--hidden-layer-sizes", "4,4", "--activation", "relu,swish"),
        1,
        "Unknown activation 'swish'",
    ),
    "dropout-1.5": ("train", _args("--dropout", "1.5"), 1, "'dropout' parameter"),
    "dropout-1.5-in-a-layer": (
        "train",
        _args("--hidden-layer-sizes", "4,4", "--dropout", "0.1,1.5"),
        1,
        "dropout rates must be in [0, 1)",
    ),
    "solver-unknown": ("train", _args("--solver", "newton"), 1, "'solver' parameter"),
    "optimizer-unknown": (
        "train",
        _args("--optimizer", "newton"),
        1,
        "'solver' parameter",
    ),
    "n-iter-no-change-0": (
        "train",
        _args("--n-iter-no-change", "0"),
        1,
        "'n_iter_no_change' parameter",
    ),
    "n-iter-no-change--1": (
        "train",
        _args("--n-iter-no-change=-1"),
        1,
        "'n_iter_no_change' parameter",
    ),
    "n-iter-no-change-x": (
        "train",
        _args("--n-iter-no-change", "x"),
        2,
        "expected an integer or 'inf'",
    ),
    "validation-fraction-1": (
        "train",
        _args("--validation-fraction", "1.0"),
        1,
        "'validation_fraction' parameter",
    ),
    "batch-size-0": ("train", _args("--batch-size", "0"), 1, "'batch_size' parameter"),
    "max-iter-0": ("train", _args("--max-iter", "0"), 1, "'max_iter' parameter"),
    "alpha--1": ("train", _args("--alpha=-1"), 1, "'alpha' parameter"),
    "learning-rate-init-0": (
        "train",
        _args("--learning-rate-init", "0"),
        1,
        "'learning_rate_init' parameter",
    ),
    "learning-rate-init-1e200": (
        "train",
        _args("--learning-rate-init", "1e200", "--max-iter", "2"),
        1,
        "training diverged",
    ),
    "class-weight-negative": (
        "train",
        _args("--class-weight=0:-1"),
        2,
        "class_weight of class 0 must be a finite number of at least 0, got -1.0",
    ),
    "class-weight-nan": (
        "train",
        _args("--class-weight", "3:nan"),
        2,
        "class_weight of class 3 must be a finite number",
    ),
    "class-weight-inf": (
        "train",
        _args("--class-weight", "0:1,8:inf"),
        2,
        "class_weight of class 8 must be a finite number",
    ),
    "class-weight-all-zero": (
        "train",
        _args("--class-weight", ",".join(f"{digit}:0" for digit in range(10))),
        2,
        "class_weight gives every class a weight of 0",
    ),
    "class-weight-not-a-number": (
        "train",
        _args("--class-weight", "0:heavy"),
        2,
        "the weight of class 0 must be a number, got 'heavy'",
    ),
    "class-weight-class-10": (
        "train",
        _args("--class-weight", "10:2"),
        2,
        "class '10' in '10:2' is not an MNIST class",
    ),
    "class-weight-class-a": (
        "train",
        _args("--class-weight", "a:2"),
        2,
        "class 'a' in 'a:2' is not an MNIST class",
    ),
    "class-weight-twice": (
        "train",
        _args("--class-weight", "1:2,1:3"),
        2,
        "class 1 is given twice",
    ),
    "class-weight-no-colon": (
        "train",
        _args("--class-weight", "2"),
        2,
        "CLASS:WEIGHT pairs",
    ),
}


def _bad_input_argv(command, make_args, folder, model):
    """The full argv of a BAD_INPUTS case, base arguments first."""
    if command == "train":
        base = [*TRAIN_BASE, "--quiet", "--output", str(folder / "m.safetensors")]
    elif command == "compare":
        base = [*COMPARE_BASE, "--quiet", "--output", str(folder / "report")]
    else:
        base = []
    return [command, *base, *make_args(folder, model)]


@pytest.mark.parametrize(
    ("command", "make_args", "code", "message"),
    list(BAD_INPUTS.values()),
    ids=list(BAD_INPUTS),
)
def test_bad_input_is_one_error_line(
    command, make_args, code, message, tiny_model, tmp_path
):
    argv = _bad_input_argv(command, make_args, tmp_path, tiny_model)
    exit_code, out, err = run_any(argv)
    assert "Traceback" not in out + err
    assert exit_code == code, err
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1, err
    assert message in error_lines[0]
    if code == 2:  # argparse's usage error: the command's usage, then the line
        assert f"usage: sknnscratch {command}" in err
        assert error_lines[0].startswith(f"sknnscratch {command}: error: ")
    else:
        assert error_lines[0].startswith("error: ")
    # A failed train saves no model, whatever the cause.
    assert not (tmp_path / "m.safetensors").exists()


def test_bad_input_in_a_real_terminal_shows_no_traceback(tiny_model, tmp_path):
    bad = _save_npy(tmp_path / "nan.npy", np.full((784,), np.nan))
    result = subprocess.run(
        [sys.executable, "-m", "sknnscratch", "predict", str(tiny_model), str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == f"error: {bad} holds 784 NaN values; pixel intensities must be finite\n"
    )


def test_predict_reads_a_3d_stack_of_28x28_images(tiny_model, tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    stack, flat = tmp_path / "stack.npy", tmp_path / "flat.npy"
    np.save(stack, images)
    np.save(flat, images.reshape(3, 784))
    code, out, err = run(["predict", str(tiny_model), str(stack), str(flat)])
    assert code == 0, err
    for index in range(3):
        assert probabilities(out, f"stack.npy[{index}]") == probabilities(
            out, f"flat.npy[{index}]"
        )


# --- train: divergence, n_iter_no_change=inf, the --optimizer alias --------------


def test_train_divergence_before_any_epoch_saves_nothing(tmp_path):
    path = tmp_path / "m.safetensors"
    code, out, err = run(
        [
            "train",
            *TRAIN_BASE,
            "--learning-rate-init",
            "1e200",
            "--output",
            str(path),
        ]
    )
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "training diverged" in errors[0]
    assert "try a lower --learning-rate-init (it is 1e+200)" in errors[0]
    assert "Model saved" not in out and not path.exists()


#: The DivergenceWarning ScratchMLPClassifier gives when training diverges
#: after some epochs: it keeps the weights of the last completed epoch.
DIVERGED_LATE = (
    "Training diverged in epoch 2: the loss became inf. Training stopped and kept "
    "the weights of epoch 1 (the last completed). Try a lower learning_rate_init."
)


@pytest.fixture
def fit_diverges_late(monkeypatch):
    """Make ScratchMLPClassifier.fit end with the late-divergence warning.

    Finding a learning rate that diverges after exactly one epoch on MNIST
    would test the engine; this tests what the CLI does with its warning.
    """
    fit = ScratchMLPClassifier.fit

    def fit_then_warn(self, *args, **kwargs):
        fit(self, *args, **kwargs)
        warnings.warn(DIVERGED_LATE, DivergenceWarning, stacklevel=2)
        return self

    monkeypatch.setattr(ScratchMLPClassifier, "fit", fit_then_warn)


def test_train_divergence_after_an_epoch_warns_even_with_tol_0(
    fit_diverges_late, tmp_path
):
    path = tmp_path / "m.safetensors"
    code, out, err = run(
        ["train", *TRAIN_BASE, "--tol", "0", "--quiet", "--output", str(path)]
    )
    assert code == 0, err
    assert f"warning: {DIVERGED_LATE}" in err.splitlines()
    assert "then training diverged" in out
    assert path.exists()  # the weights of the last completed epoch


def test_only_the_iteration_budget_warning_is_hidden(capsys):
    # The warnings of real fits: the two budgets that ran out (epochs and
    # L-BFGS iterations) are hidden; a divergence and an L-BFGS line search
    # that failed (digits x 1000: scipy's ABNORMAL) are shown.
    X, y = load_iris(return_X_y=True)
    budget = ScratchMLPClassifier(max_iter=1, random_state=0)
    lbfgs_budget = ScratchMLPClassifier(solver="lbfgs", max_iter=1, random_state=0)
    abnormal = ScratchMLPClassifier(
        solver="lbfgs", hidden_layer_sizes=(10,), random_state=0
    )
    with cli._warnings_as_lines(hide_budget_warning=True) as caught:
        budget.fit(X, y)
        lbfgs_budget.fit(X, y)
        warnings.warn(DIVERGED_LATE, DivergenceWarning, stacklevel=1)
        abnormal.fit(X[:, :2] * 1e6, y)
    shown = capsys.readouterr().err.splitlines()
    assert len(caught) == 4
    assert shown == [f"warning: {text}" for _, text in caught[2:]]
    assert "ABNORMAL" in shown[1]
    assert cli._divergence_warnings(caught) == [DIVERGED_LATE]


def test_train_accepts_n_iter_no_change_inf_and_validation_fraction_0(tmp_path):
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, "--quiet", "--output", str(path)]
    code, _, err = run(
        [*argv, "--n-iter-no-change", "inf", "--validation-fraction", "0.0"]
    )
    assert code == 0, err
    model = sknnscratch.load(path)
    assert model.n_iter_no_change == np.inf and model.validation_fraction == 0.0


def test_optimizer_is_an_alias_of_solver(capsys):
    parser = cli._build_parser()
    as_solver = cli._train_params(parser.parse_args(["train", "--solver", "sgd"]))
    as_optimizer = cli._train_params(parser.parse_args(["train", "--optimizer", "sgd"]))
    assert as_solver == as_optimizer
    assert as_solver["solver"] == "sgd" and "optimizer" not in as_solver
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--solver NAME, --optimizer NAME" in help_text
    assert "--optimizer is another name for this flag" in help_text


# --- compare: divergence ------------------------------------------------------------


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
