"""Per-band log-mel statistics of speech, and moving a log-mel's statistics to a voice's.

Shifting and scaling each mel band to a reference's speech-frame mean and standard deviation
moves the spectral envelope (what GE2E similarity mostly sees) without touching pitch or
timing. Synthesis applies it after the acoustic model, with the statistics stored in the voice
profile; on its own, applied to a fixed voice, it is the training-free baseline `voiceclone eval`
runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SPEECH_RANGE_NATS = 6.0
"""Frames whose mean log-mel is within this of the loudest frame count as speech (about 52 dB):
everything but near-silence. On the development voices a 35 dB range (4 nats) gave clones lower
speaker similarity (SECS 0.734 vs 0.740) and DNSMOS (2.83 vs 2.85), 17 dB (2 nats) lower still."""
MIN_STD = 1e-3

BandStatistics = tuple[np.ndarray, np.ndarray]
"""(mean, std) of each mel band over speech frames, each of shape (n_mels,)."""


def level_below_loudest(mel: np.ndarray) -> np.ndarray:
    """How far each frame's mean log-mel lies below the loudest frame's, in nats (0 for the loudest)."""
    level = mel.mean(axis=0)
    return level - level.max()


def speech_frames(mel: np.ndarray, range_nats: float = SPEECH_RANGE_NATS) -> np.ndarray:
    """Boolean mask over the frames of a (n_mels, T) log-mel that hold speech."""
    return level_below_loudest(mel) > -range_nats


def band_statistics(mel: np.ndarray) -> BandStatistics:
    """Mean and standard deviation of each band over speech frames."""
    frames = mel[:, speech_frames(mel)]
    return frames.mean(axis=1), np.maximum(frames.std(axis=1), MIN_STD)


def pool_statistics(parts: Sequence[BandStatistics], weights: Sequence[float]) -> BandStatistics:
    """(mean, std) of several recordings pooled as one, each weighted (e.g. by its seconds of speech).

    Works on arrays of any shape: per-band statistics, or a voice's log-F0 register as shape (1,).
    """
    w = np.asarray(weights, dtype=np.float64)[:, None]
    means = np.stack([p[0] for p in parts]).astype(np.float64)
    stds = np.stack([p[1] for p in parts]).astype(np.float64)
    mean = (w * means).sum(axis=0) / w.sum()
    var = (w * (stds**2 + (means - mean) ** 2)).sum(axis=0) / w.sum()
    return mean, np.sqrt(var)


def move_band_statistics(mel: np.ndarray, source: BandStatistics, target: BandStatistics) -> np.ndarray:
    """``mel`` mapped band by band so that statistics ``source`` become ``target``."""
    (mu, sd), (target_mu, target_sd) = source, target
    return ((mel - mu[:, None]) * (target_sd / sd)[:, None] + target_mu[:, None]).astype(np.float32)


def match_band_statistics(mel: np.ndarray, target: BandStatistics) -> np.ndarray:
    """``mel`` with each band's speech-frame mean and std moved to ``target``'s."""
    return move_band_statistics(mel, band_statistics(mel), target)


def match_joint_band_statistics(pieces: Sequence[np.ndarray], target: BandStatistics) -> list[np.ndarray]:
    """Log-mels ``pieces`` (chunks of one text) moved by one map, so that their statistics measured
    together become ``target``'s."""
    joint = band_statistics(np.concatenate(pieces, axis=1))
    return [move_band_statistics(mel, joint, target) for mel in pieces]
