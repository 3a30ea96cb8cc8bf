"""Temporal and spectral contrast enhancement of predicted log-mels."""

from __future__ import annotations

import numpy as np
import pytest

from voiceclone.voice.detail import (borrow_spectral_detail, borrow_temporal_detail, sharpen_in_frequency,
                                            sharpen_in_time)


def test_zero_amount_and_steady_bands_are_left_alone():
    rng = np.random.default_rng(0)
    mel = rng.standard_normal((80, 50)).astype(np.float32)
    np.testing.assert_array_equal(sharpen_in_time(mel, amount=0.0), mel)
    steady = np.full((80, 50), -4.0, np.float32)
    np.testing.assert_allclose(sharpen_in_time(steady), steady, atol=1e-6)


def test_a_step_gets_steeper_and_keeps_its_levels():
    mel = np.full((2, 40), -8.0, np.float32)
    mel[:, 20:] = -2.0  # an onset
    out = sharpen_in_time(mel, amount=0.5, frames=5)
    assert out[0, 19] < -8.0 and out[0, 20] > -2.0  # undershoot before, overshoot after
    np.testing.assert_allclose(out[:, :15], -8.0, atol=1e-6)  # far from the onset: unchanged
    np.testing.assert_allclose(out[:, 25:], -2.0, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == mel.shape


def test_borrowed_detail_takes_the_donors_changes_at_the_mels_scale():
    mel = np.full((2, 40), -5.0, np.float32)
    mel[:, 20:] = -4.0  # a soft onset
    donor = np.full((2, 40), -6.0, np.float32)
    donor[:, 10:] = -2.0  # a sharper one, earlier, on another scale (4 nats)
    out = borrow_temporal_detail(mel, donor, amount=0.5, frames=5)
    scaled_detail = (out - mel)[0]
    assert abs(scaled_detail[9]) > 0.1 and abs(scaled_detail[10]) > 0.1  # the donor's onset shows up
    assert np.abs(scaled_detail).max() < 0.5  # at the mel's 1-nat scale, not the donor's 4
    np.testing.assert_allclose(borrow_temporal_detail(mel, np.full_like(mel, -3.0)), mel, atol=1e-6)
    with pytest.raises(ValueError, match="does not match"):
        borrow_temporal_detail(mel, donor[:, :30])


def test_spectral_sharpening_deepens_valleys_and_leaves_flat_frames():
    flat = np.full((80, 10), -5.0, np.float32)
    np.testing.assert_allclose(sharpen_in_frequency(flat), flat, atol=1e-6)
    bands = np.arange(80)
    envelope = -6.0 + 2.0 * np.cos(2 * np.pi * bands / 20)  # formant-like peaks every 20 bands
    mel = np.repeat(envelope[:, None], 4, axis=1).astype(np.float32)
    out = sharpen_in_frequency(mel, amount=0.6, bands=9)
    peaks, valleys = bands % 20 == 0, bands % 20 == 10
    assert np.all(out[peaks] > mel[peaks]) and np.all(out[valleys] < mel[valleys])
    np.testing.assert_array_equal(sharpen_in_frequency(mel, amount=0.0), mel)
    assert out.dtype == np.float32 and out.shape == mel.shape


def test_borrowed_spectral_detail_takes_the_donors_harmonics_and_keeps_the_envelope():
    bands = np.arange(80)
    envelope = (-6.0 + 2.0 * np.cos(2 * np.pi * bands / 40))[:, None]  # slow: formants
    harmonics = (0.8 * np.cos(2 * np.pi * bands / 4))[:, None]  # fast across bands
    mel = np.repeat(envelope, 3, axis=1).astype(np.float32)  # no harmonics at all
    donor = np.repeat(envelope + 1.0 + harmonics, 3, axis=1).astype(np.float32)  # louder, with harmonics
    out = borrow_spectral_detail(mel, donor, amount=1.0, bands=9)
    taken = (out - mel)[10:70]  # away from the edges, where the moving average repeats the end bands
    assert np.corrcoef(taken[:, 0], harmonics[10:70, 0])[0, 1] > 0.99  # the donor's harmonics
    assert abs(taken.mean()) < 0.05  # not its level
    envelope_change = taken - harmonics[10:70] * np.std(taken) / np.std(harmonics[10:70])
    assert np.abs(envelope_change).max() < 0.05  # nor its envelope
    half = borrow_spectral_detail(mel, donor, amount=0.5, bands=9)
    np.testing.assert_allclose(half, (mel + out) / 2, atol=1e-5)
    with pytest.raises(ValueError):
        borrow_spectral_detail(mel, donor[:, :2])
