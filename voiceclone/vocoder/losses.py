"""HiFi-GAN training losses as pure functions: LSGAN adversarial, feature matching, mel L1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from voiceclone.features import VOCODER_MEL, MelConfig, mel_filterbank
from voiceclone.features.config import hann_window


def discriminator_loss(real_scores: list[torch.Tensor], fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: push real scores to 1 and generated ones to 0, summed over sub-discriminators."""
    return sum(torch.mean((1 - r) ** 2) + torch.mean(f**2) for r, f in zip(real_scores, fake_scores))


def generator_loss(fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: push the scores of generated audio to 1."""
    return sum(torch.mean((1 - f) ** 2) for f in fake_scores)


def feature_loss(real_features: list[list[torch.Tensor]], fake_features: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between discriminator feature maps of real and generated audio, x2 as in the paper."""
    return 2 * sum(
        F.l1_loss(f, r.detach()) for rs, fs in zip(real_features, fake_features) for r, f in zip(rs, fs)
    )


def mel_loss(real: torch.Tensor, fake: torch.Tensor, config: MelConfig = VOCODER_MEL) -> torch.Tensor:
    """L1 between log-mels of (batch, 1, samples) waveforms, x45 as in the paper."""
    return 45 * F.l1_loss(log_mel(fake.squeeze(1), config), log_mel(real.squeeze(1), config))


def log_mel(audio: torch.Tensor, config: MelConfig = VOCODER_MEL) -> torch.Tensor:
    """Differentiable torch version of ``voiceclone.features.mel_spectrogram`` for log-magnitude configs.

    (batch, samples) -> (batch, n_mels, frames).
    """
    if config.power != 1 or not config.log:
        raise ValueError("log_mel computes log-magnitude mels only (power=1, log=True)")
    window = torch.from_numpy(hann_window(config.n_fft)).to(audio)
    basis = torch.from_numpy(mel_filterbank(config)).to(audio)
    padded = F.pad(audio.unsqueeze(1), (config.pad, config.pad), mode=config.pad_mode).squeeze(1)
    spec = torch.stft(padded, config.n_fft, config.hop_length, window=window, center=False, return_complex=True)
    magnitude = torch.sqrt(spec.real**2 + spec.imag**2 + config.mag_eps)
    return torch.log(torch.clamp(basis @ magnitude, min=config.log_floor))
