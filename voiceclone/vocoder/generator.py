"""HiFi-GAN generator (Kong et al. 2020, jik876/hifi-gan layout): log-mel frames in, waveform out.

Built with plain convolutions, so inference runs without weight norm; `apply_weight_norm`
adds it back for fine-tuning and `remove_weight_norm` folds it away again.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

from voiceclone.vocoder.config import HiFiGANConfig

LRELU_SLOPE = 0.1


def get_padding(kernel_size: int, dilation: int = 1) -> int:
    """'Same' padding for an odd kernel."""
    return (kernel_size * dilation - dilation) // 2


def init_weights(module: nn.Module, std: float = 0.01) -> None:
    """The original N(0, 0.01) initialisation of every convolution."""
    if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
        nn.init.normal_(module.weight, 0.0, std)


class ResBlock1(nn.Module):
    """Three dilated conv + plain conv pairs, each with a residual connection (V1, V2)."""

    def __init__(self, channels: int, kernel_size: int = 3, dilation: tuple[int, ...] = (1, 3, 5)):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=get_padding(kernel_size, d))
            for d in dilation
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=get_padding(kernel_size)) for _ in dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
            x = xt + x
        return x


class ResBlock2(nn.Module):
    """Dilated convs with residual connections, one per dilation (V3)."""

    def __init__(self, channels: int, kernel_size: int = 3, dilation: tuple[int, ...] = (1, 3)):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=get_padding(kernel_size, d))
            for d in dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = conv(F.leaky_relu(x, LRELU_SLOPE)) + x
        return x


class HiFiGANGenerator(nn.Module):
    """Transposed-conv upsampling, each stage followed by the mean of parallel residual blocks."""

    def __init__(self, config: HiFiGANConfig):
        super().__init__()
        self.config = config
        self.num_kernels = len(config.resblock_kernel_sizes)
        ch = config.upsample_initial_channel
        self.conv_pre = nn.Conv1d(config.num_mels, ch, 7, padding=3)
        resblock = ResBlock1 if config.resblock == "1" else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(config.upsample_rates, config.upsample_kernel_sizes)):
            self.ups.append(nn.ConvTranspose1d(ch // 2**i, ch // 2 ** (i + 1), k, u, padding=(k - u) // 2))
            for kernel, dilation in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
                self.resblocks.append(resblock(ch // 2 ** (i + 1), kernel, dilation))
        self.conv_post = nn.Conv1d(ch // 2 ** len(self.ups), 1, 7, padding=3)
        self.ups.apply(init_weights)
        self.conv_post.apply(init_weights)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, num_mels, frames) log-mel -> (batch, 1, frames * hop_length) waveform in [-1, 1]."""
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            xs = blocks[0](x)
            for block in blocks[1:]:
                xs = xs + block(x)
            x = xs / self.num_kernels
        x = self.conv_post(F.leaky_relu(x))  # default slope 0.01 here, as in the original
        return torch.tanh(x)


def apply_weight_norm(module: nn.Module) -> nn.Module:
    """Put weight norm on every convolution of ``module`` (for training); returns it."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d)) and not parametrize.is_parametrized(m):
            weight_norm(m)
    return module


def remove_weight_norm(module: nn.Module) -> nn.Module:
    """Fold every parametrization (weight or spectral norm) into a plain weight; returns ``module``."""
    for m in module.modules():
        if parametrize.is_parametrized(m, "weight"):
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return module


def fold_weight_norm(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Turn old-style ``weight_g`` / ``weight_v`` pairs into ``weight = g * v / ||v||``.

    The norm is taken over all dimensions except the first, as torch's weight_norm(dim=0) does.
    """
    folded = {}
    for key, value in state_dict.items():
        if key.endswith(".weight_v"):
            stem = key[: -len("_v")]
            g = state_dict[stem + "_g"]
            norm = value.flatten(1).norm(dim=1).reshape(g.shape)
            folded[stem] = g * value / norm
        elif not key.endswith(".weight_g"):
            folded[key] = value
    return folded
