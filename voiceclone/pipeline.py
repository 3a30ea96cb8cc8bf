"""The Python API: load the models once, then clone many voices and speak many texts.

    from voiceclone import SpeakOptions, VoiceCloner
    vc = VoiceCloner(device="auto")
    voice = vc.voice("ref.wav")            # or a list of files, or a voice.npz profile
    audio, sr = vc.speak("Hello there.", voice, SpeakOptions(speed=1.1))
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from voiceclone.acoustic.checkpoint import SHIPPED, load_checkpoint
from voiceclone.audio.io import AudioTarget
from voiceclone.delivery import OUTPUT_LEVEL_DBFS, Output, check_targets, finish, finish_stream, provenance
from voiceclone.device import resolve_device, resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL
from voiceclone.features.bands import band_statistics
from voiceclone.voice import Voice, VoiceMatcher

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
VOCODER_MODEL_IDS = {"hifigan": "hifigan-universal-v1", "fast": "voiceclone-fast-vocoder"}
"""The provenance model id of copy-synthesis, per vocoder."""
LEVEL_TEXT = "The birch canoe slid on the smooth planks, and the sheet was glued to the dark blue background."
"""What a voice's level is measured on, once, before it is first streamed (``VoiceCloner.stream_gain``)."""
FIRST_PIECE_FRAMES = 16
"""A stream's first vocoder piece (0.19 s of speech), shorter than the rest so that audio starts sooner."""
VoiceSource = str | os.PathLike | Sequence[str | os.PathLike] | Voice | None
"""What ``VoiceCloner.voice`` takes: reference audio file(s) and/or .npz profile(s), a Voice, or None (built-in)."""


@dataclass(frozen=True, kw_only=True)
class SpeakOptions:
    """How to speak: ``speed`` scales the speaking rate (0.5-2.0), ``pitch`` shifts the voice in
    semitones (-12..12), ``similarity`` (0-1) is how far each frame is pulled toward the reference's
    nearest frames, higher sounding more like the reference and less clear (None: the checkpoint's
    tuned default). A pitch shift turns that frame matching off: the reference's frames carry
    harmonics at the unshifted pitch."""

    speed: float = 1.0
    pitch: float = 0.0
    similarity: float | None = None

    def __post_init__(self) -> None:
        _check_range("speed", self.speed, SPEED_RANGE)
        _check_range("pitch", self.pitch, PITCH_RANGE)
        if self.similarity is not None:
            _check_range("similarity", self.similarity, SIMILARITY_RANGE)
            if self.pitch != 0:
                warnings.warn("similarity has no effect with a pitch shift: a shifted voice is not matched to the "
                              "reference's frames, which carry its harmonics at the unshifted pitch",
                              UserWarning, stacklevel=3)


def _check_range(name: str, value: float, bounds: tuple[float, float]) -> None:
    if not (bounds[0] <= value <= bounds[1]):
        raise VoiceCloneError(f"{name} {value} is out of range; use a value from {bounds[0]} to {bounds[1]}")


