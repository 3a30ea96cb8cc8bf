"""The shared data's training split as one generic metadata.tsv (path, speaker, text), for recipes.prepare.

    python -m recipes.shared_data.metadata runs/shared_metadata.tsv [--data ../shared/data] [--transcripts T.tsv]
    python -m recipes.prepare --corpus tsv=runs/shared_metadata.tsv --out runs/prep_tsv

The same utterances recipes.shared_data.prepare reads: tts/ with its texts and voices/ with an
empty text (untranscribed, trained through the auto-encoding path), the development speakers
(voiceclone.references.dev_split) left out. ``--transcripts`` gives voices/ clips a text from a
table of the same layout (path, speaker, text), such as the Whisper transcripts written by
``recipes.many_voices.transcribe``. Paths are written relative to the table's folder.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from recipes.shared_data import add_data_argument
from voiceclone.references import dev_split
from voiceclone.scripts import run_main
from voiceclone.tables import read_tsv, write_tsv


def read_transcripts(table: Path) -> dict[Path, str]:
    """Resolved audio path -> text of a (path, speaker, text) table, paths relative to its folder."""
    return {(table.parent / row["path"]).resolve(): " ".join(row["text"].split())
            for row in read_tsv(table, ("path", "text"))}


def training_rows(data: Path, table: Path, transcripts: dict[Path, str] | None = None) -> list[tuple[str, str, str]]:
    """(path relative to ``table``'s folder, speaker, text) of every training utterance.

    voices/ clips get their text from ``transcripts`` where it has them, "" (untranscribed) otherwise.
    """
    held = {ref.speaker for ref in dev_split(data)}
    transcripts = transcripts or {}
    rows = []
    for sub, columns in (("tts", ("path", "speaker", "text")), ("voices", ("path", "speaker"))):
        for row in read_tsv(data / sub / "metadata.tsv", columns):
            if row["speaker"] not in held:
                audio = data / sub / row["path"]
                text = row.get("text") or transcripts.get(audio.resolve(), "")
                path = os.path.relpath(audio, table.parent.resolve() if data.is_absolute() else table.parent)
                rows.append((Path(path).as_posix(), row["speaker"], " ".join(text.split())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", type=Path, help="where to write the metadata.tsv")
    add_data_argument(parser, "tts/ and voices/")
    parser.add_argument("--transcripts", type=Path, help="a path/speaker/text table giving voices/ clips their text")
    args = parser.parse_args()
    rows = training_rows(args.data, args.table, read_transcripts(args.transcripts) if args.transcripts else None)
    args.table.parent.mkdir(parents=True, exist_ok=True)
    write_tsv(args.table, ("path", "speaker", "text"), rows)
    print(f"{args.table}: {len(rows)} utterances ({sum(bool(r[2]) for r in rows)} transcribed)")


if __name__ == "__main__":
    run_main(main)
