"""STFT helpers and the numba kernels that embedding and detection share."""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np


@lru_cache(maxsize=4)
def sqrt_hann(n: int) -> np.ndarray:
    """Periodic square-root Hann window: analysis and synthesis at 50 % overlap reconstruct exactly."""
    return np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n))


def stft(signal: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """(frames, n_fft // 2 + 1) spectrum; frame t starts at sample t * hop (no centring)."""
    if len(signal) < n_fft:
        signal = np.pad(signal, (0, n_fft - len(signal)))
    frames = 1 + (len(signal) - n_fft) // hop
    view = np.lib.stride_tricks.sliding_window_view(signal, n_fft)[::hop][:frames]
    return np.fft.rfft(view * sqrt_hann(n_fft), axis=1)


@nb.njit(cache=True)
def _overlap_add(frames: np.ndarray, hop: int, length: int) -> np.ndarray:
    out = np.zeros(length)
    n = frames.shape[1]
    for t in range(frames.shape[0]):
        start = t * hop
        for i in range(min(n, length - start)):
            out[start + i] += frames[t, i]
    return out


def istft(spectrum: np.ndarray, n_fft: int, hop: int, length: int) -> np.ndarray:
    """Inverse of :func:`stft` (square-root Hann synthesis, overlap-add)."""
    frames = np.fft.irfft(spectrum, n=n_fft, axis=1) * sqrt_hann(n_fft)
    return _overlap_add(np.ascontiguousarray(frames), hop, length)


@nb.njit(cache=True)
def whiten(power: np.ndarray, floor_db: float, highpass: int, clip: float) -> np.ndarray:
    """Log-power features with the host's envelope removed, scaled to unit spread, clipped.

    Per frame: log power minus its mean over bins (removes loudness); per bin: minus its moving
    average over ``highpass`` frames (removes the slow spectral envelope), minus its mean over
    active frames. Frames more than ``floor_db`` below the loudest are zeroed (silence says nothing).
    """
    n_frames, n_bins = power.shape
    logp = np.empty((n_frames, n_bins))
    level = np.empty(n_frames)
    for t in range(n_frames):
        total = 0.0
        mean = 0.0
        for k in range(n_bins):
            total += power[t, k]
            logp[t, k] = np.log(power[t, k] + 1e-10)
            mean += logp[t, k]
        mean /= n_bins
        for k in range(n_bins):
            logp[t, k] -= mean
        level[t] = 10.0 * np.log10(total + 1e-20)
    active = level > level.max() - floor_db
    half = highpass // 2
    feat = np.zeros((n_frames, n_bins))
    for k in range(n_bins):
        acc = 0.0
        count = 0
        lo = 0
        hi = 0
        for t in range(n_frames):  # centred moving average with a running sum
            while hi < n_frames and hi <= t + half:
                acc += logp[hi, k]
                hi += 1
                count += 1
            while lo < t - half:
                acc -= logp[lo, k]
                lo += 1
                count -= 1
            feat[t, k] = logp[t, k] - acc / count
    n_active = 0
    for t in range(n_frames):
        if active[t]:
            n_active += 1
    if n_active == 0:
        return feat * 0.0
    var = 0.0
    for k in range(n_bins):
        mean = 0.0
        for t in range(n_frames):
            if active[t]:
                mean += feat[t, k]
        mean /= n_active
        for t in range(n_frames):
            if active[t]:
                feat[t, k] -= mean
                var += feat[t, k] * feat[t, k]
            else:
                feat[t, k] = 0.0
    scale = 1.0 / (np.sqrt(var / (n_active * n_bins)) + 1e-12)
    for t in range(n_frames):
        for k in range(n_bins):
            feat[t, k] = min(clip, max(-clip, feat[t, k] * scale))
    return feat


@nb.njit(cache=True)
def fold(feat: np.ndarray, start: int, stop: int, period: int) -> np.ndarray:
    """Sum frames ``start..stop`` of (frames, bins) features by their phase modulo ``period``: (bins, period)."""
    n_bins = feat.shape[1]
    out = np.zeros((n_bins, period))
    for t in range(start, stop):
        r = (t - start) % period
        for k in range(n_bins):
            out[k, r] += feat[t, k]
    return out