class VoiceCloner:
    """Text + voice -> waveform. Models load once per instance and are reused for every call.

    ``precision`` is the vocoder's arithmetic: 'auto' (bfloat16 on CPUs with AMX matrix units,
    where it is about twice as fast; float32 elsewhere), 'fp32' or 'bf16'. ``vocoder`` is 'hifigan'
    (the default) or 'fast' (the Vocos-style vocoder, refused while it is not shipped).
    """

    def __init__(self, device: str = "auto", checkpoint: str | os.PathLike | None = None, watermark: bool = True,
                 precision: str = "auto", vocoder: str = "hifigan"):
        from voiceclone.vocoder.load import check_vocoder

        self.device = resolve_device(device)
        resolve_precision(precision, self.device)  # an unknown name fails before any model loads
        check_vocoder(vocoder)
        self.precision, self.vocoder_name = precision, vocoder
        folder = Path(checkpoint or SHIPPED)
        ckpt = load_checkpoint(folder, self.device)
        own_voice = folder / DEFAULT_VOICE_FILE
        self.default_voice_path = own_voice if own_voice.is_file() else SHIPPED / DEFAULT_VOICE_FILE
        self.model, self.table, self.meta = ckpt.model, ckpt.table, ckpt.meta
        self.matcher = VoiceMatcher(ckpt.match)
        self.model_id = str(self.meta.get("model_id", "voiceclone-acoustic"))
        self.watermark = watermark
        self._frontend = None
        self._encoder = None
        self._vocoder = None
        self._default_voice: Voice | None = None
        self._stream_gains: dict[bytes, float] = {}

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

            self._vocoder = load_vocoder(self.device, self.precision, self.vocoder_name)
        return self._vocoder

    # --- voices ----------------------------------------------------------------------------------
    def voice(self, source: VoiceSource = None) -> Voice:
        """A Voice from reference audio file(s) and/or .npz profile(s); None gives the default voice."""
        if isinstance(source, Voice):
            return source
        if source is None:
            return self.default_voice()
        from voiceclone.voice import load_voice

        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        return load_voice(paths, self.encoder).check_usable()

    def default_voice(self) -> Voice:
        """The built-in voice: the profile saved beside the checkpoint (the shipped one if it has none)."""
        if self._default_voice is None:
            from dataclasses import replace

            loaded = Voice.load(self.default_voice_path)
            self._default_voice = replace(loaded, description="default voice").check_usable()
        return self._default_voice

    # --- synthesis -------------------------------------------------------------------------------
    def mel(self, text: str, voice: Voice, options: SpeakOptions | None = None, *, progress: bool = False) -> np.ndarray:
        """Log-mel (80, frames) for ``text``: split into chunks, each rendered by ``chunk_mel``, joined with pauses."""
        options = options or SpeakOptions()
        pieces = [self.chunk_mel(ids, voice, options)
                  for ids in _progress(self.phoneme_ids(text), progress, desc="reading", unit="chunk")]
        joined = []
        for i, piece in enumerate(pieces):
            if i:
                joined.append(self.pause())
            joined.append(piece)
        return np.concatenate(joined, axis=1)

    def pause(self) -> np.ndarray:
        """The silent log-mel put between chunks (``PAUSE_S``)."""
        return np.full((VOCODER_MEL.n_mels, int(PAUSE_S * SAMPLE_RATE / VOCODER_MEL.hop_length)),
                       np.log(VOCODER_MEL.log_floor), np.float32)

    def chunk_mel(self, ids: torch.Tensor, voice: Voice, options: SpeakOptions) -> np.ndarray:
        """Log-mel (80, frames) of one chunk of phoneme ids, rendered and matched to ``voice`` on its own,
        so that a text gives the same audio whether spoken whole or streamed chunk by chunk.

        The chunk is rendered twice with the same phoneme durations, in the voice and in the
        built-in voice (once when the voice is the built-in one); a cloned voice is also re-rendered
        through the model's auto-encoding path. ``self.matcher`` gives the chunk back the contrast
        that the model's L1 training blurs, then moves it to the voice (see ``VoiceMatcher``):
        from the band statistics of the chunk's own rendering to the profile's, and toward the
        profile's speech frames. Phoneme durations are the ones the model predicts for the built-in
        voice, whatever the voice: the timing it predicted for unseen voices cost intelligibility
        and did not follow the references' speaking rate (``options.speed`` sets it). With a pitch
        shift, the band statistics are measured on the unshifted rendering, so that moving them does
        not pull the shifted harmonics back, and frames are not matched.
        """
        mel = self._model_mel(ids, voice, options.speed, options.pitch)
        unshifted = mel if options.pitch == 0 else self._model_mel(ids, voice, options.speed, 0.0)
        similarity = self.matcher.config.similarity if options.similarity is None else options.similarity
        return self.matcher.match([mel], voice, band_statistics(unshifted), similarity if options.pitch == 0 else None)[0]

    def phoneme_ids(self, text: str) -> list[torch.Tensor]:
        """The text split into chunks, each as a (1, n) tensor of phoneme ids.

        Raises VoiceCloneError for text over ``MAX_TEXT_CHARS`` or with nothing to speak, so callers
        can check every text of a batch before synthesising any.
        """
        if len(text) > MAX_TEXT_CHARS:
            raise VoiceCloneError(f"text is {len(text):,} characters; one call speaks at most {MAX_TEXT_CHARS:,} "
                                  f"(split it into several texts, one file each)")
        return [torch.tensor([self.frontend.encode(chunk, self.table)], device=self.device)
                for chunk in self.frontend.chunks(text)]

    def _model_mel(self, ids: torch.Tensor, voice: Voice, speed: float, pitch: float) -> np.ndarray:
        """The acoustic model's log-mel for one chunk of phoneme ids, with its detail restored.

        For any voice but the built-in one, one batch of two: row 0 in the voice, row 1 in the
        built-in voice (at the voice's pitch register), both timed as the built-in voice, so their
        frames line up and row 1 lends its temporal detail to row 0; row 0 is also re-rendered
        through the auto-encoding path, which renders unseen voices with more natural harmonics.
        """
        builtin = self.speaker_tensor(self.default_voice())
        own = self.speaker_tensor(voice)
        speakers = own if torch.equal(own, builtin) else torch.cat([own, builtin])
        rows = speakers.shape[0]
        mean = torch.full((rows,), voice.logf0_mean + pitch * np.log(2) / 12, dtype=torch.float32, device=self.device)
        std = torch.full((rows,), voice.logf0_std, dtype=torch.float32, device=self.device)
        rendered = self.model.infer(ids.expand(rows, -1), speakers, mean, std, speed=speed,
                                    timing_speaker=builtin.expand(rows, -1))
        mels = rendered.mel.float().cpu().numpy()
        if rows == 1:
            return self.matcher.restore_detail(mels[0])
        again = self.model.rerender(rendered.mel[:1], own, rendered.logf0[:1])[0].float().cpu().numpy()
        return self.matcher.restore_detail(mels[0], mels[1], again)

    def speaker_tensor(self, voice: Voice) -> torch.Tensor:
        """The voice's d-vector as the (1, 256) float32 tensor the acoustic model is conditioned on."""
        return torch.from_numpy(np.asarray(voice.embedding, np.float32))[None].to(self.device)

    def render(self, text: str, voice: VoiceSource = None, options: SpeakOptions | None = None, *,
               progress: bool = False) -> Output:
        """``text`` spoken in ``voice`` (the default voice if None), finished as every output is
        (``delivery.finish``): at ``OUTPUT_LEVEL_DBFS`` RMS (less if a peak would pass -1 dBFS),
        watermarked unless the cloner was made with watermark=False, with its provenance record.
        ``progress`` shows bars on stderr for work that takes longer than ``PROGRESS_DELAY_S``."""
        from voiceclone.vocoder import vocode

        voice = self.voice(voice)
        mel = self.mel(text, voice, options, progress=progress)
        with vocoding_progress(mel.shape[1] * VOCODER_MEL.hop_length, SAMPLE_RATE, progress) as bar:
            audio = vocode(self.vocoder, mel, on_piece=bar.update)
        return finish(audio, SAMPLE_RATE, model_id=self.model_id, sources_sha256=voice.sha256, watermark=self.watermark)

    def stream(self, text: str, voice: VoiceSource = None, options: SpeakOptions | None = None) -> SpeechStream:
        """``text`` spoken in ``voice`` as it is made: chunk by chunk of text, and within a chunk
        piece by piece of the vocoder, so the first audio comes after the first piece of the first
        chunk, not after the whole text.

        The samples are ``speak``'s before levelling (the same log-mel and vocoder), times the
        voice's fixed gain (``stream_gain``) where ``speak`` measures the whole output, and
        watermarked block by block (``watermark.stream``). Errors in the text, voice or options are
        raised here, before any audio.
        """
        voice, options = self.voice(voice), options or SpeakOptions()
        ids = self.phoneme_ids(text)

        def mels() -> Iterator[np.ndarray]:
            for i, chunk in enumerate(ids):
                if i:
                    yield self.pause()
                yield self.chunk_mel(chunk, voice, options)

        def chunks() -> Iterator[np.ndarray]:
            from voiceclone.vocoder import vocode_stream

            audio = vocode_stream(self.vocoder, mels(), first_frames=FIRST_PIECE_FRAMES)
            yield from finish_stream(audio, SAMPLE_RATE, gain, self.watermark)

        gain = self.stream_gain(voice)
        return SpeechStream(chunks(), SAMPLE_RATE, provenance(self.model_id, voice.sha256, self.watermark))

    def stream_gain(self, voice: Voice) -> float:
        """The fixed gain of ``voice``'s streams: the one that brings its rendering of ``LEVEL_TEXT`` to
        ``OUTPUT_LEVEL_DBFS`` RMS, measured once per voice (a stream cannot measure its own level
        before it is made). Matching sets the level of the voice's speech frames, so other texts
        come out near that level, within a few decibels (docs/quality.md)."""
        from voiceclone.vocoder import vocode

        key = voice.embedding.tobytes() + np.asarray(voice.band_mean).tobytes()
        if key not in self._stream_gains:
            audio = vocode(self.vocoder, self.mel(LEVEL_TEXT, voice)).astype(np.float64)
            self._stream_gains[key] = 10.0 ** (OUTPUT_LEVEL_DBFS / 20.0) / max(float(np.sqrt(np.mean(audio**2))), 1e-9)
        return self._stream_gains[key]

    def speak(self, text: str, voice: VoiceSource = None, options: SpeakOptions | None = None, *,
              progress: bool = False) -> tuple[np.ndarray, int]:
        """Waveform (float32) and sample rate for ``text`` in ``voice``: ``render`` without the record."""
        out = self.render(text, voice, options, progress=progress)
        return out.audio, out.sample_rate

    def speak_to_file(self, text: str, target: AudioTarget, voice: VoiceSource = None,
                      options: SpeakOptions | None = None, *, provenance_json: str | os.PathLike | None = None,
                      progress: bool = False, stream_format: str = "wav") -> Path | None:
        """Speak and write the result atomically, with provenance tags (and a JSON sidecar if asked).

        ``target`` may also be a binary stream (``sys.stdout.buffer``): it then gets the speech as it
        is made (``stream``), as a WAV of unknown length or raw 16-bit PCM (``stream_format``), and
        None is returned instead of the path. Both paths are checked before synthesis, so a bad one
        fails at once and writes nothing.
        """
        from voiceclone.audio.streaming import encode_stream

        check_targets(target, provenance_json)
        if not hasattr(target, "write"):
            return self.render(text, voice, options, progress=progress).write(target, provenance_json)
        speech = self.stream(text, voice, options)
        for data in encode_stream(speech, speech.sample_rate, stream_format):
            target.write(data)
            target.flush()
        if provenance_json is not None:
            from voiceclone.watermark.provenance import write_sidecar

            write_sidecar(provenance_json, speech.provenance)
        return None

    def speak_lines(self, lines: Sequence[str], out_dir: str | os.PathLike, voice: VoiceSource = None,
                    options: SpeakOptions | None = None, *, sidecars: bool = False, name: str = "text",
                    progress: bool = False) -> list[Path]:
        """Each non-empty line of ``lines`` spoken to its own file, ``out_dir``/0001.wav and on (with a
        0001.json provenance sidecar each if ``sidecars``). Every line is checked before the first
        file is written, and only then the voice (any ``voice()`` source) is loaded; errors name the line
        as ``name``: line N. The folder is created if missing."""
        from tqdm import tqdm

        numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
        if not numbered:
            raise VoiceCloneError(f"{name}: no non-empty lines to speak")
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise VoiceCloneError(f"{out_dir}: is a file; the output folder must be a folder")
        for n, line in numbered:
            try:
                self.phoneme_ids(line)
            except VoiceCloneError as exc:
                raise VoiceCloneError(f"{name}: line {n}: {exc}") from None
        voice = self.voice(voice)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VoiceCloneError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
        width = max(4, len(str(len(numbered))))
        written = []
        for i, (_, line) in enumerate(tqdm(numbered, desc="speaking", unit="line", disable=not progress), start=1):
            stem = out_dir / f"{i:0{width}d}"
            self.speak_to_file(line, stem.with_suffix(".wav"), voice, options,
                               provenance_json=stem.with_suffix(".json") if sidecars else None)
            written.append(stem.with_suffix(".wav"))
        return written


