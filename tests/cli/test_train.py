"""``sknnscratch train``: flags, presets, the saved model and its failures."""

import numpy as np
import pytest

import sknnscratch
from sknnscratch.cli import _files, main
from sknnscratch.persistence import read_metadata
from sknnscratch.presets import MNIST_DEFAULT

from ._support import (
    DIVERGED_LATE,
    TRAIN_BASE,
    assert_one_error_line,
    extra,
    run,
    write,
)


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
    assert f"Try it: sknnscratch predict {path} --index 0,1,2" in out
    assert read_metadata(path) == {
        "dataset": "mnist",
        "class_names": [str(digit) for digit in range(10)],
    }


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


def test_trained_model_holds_no_callback(monkeypatch, tmp_path):
    # The model train fitted, not only the file: the epoch lines were set
    # with set_callbacks for the fit and removed after it.
    fitted, save = [], _files.save

    def save_and_keep(model, path, **kwargs):
        fitted.append(model)
        save(model, path, **kwargs)

    monkeypatch.setattr(_files, "save", save_and_keep)
    path = tmp_path / "m.safetensors"
    code, out, err = run(["train", *TRAIN_BASE, "--output", str(path)])
    assert code == 0, err
    assert "epoch 1/1" in out
    (model,) = fitted
    assert sknnscratch.load(path).__dict__.keys() <= model.__dict__.keys()
    assert "_skl_callbacks" not in model.__dict__
    assert not any("callback" in name for name in model.__dict__)


def test_train_saves_to_model_safetensors_by_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default: model.safetensors)" in help_text
    assert _files.DEFAULT_MODEL == "model.safetensors"


def test_train_preset_none_starts_from_the_estimator_defaults(tmp_path):
    path = tmp_path / "m.safetensors"
    argv = ["train", "--preset", "none", "--hidden-layer-sizes", "8", "--max-iter"]
    code, _, err = run(
        [*argv, "1", "--train-size", "500", "--quiet", "--output", str(path)]
    )
    assert code == 0, err
    model = sknnscratch.load(path)
    assert model.batch_size == "auto" and model.random_state is None


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


# --- bad inputs: an exit code and one error line, never a traceback ---------------

# (arguments after the base ones, exit code, what the message must say)
BAD_INPUTS = {
    # command options
    "train-negative-train-size": (
        extra("--train-size", "-1"),
        2,
        "expected a positive integer, got -1",
    ),
    "train-train-size-too-large": (
        extra("--train-size", "70000"),
        1,
        "--train-size 70,000 is more than the 60,000 images",
    ),
    "train-output-is-a-folder": (
        lambda folder: ["--output", str(folder)],
        1,
        "is a folder",
    ),
    "train-output-in-a-file": (
        lambda folder: ["--output", str(write(folder / "f", b"x") / "m.safetensors")],
        1,
        "is a file, not a folder",
    ),
    # divergence, which no parameter check can foresee
    "learning-rate-init-1e200": (
        extra("--learning-rate-init", "1e200", "--max-iter", "2"),
        1,
        "training diverged",
    ),
}


@pytest.mark.parametrize(
    ("make_args", "code", "message"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS)
)
def test_bad_input_is_one_error_line(make_args, code, message, tmp_path):
    base = [*TRAIN_BASE, "--quiet", "--output", str(tmp_path / "m.safetensors")]
    assert_one_error_line(["train", *base, *make_args(tmp_path)], code, message)
    # A failed train saves no model, whatever the cause.
    assert not (tmp_path / "m.safetensors").exists()


# --- divergence, n_iter_no_change=inf ---------------------------------------------


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


def test_train_accepts_n_iter_no_change_inf_and_validation_fraction_0(tmp_path):
    path = tmp_path / "m.safetensors"
    argv = ["train", *TRAIN_BASE, "--quiet", "--output", str(path)]
    code, _, err = run(
        [*argv, "--n-iter-no-change", "inf", "--validation-fraction", "0.0"]
    )
    assert code == 0, err
    model = sknnscratch.load(path)
    assert model.n_iter_no_change == np.inf and model.validation_fraction == 0.0
