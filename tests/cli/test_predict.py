"""``sknnscratch predict``: images, arrays and MNIST test images, and bad inputs.

Fashion-MNIST models and model files without a dataset are in
test_predict_datasets.py.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from sknnscratch.cli import main

from ._support import (
    ROOT,
    assert_one_error_line,
    baseline,
    blank_png,
    cells,
    dump,
    iris_model,
    npy_header_only,
    object_npy,
    old_zip_model,
    probabilities,
    run,
    save,
    save_npy,
    savez,
    truncated_png,
    write,
)


def test_predict_mnist_indices_shows_true_labels(trained, mnist_test):
    code, out, err = run(["predict", str(trained[3]), "--index", "0,1,2"])
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["input", "predicted", "true"]
    for index in range(3):
        name, predicted, true, _ = cells(out, f"MNIST test #{index} ")
        assert name == f"MNIST test #{index}"
        assert true == str(mnist_test[1][index])
        proba = probabilities(out, f"MNIST test #{index} ")
        assert list(proba) == [str(digit) for digit in range(10)]
        assert predicted == max(proba, key=proba.get)
    assert "of 3 MNIST test images predicted correctly" in out


def test_mnist_index_is_another_name_for_index(trained):
    expected = run(["predict", str(trained[3]), "--index", "0,5"])
    assert run(["predict", str(trained[3]), "--mnist-index", "0,5"]) == expected


def test_predict_png_with_light_background_is_inverted(trained, mnist_test, tmp_path):
    digit = mnist_test[0][0].reshape(28, 28)
    Image.fromarray(255 - digit).save(tmp_path / "seven.png")
    code, out, err = run(
        ["predict", str(trained[3]), str(tmp_path / "seven.png"), "--index", "0"]
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
    assert abs(sum(probabilities(out, "big.png").values()) - 1) < 0.05


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
            "--index",
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
        (lambda folder: write(folder / "bad.png", b"not an image"), "as an image"),
        (lambda folder: save_npy(folder / "bad.npy", np.zeros((3, 10))), "(3, 10)"),
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
            lambda folder: write(folder / "text.safetensors", b"hello"),
            "not a sknnscratch model file",
        ),
        (lambda folder: dump(folder / "model.joblib", {"a": 1}), "pickle"),
        (
            lambda folder: save(folder / "baseline.safetensors", baseline()),
            "holds a model of type AverageDarknessClassifier, not a",
        ),
        (lambda folder: save(folder / "iris.safetensors", iris_model()), "expects 4"),
    ],
    ids=["missing", "text", "pickle-refused", "not-an-mlp", "wrong-features"],
)
def test_predict_bad_model_is_an_error(tmp_path, make_model, message):
    code, _, err = run(["predict", str(make_model(tmp_path)), "--index", "0"])
    assert code == 1
    assert err.startswith("error: ") and message in err


def test_predict_index_out_of_range(trained):
    code, _, err = run(["predict", str(trained[3]), "--index", "3,10000"])
    assert code == 1
    assert err.startswith("error: --index 10000 out of range: the MNIST test set")
    assert "0-9999" in err


def test_predict_without_inputs_is_a_usage_error(trained, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(trained[3])])
    assert exc.value.code == 2
    assert "usage: sknnscratch predict" in capsys.readouterr().err


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


def test_pillow_warnings_become_warning_lines(tiny_model, tmp_path, monkeypatch):
    # A damaged tag Pillow skips makes it warn on each read: one line, naming
    # the file, on stderr.
    from sknnscratch.datasets import _images

    flatten = _images._flatten_alpha

    def warn_twice(image):
        for _ in range(2):
            warnings.warn("Corrupt EXIF data.  Expecting to read 2 bytes", stacklevel=1)
        return flatten(image)

    monkeypatch.setattr(_images, "_flatten_alpha", warn_twice)
    path = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(path)
    code, out, err = run(["predict", str(tiny_model), str(path)])
    assert code == 0, err
    assert err == f"warning: {path}: Corrupt EXIF data. Expecting to read 2 bytes\n"
    assert "digit.png" in out


# --- bad inputs: an exit code and one error line, never a traceback ---------------


def _input(make):
    """A case: the tiny model and one input made by ``make``."""
    return lambda folder, model: [str(model), str(make(folder))]


def _npy(name, array):
    return _input(lambda folder: save_npy(folder / name, array))


def _model(make):
    """A case: a model file made by ``make``, and an MNIST index to classify."""
    return lambda folder, model: [str(make(folder)), "--index", "0"]


# (arguments after the command, exit code, what the message must say)
BAD_INPUTS = {
    # input files
    "npy-nan": (_npy("nan.npy", np.full((2, 784), np.nan)), 1, "NaN"),
    "npy-inf": (_npy("inf.npy", np.full((784,), np.inf)), 1, "infinite"),
    "npy-no-images": (
        _npy("empty.npy", np.zeros((0, 784))),
        1,
        "no images: its array has shape (0, 784)",
    ),
    "npy-no-28x28-images": (_npy("empty3.npy", np.zeros((0, 28, 28))), 1, "no images"),
    "npy-0-bytes": (
        _input(lambda folder: write(folder / "zero.npy", b"")),
        1,
        "zero.npy is empty (0 bytes)",
    ),
    "npy-object-dtype": (
        _input(lambda folder: object_npy(folder / "obj.npy")),
        1,
        "holds Python objects",
    ),
    "npy-wrong-feature-count": (
        _npy("feat.npy", np.zeros((3, 100))),
        1,
        "shape (3, 100)",
    ),
    "npy-3d-not-28x28": (
        _npy("odd.npy", np.zeros((2, 14, 56), np.uint8)),
        1,
        "shape (2, 14, 56)",
    ),
    "npy-strings": (_npy("s.npy", np.array(["7"] * 784)), 1, "<U1 values"),
    "npy-complex": (_npy("c.npy", np.zeros(784, complex)), 1, "complex128 values"),
    "npy-negative": (
        _npy("neg.npy", np.linspace(-1, 1, 784)),
        1,
        "values from -1 to 1",
    ),
    "npy-above-255": (
        _npy("big.npy", np.arange(784, dtype=np.int32)),
        1,
        "values from 0 to 783",
    ),
    "npy-that-is-an-npz": (
        _input(lambda folder: savez(folder / "arch.npy", a=np.zeros(3))),
        1,
        "not a NumPy .npy file but a zip archive",
    ),
    "npy-that-is-text": (
        _input(lambda folder: write(folder / "t.npy", b"1,2,3\n")),
        1,
        "not a NumPy .npy file",
    ),
    "npy-truncated": (
        _input(lambda folder: npy_header_only(folder / "t.npy", (2, 784))),
        1,
        "truncated",
    ),
    "npy-header-claims-58-GB": (
        _input(lambda folder: npy_header_only(folder / "h.npy", (10**7, 784))),
        1,
        "truncated",
    ),
    "input-folder": (_input(lambda folder: folder), 1, "is a folder, not a file"),
    "input-missing": (
        _input(lambda folder: folder / "missing.png"),
        1,
        "missing.png not found",
    ),
    "png-14000x14000": (
        _input(lambda folder: blank_png(folder / "bomb.png", 14000, 14000)),
        1,
        "too large an image",
    ),
    # Pillow only warns from 89,478,485 pixels up to twice that.
    "png-9500x9500": (
        _input(lambda folder: blank_png(folder / "big.png", 9500, 9500)),
        1,
        "too large an image",
    ),
    "png-truncated": (
        _input(lambda folder: truncated_png(folder / "cut.png")),
        1,
        "cannot read",
    ),
    "png-that-is-text": (
        _input(lambda folder: write(folder / "t.png", b"not an image")),
        1,
        "cannot identify image file",
    ),
    # model files and indices
    "model-missing": (
        _model(lambda folder: folder / "nope.safetensors"),
        1,
        "nope.safetensors not found",
    ),
    "model-random-bytes": (
        _model(
            lambda folder: write(
                folder / "r.safetensors", np.random.default_rng(0).bytes(1000)
            )
        ),
        1,
        "not a sknnscratch model file",
    ),
    "model-empty-file": (
        _model(lambda folder: write(folder / "e.safetensors", b"")),
        1,
        "is empty (0 bytes)",
    ),
    "model-npz-of-arrays": (
        _model(lambda folder: savez(folder / "arrays.npz", a=np.zeros(3))),
        1,
        "not a sknnscratch model file",
    ),
    "model-from-sknnscratch-0.2": (
        _model(lambda folder: old_zip_model(folder / "old.npz")),
        1,
        "sknnscratch 0.2 or earlier",
    ),
    "index-10000": (
        lambda folder, model: [str(model), "--index", "3,10000"],
        1,
        "--index 10000 out of range",
    ),
    # The older name is named back to the user who typed it.
    "mnist-index-10000": (
        lambda folder, model: [str(model), "--mnist-index", "10000"],
        1,
        "--mnist-index 10000 out of range",
    ),
    "index-not-a-number": (
        lambda folder, model: [str(model), "--index", "first"],
        2,
        "expected comma-separated integers",
    ),
    "mnist-index-negative": (
        lambda folder, model: [str(model), "--mnist-index", "-1"],
        2,
        "indices must be 0 or more",
    ),
    "nothing-to-predict": (
        lambda folder, model: [str(model)],
        2,
        "nothing to classify",
    ),
}


@pytest.mark.parametrize(
    ("make_args", "code", "message"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS)
)
def test_bad_input_is_one_error_line(make_args, code, message, tiny_model, tmp_path):
    argv = ["predict", *make_args(tmp_path, tiny_model)]
    assert_one_error_line(argv, code, message)


def test_bad_input_in_a_real_terminal_shows_no_traceback(tiny_model, tmp_path):
    bad = save_npy(tmp_path / "nan.npy", np.full((784,), np.nan))
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
