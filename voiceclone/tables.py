"""Tab-separated tables with a header row (reference lists, corpus metadata): read with one-line
errors, written atomically, and the audio files they name found relative to the table's folder."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError
from voiceclone.text.files import read_text_file


def read_tsv(path: str | os.PathLike, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a tab-separated table with a header; a clear error when it is missing, empty or lacks a column."""
    path = Path(path)
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


def write_tsv(path: str | os.PathLike, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a tab-separated UTF-8 table, header first, atomically."""
    lines = ["\t".join(columns)] + ["\t".join(str(value) for value in row) for row in rows]
    text = "\n".join(lines) + "\n"
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def audio_path(table: Path, value: str, line: int) -> Path:
    """The audio file a table's row ``line`` names: a relative path resolves against the table's folder."""
    if not value:
        raise VoiceCloneError(f"{table}: row {line} has an empty path")
    path = Path(value)
    path = path if path.is_absolute() else table.parent / path
    if not path.is_file():
        raise VoiceCloneError(f"{table}: row {line}: audio file {path} not found")
    return path
