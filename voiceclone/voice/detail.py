"""Temporal and spectral contrast enhancement of a predicted log-mel.

A model trained with an L1 loss predicts the conditional median of each frame, which blurs the
fast changes between phonemes (onsets, bursts, formant transitions) that a recogniser and a
listener rely on. Adding back part of each band's deviation from its short moving average
restores some of that contrast. The model renders its best-known voice (the built-in one) more
crisply than an unseen one, so synthesis also borrows that voice's fast detail, rendered with the
same durations. The band statistics matching that follows resets each band's overall spread, so
only the balance between fast and slow changes moves. The same blur runs across frequency: the
valleys between formants and harmonics come out shallow, and deepening them each frame lifts
DNSMOS (mostly its background-noise score).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from voiceclone.features.bands import band_statistics, move_band_statistics
from voiceclone.voice.config import DEFAULT_MATCH as _D

def _detail(mel: np.ndarray, width: int, axis: int) -> np.ndarray:
    """``mel``'s deviation from its ``width``-wide moving average along ``axis`` (edges repeat)."""
    mel = np.asarray(mel, dtype=np.float32)
    return mel - uniform_filter1d(mel, width, axis=axis, mode="nearest")


def _check_donor(mel: np.ndarray, donor: np.ndarray) -> None:
    """A donor log-mel must cover the same bands and frames as the mel it lends detail to."""
    if donor.shape != mel.shape:
        raise ValueError(f"donor log-mel {donor.shape} does not match {mel.shape}")


def temporal_detail(mel: np.ndarray, frames: int = _D.sharpen_frames) -> np.ndarray:
    """Each band's deviation from its ``frames``-wide moving average along time."""
    return _detail(mel, frames, axis=1)


def sharpen_in_time(mel: np.ndarray, amount: float = _D.sharpen_amount, frames: int = _D.sharpen_frames) -> np.ndarray:
    """``mel`` (n_mels, T) plus ``amount`` times its own temporal detail."""
    mel = np.asarray(mel, dtype=np.float32)
    return (mel + amount * temporal_detail(mel, frames)).astype(np.float32)


def borrow_temporal_detail(mel: np.ndarray, donor: np.ndarray, amount: float = _D.borrow_amount,
                           frames: int = _D.sharpen_frames) -> np.ndarray:
    """``mel`` plus ``amount`` times the temporal detail of ``donor``, a log-mel of the same text
    and frame count first moved to ``mel``'s band statistics (so only the shape of its changes
    transfers, at ``mel``'s scale, not its spectral envelope)."""
    mel = np.asarray(mel, dtype=np.float32)
    _check_donor(mel, donor)
    scaled = move_band_statistics(donor, band_statistics(donor), band_statistics(mel))
    return (mel + amount * temporal_detail(scaled, frames)).astype(np.float32)


def sharpen_in_frequency(mel: np.ndarray, amount: float = _D.spectral_amount, bands: int = _D.spectral_bands) -> np.ndarray:
    """``mel`` (n_mels, T) plus ``amount`` times each frame's deviation from its ``bands``-wide moving
    average across bands: deeper valleys between formants and harmonics, which the L1-trained
    model fills in (the same blur as in time, along the other axis)."""
    mel = np.asarray(mel, dtype=np.float32)
    return (mel + amount * _detail(mel, bands, axis=0)).astype(np.float32)


def borrow_spectral_detail(mel: np.ndarray, donor: np.ndarray, amount: float = _D.refine_amount,
                           bands: int = _D.spectral_bands) -> np.ndarray:
    """``mel`` with ``amount`` of its fine structure across bands (deviation from a ``bands``-wide
    moving average: harmonics and their valleys, not formants) replaced by ``donor``'s, a log-mel of
    the same frames. The envelope, which carries the vowels, stays ``mel``'s."""
    mel = np.asarray(mel, dtype=np.float32)
    _check_donor(mel, donor)
    return (mel + amount * _detail(np.asarray(donor, np.float32) - mel, bands, axis=0)).astype(np.float32)
