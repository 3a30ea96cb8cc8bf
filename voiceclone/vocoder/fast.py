"""A Vocos-style vocoder (Siuzdak 2023): ConvNeXt blocks at the mel frame rate predict each frame's
STFT, which our inverse STFT turns into the waveform. All the work is at 86 frames per second, none
at the sample rate, which is what makes it several times faster than HiFi-GAN on a CPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from voiceclone.features.config import VOCODER_MEL, MelConfig
from voiceclone.vocoder.config import RendersMel
from voiceclone.vocoder.istft import istft, reach_frames

MAX_LOG_MAGNITUDE = math.log(100.0)
"""Predicted log-magnitudes are clipped here (a magnitude of 100) so that exp cannot overflow."""


@dataclass(frozen=True)
class FastVocoderConfig(RendersMel):
    """Architecture of the fast vocoder and the mel analysis it renders (``mel``: rate, hop, bands).

    The head predicts an STFT of ``n_fft`` points at the mel's hop; output is ``frames * hop`` samples.
    The defaults (6.95M parameters) keep float32 weights under 30 MB.
    """

    dim: int = 384
    intermediate_dim: int = 1024
    layers: int = 8
    kernel_size: int = 7
    n_fft: int = 1024
    mel: MelConfig = VOCODER_MEL

    def __post_init__(self) -> None:
        if self.kernel_size % 2 == 0 or self.n_fft < self.mel.hop_length:
            raise ValueError(f"the kernel size ({self.kernel_size}) must be odd and n_fft ({self.n_fft}) at least "
                             f"the hop ({self.mel.hop_length})")

    def receptive_field_frames(self) -> int:
        """Mel frames on each side that can influence an output sample (an upper bound): the embedding
        conv and every block's depthwise conv reach (kernel - 1) / 2 frames, the iSTFT its windows' overlap.

        Chunks vocoded with this much context on both sides and then cropped equal the whole-utterance output.
        """
        half = (self.kernel_size - 1) // 2
        return half * (1 + self.layers) + reach_frames(self.n_fft, self.hop_length)

    def to_dict(self) -> dict:
        """JSON-ready: the architecture, and the mel analysis under ``mel``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> FastVocoderConfig:
        """Inverse of ``to_dict``; unknown keys are an error (a checkpoint from another version)."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fast vocoder settings: {', '.join(sorted(unknown))}")
        mel = MelConfig(**values["mel"]) if "mel" in values else VOCODER_MEL
        return cls(**{k: v for k, v in values.items() if k != "mel"}, mel=mel)


class ConvNeXtBlock(nn.Module):
    """Depthwise conv, LayerNorm, pointwise MLP (GELU), layer scale, residual: (batch, dim, frames) in and out."""

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int, layer_scale: float):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).transpose(1, 2))
        y = self.gamma * self.pwconv2(F.gelu(self.pwconv1(y)))
        return x + y.transpose(1, 2)


class FastVocoder(nn.Module):
    """Log-mel -> ConvNeXt backbone -> per-frame STFT (log-magnitude and phase) -> iSTFT.

    No I/O: weights are loaded by ``voiceclone.vocoder.fast_weights``.
    """

    def __init__(self, config: FastVocoderConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Conv1d(config.num_mels, config.dim, config.kernel_size, padding=config.kernel_size // 2)
        self.norm = nn.LayerNorm(config.dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(config.dim, config.intermediate_dim, config.kernel_size, 1.0 / config.layers)
            for _ in range(config.layers)
        )
        self.final_norm = nn.LayerNorm(config.dim, eps=1e-6)
        self.head = nn.Linear(config.dim, config.n_fft + 2)
        self.apply(_init_weights)

    def spectrum(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, num_mels, frames) log-mel -> (batch, n_fft // 2 + 1, frames) complex64 STFT.

        The head's output is cast to float32 before the exponential, whatever the model's dtype.
        """
        x = self.norm(self.embed(mel).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        x = self.head(self.final_norm(x.transpose(1, 2))).float().transpose(1, 2)
        log_magnitude, angle = x.chunk(2, dim=1)
        magnitude = torch.exp(log_magnitude.clamp(max=MAX_LOG_MAGNITUDE))
        return torch.complex(magnitude * torch.cos(angle), magnitude * torch.sin(angle))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(batch, num_mels, frames) log-mel -> (batch, 1, frames * hop_length) float32 waveform."""
        return istft(self.spectrum(mel), self.config.n_fft, self.config.hop_length)[:, None]


def _init_weights(module: nn.Module) -> None:
    """Vocos's initialisation: truncated normal (std 0.02) weights, zero biases, for convs and linears."""
    if isinstance(module, (nn.Conv1d, nn.Linear)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        nn.init.zeros_(module.bias)
