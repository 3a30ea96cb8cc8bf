"""Vocoder training losses as pure functions: LSGAN adversarial, feature matching, mel L1 (HiFi-GAN),
multi-resolution STFT, and the fast vocoder's spectrum distillation."""

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


STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))
"""(n_fft, hop) of the multi-resolution STFT loss; the window is n_fft long."""


def stft_loss(real: torch.Tensor, fake: torch.Tensor,
              resolutions: tuple[tuple[int, int], ...] = STFT_RESOLUTIONS) -> torch.Tensor:
    """Multi-resolution STFT loss of (batch, 1, samples) waveforms: spectral convergence plus L1 of the
    log-magnitudes, averaged over the resolutions (Yamamoto et al., Parallel WaveGAN)."""
    total = fake.new_zeros(())
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, device=fake.device)
        real_mag, fake_mag = (torch.stft(x.squeeze(1).float(), n_fft, hop, window=window, return_complex=True).abs()
                              .clamp(min=1e-7) for x in (real, fake))
        convergence = torch.linalg.norm(real_mag - fake_mag) / torch.linalg.norm(real_mag).clamp(min=1e-7)
        total = total + convergence + F.l1_loss(fake_mag.log(), real_mag.log())
    return total / len(resolutions)


def spectrum_distillation_loss(predicted: torch.Tensor, target: torch.Tensor, compression: float = 0.3) -> torch.Tensor:
    """Distance between a predicted and a target complex spectrum, both (batch, bins, frames): L1 of the
    log-magnitudes plus L1 of the magnitude-compressed complex values (``|X| ** compression`` at the
    phase of X), which penalises phase errors in proportion to how loud the bin is."""
    pred_mag, target_mag = predicted.abs().clamp(min=1e-5), target.abs().clamp(min=1e-5)
    magnitude = F.l1_loss(pred_mag.log(), target_mag.log())
    compressed = [x * (m ** (compression - 1)) for x, m in ((predicted, pred_mag), (target, target_mag))]
    return magnitude + torch.view_as_real(compressed[0] - compressed[1]).abs().mean()
