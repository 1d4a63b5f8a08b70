"""The ``metadata`` of model files: ``save(..., metadata=...)`` and
``read_metadata``.

Files are inspected and tampered with through ``_persistence_support``'s
independent reader and writer (the documented layout and checksum), so that
only sknnscratch's own checks can notice a change.
"""

import json
import math

import numpy as np
import pytest

from sknnscratch import save
from sknnscratch._baseline import AverageDarknessClassifier
from sknnscratch.persistence import ModelFileError, load, read_metadata

# isort: split
from _persistence_support import (
    DOCUMENT_KEYS,
    _fit,
    _mlp,
    assert_same_outputs,
    read_model,
    rewrite,
    spec_checksum,
)
from _persistence_support import data as data

METADATA = {
    "dataset": "digits",
    "class_names": ["zero", "one", "two"],
    "n_rows": 60,
    "test_fraction": 0.25,
    "normalized": True,
    "note": None,
    "nested": {"a": [1, 2.5, {"b": "c"}], "empty": {}, "none": []},
    "unicode": "héllo ✓",
}


@pytest.fixture(scope="module")
def model(data):
    return _fit(_mlp(), *data)


@pytest.fixture()
def path(tmp_path):
    return tmp_path / "model.safetensors"


# --- round trip ------------------------------------------------------------------


def test_round_trip(model, path, data):
    save(model, path, metadata=METADATA)
    assert read_metadata(path) == METADATA
    # The model itself is unaffected by its metadata.
    loaded = load(path)
    assert_same_outputs(loaded, model, data[0])
    assert "metadata" not in vars(loaded)


def test_load_returns_the_metadata_of_the_same_read(model, path, data):
    save(model, path, metadata=METADATA)
    loaded, metadata = load(path, return_metadata=True)
    assert metadata == METADATA
    assert_same_outputs(loaded, model, data[0])
    save(model, path)
    assert load(path, return_metadata=True)[1] == {}


def test_metadata_is_copied_not_kept(model, path):
    metadata = {"classes": ["a", "b"]}
    save(model, path, metadata=metadata)
    metadata["classes"].append("c")
    assert read_metadata(path) == {"classes": ["a", "b"]}


def test_tuples_come_back_as_lists(model, path):
    save(model, path, metadata={"shape": (28, 28), "pairs": [("a", 1)]})
    assert read_metadata(path) == {"shape": [28, 28], "pairs": [["a", 1]]}


def test_other_estimators_carry_metadata(data, path):
    darkness = _fit(AverageDarknessClassifier(), *data)
    save(darkness, path, metadata={"kind": "baseline"})
    assert read_metadata(path) == {"kind": "baseline"}
    assert_same_outputs(load(path), darkness, data[0])


def test_saving_again_replaces_the_metadata(model, path):
    save(model, path, metadata={"run": 1})
    save(model, path, metadata={"run": 2})
    assert read_metadata(path) == {"run": 2}
    save(model, path)
    assert read_metadata(path) == {}


@pytest.mark.parametrize("metadata", [None, {}], ids=["none", "empty"])
def test_without_metadata_the_document_is_unchanged(model, path, metadata):
    if metadata is None:
        save(model, path)
    else:
        save(model, path, metadata=metadata)
    assert read_metadata(path) == {}
    document, _ = read_model(path)
    # Exactly the keys of the releases before metadata: they can read it.
    assert set(document) == DOCUMENT_KEYS


def test_metadata_is_one_document_key_under_the_checksum(model, path):
    save(model, path, metadata=METADATA)
    document, tensors = read_model(path)
    assert set(document) == DOCUMENT_KEYS | {"metadata"}
    assert document["metadata"] == METADATA
    assert document["checksum"] == spec_checksum(document, tensors)


def test_metadata_does_not_change_the_model_part(model, tmp_path):
    plain, tagged = tmp_path / "plain.safetensors", tmp_path / "tagged.safetensors"
    save(model, plain)
    save(model, tagged, metadata={"x": 1})
    (doc_plain, tensors_plain), (doc_tagged, tensors_tagged) = (
        read_model(plain),
        read_model(tagged),
    )
    for key in DOCUMENT_KEYS - {"checksum"}:
        assert doc_plain[key] == doc_tagged[key], key
    assert doc_plain["checksum"] != doc_tagged["checksum"]
    assert set(tensors_plain) == set(tensors_tagged)


def test_keyword_only(model, path):
    with pytest.raises(TypeError):
        save(model, path, {"x": 1})


def test_read_metadata_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_metadata(tmp_path / "missing.safetensors")


