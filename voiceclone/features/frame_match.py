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

MATCH_WEIGHT = 0.2
"""Share of each speech frame taken from its nearest reference frames (0 turns matching off). On the
development voices (seed 0) 0, 0.2, 0.3 and 0.5 gave WER 13.8, 16.5, 18.8, 21.4% and SECS 0.743,
0.754, 0.760, 0.773: 0.2 is the most it takes while staying as intelligible as Piper measured then
(18.0%; 19.6% with the piper-tts release the evaluation now pins)."""
MATCH_NEIGHBOURS = 4
"""Reference frames averaged per synthesised frame."""
MAX_REFERENCE_FRAMES = 2600
"""Reference speech frames a voice keeps (about 30 s): more adds little and costs memory and time."""
GATE_RANGE_NATS = 4.0
"""Frames this far below the loudest frame's mean log-mel (about 35 dB) are left alone; the blend
fades in over the next nat. Pauses keep the model's clean silence instead of the reference's room
noise. The range also takes in the weakest consonants (fricatives and closures sit 4-6 nats down),
so those keep the model's rendering too."""


def speech_gate(mel: np.ndarray, range_nats: float = GATE_RANGE_NATS) -> np.ndarray:
    """Per-frame weight in [0, 1] of a (n_mels, T) log-mel: 1 for speech, 0 for near-silence."""
    return np.clip(level_below_loudest(mel) + range_nats, 0.0, 1.0).astype(np.float32)


def keep_reference_frames(frames: np.ndarray, limit: int = MAX_REFERENCE_FRAMES,
                          seed: int = 0) -> np.ndarray:
    """At most ``limit`` of a reference's speech frames (n_mels, N), in a seeded random order."""
    order = np.random.default_rng(seed).permutation(frames.shape[1])[:limit]
    return np.ascontiguousarray(frames[:, order], dtype=np.float32)


def nearest_frame_means(mel: np.ndarray, reference: np.ndarray, stats: BandStatistics,
                        neighbours: int = MATCH_NEIGHBOURS) -> np.ndarray:
    """For each frame of ``mel`` (n_mels, T), the mean of its ``neighbours`` nearest frames of
    ``reference`` (n_mels, N), distances taken on both normalised by the band statistics ``stats``."""
    mean, std = (np.asarray(s, np.float32)[:, None] for s in stats)
    query, keys = (mel - mean) / std, (reference - mean) / std
    distance = (query**2).sum(axis=0)[:, None] - 2.0 * query.T @ keys + (keys**2).sum(axis=0)[None, :]
    k = min(neighbours, reference.shape[1])
    nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
    return reference[:, nearest].mean(axis=2).astype(np.float32)


def blend_nearest_frames(mel: np.ndarray, reference: np.ndarray, stats: BandStatistics,
                         weight: float = MATCH_WEIGHT, neighbours: int = MATCH_NEIGHBOURS) -> np.ndarray:
    """``mel`` with each speech frame moved ``weight`` of the way to its nearest reference frames' mean."""
    if weight == 0.0 or reference.shape[1] == 0:
        return np.asarray(mel, np.float32)
    w = weight * speech_gate(mel)[None, :]
    return ((1.0 - w) * mel + w * nearest_frame_means(mel, reference, stats, neighbours)).astype(np.float32)
