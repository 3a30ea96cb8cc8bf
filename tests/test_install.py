"""The environment: every declared dependency imports, and the pins that fresh installs use agree."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

from scripts import check_install

ROOT = Path(__file__).resolve().parents[1]

EXACT = ("torch", "torchaudio")
"""Packages whose compiled libraries must match each other: pinned exactly in pyproject.toml."""


def test_every_declared_dependency_imports() -> None:
    assert check_install.problems(["dev", "eval"]) == []


def test_torchaudio_loads_with_this_torch() -> None:
    import torch
    import torchaudio

    assert torchaudio.__version__.split("+")[0] == torch.__version__.split("+")[0]


def test_a_broken_import_is_reported_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def failing(name: str, *args, **kwargs):
        if name == "torchaudio":
            raise OSError("Could not load this library: libtorchaudio.so\nmore detail")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(check_install.importlib, "import_module", failing)
    found = check_install.problems([])
    assert len(found) == 1
    assert re.fullmatch(r"torchaudio \S+: import torchaudio failed: OSError: Could not load this library: libtorchaudio.so",
                        found[0])


def test_extras_are_checked_only_when_asked() -> None:
    core = set(check_install.declared([]))
    assert {"torch", "torchaudio", "resemblyzer"} <= core
    assert "pytest" not in core and "pytest" in check_install.declared(["dev"])


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_binary_partners_are_pinned_exactly_and_agree_with_the_lock() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _pins()
    for name in EXACT:
        spec = next(d for d in declared if re.match(rf"{name}\s*==", d))
        assert re.fullmatch(rf"{name}==\d+\.\d+\.\d+", spec.split("#")[0].strip()), spec
        assert pins[name] == spec.split("==")[1].strip()


def test_the_lock_pins_every_package_it_names_exactly() -> None:
    pins = _pins()
    assert {"torch", "torchaudio", "numpy", "pytest", "pocketsphinx"} <= set(pins)
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+]*", v) for v in pins.values())
