"""Fundamental frequency by YIN (de Cheveigné & Kawahara, 2002), vectorised over frames.

Frames follow the vocoder mel's framing (same hop and padding), so pitch frame ``i``
lines up with mel frame ``i``. Unvoiced frames get F0 = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voiceclone.features.config import VOCODER_MEL, MelConfig

BLOCK_FRAMES = 1024
"""Frames analysed together (about 12 s at the vocoder's hop): bounds YIN's working memory near 100 MB."""


@dataclass(frozen=True)
class PitchConfig:
    """YIN settings: search range, CMND threshold for voicing, and a loudness gate."""

    fmin: float = 60.0
    fmax: float = 600.0
    threshold: float = 0.2
    silence_db: float = -45.0  # frames this far below the loudest frame are unvoiced
    frame_length: int = 1024


def _padded(audio: np.ndarray, mel: MelConfig, frame_length: int) -> np.ndarray:
    pad = (frame_length - mel.hop_length) // 2
    return np.pad(audio.astype(np.float64), pad, mode="reflect" if len(audio) > pad else "constant")


def _frames(padded: np.ndarray, mel: MelConfig, frame_length: int, start: int, stop: int) -> np.ndarray:
    """Analysis frames ``start`` to ``stop`` (mel frame numbers) of the padded signal."""
    idx = np.arange(frame_length)[None, :] + mel.hop_length * np.arange(start, stop)[:, None]
    return padded[idx]


def yin_f0(audio: np.ndarray, sample_rate: int = VOCODER_MEL.sample_rate, config: PitchConfig = PitchConfig(),
           mel: MelConfig = VOCODER_MEL) -> np.ndarray:
    """F0 in Hz per mel frame (0 where unvoiced) of a mono signal at ``sample_rate``.

    Frames are analysed ``BLOCK_FRAMES`` at a time, so memory stays flat however long the
    recording; the loudness gate is relative to the loudest frame of the whole recording.
    """
    if sample_rate != mel.sample_rate:
        raise ValueError(f"pitch frames follow the mel at {mel.sample_rate} Hz, got audio at {sample_rate} Hz")
    n = mel.n_frames(len(audio))
    if n <= 0:
        return np.zeros(0, np.float32)
    padded = _padded(audio, mel, config.frame_length)
    blocks = [_yin_block(_frames(padded, mel, config.frame_length, start, min(start + BLOCK_FRAMES, n)),
                         sample_rate, config) for start in range(0, n, BLOCK_FRAMES)]
    f0, periodic, level = (np.concatenate(parts) for parts in zip(*blocks))
    voiced = periodic & (level > level.max() - (-config.silence_db))
    return np.where(voiced, f0, 0.0).astype(np.float32)


def _yin_block(frames: np.ndarray, sample_rate: int, config: PitchConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """YIN on a block of frames: F0 candidate, whether it is periodic and in range, frame level in dB."""
    w = config.frame_length // 2
    tau_max = min(w - 1, int(sample_rate / config.fmin))
    tau_min = max(2, int(sample_rate / config.fmax))
    spec = np.fft.rfft(frames, n=2 * config.frame_length, axis=1)
    # r_t(tau) of the first half-window against the shifted window, by FFT cross-correlation
    head = np.fft.rfft(frames[:, :w], n=2 * config.frame_length, axis=1)
    corr = np.fft.irfft(spec * np.conj(head), axis=1)[:, : tau_max + 1]
    energy = np.cumsum(np.square(frames), axis=1)
    e0 = energy[:, w - 1]
    taus = np.arange(tau_max + 1)
    shifted = energy[:, taus + w - 1] - np.concatenate([np.zeros((len(frames), 1)), energy[:, taus[1:] - 1]], axis=1)
    diff = np.maximum(e0[:, None] + shifted - 2.0 * corr, 0.0)
    diff[:, 0] = 0.0
    cum = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cum, 1e-12)
    search = cmnd[:, tau_min:]
    below = search < config.threshold
    # first dip under the threshold, then walk to its local minimum
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    tau = first + tau_min
    rows = np.arange(len(tau))
    while True:
        step = (tau < tau_max) & (cmnd[rows, np.minimum(tau + 1, tau_max)] < cmnd[rows, tau])
        if not step.any():
            break
        tau = tau + step
    left = cmnd[rows, np.maximum(tau - 1, 1)]
    mid = cmnd[rows, tau]
    right = cmnd[rows, np.minimum(tau + 1, tau_max)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    f0 = sample_rate / (tau + np.clip(shift, -1, 1))
    level = 10 * np.log10(np.maximum(e0 / w, 1e-20))
    periodic = (mid < config.threshold) & (f0 >= config.fmin) & (f0 <= config.fmax)
    return f0, periodic, level


def median_f0(f0: np.ndarray) -> float:
    """Median F0 over voiced frames, or NaN when none are voiced."""
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if len(voiced) else float("nan")


def voiced_logf0_moments(f0: np.ndarray) -> tuple[float, float, int]:
    """Mean and standard deviation (at least 0.05) of log-F0 over the voiced frames of a track, and their count.

    The one definition of a voice's register and range: training normalises each utterance's
    pitch with it and synthesis places the predicted contour with it. NaN when nothing is voiced.
    """
    voiced = np.log(f0[f0 > 0])
    if len(voiced) == 0:
        return float("nan"), float("nan"), 0
    return float(voiced.mean()), float(max(voiced.std(), 0.05)), int(len(voiced))


def logf0_statistics(audio: np.ndarray, sample_rate: int = VOCODER_MEL.sample_rate) -> tuple[float, float, int]:
    """``voiced_logf0_moments`` of a recording's YIN track; NaN with fewer than 10 voiced frames.

    This is what the acoustic model needs to speak at a voice's pitch: the reference's own
    median register and range, measured rather than guessed from the speaker embedding.
    """
    mean, std, count = voiced_logf0_moments(yin_f0(audio, sample_rate))
    if count < 10:
        return float("nan"), float("nan"), count
    return mean, std, count