# --- refused metadata ---------------------------------------------------------------


class Thing:
    pass


BAD = {
    "int-key": ({1: "x"}, "keys must be strings"),
    "nested-int-key": ({"a": {2: "x"}}, "keys must be strings"),
    "tuple-key": ({("a", "b"): 1}, "keys must be strings"),
    "nan": ({"x": math.nan}, "must be finite"),
    "inf": ({"x": [1.0, math.inf]}, "must be finite"),
    "minus-inf": ({"x": {"y": -math.inf}}, "must be finite"),
    "numpy-int": ({"x": np.int64(3)}, "int64"),
    "numpy-float32": ({"x": np.float32(0.5)}, "float32"),
    "numpy-float64": ({"x": np.float64(0.5)}, "float64"),
    "numpy-bool": ({"x": np.bool_(True)}, "bool"),
    "numpy-str": ({"x": np.str_("a")}, "str_"),
    "numpy-array": ({"x": np.arange(3)}, "ndarray"),
    "object": ({"x": Thing()}, "Thing"),
    "set": ({"x": {1, 2}}, "set"),
    "bytes": ({"x": b"raw"}, "bytes"),
    "not-a-dict-list": (["a", "b"], "dict"),
    "not-a-dict-str": ("digits", "dict"),
    "not-a-dict-zero": (0, "dict"),
}


@pytest.mark.parametrize(("metadata", "match"), BAD.values(), ids=list(BAD))
def test_bad_metadata_is_refused_and_nothing_is_written(model, path, metadata, match):
    with pytest.raises(TypeError, match=match):
        save(model, path, metadata=metadata)
    assert not path.exists()


def test_a_refused_save_keeps_the_existing_file(model, path):
    save(model, path, metadata={"good": True})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save(model, path, metadata={"bad": math.nan})
    assert path.read_bytes() == before
    assert read_metadata(path) == {"good": True}


def test_metadata_errors_name_where_the_problem_is(model, path):
    with pytest.raises(TypeError, match=r"metadata\['a'\]\['b'\]\[1\]"):
        save(model, path, metadata={"a": {"b": [1, math.nan]}})


# --- tampered and crafted files -----------------------------------------------------


def set_metadata(value):
    def edit(document):
        document["metadata"] = value

    return edit


def test_tampered_metadata_fails_the_checksum(model, path):
    save(model, path, metadata={"dataset": "digits"})
    rewrite(path, set_metadata({"dataset": "mnist"}), checksum=False)
    with pytest.raises(ModelFileError, match="checksum"):
        read_metadata(path)
    with pytest.raises(ModelFileError, match="checksum"):
        load(path)


def test_metadata_added_to_a_file_without_it_fails_the_checksum(model, path):
    save(model, path)
    rewrite(path, set_metadata({"dataset": "digits"}), checksum=False)
    with pytest.raises(ModelFileError, match="checksum"):
        read_metadata(path)


def test_removed_metadata_fails_the_checksum(model, path):
    save(model, path, metadata={"dataset": "digits"})
    rewrite(path, lambda document: document.pop("metadata"), checksum=False)
    with pytest.raises(ModelFileError, match="checksum"):
        read_metadata(path)


def test_corrupted_file_raises_model_file_error(model, path):
    save(model, path, metadata={"dataset": "digits"})
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF  # a byte of the last tensor
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError):
        read_metadata(path)
    path.write_bytes(bytes(raw[: len(raw) // 2]))  # truncated
    with pytest.raises(ModelFileError):
        read_metadata(path)


@pytest.mark.parametrize(
    "value", [["a"], "digits", 3, None], ids=["list", "str", "int", "null"]
)
def test_metadata_of_another_type_is_refused_on_reading(model, path, value):
    # Checksum recomputed: only the type check can notice.
    save(model, path)
    rewrite(path, set_metadata(value))
    with pytest.raises(ModelFileError, match="metadata"):
        read_metadata(path)
    with pytest.raises(ModelFileError, match="metadata"):
        load(path)


def test_non_finite_metadata_in_a_crafted_file_is_refused(model, path):
    # Python's json writes NaN unless told not to; with the checksum
    # recomputed over it, the reader refuses it as save would.
    save(model, path, metadata={"x": 1.5})
    rewrite(path, set_metadata({"x": [1.0, math.nan]}))
    assert "NaN" in json.dumps(read_model(path)[0]["metadata"])
    with pytest.raises(ModelFileError):
        read_metadata(path)
    with pytest.raises(ModelFileError):
        load(path)
