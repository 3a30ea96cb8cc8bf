"""Pure signal conditioning functions on float32 numpy arrays."""

from __future__ import annotations

import numpy as np
import soxr

MIN_DURATION_S = 0.5
"""Shortest audio (after trimming silence) that the pipeline accepts."""


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels of a (samples, channels) array into one float32 channel."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        return audio
    if audio.ndim != 2:
        raise ValueError(f"expected (samples,) or (samples, channels), got shape {audio.shape}")
    return audio.mean(axis=1, dtype=np.float32)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (libsoxr, 'HQ' quality) of a mono float32 signal."""
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    audio = np.asarray(audio, dtype=np.float32)
    if orig_sr == target_sr:
        return audio
    return soxr.resample(audio, orig_sr, target_sr, quality="HQ").astype(np.float32, copy=False)


RMS_BLOCK_FRAMES = 2048
"""Frames measured at a time by ``frame_rms_db``: memory stays a few MB however long the signal."""


def frame_rms_db(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS level in dB (re full scale) of each frame; frames cover the signal from sample 0."""
    padded = audio if len(audio) >= frame else np.pad(audio, (0, frame - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop]  # a view: nothing copied yet
    power = np.concatenate([np.mean(np.square(frames[i:i + RMS_BLOCK_FRAMES], dtype=np.float64), axis=1)
                            for i in range(0, len(frames), RMS_BLOCK_FRAMES)])
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def trim_silence(
    audio: np.ndarray, sample_rate: int, top_db: float = 40.0, frame_ms: float = 25.0, hop_ms: float = 10.0
) -> np.ndarray:
    """Cut leading and trailing parts quieter than ``top_db`` below the loudest frame.

    Returns an empty array when the whole signal is below the threshold or digital silence.
    """
    if len(audio) == 0:
        return audio
    frame = max(1, int(sample_rate * frame_ms / 1000))
    hop = max(1, int(sample_rate * hop_ms / 1000))
    level = frame_rms_db(audio, frame, hop)
    loud = np.flatnonzero(level > max(level.max() - top_db, -100.0))
    if len(loud) == 0:
        return audio[:0]
    start = loud[0] * hop
    end = min(len(audio), loud[-1] * hop + frame)
    return audio[start:end]


def normalise_level(audio: np.ndarray, target_dbfs: float = -20.0, peak_dbfs: float = -1.0) -> np.ndarray:
    """Scale to an RMS of ``target_dbfs``, reduced if needed so the peak stays under ``peak_dbfs``."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    if rms <= 0.0:
        return audio.astype(np.float32, copy=False)
    gain = 10.0 ** (target_dbfs / 20.0) / rms
    peak = float(np.max(np.abs(audio)))
    gain = min(gain, 10.0 ** (peak_dbfs / 20.0) / peak)
    return (audio * gain).astype(np.float32)
