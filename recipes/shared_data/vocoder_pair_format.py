"""The file format of vocoder fine-tuning pairs: log-mel as uint8 over a fixed range, the audio as
FLAC bytes, item offsets in frames. Kept apart from vocoder_pairs.py so that the fine-tune needs
only the vocoder's dependencies."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL

HOP = VOCODER_MEL.hop_length
SR = VOCODER_MEL.sample_rate
MEL_RANGE = (-11.6, 3.0)
"""Log-mel range the uint8 code spans (the floor is log 1e-5 = -11.5): steps of 0.057 nats."""


def quantise(mel: np.ndarray) -> np.ndarray:
    """Log-mel -> uint8 code over MEL_RANGE."""
    lo, hi = MEL_RANGE
    return np.clip(np.round((mel - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)


def dequantise(code: np.ndarray) -> np.ndarray:
    """uint8 code -> float32 log-mel."""
    lo, hi = MEL_RANGE
    return code.astype(np.float32) / 255 * (hi - lo) + lo


def save(pairs: list[tuple], path: Path) -> None:
    """Write (log-mel, audio, group) items to ``path`` (.npz)."""
    mel = np.concatenate([m for m, _, _ in pairs], axis=1)
    audio = np.concatenate([a[: m.shape[1] * HOP] for m, a, _ in pairs])
    flac = io.BytesIO()
    sf.write(flac, np.clip(audio, -1, 1), SR, format="FLAC", subtype="PCM_16")
    np.savez(path, mel=quantise(mel), offsets=np.cumsum([0] + [m.shape[1] for m, _, _ in pairs]),
             flac=np.frombuffer(flac.getvalue(), np.uint8), groups=np.asarray([g for _, _, g in pairs]))
    print(f"{path}: {len(pairs)} items, {mel.shape[1] * HOP / SR / 60:.1f} min")


def load(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log-mel (n_mels, frames) float32, audio float32, item offsets in frames) of a pairs file."""
    if not path.is_file():
        raise VoiceCloneError(f"{path.parent}: not a pairs folder (no {path.name}); make one with vocoder_pairs.py --out")
    with np.load(path) as npz:
        offsets, mel, flac = npz["offsets"], dequantise(npz["mel"]), npz["flac"].tobytes()
    audio, _ = sf.read(io.BytesIO(flac), dtype="float32")
    return mel, audio, offsets
