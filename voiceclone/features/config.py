"""Mel analysis settings: one dataclass, two fixed instances the models were trained on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class MelConfig:
    """Everything that defines a mel spectrogram.

    ``pad`` is applied on both sides before framing (no further centring);
    ``pad_mode`` is ``"reflect"`` or ``"constant"`` (zeros).
    ``power`` 1 gives magnitude ``sqrt(|X|^2 + mag_eps)``, 2 gives ``|X|^2``.
    ``log`` takes ``log(max(mel, log_floor))``.
    """

    sample_rate: int
    n_fft: int
    hop_length: int
    n_mels: int
    fmin: float
    fmax: float
    pad: int
    pad_mode: str
    power: int
    log: bool
    mag_eps: float = 0.0
    log_floor: float = 1e-5

    def n_frames(self, n_samples: int) -> int:
        """Number of frames produced for a signal of ``n_samples``."""
        return max(0, (n_samples + 2 * self.pad - self.n_fft) // self.hop_length + 1)


VOCODER_MEL = MelConfig(
    sample_rate=22050, n_fft=1024, hop_length=256, n_mels=80, fmin=0.0, fmax=8000.0,
    pad=(1024 - 256) // 2, pad_mode="reflect", power=1, log=True, mag_eps=1e-9,
)
"""The HiFi-GAN universal analysis: also what the acoustic model predicts."""

ENCODER_MEL = MelConfig(
    sample_rate=16000, n_fft=400, hop_length=160, n_mels=40, fmin=0.0, fmax=8000.0,
    pad=400 // 2, pad_mode="constant", power=2, log=False,
)
"""The GE2E speaker encoder's input (resemblyzer: 25 ms window, 10 ms hop, 40 bands, power mel)."""

MEL_CONFIGS = {"vocoder": VOCODER_MEL, "encoder": ENCODER_MEL}


@lru_cache(maxsize=8)
def mel_filterbank(config: MelConfig) -> np.ndarray:
    """Slaney-normalised mel filterbank, shape (n_mels, n_fft // 2 + 1), float32."""
    import librosa

    return librosa.filters.mel(
        sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
        fmin=config.fmin, fmax=config.fmax, htk=False, norm="slaney",
    ).astype(np.float32)


@lru_cache(maxsize=8)
def hann_window(n_fft: int) -> np.ndarray:
    """Periodic Hann window (as torch.hann_window and librosa's 'hann' with fftbins=True), float64.

    Float64 so that windowing a float32 signal adds no rounding before the float64 FFT.
    """
    n = np.arange(n_fft, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / n_fft)
