"""HiFi-GAN generator settings, read from the config.json that ships beside the weights."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class HiFiGANConfig:
    """Generator architecture (defaults: HiFi-GAN V1, as the universal checkpoint was trained).

    Unknown keys in config.json (training settings, mel analysis) are ignored; the mel analysis
    itself is ``voiceclone.features.VOCODER_MEL``.
    """

    num_mels: int = 80
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock: str = "1"
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    sampling_rate: int = 22050

    @classmethod
    def from_json(cls, path: Path) -> HiFiGANConfig:
        """Read the fields this class knows from a jik876-style config.json."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        values = {k: _tuplify(v) for k, v in raw.items() if k in known}
        return cls(**values)

    @property
    def hop_length(self) -> int:
        """Output samples per mel frame (product of the upsampling rates)."""
        hop = 1
        for rate in self.upsample_rates:
            hop *= rate
        return hop

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
