"""Detection: correlate whitened log-power features with the key's pattern at every alignment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from voiceclone.audio import resample
from voiceclone.watermark.config import CONFIG, WatermarkConfig
from voiceclone.watermark.dsp import fold, stft, whiten
from voiceclone.watermark.embed import check_input
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey, key_pattern
from voiceclone.watermark.payload import PAYLOAD_BITS, decode_bits


@dataclass(frozen=True)
class Detection:
    """Whether the mark is present, how strongly (robust z-score), and its payload when the CRC checks."""

    watermarked: bool
    score: float
    payload: dict | None


@lru_cache(maxsize=16)
def _pattern_spectra(key: WatermarkKey, config: WatermarkConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the conjugate spectrum over detection-frame phase of its chips, and sqrt(cell count)."""
    pattern = key_pattern(key, config)
    per_column = config.tile_frames * config.hop // config.detect_hop
    columns = np.arange(per_column * config.period) // per_column
    spectra, weights = [], []
    for group in range(PAYLOAD_BITS + 1):
        chips = np.where(pattern.groups == group, pattern.chips, 0.0)[:, columns]
        spectra.append(np.conj(np.fft.rfft(chips, axis=1)))
        weights.append(np.sqrt(np.count_nonzero(pattern.groups == group)))
    return np.stack(spectra), np.asarray(weights)


def features(audio: np.ndarray, sample_rate: int, config: WatermarkConfig = CONFIG) -> np.ndarray:
    """Whitened (detection frames, bins) features of a 16 kHz copy of ``audio``."""
    x16 = resample(audio.astype(np.float32), sample_rate, config.sample_rate).astype(np.float64)
    spec = stft(x16, config.n_fft, config.detect_hop)[:, config.lo_bin : config.hi_bin]
    power = spec.real**2 + spec.imag**2
    return whiten(power, config.floor_db, config.highpass_frames, config.clip)


def _robust_z(values: np.ndarray) -> np.ndarray:
    centre = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - centre)) + 1e-12
    return (values - centre) / spread


def score_span(
    feat: np.ndarray, start: int, stop: int, key: WatermarkKey, config: WatermarkConfig = CONFIG
) -> tuple[float, list[int]]:
    """Best alignment of frames ``start..stop``: (score, payload bits at that alignment)."""
    spectra, weights = _pattern_spectra(key, config)
    period = (config.tile_frames * config.hop // config.detect_hop) * config.period
    folded = np.fft.rfft(fold(feat, start, stop, period), axis=1)
    corr = np.fft.irfft(np.einsum("bk,gbk->gk", folded, spectra), n=period, axis=1)  # (groups, offsets)
    corr_z = corr / (np.sqrt(np.mean(corr**2, axis=1, keepdims=True)) + 1e-12)
    combined = weights[0] * corr_z[0] + np.abs(corr_z[1:]).T @ weights[1:]
    z = _robust_z(combined)
    best = int(np.argmax(z))
    bits = [int(v > 0) for v in corr[1:, best]]
    return float(z[best]), bits


def detect_watermark(
    audio: np.ndarray, sample_rate: int, key: WatermarkKey = DEFAULT_KEY, config: WatermarkConfig = CONFIG
) -> Detection:
    """Look for ``key``'s mark anywhere in ``audio`` (whole signal, and 3 s windows of longer ones)."""
    signal = check_input(audio, sample_rate)
    feat = features(signal, sample_rate, config)
    frames_per_s = config.sample_rate / config.detect_hop
    spans = [(0, len(feat))]
    window = int(config.window_s * frames_per_s)
    step = int(config.window_hop_s * frames_per_s)
    if len(feat) > window + step // 2:
        spans += [(s, s + window) for s in range(0, len(feat) - window + 1, step)]
        if spans[-1][1] < len(feat):
            spans.append((len(feat) - window, len(feat)))
    score, bits = max((score_span(feat, a, b, key, config) for a, b in spans), key=lambda item: item[0])
    watermarked = score >= config.threshold
    return Detection(watermarked=watermarked, score=score, payload=decode_bits(bits) if watermarked else None)
