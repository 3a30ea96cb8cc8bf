"""A voice: what synthesis needs of a speaker, measured from reference files, saved as a .npz profile.

A profile holds the speaker embedding averaged over the references, their pitch register, band
statistics and up to 30 s of their speech frames (about 400 KB in all). It records what made it
(file names, SHA-256 hashes, seconds of speech) and which encoder weights made the embedding, so
a profile from different weights is refused.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voiceclone.atomic import atomic_write
from voiceclone.encoder.model import EncoderConfig
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL

PROFILE_FORMAT = "voiceclone-voice-profile/1"
PROFILE_SUFFIX = ".npz"


@dataclass(frozen=True)
class Voice:
    """A speaker: its GE2E embedding (256,) float32 unit vector, which the acoustic model is
    conditioned on, the references it came from, and their pitch register (also conditioning),
    spectral envelope and speech frames (what ``VoiceMatcher`` moves the model's log-mel toward).

    Profiles written by older releases may lack the last three; ``check_usable`` says so.
    """

    embedding: np.ndarray
    sources: tuple[str, ...]
    """File names of the reference audio."""
    sha256: tuple[str, ...]
    """SHA-256 of each reference file."""
    speech_s: tuple[float, ...]
    """Seconds of speech found in each reference."""
    encoder_version: str
    logf0_mean: float = float("nan")
    """Mean log-F0 (natural log of Hz) over the references' voiced frames: the voice's register."""
    logf0_std: float = float("nan")
    """Standard deviation of that log-F0: the voice's pitch range."""
    band_mean: np.ndarray | None = None
    """Mean of each vocoder log-mel band over the references' speech frames: the voice's spectral envelope."""
    band_std: np.ndarray | None = None
    """Standard deviation of each band over those frames."""
    reference_frames: np.ndarray | None = None
    """Some of those speech frames (n_mels, N), in shuffled order: what synthesis matches its frames
    to (``voice.frames``). Shuffled, they keep the voice's sounds but not the recording's order."""
    description: str = field(default="", compare=False)
    """How the user named it (file names, 'default voice'); not saved."""

    @property
    def total_speech_s(self) -> float:
        return float(sum(self.speech_s))

    def summary(self) -> str:
        """One line: how many references, how much speech, which encoder."""
        n = len(self.sources)
        return (f"voice profile from {n} reference{'s' if n != 1 else ''}, {self.total_speech_s:.1f} s of speech "
                f"(encoder {self.encoder_version})")

    def check_usable(self) -> Voice:
        """This voice if synthesis can speak in it; a VoiceCloneError saying what to do otherwise."""
        if self.band_mean is None or self.reference_frames is None:
            raise VoiceCloneError(f"{self.description}: voice profile was made by an older voiceclone (no spectral "
                                  f"statistics or reference frames); rebuild it with: voiceclone embed")
        if not np.isfinite(self.logf0_mean):
            raise VoiceCloneError(f"{self.description}: no pitch could be measured (too little voiced speech); "
                                  f"use a recording of ordinary spoken sentences")
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """Write the profile as .npz atomically (temp file in the same folder, then rename)."""
        path = Path(path)
        if path.suffix.lower() != PROFILE_SUFFIX:
            raise VoiceCloneError(f"{path}: a voice profile is saved as a {PROFILE_SUFFIX} file")

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as handle:
                np.savez(
                    handle,
                    format=np.array(PROFILE_FORMAT),
                    embedding=self.embedding.astype(np.float32),
                    sources=np.array(self.sources, dtype=str),
                    sha256=np.array(self.sha256, dtype=str),
                    speech_s=np.array(self.speech_s, dtype=np.float64),
                    encoder_version=np.array(self.encoder_version),
                    logf0=np.array([self.logf0_mean, self.logf0_std], dtype=np.float64),
                    **({} if self.band_mean is None else
                       {"band_stats": np.stack([self.band_mean, self.band_std]).astype(np.float32)}),
                    **({} if self.reference_frames is None else
                       {"reference_frames": self.reference_frames.astype(np.float16)}),
                )

        return atomic_write(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Voice:
        """Read a profile saved by ``save``; anything else gives a one-line VoiceCloneError."""
        path = Path(path)
        if not path.is_file():
            raise VoiceCloneError(f"{path}: no such voice profile")
        try:
            with np.load(path, allow_pickle=False) as data:
                fields = {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            raise VoiceCloneError(f"{path}: not a voice profile (cannot read it as a .npz archive)") from None
        if str(fields.get("format", "")) != PROFILE_FORMAT:
            raise VoiceCloneError(f"{path}: not a voice profile (made by 'voiceclone embed')")
        try:
            embedding = np.asarray(fields["embedding"], dtype=np.float32)
            sources = tuple(str(s) for s in fields["sources"])
            sha = tuple(str(s) for s in fields["sha256"])
            speech = tuple(float(s) for s in fields["speech_s"])
            version = str(fields["encoder_version"])
            logf0 = np.asarray(fields.get("logf0", [np.nan, np.nan]), dtype=np.float64).reshape(2)
            bands = fields.get("band_stats")
            bands = None if bands is None else np.asarray(bands, dtype=np.float32).reshape(2, VOCODER_MEL.n_mels)
            frames = fields.get("reference_frames")
            frames = None if frames is None else np.asarray(frames, dtype=np.float32).reshape(VOCODER_MEL.n_mels, -1)
        except (KeyError, TypeError, ValueError):
            raise VoiceCloneError(f"{path}: voice profile is damaged (fields missing or of the wrong type)") from None
        if (embedding.shape != (EncoderConfig().embedding_size,) or not np.all(np.isfinite(embedding))
                or abs(float(np.linalg.norm(embedding)) - 1.0) > 1e-3 or not (len(sources) == len(sha) == len(speech))):
            raise VoiceCloneError(f"{path}: voice profile is damaged (bad embedding or provenance)")
        problem = _implausible_field(speech, logf0 if "logf0" in fields else None, bands, frames)
        if problem:
            raise VoiceCloneError(f"{path}: voice profile is damaged ({problem}); rebuild it with: voiceclone embed")
        return cls(embedding, sources, sha, speech, version, float(logf0[0]), float(logf0[1]),
                   *((None, None) if bands is None else (bands[0], bands[1])), frames, str(path))


LOGF0_RANGE = (np.log(30.0), np.log(1000.0))
"""Median pitch of any voice, as natural log of Hz."""
LOG_MEL_RANGE = (float(np.log(VOCODER_MEL.log_floor)) - 0.1, 8.0)
"""Values a vocoder log-mel can take: the log floor (less float16 rounding: frames are stored as
float16) up to far louder than full scale."""


def _implausible_field(speech: tuple[float, ...], logf0: np.ndarray | None, bands: np.ndarray | None,
                       frames: np.ndarray | None) -> str | None:
    """What is wrong with a loaded profile's measurements, or None when each lies where real speech puts it.

    A NaN pitch pair is not damage: it records a reference with too little voiced speech to measure.
    """
    low, high = LOG_MEL_RANGE
    if not all(np.isfinite(s) and s >= 0 for s in speech):
        return "bad seconds of speech"
    measured = logf0 is not None and not np.all(np.isnan(logf0))
    if measured and not (np.all(np.isfinite(logf0)) and LOGF0_RANGE[0] <= logf0[0] <= LOGF0_RANGE[1] and 0 <= logf0[1] <= 2):
        return "bad pitch statistics"
    if bands is not None and not (np.all(np.isfinite(bands)) and np.all((bands[0] >= low) & (bands[0] <= high))
                                  and np.all((bands[1] > 0) & (bands[1] <= high - low))):
        return "bad spectral statistics"
    if frames is not None and not (frames.shape[1] > 0 and np.all(np.isfinite(frames))
                                   and np.all((frames >= low) & (frames <= high))):
        return "bad reference frames"
    return None


