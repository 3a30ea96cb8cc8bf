"""Cross-band covariance matching: move how a log-mel's bands vary together to a voice's.

Per-band statistics matching (``features.bands``) sets each band's mean and spread, but not how
the bands move together from frame to frame: the patterns of formants, spectral tilt and voice
quality that a speaker's frames share. Whitening the synthesised speech frames with their own
covariance and colouring them with the reference's (the whitening-colouring transform of style
transfer, Li et al. 2017) moves those as well. A few seconds of reference give a few hundred
frames for an 80 x 80 covariance, so both covariances are shrunk toward their diagonals, and the
result is mixed with the input only part of the way, on speech frames only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voiceclone.features.bands import speech_frames
from voiceclone.voice.config import DEFAULT_MATCH as _D
from voiceclone.voice.frames import speech_gate

FrameCovariance = tuple[np.ndarray, np.ndarray]
"""(mean (n_mels,), covariance (n_mels, n_mels)) of a set of log-mel frames."""


def frame_covariance(frames: np.ndarray, shrinkage: float = _D.covariance_shrinkage) -> FrameCovariance:
    """Mean and shrunk covariance of log-mel frames (n_mels, N), N >= 2."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[1] < 2:
        raise ValueError(f"need (n_mels, N >= 2) frames, got shape {frames.shape}")
    cov = np.cov(frames)
    cov = (1.0 - shrinkage) * cov + shrinkage * np.diag(np.diag(cov))
    return frames.mean(axis=1), cov


def _matrix_power(cov: np.ndarray, power: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, 1e-6 * max(float(values.max()), 1e-12))
    return (vectors * values**power) @ vectors.T


def colouring_matrix(source: FrameCovariance, target: FrameCovariance) -> np.ndarray:
    """T such that T (x - source mean) has the target covariance when x has the source's."""
    return _matrix_power(target[1], 0.5) @ _matrix_power(source[1], -0.5)


def move_covariance(mel: np.ndarray, source: FrameCovariance, target: FrameCovariance,
                    weight: float = _D.covariance_weight, gate_range: float = _D.gate_range_nats) -> np.ndarray:
    """``mel`` (n_mels, T) with each speech frame moved ``weight`` of the way to its whitened (by
    ``source``) and coloured (by ``target``) version; near-silent frames are left alone."""
    mel = np.asarray(mel, dtype=np.float32)
    if weight == 0.0:
        return mel
    coloured = colouring_matrix(source, target) @ (mel - source[0][:, None]) + target[0][:, None]
    w = weight * speech_gate(mel, gate_range)[None, :]
    return ((1.0 - w) * mel + w * coloured).astype(np.float32)


def match_covariance(pieces: Sequence[np.ndarray], reference_frames: np.ndarray,
                     weight: float = _D.covariance_weight, shrinkage: float = _D.covariance_shrinkage,
                     min_frames: int = _D.covariance_min_frames,
                     gate_range: float = _D.gate_range_nats) -> list[np.ndarray]:
    """Log-mels ``pieces`` (chunks of one text, measured together) moved toward the covariance of a
    voice's ``reference_frames`` (n_mels, N); unchanged when either has fewer than ``min_frames``."""
    joined = np.concatenate(pieces, axis=1)
    speech = joined[:, speech_frames(joined)]
    if weight == 0.0 or speech.shape[1] < min_frames or reference_frames.shape[1] < min_frames:
        return [np.asarray(p, dtype=np.float32) for p in pieces]
    source, target = frame_covariance(speech, shrinkage), frame_covariance(reference_frames, shrinkage)
    return [move_covariance(p, source, target, weight, gate_range) for p in pieces]
