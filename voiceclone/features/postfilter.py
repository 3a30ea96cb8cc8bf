"""Temporal contrast enhancement of a predicted log-mel.

A model trained with an L1 loss predicts the conditional median of each frame, which blurs the
fast changes between phonemes (onsets, bursts, formant transitions) that a recogniser and a
listener rely on. Adding back part of each band's deviation from its short moving average
restores some of that contrast; the band statistics matching that follows resets each band's
overall spread, so only the balance between fast and slow changes moves.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

SHARPEN_AMOUNT = 0.5
"""How much of the deviation from the moving average is added back (0 leaves the mel unchanged)."""
SHARPEN_FRAMES = 5
"""Width of the moving average in frames (5 hops of 256 samples at 22.05 kHz: 58 ms)."""


def sharpen_in_time(mel: np.ndarray, amount: float = SHARPEN_AMOUNT, frames: int = SHARPEN_FRAMES) -> np.ndarray:
    """``mel`` (n_mels, T) plus ``amount`` times its deviation from a ``frames``-wide moving average
    along time, band by band (edges repeat the first and last frame)."""
    mel = np.asarray(mel, dtype=np.float32)
    smooth = uniform_filter1d(mel, frames, axis=1, mode="nearest")
    return (mel + amount * (mel - smooth)).astype(np.float32)
