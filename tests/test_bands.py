"""Per-band log-mel statistics: speech frames, pooling, and moving a log-mel to a voice's statistics."""

from __future__ import annotations

import numpy as np

from voiceclone.features.bands import (
    band_statistics,
    keep_quiet_frames,
    match_band_statistics,
    pool_statistics,
    speech_frames,
    speech_gate,
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


def test_pooling_equals_statistics_of_the_concatenation():
    rng = np.random.default_rng(2)
    a, b = rng.normal(-3.0, 1.0, (80, 300)), rng.normal(-5.0, 2.0, (80, 100))
    pooled = pool_statistics([(a.mean(1), a.std(1)), (b.mean(1), b.std(1))], [300, 100])
    both = np.concatenate([a, b], axis=1)
    np.testing.assert_allclose(pooled[0], both.mean(1), atol=1e-9)
    np.testing.assert_allclose(pooled[1], both.std(1), atol=1e-9)


def test_speech_gate_fades_in_over_one_nat():
    mel = np.stack([np.array([0.0, -3.5, -4.0, -6.0], np.float32)] * 3)
    np.testing.assert_allclose(speech_gate(mel, range_nats=4.0), [1.0, 0.5, 0.0, 0.0])


def test_quiet_frames_are_made_no_louder_than_rendered():
    rendered = np.stack([np.array([0.0, -3.5, -8.0, -8.0], np.float32)] * 3)
    moved = rendered + np.array([[2.0], [-1.0], [0.5]], np.float32)  # one band lifted, one lowered, one lifted a little
    out = keep_quiet_frames(moved, rendered, range_nats=4.0)
    np.testing.assert_array_equal(out[:, 0], moved[:, 0])  # speech: untouched
    np.testing.assert_allclose(out[:, 2:], np.minimum(moved, rendered)[:, 2:])  # silence: lifts undone, cuts kept
    np.testing.assert_allclose(out[:, 1], 0.5 * moved[:, 1] + 0.5 * np.minimum(moved, rendered)[:, 1])  # half-way
