"""The command line: help, version, mel, and one-line errors with non-zero exits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import soundfile as sf

from conftest import make_speechlike


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voiceclone.cli", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0 and "mel" in result.stdout


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("voiceclone ")


def test_scripts_show_warnings_in_one_line_as_the_cli_does():
    """Recipe and benchmark scripts (run_main) print a library warning as `warning: ...`, no source line."""
    code = ("import warnings; from voiceclone.scripts import run_main; "
            "run_main(lambda: warnings.warn('ref.wav: only 2.0 s of speech', UserWarning))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "warning: ref.wav: only 2.0 s of speech\n", result.stderr


def test_mel_writes_array(tmp_path):
    wav = tmp_path / "in.wav"
    sf.write(wav, make_speechlike(22050, 1.0), 22050)
    out = tmp_path / "out.npy"
    result = run("mel", str(wav), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert np.load(out).shape[0] == 80
    result = run("mel", str(wav), "-o", str(out), "--kind", "encoder")
    assert result.returncode == 0 and np.load(out).shape[0] == 40


def test_bad_input_is_one_line_and_non_zero(tmp_path):
    result = run("mel", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.npy"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.npy").exists()


def test_unknown_kind(tmp_path):
    wav = tmp_path / "in.wav"
    sf.write(wav, make_speechlike(22050, 1.0), 22050)
    result = run("mel", str(wav), "-o", str(tmp_path / "x.npy"), "--kind", "nope")
    assert result.returncode == 1 and "unknown mel kind" in result.stderr


def test_unknown_option_and_missing_argument_are_usage_errors(tmp_path):
    for args in (("speak", "--no-such-option", "hello"), ("mel",)):
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and ("No such option" in result.stderr or "Missing" in result.stderr)
