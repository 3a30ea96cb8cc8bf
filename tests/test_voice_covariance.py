"""Cross-band covariance matching of synthesised log-mels toward a reference's frames."""

from __future__ import annotations

import numpy as np
import pytest

from voiceclone.voice import DEFAULT_MATCH
from voiceclone.voice.covariance import (colouring_matrix, frame_covariance, match_covariance,
                                            move_covariance)


def _frames(mixing: np.ndarray, n: int, seed: int, level: float = -5.0) -> np.ndarray:
    """(bands, n) frames around ``level`` whose bands vary together as ``mixing`` makes them."""
    rng = np.random.default_rng(seed)
    return (level + 0.3 * mixing @ rng.standard_normal((mixing.shape[1], n))).astype(np.float32)


def test_shrinkage_pulls_only_the_off_diagonal_terms():
    frames = _frames(np.array([[1.0, 0.0], [0.9, 0.4]]), 500, seed=0)
    mean, plain = frame_covariance(frames, shrinkage=0.0)
    _, shrunk = frame_covariance(frames, shrinkage=0.2)
    np.testing.assert_allclose(mean, frames.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(np.diag(shrunk), np.diag(plain))
    assert shrunk[0, 1] == pytest.approx(0.8 * plain[0, 1])
    with pytest.raises(ValueError, match="N >= 2"):
        frame_covariance(frames[:, :1])


def test_colouring_gives_the_target_covariance():
    source = frame_covariance(_frames(np.array([[1.0, 0.2, 0.0], [0.3, 1.0, 0.0], [0.0, 0.5, 0.7]]), 400, 1), 0.0)
    target = frame_covariance(_frames(np.array([[0.5, 0.0, 0.0], [0.8, 0.6, 0.0], [0.1, 0.1, 1.2]]), 400, 2), 0.0)
    t = colouring_matrix(source, target)
    np.testing.assert_allclose(t @ source[1] @ t.T, target[1], rtol=1e-6, atol=1e-9)


def test_speech_frames_move_part_of_the_way_and_silence_stays():
    mixing = np.array([[1.0, 0.0], [0.95, 0.3]])
    speech = _frames(mixing, 200, seed=3)
    mel = np.concatenate([speech, np.full((2, 5), -15.0, np.float32)], axis=1)  # speech, then a pause
    source = frame_covariance(speech, shrinkage=0.0)
    target = frame_covariance(_frames(np.array([[1.0, 0.0], [-0.95, 0.3]]), 2000, seed=4), 0.0)  # bands move apart
    full = move_covariance(mel, source, target, weight=1.0)
    half = move_covariance(mel, source, target, weight=0.5)
    np.testing.assert_array_equal(full[:, 200:], mel[:, 200:])  # 10 nats below the loudest frame: not speech
    np.testing.assert_allclose(half[:, :200], 0.5 * (mel[:, :200] + full[:, :200]), atol=1e-5)
    assert np.corrcoef(speech)[0, 1] > 0.9 and np.corrcoef(full[:, :200])[0, 1] < -0.8
    np.testing.assert_array_equal(move_covariance(mel, source, target, weight=0.0), mel)


def test_too_few_frames_on_either_side_leave_the_pieces_alone():
    mixing = np.array([[1.0, 0.0], [0.95, 0.3]])
    pieces = [_frames(mixing, DEFAULT_MATCH.covariance_min_frames // 2, seed=5), _frames(mixing, DEFAULT_MATCH.covariance_min_frames // 2 - 1, seed=6)]
    reference = _frames(np.array([[1.0, 0.0], [-0.95, 0.3]]), 500, seed=7)
    for kept in (match_covariance(pieces, reference), match_covariance(pieces + pieces, reference[:, :10])):
        for a, b in zip(kept, pieces):
            np.testing.assert_array_equal(a, b)
    moved = match_covariance(pieces + pieces, reference)  # enough frames now: each piece changes, shapes kept
    assert [m.shape for m in moved] == [p.shape for p in pieces + pieces]
    assert all(np.abs(m - p).max() > 0.01 for m, p in zip(moved, pieces + pieces))
