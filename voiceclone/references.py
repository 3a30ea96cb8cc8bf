"""Reference voices: real recordings of speakers, the tables that list them, and the held-out
development split of the shared data folder (the voices training leaves out and evaluation clones)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.errors import VoiceCloneError
from voiceclone.tables import audio_path, read_tsv, write_tsv


@dataclass(frozen=True)
class Reference:
    """A real recording of a speaker, with its transcript when one is known."""

    path: Path
    speaker: str
    text: str | None = None


def read_references(table: str | os.PathLike) -> list[Reference]:
    """Rows of a reference table: tab-separated with columns path, speaker and optionally text.

    Relative paths are resolved against the table's folder; an empty text means 'no transcript'.
    """
    table = Path(table)
    rows = read_tsv(table, ("path", "speaker"))
    refs = []
    for line, row in enumerate(rows, start=2):
        speaker = (row.get("speaker") or "").strip()
        if not speaker:
            raise VoiceCloneError(f"{table}: row {line} has no speaker")
        text = (row.get("text") or "").strip() or None
        refs.append(Reference(audio_path(table, row["path"].strip(), line), speaker, text))
    return refs


def write_references(table: str | os.PathLike, refs: list[Reference]) -> Path:
    """Write a reference table (absolute paths) atomically."""
    return write_tsv(table, ("path", "speaker", "text"), [(ref.path.resolve(), ref.speaker, ref.text or "") for ref in refs])


def dev_split(data_dir: str | os.PathLike, n_voices: int = 25, seed: int = 0) -> list[Reference]:
    """The held-out development reference voices of the shared data folder, deterministically.

    As its README suggests: every `commonvoice` utterance whose speaker id ends in an even digit
    (with transcripts), then ``n_voices`` speakers of voices/ drawn with ``seed`` (no transcripts).
    Training code must leave exactly these speakers out.
    """
    data_dir = Path(data_dir)
    tts = data_dir / "tts" / "metadata.tsv"
    voices = data_dir / "voices" / "metadata.tsv"
    tts_rows = read_tsv(tts, ("path", "speaker", "text", "source"))
    voice_rows = read_tsv(voices, ("path", "speaker"))
    refs = [
        Reference(tts.parent / row["path"], row["speaker"], row["text"].strip())
        for row in tts_rows
        if row["source"] == "commonvoice" and row["speaker"][-1:].isdigit() and int(row["speaker"][-1]) % 2 == 0
    ]
    speakers = sorted({row["speaker"] for row in voice_rows})
    if n_voices > len(speakers):
        raise VoiceCloneError(f"{voices}: asked for {n_voices} voices but it has only {len(speakers)} speakers")
    chosen = set(np.random.default_rng(seed).choice(speakers, size=n_voices, replace=False).tolist())
    refs += [Reference(voices.parent / row["path"], row["speaker"]) for row in voice_rows if row["speaker"] in chosen]
    return refs
