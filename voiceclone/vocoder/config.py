"""HiFi-GAN generator settings, read from the config.json that ships beside the weights."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

from voiceclone.features.config import VOCODER_MEL, MelConfig

ANALYSIS_KEYS = {"sampling_rate": "sample_rate", "num_mels": "n_mels", "n_fft": "n_fft", "hop_size": "hop_length",
                 "win_size": "n_fft", "fmin": "fmin", "fmax": "fmax"}
"""config.json's mel analysis keys and the ``MelConfig`` field each must equal."""


class RendersMel:
    """What any vocoder config tells from the mel analysis it renders (its ``mel`` field)."""

    mel: MelConfig

    @property
    def sampling_rate(self) -> int:
        """Output samples per second: the mel analysis's rate."""
        return self.mel.sample_rate

    @property
    def num_mels(self) -> int:
        """Mel bands the vocoder takes."""
        return self.mel.n_mels

    @property
    def hop_length(self) -> int:
        """Output samples per mel frame."""
        return self.mel.hop_length


@dataclass(frozen=True)
class HiFiGANConfig(RendersMel):
    """Generator architecture (defaults: HiFi-GAN V1, as the universal checkpoint was trained) and the
    mel analysis it renders: ``mel`` is the one source of the vocoder's sample rate, hop and bands.

    Training settings in config.json are ignored; its analysis keys must agree with ``mel``.
    """

    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock: str = "1"
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    mel: MelConfig = VOCODER_MEL

    def __post_init__(self) -> None:
        if math.prod(self.upsample_rates) != self.mel.hop_length:
            raise ValueError(f"upsampling by {math.prod(self.upsample_rates)} does not match the mel hop of "
                             f"{self.mel.hop_length} samples")

    @classmethod
    def from_json(cls, path: Path, mel: MelConfig = VOCODER_MEL) -> HiFiGANConfig:
        """Read the fields this class knows from a jik876-style config.json, whose mel analysis must be ``mel``."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        for key, field in ANALYSIS_KEYS.items():
            if key in raw and raw[key] != getattr(mel, field):
                raise ValueError(f"{key} {raw[key]} in {path} differs from the mel analysis ({field} {getattr(mel, field)})")
        known = {f.name for f in fields(cls)} - {"mel"}
        return cls(**{k: _tuplify(v) for k, v in raw.items() if k in known}, mel=mel)

    def receptive_field_frames(self) -> int:
        """Mel frames on each side that can influence an output sample (an upper bound).

        Chunks vocoded with this much context on both sides and then cropped equal the
        whole-utterance output. Each layer adds its one-sided reach divided by the
        samples-per-frame rate it runs at.
        """
        reach = 3.0  # conv_pre, kernel 7
        rate = 1
        for up, kernel in zip(self.upsample_rates, self.upsample_kernel_sizes):
            reach += kernel / up / rate  # transposed conv: each output sees ceil(k/u) inputs
            rate *= up
            reach += max(_resblock_reach(k, d, self.resblock) for k, d in
                         zip(self.resblock_kernel_sizes, self.resblock_dilation_sizes)) / rate
        reach += 3 / rate  # conv_post, kernel 7
        return int(reach) + 1


def _resblock_reach(kernel: int, dilations: tuple[int, ...], kind: str) -> int:
    """One-sided reach in samples of a residual block."""
    half = (kernel - 1) // 2
    if kind == "1":  # each step: dilated conv then undilated conv
        return sum(half * d + half for d in dilations)
    return sum(half * d for d in dilations)


def _tuplify(value: object) -> object:
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value