class SpeechStream:
    """Speech as it is made (``VoiceCloner.stream``): iterate for float32 mono chunks at ``sample_rate``;
    ``provenance`` is known before the first chunk; ``close()`` stops the work early."""

    def __init__(self, chunks: Iterator[np.ndarray], sample_rate: int, provenance: dict):
        self._chunks, self.sample_rate, self.provenance = chunks, sample_rate, provenance

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._chunks

    def close(self) -> None:
        self._chunks.close()


def resynthesise(source: str | os.PathLike, target: AudioTarget, *, device: str = "auto", precision: str = "auto",
                 watermark: bool = True, progress: bool = False, vocoder: str = "hifigan") -> Output:
    """Copy-synthesis: ``source`` analysed into the ``vocoder``'s mel and rebuilt by it, finished as every
    output is (its level kept) and written to ``target`` (checked before the work)."""
    from voiceclone.audio import load_audio
    from voiceclone.hashing import file_sha256
    from voiceclone.vocoder import copy_synthesis, load_vocoder

    check_targets(target)
    generator = load_vocoder(device, precision, vocoder)
    mel = generator.config.mel
    signal = load_audio(source, mel.sample_rate)
    with vocoding_progress(mel.n_frames(len(signal)) * mel.hop_length, mel.sample_rate, progress) as bar:
        audio = copy_synthesis(generator, signal, on_piece=bar.update)
    out = finish(audio, mel.sample_rate, model_id=VOCODER_MODEL_IDS[vocoder], sources_sha256=[file_sha256(source)],
                 watermark=watermark, level_dbfs=None)
    out.write(target)
    return out


