"""Bad model files: every one is refused with a ModelFileError naming the problem.

Fault injection (empty, truncated and bit-flipped files, foreign files,
pickles and joblib files, which are never unpickled) and crafted files (valid
checksums, content that breaks the tensor table or the schema); for the large
crafted files, a subprocess's peak memory while refusing the file stays under
a stated bound, so that nothing a file merely claims is ever allocated. The
files are corrupted and crafted with the independent reader and writer of
``_persistence_support``.
"""

import json
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from safetensors.numpy import save as safetensors_bytes

from sknnscratch import persistence
from sknnscratch.persistence import ModelFileError, load, save

# isort: split
# tests/'s own helpers (pytest puts tests/ on sys.path), which ruff would sort
# among the third-party imports.
from _persistence_support import (
    DROP,
    METADATA_KEY,
    _fit,
    _mlp,
    at,
    entry,
    f32,
    length_field,
    load_error,
    padded,
    raw,
    rewrite,
    tensor,
)

# The fixtures, imported by name so that pytest finds them in this module (a
# conftest.py would show them to every test module). Imported as themselves
# (an explicit re-export): ruff then reports neither an unused import (F401)
# nor the tests' parameters of the same names as redefinitions (F811).
from _persistence_support import data as data
from _persistence_support import models as models
from _persistence_support import saved as saved

# --- faults: every bad file raises ModelFileError ----------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    load_error(path, "the file is empty")


#: Missing tensor bytes: the safetensors library's words, or the loader's own.
TRUNCATED_DATA = "truncated|not fully covered"


def _header_end(data):
    return 8 + struct.unpack("<Q", data[:8])[0]


