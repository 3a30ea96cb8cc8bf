"""Energy-based voice activity detection for reference audio (replaces resemblyzer's webrtcvad).

Pure numpy. Each 30 ms window is voiced when its speech-band level (150 Hz - 4 kHz, so mains hum
and rumble do not count) is well above the recording's own noise floor (an adaptive threshold between the quiet and loud percentiles of window levels)
and above an absolute floor. Flags are smoothed with a moving average, then voiced regions
are widened so pauses up to ~0.2 s inside speech are kept, as resemblyzer's trimming does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import butter, sosfilt


@dataclass(frozen=True)
class VadConfig:
    window_ms: int = 30
    band_hz: tuple[float, float] = (150.0, 4000.0)
    """Frequency range whose energy decides voicing."""
    floor_percentile: float = 10.0
    """Window level taken as the noise floor."""
    peak_percentile: float = 95.0
    """Window level taken as loud speech."""
    relative_threshold: float = 0.3
    """Threshold position between floor and peak (0 = floor, 1 = peak)."""
    min_margin_db: float = 8.0
    """Voiced windows are at least this far above the floor (stationary noise is never speech)."""
    absolute_floor_dbfs: float = -60.0
    """Voiced windows are louder than this (after the -30 dBFS level normalisation)."""
    smoothing_windows: int = 8
    max_pause_windows: int = 6
    """Unvoiced windows this close to speech are kept (pauses inside speech)."""


VAD = VadConfig()


def _moving_average(flags: np.ndarray, width: int) -> np.ndarray:
    padded = np.concatenate([np.zeros((width - 1) // 2), flags, np.zeros(width // 2)])
    total = np.cumsum(padded, dtype=np.float64)
    total[width:] = total[width:] - total[:-width]
    return total[width - 1:] / width


@lru_cache(maxsize=4)
def _band_filter(sample_rate: int, band_hz: tuple[float, float]) -> np.ndarray:
    high = min(band_hz[1], 0.45 * sample_rate)
    return butter(6, (band_hz[0], high), btype="bandpass", fs=sample_rate, output="sos")


def band_level_db(audio: np.ndarray, sample_rate: int, window: int, band_hz: tuple[float, float]) -> np.ndarray:
    """Level in dB (re full scale) of each consecutive ``window``-sample block, within ``band_hz`` only."""
    n = len(audio) // window
    filtered = sosfilt(_band_filter(sample_rate, band_hz), audio[: n * window].astype(np.float64))
    power = np.mean(np.square(filtered.reshape(n, window)), axis=1)
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def voiced_windows(audio: np.ndarray, sample_rate: int, config: VadConfig = VAD) -> np.ndarray:
    """Boolean flag per full ``window_ms`` window: smoothed speech decisions (before widening)."""
    window = sample_rate * config.window_ms // 1000
    n = len(audio) // window
    if n == 0:
        return np.zeros(0, dtype=bool)
    level = band_level_db(audio, sample_rate, window, config.band_hz)
    floor = np.percentile(level, config.floor_percentile)
    peak = np.percentile(level, config.peak_percentile)
    threshold = max(floor + max(config.relative_threshold * (peak - floor), config.min_margin_db),
                    config.absolute_floor_dbfs)
    flags = (level > threshold).astype(np.float64)
    return np.round(_moving_average(flags, config.smoothing_windows)).astype(bool)


def trim_to_speech(audio: np.ndarray, sample_rate: int, config: VadConfig = VAD) -> tuple[np.ndarray, float]:
    """Audio with long silences removed, and the seconds of detected speech in it."""
    voiced = voiced_windows(audio, sample_rate, config)
    window = sample_rate * config.window_ms // 1000
    width = 2 * (config.max_pause_windows // 2) + 1
    keep = voiced
    if len(voiced):  # "full", then centred: mode="same" gives max(len, width) flags, too many for short audio
        keep = np.convolve(voiced, np.ones(width), mode="full")[width // 2: width // 2 + len(voiced)] > 0
    mask = np.repeat(keep, window)
    speech_s = float(voiced.sum() * window / sample_rate)
    return audio[: len(mask)][mask], speech_s
