"""The benchmarks run as modules from the repository root (python -m benchmarks.<name>), and a
benchmark that measures in a fresh process starts that process the same way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import ROOT, child_json

NAMES = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem not in ("__init__", "common"))


def test_every_benchmark_is_listed() -> None:
    assert ROOT == Path(__file__).resolve().parents[1]
    assert {"rtf", "vocoder", "voice_profile", "watermark"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_runs_as_a_module(name: str) -> None:
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]


def test_a_measurement_in_a_fresh_process_reports_its_json() -> None:
    result = child_json("benchmarks.vocoder", "--memory-child", "ours", "1")
    assert result.keys() == {"peak_growth_mb"} and isinstance(result["peak_growth_mb"], float)
