"""The GE2E speaker encoder network (Wan et al. 2018) with the layout of resemblyzer's weights."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of the network; the defaults are those of resemblyzer's pretrained.pt."""

    n_mels: int = 40
    hidden_size: int = 256
    num_layers: int = 3
    embedding_size: int = 256
    partial_frames: int = 160
    """Frames (10 ms each) in one partial window: 1.6 s."""


class SpeakerEncoder(nn.Module):
    """3-layer LSTM over a partial window of power-mel frames -> linear -> ReLU -> L2 norm.

    ``forward`` takes (batch, frames, n_mels) and returns (batch, embedding_size) unit vectors.
    """

    def __init__(self, config: EncoderConfig = EncoderConfig()) -> None:
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(config.n_mels, config.hidden_size, config.num_layers, batch_first=True)
        self.linear = nn.Linear(config.hidden_size, config.embedding_size)
        self.relu = nn.ReLU()
        self.version = "untrained"
        """Identifies the weights (set by the loader); stored in voice profiles."""

    @property
    def device(self) -> torch.device:
        return self.linear.weight.device

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = self.relu(self.linear(hidden[-1]))
        return raw / torch.linalg.vector_norm(raw, dim=1, keepdim=True).clamp_min(1e-12)
