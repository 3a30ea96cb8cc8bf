"""Log-mel and power-mel spectrograms in numba: framing, window, FFT, magnitude and mel in one pass.

Two real frames share one complex FFT (frame a in the real part, frame b in the imaginary
part); blocks of frames run in parallel over numba threads, across signals in a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numba as nb
import numpy as np

from voiceclone.features.config import VOCODER_MEL, MelConfig, hann_window, mel_filterbank
from voiceclone.features.fft import fft_lanes, fft_plan

LANES = 16
"""Complex transforms per block (each carries two frames): sized so a block stays in L2."""


@lru_cache(maxsize=8)
def _sparse_filterbank(config: MelConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each mel band's non-zero FFT-bin range and its weights, packed back to back."""
    fb = mel_filterbank(config)
    starts, ends, offsets, weights = [], [], [], []
    for band in fb:
        nz = np.flatnonzero(band)
        lo, hi = (int(nz[0]), int(nz[-1]) + 1) if len(nz) else (0, 0)
        starts.append(lo)
        ends.append(hi)
        offsets.append(sum(len(w) for w in weights))
        weights.append(band[lo:hi])
    return (np.asarray(starts, np.int64), np.asarray(ends, np.int64), np.asarray(offsets, np.int64),
            np.concatenate(weights).astype(np.float32))


@nb.njit(parallel=True, fastmath=True, cache=True)
def _mel_kernel(signal, starts, out, window, lanes, radices, lengths, strides, tw_offsets, twr, twi,
                dft_offsets, dftr, dfti, fb_start, fb_end, fb_off, fb_w, power, mag_eps, use_log, log_floor,
                n_threads):
    n_fft = window.shape[0]
    n_bins = n_fft // 2 + 1
    n_frames = starts.shape[0]
    n_mels = fb_start.shape[0]
    per_block = 2 * lanes
    n_blocks = (n_frames + per_block - 1) // per_block
    n_workers = min(n_threads, n_blocks)
    for worker in nb.prange(n_workers):
        xr = np.empty(n_fft * lanes, dtype=np.float64)
        xi = np.empty(n_fft * lanes, dtype=np.float64)
        yr = np.empty(n_fft * lanes, dtype=np.float64)
        yi = np.empty(n_fft * lanes, dtype=np.float64)
        spec = np.empty(n_bins * per_block, dtype=np.float32)
        acc = np.empty(per_block, dtype=np.float32)
        pos_a = np.empty(lanes, dtype=np.int64)
        pos_b = np.empty(lanes, dtype=np.int64)
        for block in range(worker, n_blocks, n_workers):
            first = block * per_block
            for lane in range(lanes):
                fa = first + lane
                fb = first + lanes + lane
                pos_a[lane] = starts[fa] if fa < n_frames else -1
                pos_b[lane] = starts[fb] if fb < n_frames else -1
            # framing and window, transposed into lane-contiguous layout
            for lane in range(lanes):
                pa = pos_a[lane]
                pb = pos_b[lane]
                for i in range(n_fft):
                    xr[i * lanes + lane] = signal[pa + i] * window[i] if pa >= 0 else 0.0
                    xi[i * lanes + lane] = signal[pb + i] * window[i] if pb >= 0 else 0.0
            where = fft_lanes(xr, xi, yr, yi, lanes, radices, lengths, strides, tw_offsets, twr, twi,
                              dft_offsets, dftr, dfti)
            zr = xr if where == 0 else yr
            zi = xi if where == 0 else yi
            # split the two real spectra and take magnitude or power
            for k in range(n_bins):
                kk = (n_fft - k) % n_fft
                row = k * per_block
                for lane in range(lanes):
                    ar = zr[k * lanes + lane]
                    ai = zi[k * lanes + lane]
                    br = zr[kk * lanes + lane]
                    bi = zi[kk * lanes + lane]
                    pa2 = ((ar + br) * (ar + br) + (ai - bi) * (ai - bi)) * 0.25
                    pb2 = ((ai + bi) * (ai + bi) + (ar - br) * (ar - br)) * 0.25
                    if power == 1:
                        pa2 = np.sqrt(pa2 + mag_eps)
                        pb2 = np.sqrt(pb2 + mag_eps)
                    spec[row + lane] = pa2
                    spec[row + lanes + lane] = pb2
            # mel projection over each band's non-zero bins
            for m in range(n_mels):
                for c in range(per_block):
                    acc[c] = 0.0
                for k in range(fb_start[m], fb_end[m]):
                    w = fb_w[fb_off[m] + k - fb_start[m]]
                    row = k * per_block
                    for c in range(per_block):
                        acc[c] += w * spec[row + c]
                for c in range(per_block):
                    f = first + c
                    if f < n_frames:
                        v = acc[c]
                        if use_log:
                            v = np.log(max(v, log_floor))
                        out[m, f] = v


def _pad(audio: np.ndarray, config: MelConfig) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected a mono signal of shape (samples,), got {audio.shape}")
    if config.pad == 0:
        return audio
    if config.pad_mode == "reflect" and len(audio) < 2:
        return np.pad(audio, config.pad, mode="constant")
    return np.pad(audio, config.pad, mode=config.pad_mode)


def mel_spectrogram_batch(signals: Sequence[np.ndarray], config: MelConfig = VOCODER_MEL) -> list[np.ndarray]:
    """Mel spectrograms of several mono signals (any lengths), computed in one parallel pass.

    Each result has shape (n_mels, n_frames), float32, frames every ``hop_length`` samples.
    """
    padded = [_pad(s, config) for s in signals]
    counts = [config.n_frames(len(s)) for s in signals]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in padded])]).astype(np.int64)
    starts = np.concatenate(
        [offsets[i] + config.hop_length * np.arange(c, dtype=np.int64) for i, c in enumerate(counts)]
        + [np.empty(0, np.int64)]
    )
    buffer = np.concatenate(padded + [np.empty(0, np.float32)]).astype(np.float32, copy=False)
    out = np.empty((config.n_mels, len(starts)), dtype=np.float32)
    if len(starts):
        plan = fft_plan(config.n_fft)
        fb_start, fb_end, fb_off, fb_w = _sparse_filterbank(config)
        _mel_kernel(buffer, starts, out, hann_window(config.n_fft), LANES, plan.radices, plan.lengths,
                    plan.strides, plan.tw_offsets, plan.tw_re, plan.tw_im, plan.dft_offsets, plan.dft_re,
                    plan.dft_im, fb_start, fb_end, fb_off, fb_w, config.power, np.float32(config.mag_eps),
                    config.log, np.float32(config.log_floor), nb.get_num_threads())
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [out[:, bounds[i]:bounds[i + 1]] for i in range(len(signals))]


def mel_spectrogram(audio: np.ndarray, config: MelConfig = VOCODER_MEL) -> np.ndarray:
    """Mel spectrogram of one mono float32 signal, shape (n_mels, n_frames)."""
    return mel_spectrogram_batch([audio], config)[0]
