"""Reading and writing audio files, with one-line errors for every bad input."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from voiceclone.atomic import atomic_write, check_output_path
from voiceclone.audio.processing import MIN_DURATION_S, normalise_level, resample, to_mono, trim_silence
from voiceclone.errors import VoiceCloneError, first_line

SILENCE_PEAK = 1e-4
"""A signal whose peak is below this (-80 dBFS) is treated as silent."""
SAMPLE_RATE_RANGE = (4000, 768_000)
"""Sample rates read as audio. Below 4 kHz no speech band survives; a header claiming 1 Hz (a damaged
file) would otherwise be resampled into billions of samples."""


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read any file libsndfile understands (wav, flac, ogg, mp3) as float32 (samples, channels)."""
    path = Path(path)
    if not path.exists():
        raise VoiceCloneError(f"{path}: no such file")
    if path.is_dir():
        raise VoiceCloneError(f"{path}: is a folder, expected an audio file")
    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for corrupt or unknown files
        raise VoiceCloneError(f"{path}: cannot read audio ({first_line(exc)})") from None
    if audio.shape[0] == 0:
        raise VoiceCloneError(f"{path}: the file holds no audio samples")
    low, high = SAMPLE_RATE_RANGE
    if not low <= sr <= high:
        raise VoiceCloneError(f"{path}: sample rate {sr:,} Hz is not one voiceclone reads ({low:,} to {high:,} Hz); "
                              f"is the file damaged?")
    if not np.all(np.isfinite(audio)):
        raise VoiceCloneError(f"{path}: audio contains NaN or infinite samples")
    return audio, int(sr)


def load_audio(
    path: str | os.PathLike,
    sample_rate: int,
    *,
    trim: bool = True,
    normalise: bool = True,
    min_duration_s: float = MIN_DURATION_S,
) -> np.ndarray:
    """Load a file as a mono float32 signal at ``sample_rate``, trimmed and level-normalised.

    Raises VoiceCloneError naming the file when it is missing, unreadable, empty, silent,
    non-finite, or shorter than ``min_duration_s`` after trimming.
    """
    audio, sr = read_audio(path)
    return condition_audio(audio, sr, sample_rate, str(path), trim=trim, normalise=normalise,
                           min_duration_s=min_duration_s)


def condition_audio(
    audio: np.ndarray,
    source_rate: int,
    sample_rate: int,
    name: str = "audio",
    *,
    trim: bool = True,
    normalise: bool = True,
    min_duration_s: float = MIN_DURATION_S,
) -> np.ndarray:
    """What load_audio does after reading: (samples, channels) at ``source_rate`` -> mono at ``sample_rate``."""
    mono = to_mono(audio)
    if float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise VoiceCloneError(f"{name}: audio is silent (peak below -80 dBFS)")
    mono = resample(mono, source_rate, sample_rate)
    if trim:
        mono = trim_silence(mono, sample_rate)
    duration = len(mono) / sample_rate
    if duration < min_duration_s:
        raise VoiceCloneError(
            f"{name}: only {duration:.2f} s of audio after trimming silence; need at least {min_duration_s:.1f} s"
        )
    if normalise:
        mono = normalise_level(mono)
    return mono


OUTPUT_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}


def check_audio_output(path: str | os.PathLike) -> str:
    """The libsndfile format for writing audio to ``path``; a VoiceCloneError if it cannot be written there."""
    path = check_output_path(path)
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise VoiceCloneError(f"{path}: unsupported output extension '{path.suffix}'; use .wav, .flac or .ogg")
    return fmt


def save_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, *, metadata: dict | None = None) -> Path:
    """Write audio atomically: a temporary file in the same folder, then a rename.

    The format follows the extension (wav, flac, ogg). ``metadata`` keys that libsndfile
    supports as tags (title, comment, software, ...) are written into the file.
    """
    path = Path(path)
    audio = _writable(audio, path)
    fmt = check_audio_output(path)
    return atomic_write(path, lambda tmp: _write_sound(str(tmp), audio, sample_rate, fmt, metadata))


def write_audio_stream(stream: BinaryIO, audio: np.ndarray, sample_rate: int, *, metadata: dict | None = None) -> None:
    """Write audio as one 16-bit WAV to a binary stream (standard output, a socket), tags as ``save_audio``.

    The WAV is built in memory and written in one go, so a failure during encoding writes nothing.
    """
    audio = _writable(audio, getattr(stream, "name", "stream"))
    buffer = io.BytesIO()
    _write_sound(buffer, audio, sample_rate, "WAV", metadata)
    stream.write(buffer.getvalue())
    stream.flush()


AudioTarget = str | os.PathLike | BinaryIO
"""Where synthesised audio goes: a file path, or a binary stream (standard output) that gets a WAV."""


def check_audio_target(target: AudioTarget) -> None:
    """A VoiceCloneError now if ``target`` is a path audio cannot be written to (a stream is not checked)."""
    if not hasattr(target, "write"):
        check_audio_output(target)


def write_audio(target: AudioTarget, audio: np.ndarray, sample_rate: int, *, metadata: dict | None = None) -> Path | None:
    """``save_audio`` to a path (returned), or ``write_audio_stream`` to a binary stream (None returned)."""
    if hasattr(target, "write"):
        write_audio_stream(target, audio, sample_rate, metadata=metadata)
        return None
    return save_audio(target, audio, sample_rate, metadata=metadata)


def _writable(audio: np.ndarray, where: object) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1 or len(audio) == 0:
        raise VoiceCloneError(f"{where}: nothing to write (expected a non-empty mono signal)")
    return audio


def _write_sound(target: str | BinaryIO, audio: np.ndarray, sample_rate: int, fmt: str, metadata: dict | None) -> None:
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS"}[fmt]
    with sf.SoundFile(target, "w", samplerate=int(sample_rate), channels=1, format=fmt, subtype=subtype) as out:
        for key, value in (metadata or {}).items():
            if key in ("title", "copyright", "software", "artist", "comment", "date", "album", "license"):
                setattr(out, key, str(value))
        out.write(np.clip(audio, -1.0, 1.0))