def mel_of_file(path: str | os.PathLike, kind: str = "vocoder") -> np.ndarray:
    """The mel spectrogram a model sees of an audio file (mono, resampled, trimmed, level-normalised):
    'vocoder' (the acoustic model's and vocoder's log-mel) or 'encoder' (the speaker encoder's power mel)."""
    from voiceclone.audio import load_audio
    from voiceclone.features import MEL_CONFIGS, mel_spectrogram

    if kind not in MEL_CONFIGS:
        raise VoiceCloneError(f"unknown mel kind '{kind}'; choose one of: {', '.join(MEL_CONFIGS)}")
    return mel_spectrogram(load_audio(path, MEL_CONFIGS[kind].sample_rate), MEL_CONFIGS[kind])


def _progress(items, show: bool, **options):
    """A tqdm bar on stderr over ``items`` that appears only after ``PROGRESS_DELAY_S`` (so short work shows none)."""
    from tqdm import tqdm

    return tqdm(items, disable=not show, delay=PROGRESS_DELAY_S, leave=False, **options)


def vocoding_progress(samples: int, sample_rate: int, show: bool):
    """A bar over the seconds of audio being vocoded (update it with each piece's sample count)."""
    return _progress(None, show, desc="vocoding", total=samples, unit_scale=1 / sample_rate,
                     bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of speech [{elapsed}<{remaining}]")
