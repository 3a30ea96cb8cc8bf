"""The Python API: load the models once, then clone many voices and speak many texts.

    from voiceclone import VoiceCloner
    vc = VoiceCloner(device="auto")
    voice = vc.voice("ref.wav")            # or a list of files, or a voice.npz profile
    audio, sr = vc.speak("Hello there.", voice)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from voiceclone.acoustic.checkpoint import SHIPPED, load_checkpoint
from voiceclone.audio import normalise_level
from voiceclone.audio.io import AudioTarget
from voiceclone.device import resolve_device, resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL
from voiceclone.features.bands import band_statistics, match_joint_band_statistics, move_band_statistics
from voiceclone.features.covariance import match_covariance
from voiceclone.features.frame_match import MATCH_WEIGHT, blend_nearest_frames
from voiceclone.features.postfilter import (borrow_spectral_detail, borrow_temporal_detail, sharpen_in_frequency,
                                            sharpen_in_time)

SAMPLE_RATE = VOCODER_MEL.sample_rate
DEFAULT_VOICE_FILE = "default_voice.npz"
"""The built-in voice's profile, saved beside each checkpoint by the recipe's export."""
MAX_TEXT_CHARS = 20_000
"""Longest text one call speaks (about 20 minutes of speech); split bigger jobs into files."""
PAUSE_S = 0.25
"""Silence between chunks of long text, on top of the model's own pause at the punctuation."""
PROGRESS_DELAY_S = 2.0
"""With progress on, a bar appears once a step has run this long."""
SPEED_RANGE = (0.5, 2.0)
SIMILARITY_RANGE = (0.0, 1.0)
PITCH_RANGE = (-12.0, 12.0)
OUTPUT_LEVEL_DBFS = -23.0
"""RMS level of every output. Without it a clone's loudness follows how much silence its reference
held (13 dB apart across the development voices). At -20 dBFS the -1 dBFS peak limit held 27 of 70
development clones below the target (down to -23.4); at -23 all 70 land within 0.4 dB of it."""


@dataclass(frozen=True)
class Voice:
    """What synthesis needs of a speaker: the GE2E d-vector and pitch register the acoustic model is
    conditioned on, the spectral envelope (per-band log-mel statistics) its output is moved to, and
    reference speech frames (n_mels, N) its frames are blended toward."""

    embedding: np.ndarray
    logf0_mean: float
    logf0_std: float
    band_mean: np.ndarray
    band_std: np.ndarray
    reference_frames: np.ndarray
    reference_sha256: tuple[str, ...]
    description: str


def voice_from_profile(profile, description: str) -> Voice:
    """A Voice from a VoiceProfile that carries pitch and spectral statistics and reference frames."""
    if getattr(profile, "band_mean", None) is None or getattr(profile, "reference_frames", None) is None:
        raise VoiceCloneError(f"{description}: voice profile was made by an older voiceclone (no spectral "
                              f"statistics or reference frames); rebuild it with: voiceclone embed")
    if not np.isfinite(profile.logf0_mean):
        raise VoiceCloneError(f"{description}: no pitch could be measured (too little voiced speech); "
                              f"use a recording of ordinary spoken sentences")
    return Voice(profile.embedding, float(profile.logf0_mean), float(profile.logf0_std), profile.band_mean,
                 profile.band_std, profile.reference_frames, tuple(profile.sha256), description)


