"""Tab-separated tables and reference lists: what write_references writes, read_references reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceclone.errors import VoiceCloneError
from voiceclone.references import Reference, read_references, write_references
from voiceclone.tables import read_tsv, write_tsv


def test_reference_table_round_trips_with_absolute_paths(tmp_path: Path) -> None:
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes(b"")
    refs = [Reference(tmp_path / "a.wav", "s1", "Some words."), Reference(tmp_path / "b.wav", "s2")]
    table = write_references(tmp_path / "refs.tsv", refs)
    folder = tmp_path.resolve()
    assert table.read_text() == f"path\tspeaker\ttext\n{folder / 'a.wav'}\ts1\tSome words.\n{folder / 'b.wav'}\ts2\t\n"
    assert read_references(table) == refs


def test_tables_name_what_is_wrong(tmp_path: Path) -> None:
    table = write_tsv(tmp_path / "t.tsv", ("path", "speaker"), [("x.wav", "a")])
    assert read_tsv(table, ("path",)) == [{"path": "x.wav", "speaker": "a"}]
    with pytest.raises(VoiceCloneError, match="missing column"):
        read_tsv(table, ("path", "text"))
    with pytest.raises(VoiceCloneError, match="no rows"):
        read_tsv(write_tsv(tmp_path / "empty.tsv", ("path",), []), ("path",))
    with pytest.raises(VoiceCloneError, match="no such table"):
        read_tsv(tmp_path / "none.tsv", ("path",))
