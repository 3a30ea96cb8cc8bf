"""File-level helpers around the mel front end, used by the CLI and recipes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from voiceclone.atomic import atomic_write
from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.features.config import MEL_CONFIGS
from voiceclone.features.mel import mel_spectrogram


def mel_from_file(path: str | os.PathLike, kind: str = "vocoder") -> np.ndarray:
    """Load audio (mono, resampled, trimmed, level-normalised) and return its mel spectrogram."""
    if kind not in MEL_CONFIGS:
        raise VoiceCloneError(f"unknown mel kind '{kind}'; choose one of: {', '.join(MEL_CONFIGS)}")
    config = MEL_CONFIGS[kind]
    return mel_spectrogram(load_audio(path, config.sample_rate), config)


def save_array(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Save a .npy file atomically (temp file in the same folder, then rename)."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, array)

    return atomic_write(path, write)
