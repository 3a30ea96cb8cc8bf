"""Per-band log-mel statistics matching: the training-free cloning baseline's only trick.

Shifting and scaling each mel band of a fixed voice's output to a reference's speech-frame
mean and standard deviation moves the spectral envelope (what GE2E similarity mostly sees)
without touching pitch or timing. `voiceclone eval` runs it as the baseline to beat.
"""

from __future__ import annotations

import numpy as np

SPEECH_RANGE_NATS = 4.0
"""Frames whose mean log-mel is within this of the loudest frame count as speech (about 35 dB)."""


def speech_frames(mel: np.ndarray, range_nats: float = SPEECH_RANGE_NATS) -> np.ndarray:
    """Boolean mask over the frames of a (n_mels, T) log-mel that hold speech."""
    level = mel.mean(axis=0)
    return level > level.max() - range_nats


def band_statistics(mel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each band over speech frames."""
    frames = mel[:, speech_frames(mel)]
    return frames.mean(axis=1), np.maximum(frames.std(axis=1), 1e-3)


def match_band_statistics(mel: np.ndarray, reference_mel: np.ndarray) -> np.ndarray:
    """``mel`` with each band's speech-frame mean and std moved to the reference's."""
    mu, sd = band_statistics(mel)
    ref_mu, ref_sd = band_statistics(reference_mel)
    return ((mel - mu[:, None]) / sd[:, None] * ref_sd[:, None] + ref_mu[:, None]).astype(np.float32)
