"""The transformations the mark is specified to survive; the tests and the benchmark apply these."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from voiceclone.audio import resample

VORBIS_COMPRESSION_LEVEL = 0.45
"""libsndfile's Vorbis quality knob; about 64 kbit/s on mono 22.05 kHz speech."""


def resample_16k(audio: np.ndarray, sr: int) -> np.ndarray:
    """Down to 16 kHz and back to ``sr``."""
    return resample(resample(audio, sr, 16000), 16000, sr)


def requantise_8bit(audio: np.ndarray, sr: int) -> np.ndarray:
    """Round to 8-bit PCM levels."""
    return (np.round(np.clip(audio, -1.0, 1.0) * 127.0) / 127.0).astype(np.float32)


def ogg_vorbis(audio: np.ndarray, sr: int, compression_level: float = VORBIS_COMPRESSION_LEVEL) -> np.ndarray:
    """Encode as Ogg Vorbis in memory and decode again."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), sr, format="OGG", subtype="VORBIS", compression_level=compression_level)
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float32")
    return decoded[: len(audio)]


def gain(audio: np.ndarray, sr: int, db: float) -> np.ndarray:
    """Scale by ``db`` decibels, clipping at full scale as a file would."""
    return np.clip(audio * 10.0 ** (db / 20.0), -1.0, 1.0).astype(np.float32)


def white_noise(audio: np.ndarray, sr: int, snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` below the signal's mean power."""
    noise = np.random.default_rng(seed).standard_normal(len(audio))
    power = float(np.mean(np.square(audio, dtype=np.float64)))
    return (audio + noise * np.sqrt(power * 10.0 ** (-snr_db / 10.0))).astype(np.float32)


def crop_start(audio: np.ndarray, sr: int, seconds: float = 0.5) -> np.ndarray:
    """Cut ``seconds`` from the start."""
    return audio[int(round(seconds * sr)) :]


def inside(audio: np.ndarray, sr: int, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The clip placed between two unmarked recordings (same rate), level-matched to the clip."""
    rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64))) + 1e-12

    def level(x: np.ndarray) -> np.ndarray:
        return x * (rms / (np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))

    return np.concatenate([level(before), audio, level(after)]).astype(np.float32)
