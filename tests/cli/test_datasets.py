"""``--dataset``: every command on Fashion-MNIST, and models by class name.

``train`` and ``compare`` record the dataset and its class names in the model
file; ``predict`` shows the classes by name and selects test images of the
model's own dataset. A model file without that record (saved by an older
version, or by a user with ``sknnscratch.save``) is taken for an MNIST model
when its classes are 0-9, and otherwise shows its raw labels.
"""

import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.exceptions import ConvergenceWarning

import sknnscratch
from sknnscratch import ScratchMLPClassifier, plotting
from sknnscratch.cli._classes import model_classes
from sknnscratch.cli._data import DATASETS
from sknnscratch.persistence import read_metadata

from ._support import (
    COMPARE_BASE,
    TRAIN_BASE,
    assert_one_error_line,
    cells,
    probabilities,
    run,
    save,
    save_npy,
)

CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGITS = [str(digit) for digit in range(10)]


# --- train and predict on Fashion-MNIST -------------------------------------------


def test_train_on_fashion_mnist_records_the_dataset(fashion_trained):
    code, out, err, path = fashion_trained
    assert code == 0, err
    assert "Training ScratchMLPClassifier on 2,000 Fashion-MNIST training" in out
    assert "Test accuracy on the 10,000 Fashion-MNIST test images" in out
    assert f"Try it: sknnscratch predict {path} --index 0,1,2" in out
    # Trained on the labels 0-9: classes_ keeps the dataset's order.
    np.testing.assert_array_equal(sknnscratch.load(path).classes_, np.arange(10))
    assert read_metadata(path) == {
        "dataset": "fashion-mnist",
        "class_names": CLASS_NAMES,
    }


def test_predict_shows_class_names_and_true_classes(fashion_trained, fashion_test):
    path = fashion_trained[3]
    code, out, err = run(["predict", str(path), "--index", "0,1,2"])
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["input", "predicted", "true"]
    X_test, y_test = fashion_test
    expected = sknnscratch.load(path).predict_proba(X_test[:3] / np.float32(255))
    n_correct = 0
    for index in range(3):
        name, predicted, true, _ = cells(out, f"Fashion-MNIST test #{index}")
        assert true == CLASS_NAMES[y_test[index]]
        proba = probabilities(out, f"Fashion-MNIST test #{index}")
        # Every class by name, in the dataset's order, as the model gives it.
        assert list(proba) == CLASS_NAMES
        np.testing.assert_allclose(list(proba.values()), expected[index], atol=0.006)
        assert predicted == CLASS_NAMES[expected[index].argmax()]
        n_correct += predicted == true
    # The first test images are an ankle boot, a pullover and trousers.
    assert [CLASS_NAMES[label] for label in y_test[:3]] == [
        "Ankle boot",
        "Pullover",
        "Trouser",
    ]
    assert f"{n_correct} of 3 Fashion-MNIST test images predicted correctly" in out


def test_mnist_index_selects_the_models_own_dataset(fashion_trained):
    path = str(fashion_trained[3])
    code, out, err = run(["predict", path, "--mnist-index", "7"])
    assert code == 0, err
    assert out == run(["predict", path, "--index", "7"])[1]
    assert "Fashion-MNIST test #7" in out


def test_an_image_file_for_fashion_is_only_resized(
    fashion_trained, trained, fashion_test, tmp_path
):
    # A light background is how Fashion-MNIST's images are not: no inversion,
    # cropping or centring, which would help MNIST's digits only.
    pixels = 255 - fashion_test[0][0].reshape(28, 28)
    Image.fromarray(pixels).save(tmp_path / "light.png")
    Image.fromarray(pixels).resize((56, 56)).save(tmp_path / "big.png")
    np.save(tmp_path / "light.npy", pixels)
    inputs = [str(tmp_path / name) for name in ("light.png", "big.png", "light.npy")]
    code, out, err = run(["predict", str(fashion_trained[3]), *inputs])
    assert code == 0, err
    assert "light.png  " in out and "inverted" not in out
    assert "big.png (resized from 56x56)  " in out
    assert probabilities(out, "light.png") == probabilities(out, "light.npy[0]")
    # An MNIST model prepares the same file as a digit.
    code, out, err = run(["predict", str(trained[3]), inputs[0]])
    assert code == 0, err
    assert "light.png (inverted)" in out


