"""Reference preparation: load at 16 kHz, check clipping, level to -30 dBFS, cut silences, check length."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.audio import read_audio, resample
from voiceclone.audio.processing import to_mono
from voiceclone.encoder.vad import trim_to_speech
from voiceclone.errors import VoiceCloneError
from voiceclone.features import ENCODER_MEL

SAMPLE_RATE = ENCODER_MEL.sample_rate
TARGET_DBFS = -30.0
"""resemblyzer's level: quieter audio is raised to this RMS, louder audio is left alone."""
MIN_SPEECH_S = 1.0
"""Less speech than this cannot give a usable voice: refused."""
ADVISED_SPEECH_S = 3.0
"""Less speech than this gives a noisy voice: warned."""
CLIP_LEVEL = 0.999
CLIP_FRACTION = 1e-4
"""Warn when more than this fraction of samples sits at full scale."""


class ReferenceWarning(UserWarning):
    """A reference is usable but likely to give a poorer voice (short, clipped)."""


@dataclass(frozen=True)
class PreparedReference:
    """A reference ready for the encoder, with what the checks measured."""

    audio: np.ndarray
    speech_s: float
    clipped_fraction: float


def raise_level(audio: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Scale quiet audio up to an RMS of ``target_dbfs``; louder audio is returned unchanged."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    if rms <= 0.0:
        return audio
    gain = 10.0 ** (target_dbfs / 20.0) / rms
    return (audio * gain).astype(np.float32) if gain > 1.0 else audio


def clipped_fraction(audio: np.ndarray, level: float = CLIP_LEVEL) -> float:
    """Fraction of samples at or above ``level`` in magnitude (full scale is 1.0)."""
    return float(np.mean(np.abs(audio) >= level)) if len(audio) else 0.0


def condition_reference(audio: np.ndarray, sample_rate: int, name: str = "reference") -> PreparedReference:
    """Check and trim a mono signal, resampled to 16 kHz.

    Clipping is judged at the signal's own rate, where full-scale samples are exact. Warns
    (ReferenceWarning) for short or clipped speech; raises VoiceCloneError for under 1 s of speech.
    """
    audio = np.asarray(audio, dtype=np.float32)
    clipped = clipped_fraction(audio)
    level = raise_level(resample(audio, sample_rate, SAMPLE_RATE))
    trimmed, speech_s = trim_to_speech(level, SAMPLE_RATE)
    if speech_s < MIN_SPEECH_S:
        raise VoiceCloneError(
            f"{name}: only {speech_s:.1f} s of speech found; a reference needs at least {MIN_SPEECH_S:.0f} s "
            f"(3-10 s of clear speech works best)"
        )
    if speech_s < ADVISED_SPEECH_S:
        warnings.warn(f"{name}: only {speech_s:.1f} s of speech; {ADVISED_SPEECH_S:.0f} s or more gives a "
                      f"more faithful voice", ReferenceWarning, stacklevel=2)
    if clipped > CLIP_FRACTION:
        warnings.warn(f"{name}: {100 * clipped:.2f}% of samples are clipped at full scale; the voice may "
                      f"sound distorted", ReferenceWarning, stacklevel=2)
    return PreparedReference(trimmed, speech_s, clipped)


def prepare_reference_file(path: str | os.PathLike) -> PreparedReference:
    """Read an audio file, mix to mono and condition it (see condition_reference)."""
    audio, sr = read_audio(path)
    return condition_reference(to_mono(audio), sr, str(Path(path)))


def prepare_reference(path: str | os.PathLike) -> np.ndarray:
    """A reference file as the encoder wants it: mono 16 kHz float32, silences cut, checked."""
    return prepare_reference_file(path).audio
