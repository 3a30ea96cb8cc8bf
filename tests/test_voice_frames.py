"""Nearest-frame blending of synthesised log-mels toward a reference's frames."""

from __future__ import annotations

import numpy as np

from voiceclone.voice.frames import (blend_nearest_frames, keep_reference_frames, nearest_frame_means,
                                             speech_gate)

STATS = (np.zeros(4, np.float32), np.ones(4, np.float32))


def _sounds() -> tuple[np.ndarray, np.ndarray]:
    """Two 'sounds' of a reference, 10 frames each, and their mean frames."""
    a = np.array([0.0, -1.0, -2.0, -3.0], np.float32)
    b = np.array([-3.0, -2.0, -1.0, 0.0], np.float32)
    rng = np.random.default_rng(0)
    reference = np.concatenate([a[:, None] + 0.05 * rng.standard_normal((4, 10)),
                                b[:, None] + 0.05 * rng.standard_normal((4, 10))], axis=1).astype(np.float32)
    return reference, np.stack([a, b], axis=1)


def test_each_frame_finds_the_reference_frames_of_its_own_sound():
    reference, sounds = _sounds()
    query = sounds + np.array([[0.4], [0.3], [-0.3], [0.2]], np.float32)  # a and b, both a bit off
    means = nearest_frame_means(query, reference, STATS, neighbours=4)
    assert np.abs(means - sounds).max() < 0.1


def test_blending_moves_speech_frames_part_of_the_way_and_leaves_silence():
    reference, sounds = _sounds()
    query = np.concatenate([sounds + 0.4, np.full((4, 1), -11.0, np.float32)], axis=1)  # two sounds, a pause
    out = blend_nearest_frames(query, reference, STATS, weight=0.25, neighbours=10)
    target = reference.reshape(4, 2, 10).mean(axis=2)
    np.testing.assert_allclose(out[:, :2], 0.75 * query[:, :2] + 0.25 * target, atol=1e-5)
    np.testing.assert_array_equal(out[:, 2], query[:, 2])  # 8 nats below the loudest frame: not speech
    np.testing.assert_array_equal(blend_nearest_frames(query, reference, STATS, weight=0.0), query)


def test_speech_gate_fades_in_over_one_nat():
    mel = np.stack([np.array([0.0, -3.5, -4.0, -6.0], np.float32)] * 3)
    np.testing.assert_allclose(speech_gate(mel, range_nats=4.0), [1.0, 0.5, 0.0, 0.0])


def test_reference_frames_are_capped_and_shuffled_deterministically():
    frames = np.arange(2 * 50, dtype=np.float32).reshape(2, 50)
    kept = keep_reference_frames(frames, limit=20)
    assert kept.shape == (2, 20) and kept.dtype == np.float32
    assert set(kept[0]) <= set(frames[0]) and not np.all(np.diff(kept[0]) > 0)  # a subset, out of order
    np.testing.assert_array_equal(kept, keep_reference_frames(frames, limit=20))
    np.testing.assert_array_equal(np.sort(keep_reference_frames(frames)[0]), frames[0])  # under the cap: all
