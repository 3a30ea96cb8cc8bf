"""Shared fixtures: the development data folder (skipped when absent) and small signals."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _require_data() -> Path:
    if not (DATA_DIR / "tts" / "metadata.tsv").is_file():
        pytest.skip(f"development data not found at {DATA_DIR} (the shared development data, expected beside the repository as ../shared/data; see the README)")
    return DATA_DIR


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The ../shared/data folder; tests using it skip with a reason when it is absent."""
    return _require_data()


def read_metadata(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated metadata file as dicts."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="session")
def tts_rows(data_dir: Path) -> list[dict[str, str]]:
    """Rows of tts/metadata.tsv with absolute paths."""
    rows = read_metadata(data_dir / "tts" / "metadata.tsv")
    for row in rows:
        row["path"] = str(data_dir / "tts" / row["path"])
    return rows


@pytest.fixture
def speechlike() -> np.ndarray:
    """Two seconds of a synthetic voiced signal at 22.05 kHz: harmonics with a moving pitch, AM and noise."""
    return make_speechlike(22050, 2.0)


def make_speechlike(sample_rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    """A deterministic speech-like test signal (not speech, but with its broad statistics)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 25) if k * 200 < sample_rate / 2)
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t)) ** 2
    signal = envelope * voiced + 0.02 * rng.standard_normal(len(t))
    return (0.3 * signal / np.max(np.abs(signal))).astype(np.float32)


def last_stderr_line(stderr: str) -> str:
    """The last non-blank line of a command's stderr, after any progress bar (which redraws with carriage returns)."""
    return [line.strip() for line in stderr.replace("\r", "\n").splitlines() if line.strip()][-1]
