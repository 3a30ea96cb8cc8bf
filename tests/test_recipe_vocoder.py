"""The vocoder fine-tuning recipe on tiny made-up pairs: the discriminator-only phase leaves the
generator as it was, the joint phase changes it, and the pairs' uint8 log-mel code round-trips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "shared_data"
sys.path.insert(0, str(RECIPE))
from vocoder_pair_format import HOP, MEL_RANGE, dequantise, quantise, save  # noqa: E402

from voiceclone.features import VOCODER_MEL, mel_spectrogram  # noqa: E402
from voiceclone.vocoder import load_vocoder  # noqa: E402


def test_mel_code_round_trips_within_half_a_step() -> None:
    lo, hi = MEL_RANGE
    mel = np.random.default_rng(0).uniform(lo, hi, (80, 50)).astype(np.float32)
    assert np.abs(dequantise(quantise(mel)) - mel).max() <= (hi - lo) / 255 / 2 + 1e-6


def _pairs(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name, n in (("train", 2), ("val", 1)):
        items = []
        for _ in range(n):
            t = np.arange(40 * HOP) / VOCODER_MEL.sample_rate
            audio = (0.3 * np.sin(2 * np.pi * rng.uniform(100, 300) * t) + 0.01 * rng.normal(size=t.size))
            audio = audio.astype(np.float32)
            items.append((mel_spectrogram(audio, VOCODER_MEL)[:, :40], audio, "made-up"))
        save(items, folder / f"{name}.npz")
    return folder


def _largest_change(weights: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> float:
    """Largest change of any tensor, relative to that tensor's largest magnitude."""
    return max(float(np.abs(weights[k].astype(np.float32) - v).max() / (np.abs(v).max() + 1e-12))
               for k, v in reference.items())


def _finetune(pairs: Path, run: Path, *extra: str) -> dict[str, np.ndarray]:
    done = subprocess.run([sys.executable, str(RECIPE / "finetune_vocoder.py"), "--pairs", str(pairs), "--run",
                           str(run), "--batch", "1", "--max-steps", "2", "--device", "cpu", "--threads", "1",
                           "--val-every-s", "1000", *extra], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (run / "losses.csv").is_file() and (run / "val.csv").read_text().startswith("step,")
    return load_file(run / "generator_end.safetensors")


def test_discriminator_warm_up_keeps_the_generator_and_joint_steps_change_it(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs")
    universal = {k: v.numpy() for k, v in load_vocoder("cpu", "fp32").state_dict().items()}
    kept = _finetune(pairs, tmp_path / "d_only", "--d-only", "1", "--warmup", "1", "--lr", "1e-3")
    assert kept.keys() == universal.keys()
    assert _largest_change(kept, universal) < 2e-3  # fp16 rounding and the weight-norm round trip only
    trained = _finetune(pairs, tmp_path / "joint", "--d-only", "0", "--warmup", "1", "--lr", "1e-3")
    assert _largest_change(trained, universal) > 1e-2
