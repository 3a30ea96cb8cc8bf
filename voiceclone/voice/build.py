"""Building a voice from reference recordings, and combining voices and saved profiles."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from voiceclone.audio import condition_audio, read_audio, resample, to_mono
from voiceclone.encoder.embedding import embed_batch
from voiceclone.encoder.loading import default_weights_path, load_speaker_encoder, weights_version
from voiceclone.encoder.model import SpeakerEncoder
from voiceclone.encoder.reference import condition_reference
from voiceclone.errors import VoiceCloneError
from voiceclone.features import ENCODER_MEL, VOCODER_MEL, mel_spectrogram
from voiceclone.features.bands import band_statistics, pool_statistics, speech_frames
from voiceclone.features.pitch import logf0_statistics
from voiceclone.hashing import file_sha256
from voiceclone.voice.frames import keep_reference_frames
from voiceclone.voice.profile import PROFILE_SUFFIX, Voice


def _pitch(audio16k: np.ndarray) -> tuple[float, float]:
    """Log-F0 mean and std of a prepared 16 kHz reference, measured on the vocoder's frames."""
    mean, std, _ = logf0_statistics(resample(audio16k, ENCODER_MEL.sample_rate, VOCODER_MEL.sample_rate))
    return mean, std


def _spectrum(audio: np.ndarray, sample_rate: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speech-frame statistics of a reference's vocoder log-mel and all its speech frames, from the
    file's own samples (combine_voices caps and shuffles the frames).

    Not from the encoder's 16 kHz audio: that holds nothing above 8 kHz, where the top mel band ends.
    """
    signal = condition_audio(audio, sample_rate, VOCODER_MEL.sample_rate, name)
    mel = mel_spectrogram(signal, VOCODER_MEL)
    mean, std = band_statistics(mel)
    return mean.astype(np.float32), std.astype(np.float32), mel[:, speech_frames(mel)]


def combine_voices(profiles: Sequence[Voice]) -> Voice:
    """One profile from several: embeddings averaged with one vote per reference file, renormalised;
    pitch and band statistics pooled by seconds of speech; reference frames joined, capped and shuffled."""
    versions = {p.encoder_version for p in profiles}
    if len(versions) > 1:
        raise VoiceCloneError(f"cannot combine voice profiles made by different encoders: {', '.join(sorted(versions))}")
    total = sum(len(p.sources) * p.embedding.astype(np.float64) for p in profiles)
    return Voice(
        (total / np.linalg.norm(total)).astype(np.float32),
        tuple(s for p in profiles for s in p.sources),
        tuple(s for p in profiles for s in p.sha256),
        tuple(s for p in profiles for s in p.speech_s),
        versions.pop(),
        *_pooled_pitch(profiles),
        *_pooled_bands(profiles),
        _pooled_frames(profiles),
    )


def _speech_weights(profiles: Sequence[Voice]) -> list[float]:
    """How much each profile counts when pooling statistics: its seconds of speech."""
    return [max(p.total_speech_s, 1e-3) for p in profiles]


def _pooled_bands(profiles: Sequence[Voice]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Band statistics of several profiles pooled, weighted by their seconds of speech (None if any lacks them)."""
    if any(p.band_mean is None for p in profiles):
        return None, None
    mean, std = pool_statistics([(p.band_mean, p.band_std) for p in profiles], _speech_weights(profiles))
    return mean.astype(np.float32), std.astype(np.float32)


def _pooled_frames(profiles: Sequence[Voice]) -> np.ndarray | None:
    """Reference frames of several profiles together, capped and shuffled (None if any lacks them)."""
    if any(p.reference_frames is None for p in profiles):
        return None
    return keep_reference_frames(np.concatenate([p.reference_frames for p in profiles], axis=1))


def _pooled_pitch(profiles: Sequence[Voice]) -> tuple[float, float]:
    """Log-F0 mean and std of several profiles pooled, weighted by their seconds of speech."""
    known = [p for p in profiles if np.isfinite(p.logf0_mean)]
    if not known:
        return float("nan"), float("nan")
    mean, std = pool_statistics([(np.array([p.logf0_mean]), np.array([p.logf0_std])) for p in known],
                                _speech_weights(known))
    return float(mean[0]), float(std[0])


def build_voice(paths: Sequence[str | os.PathLike], encoder: SpeakerEncoder | None = None) -> Voice:
    """A profile from reference audio files: each prepared and embedded, then averaged."""
    if len(paths) == 0:
        raise VoiceCloneError("no reference audio given")
    encoder = encoder if encoder is not None else load_speaker_encoder()
    paths = [Path(p) for p in paths]
    decoded = [read_audio(p) for p in paths]  # each file is decoded once, for both sample rates
    prepared = [condition_reference(to_mono(audio), sr, str(p)) for p, (audio, sr) in zip(paths, decoded)]
    embeddings = embed_batch(encoder, [r.audio for r in prepared])
    parts = [
        Voice(e, (p.name,), (file_sha256(p),), (r.speech_s,), encoder.version, *_pitch(r.audio),
                     *_spectrum(audio, sr, str(p)))
        for p, (audio, sr), r, e in zip(paths, decoded, prepared, embeddings)
    ]
    return combine_voices(parts)


def load_voice(path_or_paths: str | os.PathLike | Sequence[str | os.PathLike],
               encoder: SpeakerEncoder | None = None) -> Voice:
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
        profile = Voice.load(path)
        if profile.encoder_version != current:
            raise VoiceCloneError(
                f"{path}: voice profile was made by encoder {profile.encoder_version}, but the installed one is "
                f"{current}; rebuild it with: voiceclone embed"
            )
        profiles.append(profile)
    audio = [p for p in items if p.suffix.lower() != PROFILE_SUFFIX]
    if audio:
        profiles.append(build_voice(audio, encoder))
    return replace(combine_voices(profiles), description=", ".join(str(p) for p in items))
