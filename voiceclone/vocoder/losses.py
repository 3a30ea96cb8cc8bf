"""HiFi-GAN training losses as pure functions: LSGAN adversarial, feature matching, mel L1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from voiceclone.features import VOCODER_MEL, MelConfig
from voiceclone.features.reference import torch_mel_spectrogram


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
    return 45 * F.l1_loss(torch_mel_spectrogram(fake.squeeze(1), config), torch_mel_spectrogram(real.squeeze(1), config))
