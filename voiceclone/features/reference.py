"""The mel analysis in torch: differentiable (the vocoder's training loss), and the parity
reference and benchmark peer of the numba front end."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from voiceclone.features.config import VOCODER_MEL, MelConfig, mel_filterbank


def torch_mel_spectrogram(
    audio: np.ndarray | torch.Tensor, config: MelConfig = VOCODER_MEL, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Mel spectrogram with torch.stft; matches ``mel_spectrogram``. Differentiable, on the input's device.

    (samples,) -> (n_mels, frames); (batch, samples) -> (batch, n_mels, frames).
    ``dtype=torch.float64`` gives the exact reference the parity tests use: float32 FFTs
    (torch's and ours alike) carry rounding noise about 120 dB below the loudest bin.
    """
    x = torch.as_tensor(audio).to(dtype)
    flat = F.pad(x.reshape(-1, 1, x.shape[-1]), (config.pad, config.pad), mode=config.pad_mode)[:, 0]
    window = torch.hann_window(config.n_fft, dtype=dtype, device=x.device)
    spec = torch.stft(flat, config.n_fft, hop_length=config.hop_length, win_length=config.n_fft,
                      window=window, center=False, return_complex=True)
    power = spec.real.square() + spec.imag.square()
    mag = torch.sqrt(power + config.mag_eps) if config.power == 1 else power
    mel = torch.as_tensor(mel_filterbank(config), dtype=dtype, device=x.device) @ mag
    mel = torch.log(torch.clamp(mel, min=config.log_floor)) if config.log else mel
    return mel.reshape(*x.shape[:-1], *mel.shape[-2:])
