"""The fast vocoder's training data: every audio file of the shared data, its log-mel and the teacher's
audio for that log-mel (cached per file in the run folder, made when first drawn), cut into random
segments.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from recipes.corpora import read_metadata_tsv
from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.references import dev_split
from voiceclone.vocoder import Vocoder, vocode
from voiceclone.vocoder.istft import same_pad

SUBSETS = ("tts", "voices")
"""The shared data's folders whose ``metadata.tsv`` lists audio (paths relative to the folder)."""
MIN_SECONDS = 0.5
"""Shorter files (after trimming silence) are left out."""
SILENT_LOG_MEL = float(np.log(VOCODER_MEL.log_floor))
"""The log-mel of silence: what pads a segment longer than its file."""


def list_audio(data: Path, max_files: int = 0) -> list[Path]:
    """Audio files listed in ``data/<subset>/metadata.tsv`` for every subset that has one, less the
    development speakers (``voiceclone.references.dev_split``: the voices clones are judged on), the
    first ``max_files`` if above 0; a VoiceCloneError when there are none."""
    tables = [data / subset / "metadata.tsv" for subset in SUBSETS if (data / subset / "metadata.tsv").is_file()]
    held = {ref.speaker for ref in dev_split(data)} if len(tables) == len(SUBSETS) else set()
    files = [u.path for table in tables for u in read_metadata_tsv(table).utterances if u.speaker not in held]
    if not files:
        raise VoiceCloneError(f"{data}: no audio listed in {' or '.join(f'{s}/metadata.tsv' for s in SUBSETS)}")
    return files[:max_files] if max_files > 0 else files


@dataclass(frozen=True)
class Item:
    """One file at the vocoder's rate: ``audio`` and ``teacher`` (frames * hop samples) and ``mel`` (80, frames)."""

    audio: np.ndarray
    mel: np.ndarray
    teacher: np.ndarray


class TeacherCache:
    """Items by file index, each made once (read, resampled, trimmed, levelled; log-mel; the teacher's
    vocoding of it) and kept as ``folder/<hash of the path>.npz``; unusable files are remembered as such."""

    def __init__(self, files: list[Path], folder: Path, teacher: Vocoder):
        self.files, self.folder, self.teacher = files, folder, teacher
        folder.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        return len(self.files)

    def item(self, index: int) -> Item | None:
        """The file's item, or None when it cannot be used (unreadable, silent or too short)."""
        stem = self.folder / hashlib.sha256(str(self.files[index]).encode()).hexdigest()[:20]
        if stem.with_suffix(".unusable").exists():
            return None
        if not stem.with_suffix(".npz").exists():
            try:
                audio = load_audio(self.files[index], VOCODER_MEL.sample_rate, min_duration_s=MIN_SECONDS)
            except VoiceCloneError as exc:
                stem.with_suffix(".unusable").write_text(str(exc))
                return None
            mel = mel_spectrogram(audio, VOCODER_MEL)
            arrays = {"audio": audio[: mel.shape[1] * VOCODER_MEL.hop_length], "mel": mel,
                      "teacher": vocode(self.teacher, mel)}
            tmp = stem.with_suffix(".tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, stem.with_suffix(".npz"))
        with np.load(stem.with_suffix(".npz")) as z:
            return Item(z["audio"], z["mel"], z["teacher"])


def draw_batch(cache: TeacherCache, rng: np.random.Generator, batch: int, frames: int,
               n_fft: int) -> dict[str, torch.Tensor]:
    """``batch`` random segments of ``frames`` frames from random usable files (shorter files are
    padded with silence): 'mel' (batch, 80, frames), 'audio' (batch, 1, frames * hop), and 'teacher'
    (batch, (frames - 1) * hop + n_fft): the teacher's audio from ``same_pad`` samples before the
    segment, what ``istft.frame_spectrum`` turns into its STFT frames (zeros beyond the file)."""
    hop, pad = VOCODER_MEL.hop_length, same_pad(n_fft, VOCODER_MEL.hop_length)
    mels, audios, teachers = [], [], []
    while len(mels) < batch:
        item = cache.item(int(rng.integers(len(cache))))
        if item is None:
            continue
        start = int(rng.integers(max(1, item.mel.shape[1] - frames + 1)))
        mels.append(_window(item.mel, start, frames, fill=SILENT_LOG_MEL))
        audios.append(_window(item.audio, start * hop, frames * hop))
        teachers.append(_window(item.teacher, start * hop - pad, (frames - 1) * hop + n_fft))
    return {"mel": torch.from_numpy(np.stack(mels)), "audio": torch.from_numpy(np.stack(audios))[:, None],
            "teacher": torch.from_numpy(np.stack(teachers))}


def _window(array: np.ndarray, start: int, length: int, fill: float = 0.0) -> np.ndarray:
    """``array[..., start:start + length]`` with ``fill`` wherever that reaches outside the array."""
    out = np.full((*array.shape[:-1], length), fill, np.float32)
    lo, hi = max(start, 0), min(start + length, array.shape[-1])
    if hi > lo:
        out[..., lo - start:hi - start] = array[..., lo:hi]
    return out
