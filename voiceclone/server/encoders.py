"""Encoding speech for an HTTP response as it is made, one chunk at a time.

wav and pcm are written by hand (``voiceclone.audio.streaming``); flac, mp3 and opus by libsndfile
(through soundfile) into a sink that hands back whatever it has written so far. libsndfile goes
back at the end to fill in a few header fields (FLAC's sample count and MD5, MP3's Xing frame);
those bytes have already been sent by then, so the rewrite is dropped, as every streaming encoder
does: the FLAC header then says "length unknown" (which ffmpeg and browsers accept; libsndfile 1.2.2
cannot read such a file), and the MP3's first frame is silent. MP3 is constant-bitrate (80 kbit/s), so that
readers can tell its length from its size without the Xing frame.

pcm and opus come at 24 kHz (opus supports no 22.05 kHz; OpenAI's pcm is 24 kHz 16-bit mono, which
clients assume), resampled by libsoxr as chunks arrive; the others at the synthesis rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voiceclone.audio.streaming import pcm16, wav_stream_header

OPENAI_PCM_RATE = 24_000
MP3_CONSTANT_80K = {"bitrate_mode": "CONSTANT", "compression_level": 0.5}
"""libsndfile's MP3 settings for 80 kbit/s constant bitrate at 22.05 kHz (0.0 would be 160 kbit/s)."""


@dataclass(frozen=True)
class Format:
    """A response format: its media type, the rate it is sent at (None: the synthesis rate) and, for
    libsndfile, its container and codec."""

    media_type: str
    rate: int | None = None
    container: str | None = None
    subtype: str | None = None


FORMATS = {
    "mp3": Format("audio/mpeg", None, "MP3", "MPEG_LAYER_III"),
    "opus": Format("audio/ogg", OPENAI_PCM_RATE, "OGG", "OPUS"),
    "flac": Format("audio/flac", None, "FLAC", "PCM_16"),
    "wav": Format("audio/wav"),
    "pcm": Format("audio/pcm", OPENAI_PCM_RATE),
}
"""What ``response_format`` may name. OpenAI's aac has no maintained encoder we can use offline."""


class _Sink:
    """A write-only, append-only file for libsndfile: ``take()`` returns the bytes written since the
    last call; a write into bytes already taken (a header fix-up) is dropped for the part taken."""

    def __init__(self) -> None:
        self._taken = 0        # bytes handed out so far
        self._pending = bytearray()
        self._pos = 0
        self._end = 0

    def write(self, data) -> int:
        data = bytes(data)
        start, stop = self._pos, self._pos + len(data)
        if stop > self._taken:
            skip = max(0, self._taken - start)
            offset = start + skip - self._taken
            grow = offset + len(data) - skip - len(self._pending)
            if grow > 0:
                self._pending.extend(bytes(grow))
            self._pending[offset:offset + len(data) - skip] = data[skip:]
        self._pos = stop
        self._end = max(self._end, stop)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else self._end + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        return b""

    def take(self) -> bytes:
        out = bytes(self._pending)
        self._taken += len(out)
        self._pending.clear()
        return out


class StreamEncoder:
    """Chunks of float32 mono samples at ``sample_rate`` in, bytes of ``name`` out:
    ``encode(chunk)`` for each chunk as it comes, then ``finish()`` once."""

    def __init__(self, name: str, sample_rate: int) -> None:
        self.format = FORMATS[name]
        self.rate = self.format.rate or sample_rate
        self._resampler = None
        if self.rate != sample_rate:
            import soxr

            self._resampler = soxr.ResampleStream(sample_rate, self.rate, 1, dtype="float32", quality="HQ")
        self._file = None
        self._sink = None
        self._head = wav_stream_header(self.rate) if name == "wav" else b""
        if self.format.container:
            import soundfile

            self._sink = _Sink()
            self._file = soundfile.SoundFile(self._sink, "w", self.rate, 1, format=self.format.container,
                                             subtype=self.format.subtype,
                                             **(MP3_CONSTANT_80K if name == "mp3" else {}))

    def encode(self, chunk: np.ndarray, last: bool = False) -> bytes:
        samples = np.asarray(chunk, dtype=np.float32).reshape(-1)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples, last=last)
        head, self._head = self._head, b""
        if self._file is None:
            return head + pcm16(samples)
        if len(samples):
            self._file.write(np.clip(samples, -1.0, 1.0))
        return head + self._sink.take()

    def finish(self) -> bytes:
        """The end of the stream: what the resampler and the encoder still hold."""
        out = self.encode(np.zeros(0, np.float32), last=True)
        if self._file is not None:
            self._file.close()
            out += self._sink.take()
        return out
