"""Nearest-frame blending: pull each synthesised log-mel frame toward the reference's own frames.

The acoustic model renders an unseen speaker only roughly, and per-band statistics matching
(``features.bands``) moves the average envelope but not how each sound is voiced. Here every
synthesised speech frame is blended with the mean of the few reference frames nearest to it
(Euclidean distance after normalising each band by the voice's statistics): the same idea as
kNN-VC (Baas et al. 2023), in log-mel space and as a partial blend, because a few seconds of
reference cover few of the sounds a new sentence needs. Frames are matched one at a time, so a
voice profile can store its reference frames shuffled rather than as a playable recording.
"""

from __future__ import annotations

import numpy as np

from voiceclone.features.bands import BandStatistics, level_below_loudest
from voiceclone.voice.config import DEFAULT_MATCH as _D

MAX_REFERENCE_FRAMES = 2600
"""Reference speech frames a voice keeps (about 30 s): more adds little and costs memory and time."""
def speech_gate(mel: np.ndarray, range_nats: float = _D.gate_range_nats) -> np.ndarray:
    """Per-frame weight in [0, 1] of a (n_mels, T) log-mel: 1 for speech, 0 for near-silence."""
    return np.clip(level_below_loudest(mel) + range_nats, 0.0, 1.0).astype(np.float32)


def keep_reference_frames(frames: np.ndarray, limit: int = MAX_REFERENCE_FRAMES,
                          seed: int = 0) -> np.ndarray:
    """At most ``limit`` of a reference's speech frames (n_mels, N), in a seeded random order."""
    order = np.random.default_rng(seed).permutation(frames.shape[1])[:limit]
    return np.ascontiguousarray(frames[:, order], dtype=np.float32)


def nearest_frame_means(mel: np.ndarray, reference: np.ndarray, stats: BandStatistics,
                        neighbours: int = _D.neighbours) -> np.ndarray:
    """For each frame of ``mel`` (n_mels, T), the mean of its ``neighbours`` nearest frames of
    ``reference`` (n_mels, N), distances taken on both normalised by the band statistics ``stats``."""
    mean, std = (np.asarray(s, np.float32)[:, None] for s in stats)
    query, keys = (mel - mean) / std, (reference - mean) / std
    distance = (query**2).sum(axis=0)[:, None] - 2.0 * query.T @ keys + (keys**2).sum(axis=0)[None, :]
    k = min(neighbours, reference.shape[1])
    nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
    return reference[:, nearest].mean(axis=2).astype(np.float32)


def blend_nearest_frames(mel: np.ndarray, reference: np.ndarray, stats: BandStatistics,
                         weight: float = _D.similarity, neighbours: int = _D.neighbours,
                         gate_range: float = _D.gate_range_nats) -> np.ndarray:
    """``mel`` with each speech frame moved ``weight`` of the way to its nearest reference frames' mean."""
    if weight == 0.0 or reference.shape[1] == 0:
        return np.asarray(mel, np.float32)
    w = weight * speech_gate(mel, gate_range)[None, :]
    return ((1.0 - w) * mel + w * nearest_frame_means(mel, reference, stats, neighbours)).astype(np.float32)
