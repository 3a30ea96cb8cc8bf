"""torch.stft implementation of the same mel analysis: the parity reference and benchmark peer."""

from __future__ import annotations

import numpy as np
import torch

from voiceclone.features.config import VOCODER_MEL, MelConfig, mel_filterbank


def torch_mel_spectrogram(
    audio: np.ndarray | torch.Tensor, config: MelConfig = VOCODER_MEL, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Mel spectrogram with torch.stft, shape (n_mels, n_frames); matches ``mel_spectrogram``.

    ``dtype=torch.float64`` gives the exact reference the parity tests use: float32 FFTs
    (torch's and ours alike) carry rounding noise about 120 dB below the loudest bin.
    """
    x = torch.as_tensor(audio).to(dtype)
    x = torch.nn.functional.pad(x[None, None], (config.pad, config.pad), mode=config.pad_mode)[0, 0]
    spec = torch.stft(x, config.n_fft, hop_length=config.hop_length, win_length=config.n_fft,
                      window=torch.hann_window(config.n_fft, dtype=dtype), center=False, return_complex=True)
    power = spec.real.square() + spec.imag.square()
    mag = torch.sqrt(power + config.mag_eps) if config.power == 1 else power
    mel = torch.as_tensor(mel_filterbank(config), dtype=dtype) @ mag
    return torch.log(torch.clamp(mel, min=config.log_floor)) if config.log else mel
