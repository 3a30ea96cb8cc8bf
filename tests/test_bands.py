"""Per-band log-mel statistics: speech frames, pooling, and moving a log-mel to a voice's statistics."""

from __future__ import annotations

import numpy as np

from voiceclone.features.bands import (
    band_statistics,
    match_band_statistics,
    match_joint_band_statistics,
    pool_statistics,
    speech_frames,
)


def _mel(rng: np.random.Generator, frames: int, level: float = -4.0) -> np.ndarray:
    mel = level + rng.standard_normal((80, frames)).astype(np.float32)
    mel[:, :10] = -11.5  # leading silence at the log floor
    return mel


def test_silence_is_not_speech():
    mask = speech_frames(_mel(np.random.default_rng(0), 200))
    assert not mask[:10].any() and mask[10:].mean() > 0.95


def test_matching_moves_speech_statistics_to_the_target():
    rng = np.random.default_rng(1)
    mel = _mel(rng, 300)
    target = (np.linspace(-6.0, -2.0, 80), np.linspace(0.5, 2.0, 80))
    mean, std = band_statistics(match_band_statistics(mel, target))
    np.testing.assert_allclose(mean, target[0], atol=1e-4)
    np.testing.assert_allclose(std, target[1], rtol=1e-4)


def test_joint_matching_moves_the_pieces_together_by_one_map():
    rng = np.random.default_rng(3)
    pieces = [_mel(rng, 150, level=-3.0), _mel(rng, 200, level=-5.0)]
    target = (np.linspace(-6.0, -2.0, 80), np.linspace(0.5, 2.0, 80))
    moved = match_joint_band_statistics(pieces, target)
    mean, std = band_statistics(np.concatenate(moved, axis=1))
    np.testing.assert_allclose(mean, target[0], atol=1e-4)
    np.testing.assert_allclose(std, target[1], rtol=1e-4)
    # one map for both: the louder piece stays louder than the quieter one
    assert moved[0][:, 10:].mean() > moved[1][:, 10:].mean()


def test_pooling_equals_statistics_of_the_concatenation():
    rng = np.random.default_rng(2)
    a, b = rng.normal(-3.0, 1.0, (80, 300)), rng.normal(-5.0, 2.0, (80, 100))
    pooled = pool_statistics([(a.mean(1), a.std(1)), (b.mean(1), b.std(1))], [300, 100])
    both = np.concatenate([a, b], axis=1)
    np.testing.assert_allclose(pooled[0], both.mean(1), atol=1e-9)
    np.testing.assert_allclose(pooled[1], both.std(1), atol=1e-9)
