"""The one way every output leaves voiceclone: levelled, watermarked, with its provenance, written atomically.

``speak``, ``vocode`` and ``eval`` all finish their audio here, so what a file carries (the mark,
the provenance tags and sidecar) never depends on which command made it. ``finish_stream`` does
the same to audio that is still being made: one fixed gain and the mark embedded block by block.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.audio import normalise_level
from voiceclone.audio.io import AudioTarget, check_audio_target, write_audio
from voiceclone.errors import VoiceCloneError

OUTPUT_LEVEL_DBFS = -23.0
"""RMS level of every synthesised output. Without it a clone's loudness follows how much silence its
reference held (13 dB apart across the development voices). At -20 dBFS the -1 dBFS peak limit held
27 of 70 development clones below the target (down to -23.4); at -23 all 70 land within 0.4 dB of it."""


@dataclass(frozen=True)
class Output:
    """Finished audio: float32 mono samples, their rate, and the provenance record that goes with them."""

    audio: np.ndarray
    sample_rate: int
    provenance: dict

    def write(self, target: AudioTarget, sidecar: str | os.PathLike | None = None) -> Path | None:
        """Write the audio with its provenance tags to a path (atomically) or a binary stream, and the
        record as a JSON ``sidecar`` if asked. Returns the path, or None for a stream."""
        from voiceclone.watermark.provenance import provenance_tags, write_sidecar

        written = write_audio(target, self.audio, self.sample_rate, metadata=provenance_tags(self.provenance))
        if sidecar is not None:
            write_sidecar(sidecar, self.provenance)
        return written


def check_targets(target: AudioTarget, sidecar: str | os.PathLike | None = None) -> None:
    """Fail at once, before any work, when an output could not be written."""
    from voiceclone.atomic import check_output_path

    check_audio_target(target)
    if sidecar is not None:
        check_output_path(sidecar)


def provenance(model_id: str, sources_sha256: Sequence[str], watermark: bool) -> dict:
    """The provenance record of an output: what made it, from which references, whether it is marked."""
    from voiceclone.watermark import DEFAULT_KEY
    from voiceclone.watermark.provenance import make_provenance

    return make_provenance(model_id, list(sources_sha256), watermark, key_id=DEFAULT_KEY.key_id if watermark else None)


def finish(audio: np.ndarray, sample_rate: int, *, model_id: str, sources_sha256: Sequence[str], watermark: bool,
           level_dbfs: float | None = OUTPUT_LEVEL_DBFS) -> Output:
    """``audio`` levelled to ``level_dbfs`` RMS (None keeps its level, as copy-synthesis does), watermarked
    unless ``watermark`` is False (which the provenance records), and its provenance record."""
    from voiceclone.watermark import embed_watermark

    if level_dbfs is not None:
        audio = normalise_level(audio, level_dbfs)
    if watermark:
        audio = embed_watermark(audio, sample_rate)
    return Output(np.asarray(audio, dtype=np.float32), sample_rate, provenance(model_id, sources_sha256, watermark))


def finish_stream(pieces: Iterable[np.ndarray], sample_rate: int, gain: float, watermark: bool) -> Iterator[np.ndarray]:
    """Audio ``pieces`` as they come, times a fixed ``gain`` (set before the first piece, where a file's
    level is measured on the whole of it), watermarked block by block (``watermark.stream``).
    Together the chunks hold exactly as many samples as the pieces; none is empty."""
    from voiceclone.watermark.stream import StreamingWatermarker

    marker = StreamingWatermarker(sample_rate) if watermark else None
    for piece in pieces:
        out = np.asarray(piece, np.float32) * np.float32(gain)
        out = marker.add(out) if marker is not None else out
        if len(out):
            yield out
    if marker is not None:
        rest = marker.finish()
        if len(rest):
            yield rest


def audio_target(output: str | os.PathLike) -> AudioTarget:
    """Where a command's ``-o`` sends audio: the path, or standard output's binary stream for '-'
    (refused when that is a terminal, where a WAV would only garble the screen)."""
    if str(output) != "-":
        return output
    if sys.stdout.isatty():
        raise VoiceCloneError("-o - writes WAV audio to standard output: pipe it (| aplay) or redirect it (> out.wav)")
    return sys.stdout.buffer


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """A pipe on standard output closed early becomes one error line, not a traceback at exit."""
    try:
        yield
    except BrokenPipeError:  # keep Python's exit-time flush from failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise VoiceCloneError("standard output was closed before all the audio was written") from None
