"""Acoustic model hyper-parameters and the data statistics it normalises with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class AcousticConfig:
    """Sizes of every part of the model, plus normalisation statistics set by the recipe.

    ``mel_mean``/``mel_std`` normalise each of the 80 log-mel channels; ``logf0_mean``/
    ``logf0_std`` normalise absolute log-F0 before it is embedded.
    """

    n_symbols: int
    n_mels: int = 80
    speaker_dim: int = 256
    d_model: int = 192
    encoder_convs: int = 3
    encoder_kernel: int = 5
    predictor_channels: int = 128
    predictor_kernel: int = 3
    decoder_channels: int = 192
    decoder_kernel: int = 3
    decoder_dilations: tuple[int, ...] = (1, 2, 4, 1, 2, 4)
    postnet_channels: int = 128
    postnet_layers: int = 3
    bottleneck_dim: int = 8
    bottleneck_stride: int = 4
    align_dim: int = 80
    dropout: float = 0.1
    mel_mean: list[float] = field(default_factory=lambda: [0.0] * 80)
    mel_std: list[float] = field(default_factory=lambda: [1.0] * 80)
    logf0_mean: float = 5.0
    logf0_std: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AcousticConfig":
        data = dict(data)
        if "decoder_dilations" in data:
            data["decoder_dilations"] = tuple(data["decoder_dilations"])
        return cls(**data)
