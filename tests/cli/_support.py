"""Helpers shared by the command-line tests: running ``main`` and making files.

``run`` and ``run_any`` call :func:`sknnscratch.cli.main` in-process with
stdout and stderr captured; the file makers write small inputs, models and
damaged files into a test's own folder.
"""

import contextlib
import io
import json
import re
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import joblib
import numpy as np
from PIL import Image
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

import sknnscratch
from sknnscratch import AverageDarknessClassifier, ScratchMLPClassifier
from sknnscratch.cli import main

__all__ = [
    "COMPARE_BASE",
    "DIVERGED_LATE",
    "ROOT",
    "TRAIN_BASE",
    "extra",
    "assert_one_error_line",
    "baseline",
    "blank_png",
    "cells",
    "dump",
    "iris_model",
    "npy_header_only",
    "object_npy",
    "old_zip_model",
    "probabilities",
    "run",
    "run_any",
    "save",
    "save_npy",
    "savez",
    "truncated_png",
    "write",
]

ROOT = Path(__file__).resolve().parents[2]

#: Every ``train`` case starts from this, so that a case the command wrongly
#: accepts trains for a moment, not minutes; the case's arguments come last
#: and override it.
TRAIN_BASE = ["--train-size", "100", "--max-iter", "1", "--hidden-layer-sizes", "4"]
#: Likewise for ``compare``: one quick model unless the case says otherwise.
COMPARE_BASE = ["--train-size", "100", "--max-iter", "1", "--models", "darkness"]

#: The DivergenceWarning ScratchMLPClassifier gives when training diverges
#: after some epochs: it keeps the weights of the last completed epoch.
DIVERGED_LATE = (
    "Training diverged in epoch 2: the loss became inf. Training stopped and kept "
    "the weights of epoch 1 (the last completed). Try a lower learning_rate_init."
)


def run(argv):
    """``main(argv)`` with its stdout and stderr captured: (code, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def run_any(argv):
    """``run``, with argparse's usage errors (SystemExit) as an exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_one_error_line(argv, code, message):
    """Run ``argv``: exit ``code``, one error line saying ``message``, no traceback.

    A usage error (code 2) comes with the command's usage message.
    """
    command = argv[0]
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


def extra(*arguments):
    """A ``train`` or ``compare`` case: these arguments after the base ones."""
    return lambda folder: list(arguments)


def cells(out, name):
    """The cells of the row of input ``name``: columns are 2+ spaces apart.

    An empty cell (no true class for a file) disappears, so check the true
    class on rows of test images only.
    """
    row = next(line for line in out.splitlines() if line.startswith(name))
    return re.split(r" {2,}", row)


def probabilities(out, name):
    """``{class name: probability}`` as printed on the row of input ``name``."""
    pairs = (pair.rsplit(": ", 1) for pair in cells(out, name)[-1].split(", "))
    return {class_name: float(p) for class_name, p in pairs}


# --- files ------------------------------------------------------------------------


def write(path, data):
    path.write_bytes(data)
    return path


def save_npy(path, array):
    np.save(path, array)
    return path


def savez(path, **arrays):
    # np.savez adds .npz to a name without it; write through a file object.
    with path.open("wb") as file:
        np.savez(file, **arrays)
    return path


def old_zip_model(path):
    """A model file as sknnscratch 0.2 wrote them: a zip (.npz) with JSON."""
    document = {"format": "sknnscratch-model", "format_version": 1}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sknnscratch.json", json.dumps(document))
        with archive.open("coefs_0.npy", "w") as member:
            np.save(member, np.zeros((784, 4)))
    return path


def dump(path, obj):
    joblib.dump(obj, path)
    return path


def save(path, estimator, metadata=None):
    """``sknnscratch.save``: without metadata, a file as a user saves one."""
    sknnscratch.save(estimator, path, metadata=metadata)
    return path


def baseline():
    X, y = load_iris(return_X_y=True)
    return AverageDarknessClassifier().fit(X, y)


def iris_model():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ScratchMLPClassifier(max_iter=2, random_state=0).fit(X, y)


def blank_png(path, width, height):
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


def truncated_png(path):
    """A real image cut off in the middle of its pixel data."""
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return write(path, buffer.getvalue()[: len(buffer.getvalue()) // 2])


def npy_header_only(path, shape):
    """An .npy header announcing ``shape`` (float64) with almost no data."""
    with path.open("wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": "<f8", "fortran_order": False, "shape": shape}
        )
        file.write(bytes(100))
    return path


def object_npy(path):
    np.save(path, np.array([1, "a", None], dtype=object), allow_pickle=True)
    return path
