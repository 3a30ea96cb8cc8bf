"""Audio input/output and conditioning: load, mono, resample, level, trim, save atomically."""

from voiceclone.audio.io import condition_audio, load_audio, read_audio, save_audio
from voiceclone.audio.processing import (
    MIN_DURATION_S,
    normalise_level,
    resample,
    to_mono,
    trim_silence,
)

__all__ = [
    "MIN_DURATION_S",
    "condition_audio",
    "load_audio",
    "normalise_level",
    "read_audio",
    "resample",
    "save_audio",
    "to_mono",
    "trim_silence",
]