class VoiceCloner:
    """Text + voice -> waveform. Models load once per instance and are reused for every call.

    ``precision`` is the vocoder's arithmetic: 'auto' (bfloat16 on CPUs with AMX matrix units,
    where it is about twice as fast; float32 elsewhere), 'fp32' or 'bf16'.
    """

    def __init__(self, device: str = "auto", checkpoint: str | os.PathLike | None = None, watermark: bool = True,
                 precision: str = "auto"):
        self.device = resolve_device(device)
        resolve_precision(precision, self.device)  # an unknown name fails before any model loads
        self.precision = precision
        folder = Path(checkpoint or SHIPPED)
        ckpt = load_checkpoint(folder, self.device)
        own_voice = folder / DEFAULT_VOICE_FILE
        self.default_voice_path = own_voice if own_voice.is_file() else SHIPPED / DEFAULT_VOICE_FILE
        self.model, self.table, self.meta = ckpt.model, ckpt.table, ckpt.meta
        self.model_id = str(self.meta.get("model_id", "voiceclone-acoustic"))
        self.watermark = watermark
        self._frontend = None
        self._encoder = None
        self._vocoder = None
        self._default_voice: Voice | None = None

    # --- lazily loaded parts ------------------------------------------------------------------
    @property
    def frontend(self):
        if self._frontend is None:
            from voiceclone.text import TextFrontend

            self._frontend = TextFrontend()
        return self._frontend

    @property
    def encoder(self):
        if self._encoder is None:
            from voiceclone.encoder import load_speaker_encoder

            self._encoder = load_speaker_encoder(self.device)
        return self._encoder

    @property
    def vocoder(self):
        if self._vocoder is None:
            from voiceclone.vocoder import load_vocoder

            self._vocoder = load_vocoder(self.device, self.precision)
        return self._vocoder

    # --- voices ----------------------------------------------------------------------------------
    def voice(self, source: "str | os.PathLike | Sequence[str | os.PathLike] | Voice | None" = None) -> Voice:
        """A Voice from reference audio file(s) and/or .npz profile(s); None gives the default voice."""
        if isinstance(source, Voice):
            return source
        if source is None:
            return self.default_voice()
        from voiceclone.encoder import load_voice

        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        profile = load_voice(paths, self.encoder)
        return voice_from_profile(profile, ", ".join(str(p) for p in paths))

    def default_voice(self) -> Voice:
        """The built-in voice: the profile saved beside the checkpoint (the shipped one if it has none)."""
        if self._default_voice is None:
            from voiceclone.encoder import VoiceProfile

            self._default_voice = voice_from_profile(VoiceProfile.load(self.default_voice_path), "default voice")
        return self._default_voice

    # --- synthesis -------------------------------------------------------------------------------
    def mel(self, text: str, voice: Voice, speed: float = 1.0, pitch: float = 0.0,
            similarity: float = MATCH_WEIGHT, progress: bool = False) -> np.ndarray:
        """Log-mel (80, frames) for ``text``: split into chunks, each synthesised, joined with pauses.

        Each chunk is rendered twice with the same phoneme durations, in the voice and in the
        built-in voice (once when the voice is the built-in one). The voice's log-mel gets back some
        of the temporal contrast the model's L1 training blurs, its own and the built-in voice's (the
        model renders the voice it knows best more crisply), and some of its contrast across bands
        (``features.postfilter``). A cloned voice's log-mel also takes half of its harmonic fine
        structure from its re-rendering through the model's auto-encoding path. Phoneme durations
        are the ones it predicts for the built-in voice, whatever the voice: the timing it predicted
        for unseen voices cost intelligibility and did not follow the references' speaking rate
        (``speed`` sets it).

        The result is moved, band by band, from its own speech-frame log-mel mean and std (over all
        chunks together) to the voice's: the model alone renders an unseen speaker's spectral
        envelope only roughly. Then the way its bands vary together is moved part of the way to the
        reference frames' (``features.covariance``), each speech frame is blended, ``similarity`` of
        the way, toward its nearest reference frames (``features.frame_match``), and after each of
        these steps the bands are moved to the voice's statistics again. With a ``pitch`` shift the
        band correction is the one measured at the voice's own pitch, so that it does not pull the
        shifted harmonics back, and neither covariance nor frames are matched: the reference's
        frames carry harmonics at the unshifted pitch. ``progress`` shows a bar over the chunks.
        """
        check_controls(speed, pitch, similarity)
        ids = self.phoneme_ids(text)
        mels = self._model_mels(ids, voice, speed, pitch, progress)
        spoken = band_statistics(np.concatenate(mels if pitch == 0 else self._model_mels(ids, voice, speed, 0.0), axis=1))
        pieces = match_to_voice(mels, voice, spoken, similarity if pitch == 0 else None)
        silence = np.full((VOCODER_MEL.n_mels, int(PAUSE_S * SAMPLE_RATE / VOCODER_MEL.hop_length)),
                          np.log(VOCODER_MEL.log_floor), np.float32)
        joined = []
        for i, piece in enumerate(pieces):
            if i:
                joined.append(silence)
            joined.append(piece)
        return np.concatenate(joined, axis=1)

    def phoneme_ids(self, text: str) -> list[torch.Tensor]:
        """The text split into chunks, each as a (1, n) tensor of phoneme ids.

        Raises VoiceCloneError for text over ``MAX_TEXT_CHARS`` or with nothing to speak, so callers
        can check every text of a batch before synthesising any.
        """
        if len(text) > MAX_TEXT_CHARS:
            raise VoiceCloneError(f"text is {len(text):,} characters; one call speaks at most {MAX_TEXT_CHARS:,} "
                                  f"(split it, or use --text-file with --out-dir for one file per line)")
        return [torch.tensor([self.frontend.encode(chunk, self.table)], device=self.device)
                for chunk in self.frontend.chunks(text)]

    def _model_mels(self, ids: list[torch.Tensor], voice: Voice, speed: float, pitch: float,
                    progress: bool = False) -> list[np.ndarray]:
        """The acoustic model's log-mel for each chunk of phoneme ids, with temporal and spectral contrast restored.

        For any voice but the built-in one, one batch of two per chunk: row 0 in the voice, row 1 in
        the built-in voice (at the voice's pitch register), both timed as the built-in voice, so
        their frames line up and row 1 lends its temporal detail to row 0. Row 0 first takes half of
        its spectral fine structure from its own re-rendering through the auto-encoding path, which
        renders unseen voices with more natural harmonics than the text path.
        """
        builtin = self.speaker_tensor(self.default_voice())
        own = self.speaker_tensor(voice)
        speakers = own if torch.equal(own, builtin) else torch.cat([own, builtin])
        rows = speakers.shape[0]
        mean = torch.full((rows,), voice.logf0_mean + pitch * np.log(2) / 12, dtype=torch.float32, device=self.device)
        std = torch.full((rows,), voice.logf0_std, dtype=torch.float32, device=self.device)
        out = []
        for chunk in _progress(ids, progress, desc="reading", unit="chunk"):
            rendered = self.model.infer(chunk.expand(rows, -1), speakers, mean, std, speed=speed,
                                        timing_speaker=builtin.expand(rows, -1))
            mels = rendered.mel.float().cpu().numpy()
            if rows == 1:
                out.append(restore_detail(mels[0]))
                continue
            again = self.model.rerender(rendered.mel[:1], own, rendered.logf0[:1])[0].float().cpu().numpy()
            out.append(restore_detail(mels[0], mels[1], again))
        return out

    def speaker_tensor(self, voice: Voice) -> torch.Tensor:
        """The voice's d-vector as the (1, 256) float32 tensor the acoustic model is conditioned on."""
        return torch.from_numpy(np.asarray(voice.embedding, np.float32))[None].to(self.device)

    def speak(self, text: str, voice: Voice | None = None, speed: float = 1.0, pitch: float = 0.0,
              similarity: float = MATCH_WEIGHT, progress: bool = False) -> tuple[np.ndarray, int]:
        """Waveform (float32) and sample rate for ``text`` in ``voice`` (default voice if None).

        ``speed`` scales the speaking rate (0.5-2.0), ``pitch`` shifts the voice in semitones (-12..12),
        ``similarity`` (0-1) is how far each frame is pulled toward the reference's nearest frames:
        higher sounds more like the reference and less clear (see ``mel``).
        The output is scaled to ``OUTPUT_LEVEL_DBFS`` RMS (less if a peak would pass -1 dBFS) and carries the voiceclone
        watermark unless the cloner was made with watermark=False. ``progress`` shows progress bars on
        stderr for work that takes longer than ``PROGRESS_DELAY_S`` (long texts).
        """
        from voiceclone.vocoder import vocode

        voice = self.voice(voice)
        mel = self.mel(text, voice, speed, pitch, similarity, progress)
        with vocoding_progress(mel.shape[1] * VOCODER_MEL.hop_length, SAMPLE_RATE, progress) as bar:
            audio = vocode(self.vocoder, mel, on_piece=bar.update)
        audio = normalise_level(audio, OUTPUT_LEVEL_DBFS)
        if self.watermark:
            from voiceclone.watermark import embed_watermark

            audio = embed_watermark(audio, SAMPLE_RATE)
        return audio.astype(np.float32), SAMPLE_RATE

    def provenance(self, voice: Voice) -> dict:
        """The provenance record of an output made with ``voice`` by this cloner."""
        from voiceclone.watermark import DEFAULT_KEY
        from voiceclone.watermark.provenance import make_provenance

        return make_provenance(self.model_id, list(voice.reference_sha256), self.watermark,
                               key_id=DEFAULT_KEY.key_id if self.watermark else None)

    def speak_to_file(self, text: str, path: AudioTarget, voice: Voice | None = None, speed: float = 1.0,
                      pitch: float = 0.0, similarity: float = MATCH_WEIGHT, provenance_json: str | os.PathLike | None = None,
                      progress: bool = False) -> Path | None:
        """Speak and write the result atomically, with provenance tags (and a JSON sidecar if asked).

        ``path`` may also be a binary stream (``sys.stdout.buffer``): it then gets one WAV, written
        in one go once synthesis is done, and None is returned instead of the path. Both paths are
        checked before synthesis, so a bad one fails at once and writes nothing.
        """
        from voiceclone.atomic import check_output_path
        from voiceclone.audio.io import check_audio_target, write_audio
        from voiceclone.watermark.provenance import provenance_tags, write_sidecar

        check_audio_target(path)
        if provenance_json is not None:
            check_output_path(provenance_json)
        voice = self.voice(voice)
        audio, sr = self.speak(text, voice, speed, pitch, similarity, progress)
        record = self.provenance(voice)
        out = write_audio(path, audio, sr, metadata=provenance_tags(record))
        if provenance_json is not None:
            write_sidecar(provenance_json, record)
        return out