# --- model files without the dataset --------------------------------------------


def test_model_file_without_metadata_is_an_mnist_model(trained, tmp_path):
    # As saved by an older version, or by a user with sknnscratch.save.
    old = save(tmp_path / "old.safetensors", sknnscratch.load(trained[3]))
    assert read_metadata(old) == {}
    code, out, err = run(["predict", str(old), "--index", "0,1"])
    assert code == 0, err
    assert out == run(["predict", str(trained[3]), "--index", "0,1"])[1]
    assert cells(out, "MNIST test #0")[2] == "7"
    assert list(probabilities(out, "MNIST test #1")) == DIGITS


@pytest.fixture(scope="module")
def animals_model(tmp_path_factory):
    """A model for 28x28 images with string classes, saved without metadata."""
    rng = np.random.default_rng(0)
    X = rng.random((30, 784), dtype=np.float32)
    y = np.array(["cat", "dog", "emu"])[np.arange(30) % 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchMLPClassifier(hidden_layer_sizes=4, max_iter=1, random_state=0)
        model.fit(X, y)
    return save(tmp_path_factory.mktemp("animals") / "animals.safetensors", model)


def test_other_classes_show_their_raw_labels(animals_model, tmp_path):
    light = np.full((40, 40), 255, np.uint8)
    light[10:30, 10:30] = 0
    Image.fromarray(light).save(tmp_path / "light.png")
    images = save_npy(tmp_path / "x.npy", np.zeros((2, 784), np.uint8))
    code, out, err = run(
        ["predict", str(animals_model), str(images), str(tmp_path / "light.png")]
    )
    assert code == 0, err
    assert list(probabilities(out, "x.npy[0]")) == ["cat", "dog", "emu"]
    assert cells(out, "x.npy[1]")[1] in ("cat", "dog", "emu")
    assert "light.png (resized from 40x40)  " in out  # not a digit: no inversion
    assert "true" not in out.splitlines()[0]


def test_index_needs_a_model_of_a_known_dataset(animals_model):
    assert_one_error_line(
        ["predict", str(animals_model), "--index", "0"],
        1,
        "--index selects test images of the model's dataset, but the model in "
        f"{animals_model} was not trained on MNIST or Fashion-MNIST (its classes "
        "are cat, dog, emu)",
    )


@pytest.mark.parametrize(
    ("metadata", "dataset", "names"),
    [
        ({}, "mnist", DIGITS),
        ({"dataset": "fashion-mnist"}, "fashion-mnist", CLASS_NAMES),
        (
            {"dataset": "mnist", "class_names": list("abcdefghij")},
            "mnist",
            "abcdefghij",
        ),
        # A user's own names, and no dataset: predict knows no test images.
        ({"dataset": None, "class_names": list("abcdefghij")}, None, "abcdefghij"),
        ({"dataset": "cifar-10"}, None, DIGITS),
        # Names that do not name every class are not used.
        (
            {"dataset": "fashion-mnist", "class_names": ["a", "b"]},
            "fashion-mnist",
            None,
        ),
        ({"class_names": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}, "mnist", DIGITS),
    ],
)
def test_model_classes_from_metadata(metadata, dataset, names):
    classes = model_classes(np.arange(10), metadata)
    assert classes.dataset is (DATASETS[dataset] if dataset else None)
    expected = names or DATASETS[dataset].class_names
    assert list(classes.names) == list(expected)


def test_model_classes_trust_a_dataset_only_for_its_labels():
    classes = model_classes(np.arange(1, 11), {"dataset": "fashion-mnist"})
    assert classes.dataset is None
    assert list(classes.names) == [str(label) for label in range(1, 11)]
    classes = model_classes(np.array(DIGITS), {})  # "0"-"9" are no digits 0-9
    assert classes.dataset is None


# --- compare on Fashion-MNIST ---------------------------------------------------


def test_compare_on_fashion_mnist(tmp_path, monkeypatch):
    # Which class names reach the plots is checked, not how they are drawn
    # (tests/plotting does that).
    passed = {}

    def no_plots(model, X_test, y_test, folder, **kwargs):
        passed.update(kwargs, n_test=len(y_test))
        return {}

    monkeypatch.setattr(plotting, "save_report_plots", no_plots)
    argv = ["compare", "--dataset", "fashion-mnist", "--models", "mlp"]
    argv += ["--train-size", "500", "--max-iter", "1", "--quiet"]
    code, out, err = run([*argv, "--output", str(tmp_path)])
    assert code == 0, err
    assert out.startswith(
        "Fashion-MNIST: training on a stratified sample of 500 of the 60,000 "
        "training images; scoring on the 10,000 test images."
    )
    assert any(line.startswith("ScratchMLPClassifier ") for line in out.splitlines())
    model_path = tmp_path / "model.safetensors"
    assert (
        f"Classify clothes with the saved model: sknnscratch predict {model_path}"
        in out
    )
    assert read_metadata(model_path)["dataset"] == "fashion-mnist"
    assert passed["class_names"] == tuple(CLASS_NAMES) and passed["n_test"] == 10_000
    markdown = (tmp_path / "results.md").read_text()
    assert markdown.startswith("# sknnscratch compare: Fashion-MNIST\n")
    assert "sknnscratch compare --dataset fashion-mnist --models mlp" in markdown


def test_compare_keeps_each_datasets_report_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["compare", *COMPARE_BASE, "--quiet"]
    for dataset, folder in [
        ("mnist", "compare"),
        ("fashion-mnist", "compare-fashion-mnist"),
    ]:
        code, out, err = run([*argv, "--dataset", dataset])
        assert code == 0, err
        assert f"Report written to reports/{folder}/: results.md" in out
    for folder, name in [
        ("compare", "MNIST"),
        ("compare-fashion-mnist", "Fashion-MNIST"),
    ]:
        markdown = (tmp_path / "reports" / folder / "results.md").read_text()
        assert markdown.startswith(f"# sknnscratch compare: {name}\n")


# --- mistakes: one error line, never a traceback ---------------------------------


@pytest.mark.parametrize("command", ["train", "compare"])
@pytest.mark.parametrize("value", ["cifar", "MNIST", ""])
def test_unknown_dataset_is_a_usage_error_listing_the_choices(command, value):
    assert_one_error_line(
        [command, "--dataset", value],
        2,
        f"argument --dataset: invalid choice: '{value}' (choose from 'mnist', "
        "'fashion-mnist')",
    )


def test_fashion_index_out_of_range(fashion_trained):
    assert_one_error_line(
        ["predict", str(fashion_trained[3]), "--index", "2,10000,12345"],
        1,
        "--index 10000, 12345 out of range: the Fashion-MNIST test set has 10,000 "
        "images, indices 0-9999",
    )


def test_fashion_train_size_too_large(tmp_path):
    assert_one_error_line(
        ["train", "--dataset", "fashion-mnist", *TRAIN_BASE, "--train-size", "60001"]
        + ["--output", str(tmp_path / "m.safetensors")],
        1,
        "--train-size 60,001 is more than the 60,000 images available",
    )


@pytest.mark.parametrize("command", ["train", "compare"])
def test_missing_fashion_data_is_one_error_line(command, tmp_path, monkeypatch):
    # SKNNSCRATCH_DATA names a folder without a fashion-mnist/ subfolder.
    monkeypatch.setenv("SKNNSCRATCH_DATA", str(tmp_path))
    base = TRAIN_BASE if command == "train" else COMPARE_BASE
    output = tmp_path / ("m.safetensors" if command == "train" else "report")
    assert_one_error_line(
        [command, "--dataset", "fashion-mnist", *base, "--output", str(output)],
        1,
        f"cannot load Fashion-MNIST: {tmp_path / 'fashion-mnist'}: no such folder",
    )
