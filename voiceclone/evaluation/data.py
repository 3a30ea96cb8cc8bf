"""Evaluation inputs: tables of rendered outputs and sentence files (reference tables and the
development split are ``voiceclone.references``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from voiceclone.errors import VoiceCloneError
from voiceclone.tables import audio_path, read_tsv
from voiceclone.text.files import read_text_file

DEFAULT_SENTENCES = Path(__file__).with_name("data") / "sentences.txt"
"""24 plain sentences written for this project (not taken from any corpus)."""


@dataclass(frozen=True)
class Rendered:
    """An audio file made by some system, with the text it should say and the voice it should have."""

    path: Path
    speaker: str
    text: str
    reference: Path | None = None


def read_rendered(table: str | os.PathLike) -> list[Rendered]:
    """Rows of a table describing outputs of any system: columns path, speaker, text, optionally reference."""
    table = Path(table)
    rows = read_tsv(table, ("path", "speaker", "text"))
    items = []
    for line, row in enumerate(rows, start=2):
        text = (row.get("text") or "").strip()
        speaker = (row.get("speaker") or "").strip()
        if not text or not speaker:
            raise VoiceCloneError(f"{table}: row {line} needs both a speaker and a text")
        reference = (row.get("reference") or "").strip()
        ref_path = audio_path(table, reference, line) if reference else None
        items.append(Rendered(audio_path(table, row["path"].strip(), line), speaker, text, ref_path))
    return items


def read_sentences(path: str | os.PathLike = DEFAULT_SENTENCES) -> list[str]:
    """Non-empty lines of a text file, skipping lines that start with '#'."""
    path = Path(path)
    if not path.is_file():
        raise VoiceCloneError(f"{path}: no such sentence file")
    lines = [line.strip() for line in read_text_file(path).splitlines()]
    sentences = [line for line in lines if line and not line.startswith("#")]
    if not sentences:
        raise VoiceCloneError(f"{path}: no sentences in the file")
    return sentences
