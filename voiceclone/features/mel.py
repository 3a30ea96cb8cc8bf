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
from voiceclone.features.fft import _U, fft_lanes, fft_plan, window_radix4

LANES = 32
"""Complex transforms per block (each carries two frames). At n_fft 1024 a block's four float64
buffers take 1 MB, this machine's L2 per core; 32 beat 16 and 8 here (60 s, 2 threads: 3.8 vs
4.5 and 4.7 ms)."""


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


_MANTISSA = np.uint64(0x000FFFFFFFFFFFFF)
_ONE_BITS = np.uint64(0x3FF0000000000000)


@nb.njit(fastmath=True, error_model="numpy", cache=True)
def log_inplace(values: np.ndarray, floor: float, mantissa: np.ndarray, exponent: np.ndarray) -> None:
    """``values[:] = log(max(values, floor))`` for float64 values, in loops LLVM vectorises.

    libm's log is a scalar call per value (about 1 ms per 60 s of 80-band mel here); this splits
    each value into exponent and mantissa by its bits and sums the atanh series of the mantissa
    folded to [sqrt(1/2), sqrt(2)): error below 1e-10. ``mantissa`` and ``exponent`` are float64
    scratch arrays of the same length.
    """
    n = _U(values.shape[0])
    for i in range(n):
        values[i] = max(values[i], floor)
    bits = values.view(np.uint64)
    mantissa_bits = mantissa.view(np.uint64)
    for i in range(n):
        b = bits[i]
        mantissa_bits[i] = (b & _MANTISSA) | _ONE_BITS
        exponent[i] = np.float64(b >> _U(52)) - 1023.0
    for i in range(n):
        m = mantissa[i]
        e = exponent[i]
        if m > 1.4142135623730951:
            m *= 0.5
            e += 1.0
        s = (m - 1.0) / (m + 1.0)
        z = s * s
        series = 1.0 + z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11 + z / 13)))))
        values[i] = e * 0.6931471805599453 + 2.0 * s * series


@nb.njit(parallel=True, fastmath=True, error_model="numpy", cache=True)
def _mel_kernel(signal, starts, out, window, lanes, plan, fb_start, fb_end, fb_off, fb_w, power, mag_eps, use_log,
                log_floor, n_threads):
    n_fft = window.shape[0]
    n_bins = fb_end.max()  # bins above the top mel band are never used
    n_frames = starts.shape[0]
    n_mels = fb_start.shape[0]
    per_block = 2 * lanes
    n_blocks = (n_frames + per_block - 1) // per_block
    n_workers = min(n_threads, n_blocks)
    zeros_at = signal.shape[0] - n_fft  # the caller appends n_fft zeros: frames past the end read them
    ul = _U(lanes)
    upb = _U(per_block)
    fused = plan[0][0] == 4
    for worker in nb.prange(n_workers):
        xr = np.empty(n_fft * lanes, dtype=np.float64)
        xi = np.empty(n_fft * lanes, dtype=np.float64)
        yr = np.empty(n_fft * lanes, dtype=np.float64)
        yi = np.empty(n_fft * lanes, dtype=np.float64)
        spec = np.empty(n_bins * per_block, dtype=np.float64)
        bands = np.empty(n_mels * per_block, dtype=np.float64)  # this block's mel, band-major
        mantissa = np.empty(n_mels * per_block, dtype=np.float64)
        exponent = np.empty(n_mels * per_block, dtype=np.float64)
        pos_a = np.empty(lanes, dtype=np.uint64)
        pos_b = np.empty(lanes, dtype=np.uint64)
        for block in range(worker, n_blocks, n_workers):
            first = block * per_block
            for lane in range(lanes):
                fa = first + lane
                fb = first + lanes + lane
                pos_a[lane] = starts[fa] if fa < n_frames else zeros_at
                pos_b[lane] = starts[fb] if fb < n_frames else zeros_at
            if fused:
                # framing + window + the first radix-4 stage in one pass over the signal
                window_radix4(signal, pos_a, pos_b, window, xr, xi, lanes, plan)
                where = fft_lanes(xr, xi, yr, yi, lanes, plan, 1)
            else:
                # framing and window, transposed into lane-contiguous layout
                for i in range(n_fft):
                    w = window[i]
                    row = _U(i) * ul
                    ui = _U(i)
                    for lane in range(ul):
                        xr[row + lane] = signal[pos_a[lane] + ui] * w
                        xi[row + lane] = signal[pos_b[lane] + ui] * w
                where = fft_lanes(xr, xi, yr, yi, lanes, plan, 0)
            zr = xr if where == 0 else yr
            zi = xi if where == 0 else yi
            # split the two real spectra and take magnitude or power
            for k in range(n_bins):
                src = _U(k) * ul
                mirror = _U((n_fft - k) % n_fft) * ul
                row = _U(k) * upb
                for lane in range(ul):
                    ar = zr[src + lane]
                    ai = zi[src + lane]
                    br = zr[mirror + lane]
                    bi = zi[mirror + lane]
                    pa2 = ((ar + br) * (ar + br) + (ai - bi) * (ai - bi)) * 0.25
                    pb2 = ((ai + bi) * (ai + bi) + (ar - br) * (ar - br)) * 0.25
                    if power == 1:
                        pa2 = np.sqrt(pa2 + mag_eps)
                        pb2 = np.sqrt(pb2 + mag_eps)
                    spec[row + lane] = pa2
                    spec[row + ul + lane] = pb2
            # mel projection over each band's non-zero bins, then log, then out
            for m in range(n_mels):
                base = _U(m) * upb
                for c in range(upb):
                    bands[base + c] = 0.0
                for k in range(fb_start[m], fb_end[m]):
                    w = fb_w[fb_off[m] + k - fb_start[m]]
                    row = _U(k) * upb
                    for c in range(upb):
                        bands[base + c] += w * spec[row + c]
            if use_log:
                log_inplace(bands, log_floor, mantissa, exponent)
            count = min(per_block, n_frames - first)
            for m in range(n_mels):
                for c in range(count):
                    out[m, first + c] = bands[m * per_block + c]


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
    buffer = np.concatenate(padded + [np.zeros(config.n_fft, np.float32)])
    out = np.empty((config.n_mels, len(starts)), dtype=np.float32)
    if len(starts):
        plan = fft_plan(config.n_fft)
        fb_start, fb_end, fb_off, fb_w = _sparse_filterbank(config)
        _mel_kernel(buffer, starts, out, hann_window(config.n_fft), LANES, plan.arrays, fb_start, fb_end, fb_off,
                    fb_w, config.power, np.float32(config.mag_eps), config.log, float(config.log_floor),
                    nb.get_num_threads())
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [out[:, bounds[i]:bounds[i + 1]] for i in range(len(signals))]


def mel_spectrogram(audio: np.ndarray, config: MelConfig = VOCODER_MEL) -> np.ndarray:
    """Mel spectrogram of one mono float32 signal, shape (n_mels, n_frames)."""
    return mel_spectrogram_batch([audio], config)[0]
