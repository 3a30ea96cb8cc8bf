"""The training recipe end to end on a tiny made-up prepared set: it runs, saves, resumes, and a
run started from another (--init) keeps the normalisation statistics its weights were trained with."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "shared_data"
sys.path.insert(0, str(RECIPE))
from prepare import pack  # noqa: E402
from train import NORMALISATION_KEYS  # noqa: E402


def _pack(path: Path, n: int, rng: np.random.Generator, scale: float, transcribed: bool) -> None:
    items = []
    for i in range(n):
        frames = int(rng.integers(40, 70))
        item = {"mel": (rng.normal(-5.0, 1.0, (80, frames)) * scale).astype(np.float32),
                "f0": np.where(rng.random(frames) < 0.7, 120.0 * scale, 0.0).astype(np.float32),
                "dvec": rng.normal(size=256).astype(np.float32), "speaker": f"s{i % 3}", "path": f"u{i}"}
        if transcribed:
            item.update(ids=rng.integers(1, 50, int(rng.integers(8, 15))), text=f"utterance {i}")
        items.append(item)
    pack(items, path)


def _prep(folder: Path, scale: float) -> Path:
    rng = np.random.default_rng(int(scale * 10))
    folder.mkdir()
    _pack(folder / "text.npz", 6, rng, scale, transcribed=True)
    _pack(folder / "voices.npz", 6, rng, scale, transcribed=False)
    return folder


def _train(prep: Path, run: Path, steps: int, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RECIPE / "train.py"), "--prep", str(prep), "--run", str(run),
                           "--steps", str(steps), "--warmup", "1", "--threads", "1", "--text-frames", "150",
                           "--ae-frames", "120", "--save-every", "1", *extra],
                          capture_output=True, text=True, timeout=300)


def _statistics(run: Path) -> dict:
    model = json.loads((run / "config.json").read_text())["model"]
    return {key: model[key] for key in NORMALISATION_KEYS}


def test_train_resume_and_init_keep_normalisation(tmp_path: Path) -> None:
    first, other = _prep(tmp_path / "prep", 1.0), _prep(tmp_path / "other", 1.3)
    done = _train(first, tmp_path / "a", 2)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "a" / "state.pt").is_file() and (tmp_path / "a" / "losses.csv").is_file()
    own = _statistics(tmp_path / "a")
    assert abs(own["logf0_mean"] - np.log(120.0)) < 1e-4

    resumed = _train(other, tmp_path / "a", 3)  # resuming on other data keeps the run's statistics
    assert resumed.returncode == 0 and "resumed from step 2" in resumed.stdout, resumed.stderr[-2000:]
    assert _statistics(tmp_path / "a") == own

    started = _train(other, tmp_path / "b", 1, "--init", str(tmp_path / "a" / "state.pt"))
    assert started.returncode == 0 and "initialised from" in started.stdout, started.stderr[-2000:]
    assert _statistics(tmp_path / "b") == own

    fresh = _train(other, tmp_path / "c", 1)  # a fresh run measures its own data
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert abs(_statistics(tmp_path / "c")["logf0_mean"] - np.log(156.0)) < 1e-4
