"""Evaluation inputs: reference tables, sentence files, and the held-out development split."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.report import write_text
from voiceclone.text.files import read_text_file

DEFAULT_SENTENCES = Path(__file__).with_name("data") / "sentences.txt"
"""24 plain sentences written for this project (not taken from any corpus)."""


@dataclass(frozen=True)
class Reference:
    """A real recording of a speaker, with its transcript when one is known."""

    path: Path
    speaker: str
    text: str | None = None


@dataclass(frozen=True)
class Rendered:
    """An audio file made by some system, with the text it should say and the voice it should have."""

    path: Path
    speaker: str
    text: str
    reference: Path | None = None


def read_tsv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a tab-separated table with a header; a clear error when it is missing, empty or lacks a column."""
    if not path.is_file():
        raise VoiceCloneError(f"{path}: no such table")
    reader = csv.DictReader(read_text_file(path).splitlines(), delimiter="\t")
    columns = reader.fieldnames or []
    missing = [c for c in required if c not in columns]
    if missing:
        raise VoiceCloneError(
            f"{path}: missing column(s) {', '.join(missing)}; expected a tab-separated header with "
            f"{', '.join(required)}"
        )
    rows = list(reader)
    if not rows:
        raise VoiceCloneError(f"{path}: the table has no rows")
    return rows


def _resolve(table: Path, value: str, line: int) -> Path:
    if not value:
        raise VoiceCloneError(f"{table}: row {line} has an empty path")
    path = Path(value)
    path = path if path.is_absolute() else table.parent / path
    if not path.is_file():
        raise VoiceCloneError(f"{table}: row {line}: audio file {path} not found")
    return path


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
        refs.append(Reference(_resolve(table, row["path"].strip(), line), speaker, text))
    return refs


def write_references(table: str | os.PathLike, refs: list[Reference]) -> Path:
    """Write a reference table (absolute paths) atomically."""
    table = Path(table)
    lines = ["path\tspeaker\ttext"]
    lines += [f"{ref.path.resolve()}\t{ref.speaker}\t{ref.text or ''}" for ref in refs]
    return write_text(table, "\n".join(lines) + "\n")


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
        ref_path = _resolve(table, reference, line) if reference else None
        items.append(Rendered(_resolve(table, row["path"].strip(), line), speaker, text, ref_path))
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
