"""HiFi-GAN's multi-period and multi-scale discriminators, for fine-tuning the vocoder.

Each returns, per sub-discriminator, its score map and the feature maps the feature-matching
loss compares.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

from voiceclone.vocoder.generator import LRELU_SLOPE, get_padding

Scores = list[torch.Tensor]
Features = list[list[torch.Tensor]]



def _conv_stack(convs: nn.ModuleList, post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU conv stack then the output conv: flattened scores and every layer's feature map."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LRELU_SLOPE)
        features.append(x)
    x = post(x)
    features.append(x)
    return x.flatten(1), features

class PeriodDiscriminator(nn.Module):
    """Folds the waveform into (time / period, period) and applies 2-D convs along time only."""

    def __init__(self, period: int, kernel_size: int = 5, stride: int = 3):
        super().__init__()
        self.period = period
        channels = [1, 32, 128, 512, 1024]
        pad = (get_padding(kernel_size), 0)
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(c_in, c_out, (kernel_size, 1), (stride, 1), padding=pad))
            for c_in, c_out in zip(channels[:-1], channels[1:])
        )
        self.convs.append(weight_norm(nn.Conv2d(1024, 1024, (kernel_size, 1), 1, padding=pad)))
        self.conv_post = weight_norm(nn.Conv2d(1024, 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        batch, channels, length = x.shape
        if length % self.period:
            pad = self.period - length % self.period
            x = F.pad(x, (0, pad), "reflect")
            length += pad
        x = x.view(batch, channels, length // self.period, self.period)
        return _conv_stack(self.convs, self.conv_post, x)


class MultiPeriodDiscriminator(nn.Module):
    """Period discriminators at co-prime periods (2, 3, 5, 7, 11)."""

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11)):
        super().__init__()
        self.discriminators = nn.ModuleList(PeriodDiscriminator(p) for p in periods)

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[Scores, Scores, Features, Features]:
        """Scores and feature maps of real and generated (batch, 1, samples) audio."""
        return _run_all(self.discriminators, real, fake, pools=None)


class ScaleDiscriminator(nn.Module):
    """Grouped strided 1-D convs over the raw (or average-pooled) waveform."""

    def __init__(self, use_spectral_norm: bool = False):
        super().__init__()
        norm = spectral_norm if use_spectral_norm else weight_norm
        # (in, out, kernel, stride, groups); padding keeps 'same' length before striding
        layers = [(1, 128, 15, 1, 1), (128, 128, 41, 2, 4), (128, 256, 41, 2, 16), (256, 512, 41, 4, 16),
                  (512, 1024, 41, 4, 16), (1024, 1024, 41, 1, 16), (1024, 1024, 5, 1, 1)]
        self.convs = nn.ModuleList(
            norm(nn.Conv1d(c_in, c_out, k, s, groups=g, padding=get_padding(k))) for c_in, c_out, k, s, g in layers
        )
        self.conv_post = norm(nn.Conv1d(1024, 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _conv_stack(self.convs, self.conv_post, x)


class MultiScaleDiscriminator(nn.Module):
    """Scale discriminators on the waveform, then on it average-pooled x2 and x4."""

    def __init__(self, scales: int = 3):
        super().__init__()
        self.discriminators = nn.ModuleList(ScaleDiscriminator(use_spectral_norm=i == 0) for i in range(scales))
        self.pools = nn.ModuleList(nn.AvgPool1d(4, 2, padding=2) for _ in range(scales - 1))

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[Scores, Scores, Features, Features]:
        """Scores and feature maps of real and generated (batch, 1, samples) audio."""
        return _run_all(self.discriminators, real, fake, pools=self.pools)


def _run_all(discriminators: nn.ModuleList, real: torch.Tensor, fake: torch.Tensor,
             pools: nn.ModuleList | None) -> tuple[Scores, Scores, Features, Features]:
    real_scores, fake_scores, real_features, fake_features = [], [], [], []
    for i, disc in enumerate(discriminators):
        if pools is not None and i > 0:
            real, fake = pools[i - 1](real), pools[i - 1](fake)
        score_r, feats_r = disc(real)
        score_f, feats_f = disc(fake)
        real_scores.append(score_r)
        fake_scores.append(score_f)
        real_features.append(feats_r)
        fake_features.append(feats_f)
    return real_scores, fake_scores, real_features, fake_features
