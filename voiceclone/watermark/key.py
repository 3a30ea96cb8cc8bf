"""Watermark keys and the keyed pseudo-random patterns derived from them (SHAKE-256, stable forever)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from voiceclone.watermark.config import CONFIG, WatermarkConfig
from voiceclone.watermark.payload import PAYLOAD_BITS


@dataclass(frozen=True)
class WatermarkKey:
    """A secret that seeds the pattern, and the public id written into the payload."""

    secret: bytes
    key_id: int


DEFAULT_KEY = WatermarkKey(secret=b"voiceclone public watermark key v1", key_id=1)
"""The project's public key: anyone can detect voiceclone output with it."""


@dataclass(frozen=True)
class Pattern:
    """Chips (+-1) and groups (0 = sync, 1.. = payload bit) for each (bin, column) cell."""

    chips: np.ndarray  # (n_bins, period) float64
    groups: np.ndarray  # (n_bins, period) int64


def _stream(secret: bytes, label: bytes, n: int) -> np.ndarray:
    return np.frombuffer(hashlib.shake_256(label + b"\0" + secret).digest(n), dtype=np.uint8)


@lru_cache(maxsize=16)
def key_pattern(key: WatermarkKey, config: WatermarkConfig = CONFIG) -> Pattern:
    """The cell pattern of ``key``: balanced groups, chips from the key's SHAKE-256 stream."""
    shape = (config.n_bins, config.period)
    cells = shape[0] * shape[1]
    chips = np.where(_stream(key.secret, b"chips", cells) & 1, 1.0, -1.0).reshape(shape)
    n_sync = int(round(cells * config.sync_fraction))
    groups = np.concatenate([np.zeros(n_sync, np.int64), 1 + np.arange(cells - n_sync) % PAYLOAD_BITS])
    order = np.argsort(_stream(key.secret, b"groups", 4 * cells).view(np.uint32), kind="stable")
    return Pattern(chips=chips, groups=groups[order].reshape(shape))
