"""File-level helpers around the mel front end, used by the CLI and recipes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

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
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise VoiceCloneError(f"{path}: output folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise VoiceCloneError(f"{path}: cannot write to {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise VoiceCloneError(f"{path}: cannot write ({exc.strerror})") from None
    return path
