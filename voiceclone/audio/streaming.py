"""Encoding audio as it is made: raw 16-bit PCM, and a WAV whose length is not known in advance.

A streamed WAV carries 0xFFFFFFFF in its RIFF and data sizes, as streaming WAV writers do
(ffmpeg, sox): readers then take everything up to the end of the stream as samples.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

import numpy as np

from voiceclone.errors import VoiceCloneError

UNKNOWN_SIZE = 0xFFFFFFFF


def pcm16(chunk: np.ndarray) -> bytes:
    """Little-endian 16-bit PCM of a float chunk (clipped to [-1, 1]), the sample coding of our WAVs."""
    clipped = np.clip(np.asarray(chunk, dtype=np.float32), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()


def wav_stream_header(sample_rate: int, channels: int = 1) -> bytes:
    """The 44-byte header of a 16-bit PCM WAV of unknown length."""
    block = 2 * channels
    return (b"RIFF" + struct.pack("<I", UNKNOWN_SIZE) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
            + b"data" + struct.pack("<I", UNKNOWN_SIZE))


STREAM_FORMATS = ("wav", "pcm")


def encode_stream(chunks: Iterable[np.ndarray], sample_rate: int, fmt: str = "wav") -> Iterator[bytes]:
    """Bytes to send as float chunks arrive: a streamed WAV (header first) or raw 16-bit PCM."""
    if fmt not in STREAM_FORMATS:
        raise VoiceCloneError(f"unknown stream format '{fmt}'; choose one of: {', '.join(STREAM_FORMATS)}")
    if fmt == "wav":
        yield wav_stream_header(sample_rate)
    for chunk in chunks:
        yield pcm16(chunk)