def _progress(items, show: bool, **options):
    """A tqdm bar on stderr over ``items`` that appears only after ``PROGRESS_DELAY_S`` (so short work shows none)."""
    from tqdm import tqdm

    return tqdm(items, disable=not show, delay=PROGRESS_DELAY_S, leave=False, **options)


def vocoding_progress(samples: int, sample_rate: int, show: bool):
    """A bar over the seconds of audio being vocoded (update it with each piece's sample count)."""
    return _progress(None, show, desc="vocoding", total=samples, unit_scale=1 / sample_rate,
                     bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of speech [{elapsed}<{remaining}]")


def restore_detail(mel: np.ndarray, builtin: np.ndarray | None = None,
                   rerendered: np.ndarray | None = None) -> np.ndarray:
    """One chunk's model log-mel (n_mels, T) with the contrast that L1 training blurs given back.

    The built-in voice (``builtin`` None) sharpens its own rendering in time and across bands. A
    cloned voice first takes half the harmonic fine structure of its ``rerendered`` pass through the
    auto-encoding path, then sharpens in time, borrows the temporal detail of ``builtin`` (the same
    phonemes in the built-in voice, frame-aligned), and sharpens across bands.
    """
    if builtin is None:
        return sharpen_in_frequency(sharpen_in_time(mel))
    if rerendered is None:
        raise ValueError("a cloned voice's log-mel needs its re-rendering through the auto-encoding path")
    return sharpen_in_frequency(borrow_temporal_detail(sharpen_in_time(borrow_spectral_detail(mel, rerendered)), builtin))


def match_to_voice(pieces: list[np.ndarray], voice: Voice, spoken: tuple[np.ndarray, np.ndarray],
                   similarity: float | None) -> list[np.ndarray]:
    """Log-mel pieces moved from their joint band statistics ``spoken`` to ``voice``'s.

    With ``similarity`` given, their cross-band covariance is then moved toward the reference
    frames' and each speech frame blended that far toward its nearest reference frames, the band
    statistics restored after each step. None skips both (a pitch shift: the reference frames carry
    harmonics at the unshifted pitch).
    """
    target = (voice.band_mean, voice.band_std)
    pieces = [move_band_statistics(mel, spoken, target) for mel in pieces]
    if similarity is None:
        return pieces
    pieces = match_joint_band_statistics(match_covariance(pieces, voice.reference_frames), target)
    if similarity > 0:
        pieces = match_joint_band_statistics(
            [blend_nearest_frames(mel, voice.reference_frames, target, similarity) for mel in pieces], target)
    return pieces


def check_controls(speed: float, pitch: float, similarity: float) -> None:
    """VoiceCloneError naming the first of ``speed``, ``pitch`` and ``similarity`` outside its range."""
    _check_range("speed", speed, SPEED_RANGE)
    _check_range("pitch", pitch, PITCH_RANGE)
    _check_range("similarity", similarity, SIMILARITY_RANGE)


def _check_range(name: str, value: float, bounds: tuple[float, float]) -> None:
    if not (bounds[0] <= value <= bounds[1]):
        raise VoiceCloneError(f"--{name} {value} is out of range; use a value from {bounds[0]} to {bounds[1]}")
