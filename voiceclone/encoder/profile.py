"""Voice profiles: what synthesis needs of a speaker, measured from reference files, saved as .npz.

A profile holds the speaker embedding averaged over the references, their pitch register, band
statistics and up to 30 s of their speech frames (about 400 KB in all). It records what made it
(file names, SHA-256 hashes, seconds of speech) and which encoder weights made the embedding, so
a profile from different weights is refused.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.atomic import atomic_write
from voiceclone.audio import condition_audio, read_audio, resample, to_mono
from voiceclone.encoder.embedding import embed_batch
from voiceclone.encoder.loading import default_weights_path, load_speaker_encoder, weights_version
from voiceclone.encoder.model import EncoderConfig, SpeakerEncoder
from voiceclone.encoder.reference import condition_reference
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.features.bands import band_statistics, pool_statistics, speech_frames
from voiceclone.features.frame_match import keep_reference_frames
from voiceclone.features.pitch import logf0_statistics
from voiceclone.hashing import file_sha256

PROFILE_FORMAT = "voiceclone-voice-profile/1"
PROFILE_SUFFIX = ".npz"


@dataclass(frozen=True)
class VoiceProfile:
    """A speaker embedding (256,) float32 unit vector, the references it came from, and (from the
    current voiceclone) their pitch, band statistics and speech frames."""

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
    to (``features.frame_match``). Shuffled, they keep the voice's sounds but not the recording's order."""

    @property
    def total_speech_s(self) -> float:
        return float(sum(self.speech_s))

    def summary(self) -> str:
        """One line: how many references, how much speech, which encoder."""
        n = len(self.sources)
        return (f"voice profile from {n} reference{'s' if n != 1 else ''}, {self.total_speech_s:.1f} s of speech "
                f"(encoder {self.encoder_version})")

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
    def load(cls, path: str | os.PathLike) -> VoiceProfile:
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
                   *((None, None) if bands is None else (bands[0], bands[1])), frames)


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


def _pitch(audio16k: np.ndarray) -> tuple[float, float]:
    """Log-F0 mean and std of a prepared 16 kHz reference, measured on the vocoder's frames."""
    mean, std, _ = logf0_statistics(resample(audio16k, 16000, VOCODER_MEL.sample_rate))
    return mean, std


def _spectrum(audio: np.ndarray, sample_rate: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speech-frame statistics of a reference's vocoder log-mel and all its speech frames, from the
    file's own samples (combine_profiles caps and shuffles the frames).

    Not from the encoder's 16 kHz audio: that holds nothing above 8 kHz, where the top mel band ends.
    """
    signal = condition_audio(audio, sample_rate, VOCODER_MEL.sample_rate, name)
    mel = mel_spectrogram(signal, VOCODER_MEL)
    mean, std = band_statistics(mel)
    return mean.astype(np.float32), std.astype(np.float32), mel[:, speech_frames(mel)]


def combine_profiles(profiles: Sequence[VoiceProfile]) -> VoiceProfile:
    """One profile from several: embeddings averaged with one vote per reference file, renormalised;
    pitch and band statistics pooled by seconds of speech; reference frames joined, capped and shuffled."""
    versions = {p.encoder_version for p in profiles}
    if len(versions) > 1:
        raise VoiceCloneError(f"cannot combine voice profiles made by different encoders: {', '.join(sorted(versions))}")
    total = sum(len(p.sources) * p.embedding.astype(np.float64) for p in profiles)
    return VoiceProfile(
        (total / np.linalg.norm(total)).astype(np.float32),
        tuple(s for p in profiles for s in p.sources),
        tuple(s for p in profiles for s in p.sha256),
        tuple(s for p in profiles for s in p.speech_s),
        versions.pop(),
        *_pooled_pitch(profiles),
        *_pooled_bands(profiles),
        _pooled_frames(profiles),
    )


def _speech_weights(profiles: Sequence[VoiceProfile]) -> list[float]:
    """How much each profile counts when pooling statistics: its seconds of speech."""
    return [max(p.total_speech_s, 1e-3) for p in profiles]


def _pooled_bands(profiles: Sequence[VoiceProfile]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Band statistics of several profiles pooled, weighted by their seconds of speech (None if any lacks them)."""
    if any(p.band_mean is None for p in profiles):
        return None, None
    mean, std = pool_statistics([(p.band_mean, p.band_std) for p in profiles], _speech_weights(profiles))
    return mean.astype(np.float32), std.astype(np.float32)


def _pooled_frames(profiles: Sequence[VoiceProfile]) -> np.ndarray | None:
    """Reference frames of several profiles together, capped and shuffled (None if any lacks them)."""
    if any(p.reference_frames is None for p in profiles):
        return None
    return keep_reference_frames(np.concatenate([p.reference_frames for p in profiles], axis=1))


def _pooled_pitch(profiles: Sequence[VoiceProfile]) -> tuple[float, float]:
    """Log-F0 mean and std of several profiles pooled, weighted by their seconds of speech."""
    known = [p for p in profiles if np.isfinite(p.logf0_mean)]
    if not known:
        return float("nan"), float("nan")
    mean, std = pool_statistics([(np.array([p.logf0_mean]), np.array([p.logf0_std])) for p in known],
                                _speech_weights(known))
    return float(mean[0]), float(std[0])


def build_profile(paths: Sequence[str | os.PathLike], encoder: SpeakerEncoder | None = None) -> VoiceProfile:
    """A profile from reference audio files: each prepared and embedded, then averaged."""
    if len(paths) == 0:
        raise VoiceCloneError("no reference audio given")
    encoder = encoder if encoder is not None else load_speaker_encoder()
    paths = [Path(p) for p in paths]
    decoded = [read_audio(p) for p in paths]  # each file is decoded once, for both sample rates
    prepared = [condition_reference(to_mono(audio), sr, str(p)) for p, (audio, sr) in zip(paths, decoded)]
    embeddings = embed_batch(encoder, [r.audio for r in prepared])
    parts = [
        VoiceProfile(e, (p.name,), (file_sha256(p),), (r.speech_s,), encoder.version, *_pitch(r.audio),
                     *_spectrum(audio, sr, str(p)))
        for p, (audio, sr), r, e in zip(paths, decoded, prepared, embeddings)
    ]
    return combine_profiles(parts)


def load_voice(path_or_paths: str | os.PathLike | Sequence[str | os.PathLike],
               encoder: SpeakerEncoder | None = None) -> VoiceProfile:
    """A voice from .npz profile(s), reference audio file(s), or a mix of both.

    Every reference file counts once, whether given directly or inside a profile. Profiles
    made by other encoder weights than the installed ones are refused.
    """
    items = [Path(path_or_paths)] if isinstance(path_or_paths, (str, os.PathLike)) else [Path(p) for p in path_or_paths]
    if not items:
        raise VoiceCloneError("no voice given: pass reference audio or a .npz voice profile")
    current = encoder.version if encoder is not None else weights_version(default_weights_path())
    profiles = []
    for path in (p for p in items if p.suffix.lower() == PROFILE_SUFFIX):
        profile = VoiceProfile.load(path)
        if profile.encoder_version != current:
            raise VoiceCloneError(
                f"{path}: voice profile was made by encoder {profile.encoder_version}, but the installed one is "
                f"{current}; rebuild it with: voiceclone embed"
            )
        profiles.append(profile)
    audio = [p for p in items if p.suffix.lower() != PROFILE_SUFFIX]
    if audio:
        profiles.append(build_profile(audio, encoder))
    return combine_profiles(profiles)