@pytest.mark.parametrize(
    "cut, match",
    [
        (lambda data: 4, "truncated|not a safetensors file"),
        (lambda data: 8, "truncated|not a safetensors file"),
        (lambda data: 9, "truncated"),
        (lambda data: _header_end(data) // 2, "truncated"),
        (lambda data: _header_end(data), TRUNCATED_DATA),
        (lambda data: (_header_end(data) + len(data)) // 2, TRUNCATED_DATA),
        (lambda data: len(data) - 1, TRUNCATED_DATA),
    ],
    ids=["4-bytes", "8-bytes", "9-bytes", "mid-header", "no-data", "mid-data", "-1"],
)
def test_truncated_file(saved, cut, match):
    path, data, _ = saved
    path.write_bytes(data[: cut(data)])
    load_error(path, match)


def test_a_flipped_bit_in_the_weights_fails_the_checksum(saved):
    path, data, estimator = saved
    weights = estimator.coefs_[0].tobytes()
    corrupted = bytearray(data)
    corrupted[data.index(weights) + len(weights) // 2] ^= 0x01
    path.write_bytes(bytes(corrupted))
    load_error(path, "checksum mismatch")


def test_a_tampered_json_value_fails_the_checksum(saved):
    path, _, _ = saved
    at("params.alpha", 0.5, checksum=False)(path)
    load_error(path, "checksum mismatch")


def test_every_flipped_byte_is_detected_or_harmless(tmp_path):
    # One bit of every byte of a small file (a different bit from byte to
    # byte): load raises ModelFileError, never another exception, or gives a
    # model with the very same predictions.
    X = np.linspace(-2, 2, 12).reshape(6, 2)
    estimator = _fit(
        _mlp(hidden_layer_sizes=(2,), solver="sgd", max_iter=1), X, [0, 1] * 3
    )
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    data = path.read_bytes()
    expected = estimator.predict_proba(X).tobytes()
    errors = 0
    for position in range(len(data)):
        corrupted = bytearray(data)
        corrupted[position] ^= 1 << (position % 8)
        path.write_bytes(bytes(corrupted))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                loaded = load(path)
        except ModelFileError:
            errors += 1
            continue
        assert loaded.predict_proba(X).tobytes() == expected, position
    assert errors > 0.95 * len(data), errors


def _old_npz(path):
    # What sknnscratch 0.2 wrote: a zip of a JSON member and .npy members.
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sknnscratch.json", json.dumps({"format_version": 1}))
        archive.writestr("a0.npy", b"\x93NUMPY")


@pytest.mark.parametrize(
    "write, match",
    [
        (
            lambda path: path.write_bytes(safetensors_bytes({"weight": np.ones(3)})),
            "without the 'sknnscratch' metadata",
        ),
        (
            lambda path: path.write_bytes(
                safetensors_bytes({"w": np.ones(2)}, {"format": "pt"})
            ),
            "without the 'sknnscratch' metadata",
        ),
        (
            lambda path: path.write_text("hello, this is not a model\n"),
            "not a safetensors file",
        ),
        (
            lambda path: np.save(path.with_suffix(".npy"), np.ones(3)),
            "single-array .npy",
        ),
        (_old_npz, r"zip archive.*sknnscratch 0\.2.*\(\.npz\).*no longer reads"),
    ],
    ids=["other-safetensors", "other-safetensors-metadata", "text", "npy", "old-npz"],
)
def test_a_foreign_file_is_refused(tmp_path, write, match):
    path = tmp_path / "file.npy"
    write(path)
    assert "not a sknnscratch model file" in load_error(path, match)


@pytest.mark.parametrize(
    "dumper, option",
    [("pickle", 0), ("pickle", 5)]
    + [("joblib", c) for c in (0, 3, ("gzip", 3), ("xz", 3), ("bz2", 3), ("lzma", 3))],
    ids=["pickle-0", "pickle-5", "joblib", "zlib", "gzip", "xz", "bz2", "lzma"],
)
def test_a_pickle_or_joblib_file_is_refused_and_never_unpickled(
    models, tmp_path, monkeypatch, dumper, option
):
    path = tmp_path / "model.pkl"
    if dumper == "pickle":
        path.write_bytes(pickle.dumps(models["multiclass"], protocol=option))
    else:
        joblib.dump(models["multiclass"], path, compress=option)

    def explode(*args, **kwargs):
        raise AssertionError("load must never unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, explode)
    monkeypatch.setattr(joblib, "load", explode)
    load_error(path, "not a sknnscratch model file")


def test_a_newer_format_version_asks_to_upgrade(saved):
    path, _, _ = saved
    at("format_version", 3)(path)  # checksum recomputed: only the version is wrong
    load_error(path, "format version 3 is newer.*Upgrade sknnscratch")


def test_a_missing_path_is_not_a_model_file_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.safetensors")


# --- crafted files: valid checksums, content that breaks the schema ------------------

#: Deep nesting, built as text: json.dumps itself would hit the recursion limit.
NESTED = "[" * 100_000 + "]" * 100_000
TOO_LONG = persistence.MAX_HEADER_BYTES + 1


def _overlap(header, data):
    header["coefs.1"]["data_offsets"] = header["coefs.0"]["data_offsets"]


def _beyond(header, data):
    header["coefs.0"]["data_offsets"] = [len(data), len(data) + 240]


def _nested_metadata(header, data):
    header["__metadata__"][METADATA_KEY] = NESTED


def _nest(text):
    return text.replace('"@"', NESTED)


def _huge_version(path):
    at("sknnscratch_version", "x" * 50_000_000)(path)


def _wide_labels(path):
    # Short labels and one long one: as a unicode array, 60,001 x 1,000 x 4 bytes.
    values = [str(i) for i in range(60_000)] + ["x" * 1000]
    at("attributes.classes_", {"dtype": "<U1000", "values": values})(path)


def _three_outputs(path):
    # 3 labels, multiclass, 3 outputs: consistent, but the network has 1.
    def edit(document):
        attributes = document["attributes"]
        attributes.update(_label_type="multiclass", n_outputs_=3)
        attributes.update(out_activation_="softmax")

    rewrite(path, edit, lambda tensors: tensors.update(classes=np.arange(3)))


#: id -> (craft, what the message must match); the multiclass model's file
#: unless the id starts with "<model>/".
CRAFTS = {
    # The tensor table, checked by the library and the loader's dtype rules.
    # The safetensors library's own messages: descriptive in recent releases,
    # the names of its error variants in older ones (0.4.3, the floor).
    "huge-shape": (entry("coefs.0", shape=[10**12, 6]), "(?i)shape|offset|InvalidInfo"),
    "overflowing-shape": (entry("coefs.0", shape=[2**62, 2**62]), "(?i)overflow"),
    "overlapping-offsets": (raw(_overlap), "(?i)offset|InvalidInfo"),
    "out-of-range-offsets": (raw(_beyond), "(?i)offset"),
    "unknown-dtype": (entry("coefs.0", dtype="X64"), "X64|HeaderDeserialization"),
    "bf16-coefs": (entry("coefs.0", dtype="BF16", shape=[5, 24]), r"coefs\.0.*BF16"),
    "f8-coefs": (entry("coefs.0", dtype="F8_E4M3", shape=[5, 48]), r"coefs\.0.*F8"),
    "f16-coefs": (entry("coefs.0", dtype="F16", shape=[5, 24]), r"coefs\.0.*F16"),
    "f32-intercepts": (tensor("intercepts.0", f32), r"intercepts\.0.*F32"),
    "header-beyond-file": (length_field(10_000), "truncated"),
    "header-claims-2**63": (length_field(2**63), "refused unread"),
    "header-claims-over-bound": (length_field(TOO_LONG), "refused unread"),
    "header-over-bound": (padded(TOO_LONG), "refused unread"),
    "nested-header": (raw(lambda h, d: h.update(x=[[[[]]]])), "header"),
    "no-metadata": (raw(lambda h, d: h.pop("__metadata__")), "not a sknnscratch"),
    "nested-metadata": (raw(_nested_metadata), "RecursionError"),
    # Tensors and the JSON document (every checksum recomputed).
    "missing-tensor": (tensor("intercepts.1", None), r"'intercepts\.1' is missing"),
    "extra-tensor": (tensor("extra", lambda _: np.ones(2)), "unknown tensors 'extra'"),
    "extra-attribute": (at("attributes.foo_", 1), "unknown attributes 'foo_'"),
    "dunder-attribute": (at("attributes.__class__", "x"), "unknown attributes"),
    "missing-attribute": (at("attributes.n_outputs_", DROP), "'n_outputs_' is missing"),
    "coefs-1-rows": (tensor("coefs.1", lambda a: a[:-1]), r"coefs\.1.*\(5, 3\)"),
    "n-features": (at("attributes.n_features_in_", 4), r"coefs\.0.*\(5, 6\)"),
    "n-layers": (at("attributes.n_layers_", 5), "coefs_"),
    "4-labels-3-outputs": (tensor("classes", lambda _: np.arange(4)), "n_outputs_"),
    "duplicate-labels": (tensor("classes", lambda _: np.zeros(3, int)), "classes_"),
    "activation": (at("attributes._hidden_activations", ["os"]), "_hidden_activ"),
    "optimizer-dtype": (tensor("optimizer.velocity", f32), r"optimizer\.velocity.*F32"),
    "optimizer-name": (at("attributes._optimizer_state.name", "adam"), "_optimizer"),
    "history-length": (tensor("history.loss", lambda a: a[:-1]), r"history\.loss"),
    "rng-129-bits": (at("attributes._rng_state.state.state", str(2**128)), "_rng"),
    "unknown-estimator": (at("estimator", "os.system"), "unknown estimator 'os"),
    "unlisted-estimator": (at("estimator", "Pipeline"), "unknown estimator"),
    "unknown-parameter": (at("params.evil", 1), "no parameters 'evil'"),
    "activation-param": (at("params.activation", "nope"), "invalid param.*activation"),
    "negative-size": (at("params.hidden_layer_sizes", {"tuple": [-3]}), "hidden_layer"),
    "bad-parameter-tag": (
        at("params.alpha", {"pickle": "x"}),
        "invalid value of parameter 'alpha'",
    ),
    "nan-constant": (at("params.alpha", float("nan")), "JSON constant NaN"),
    "infinity-constant": (at("attributes.loss_", float("inf")), "constant Infinity"),
    "minus-infinity": (at("params.tol", -float("inf")), "JSON constant -Infinity"),
    "nested-parameter": (at("params.alpha", "@", text=_nest), "RecursionError"),
    "50-MB-string": (_huge_version, "refused unread"),
    "format": (at("format", "someone-else"), "not a sknnscratch model file"),
    "format-version-1": (at("format_version", 1), "invalid format_version 1"),
    "format-version-bool": (at("format_version", True), "invalid format_version"),
    "extra-document-key": (at("more", 1), "the document's keys must be"),
    "missing-checksum": (at("checksum", DROP, checksum=False), "the document's keys"),
    # Ill-shaped values: the message must still name the entry.
    "rng-state-list": (at("attributes._rng_state.state", [5]), "_rng_state"),
    "optimizer-name-list": (at("attributes._optimizer_state.name", []), "_optimizer"),
    "estimator-list": (at("estimator", ["ScratchMLPClassifier"]), "estimator"),
    "class-weight-pair": (at("params.class_weight", {"dict": [[1]]}), "class_weight"),
    "version-list": (at("sknnscratch_version", [0, 3]), "sknnscratch_version"),
    "nan-labels": (
        tensor("classes", lambda _: np.array([np.nan, np.nan, 1])),
        "classes_",
    ),
    # Other models: "<model>/<id>".
    "binary/3-labels": (tensor("classes", lambda _: np.arange(3)), "_label_type"),
    "binary/3-labels-3-outputs": (_three_outputs, r"coefs\.1.*\(6, 1\)"),
    "strings/U100000000": (at("attributes.classes_.dtype", "<U100000000"), "classes_"),
    "strings/ints": (at("attributes.classes_.values", [1, 2, 3]), "classes_"),
    "strings/wide": (_wide_labels, "classes_"),
    "regressor/softmax": (at("attributes.out_activation_", "softmax"), "out_activ"),
    "regressor/log-loss": (at("params.loss", "log_loss"), "invalid parameters.*loss"),
    "regressor/outputs": (at("attributes.n_outputs_", 3), r"coefs\.1.*\(6, 1\)"),
}


def _model(name):
    return name.split("/")[0] if "/" in name else "multiclass"


@pytest.mark.parametrize("name", CRAFTS)
def test_a_crafted_file_is_refused_naming_the_problem(models, tmp_path, name):
    craft, match = CRAFTS[name]
    kind = _model(name)
    path = tmp_path / "model.safetensors"
    save(models[kind], path)
    craft(path)
    load_error(path, match)


# --- memory: crafted files are refused without allocating what they claim ----------

#: Peak RSS growth allowed (KiB) while refusing a
#: crafted file of at most a few MB: the header is read (MAX_HEADER_BYTES at
#: most: the library's parse, the JSON document, its canonical form), nothing
#: that the file merely claims (terabytes of tensors, 400 MB label arrays,
#: 10**12 layers) may be allocated.
SMALL_FILE_BOUND_KIB = 64 * 1024
#: For the 50 MB file, refused from its first 9 bytes: a bound well below its
#: size shows it was never read.
UNREAD_FILE_BOUND_KIB = 8 * 1024
#: Address space a child may add (KiB): a loader that allocates what a file
#: claims then fails fast with a MemoryError instead of exhausting the machine.
CHILD_ADDRESS_SPACE_KIB = 1024 * 1024
#: The child: the growth of its peak RSS (KiB) while load refuses the file.
#: Not ru_maxrss, which Linux carries over exec from the parent (a child of
#: pytest would report pytest's own peak): the child's high-water mark VmHWM,
#: first reset to the current RSS (Linux >= 4.0; else the growth is
#: overestimated by what the imports freed, a safe error).
MEASURE_LOAD = """
import resource, sys
from sknnscratch import ModelFileError, load

def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(key))

_, hard = resource.getrlimit(resource.RLIMIT_AS)
cap = (status("VmSize:") + int(sys.argv[2])) * 1024
if hard == resource.RLIM_INFINITY or cap < hard:
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
except OSError:
    pass
before = status("VmRSS:")
try:
    load(sys.argv[1])
except ModelFileError as error:
    print(str(error)[:300], file=sys.stderr)
else:
    sys.exit("loaded")
print(status("VmHWM:") - before)
"""
UNDER_BOUND = "x" * (persistence.MAX_HEADER_BYTES - 8192)
#: id -> (craft, bound): crafts of CRAFTS, and two more.
MEMORY_CASES = {
    **{
        name: (CRAFTS[name][0], SMALL_FILE_BOUND_KIB)
        for name in [
            "huge-shape",
            "header-over-bound",
            "header-claims-over-bound",
            "header-claims-2**63",
            "nested-metadata",
            "nested-parameter",
            "strings/U100000000",
            "strings/wide",
        ]
    },
    "50-MB-string": (CRAFTS["50-MB-string"][0], UNREAD_FILE_BOUND_KIB),
    # A small number that the loader must not take as a count of things to build.
    "10**12-layers": (at("attributes.n_layers_", 10**12), SMALL_FILE_BOUND_KIB),
    # The largest header the loader reads (the checksum then fails).
    "header-at-bound": (
        at("sklearn_version", UNDER_BOUND, checksum=False),
        SMALL_FILE_BOUND_KIB,
    ),
}


@pytest.fixture(scope="module")
def memory_runs(models, tmp_path_factory):
    """Each memory case's file, loaded by a child process of its own; the
    children run at once (each measures only itself), to keep the tests quick."""
    directory = tmp_path_factory.mktemp("memory")
    runs = {}
    for name, (craft, _) in MEMORY_CASES.items():
        path = directory / f"{name.replace('/', '-')}.safetensors"
        save(models[_model(name)], path)
        craft(path)
        command = [sys.executable, "-c", MEASURE_LOAD, str(path)]
        command.append(str(CHILD_ADDRESS_SPACE_KIB))
        runs[name] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    yield runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.slow  # a fresh process per case
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
@pytest.mark.parametrize("name", MEMORY_CASES)
def test_a_crafted_file_is_refused_in_bounded_memory(memory_runs, name):
    # The timeout only stops a runaway child; what is checked is memory.
    out, err = memory_runs[name].communicate(timeout=300)
    assert memory_runs[name].returncode == 0, err
    growth = int(out)
    print(f"{name}: peak RSS +{growth} KiB; {err.strip()[-100:]}")
    assert growth < MEMORY_CASES[name][1], (growth, err)
    assert "MemoryError" not in err
