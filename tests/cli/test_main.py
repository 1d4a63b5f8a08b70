"""The program: ``main``, its top-level parser and ``python -m sknnscratch``."""

import subprocess
import sys

import pytest

from sknnscratch import __version__
from sknnscratch.cli import main

from ._support import ROOT


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


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"sknnscratch {__version__}\n"


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    from sknnscratch.cli import predict

    def interrupted(args, argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(predict, "run", interrupted)
    assert main(["predict", "model.safetensors", "--mnist-index", "0"]) == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
