"""The shared data's training split as one generic metadata.tsv (path, speaker, text), for recipes.prepare.

    python -m recipes.shared_data.metadata runs/shared_metadata.tsv [--data ../shared/data]
    python -m recipes.prepare --corpus tsv=runs/shared_metadata.tsv --out runs/prep_tsv

The same utterances recipes.shared_data.prepare reads: tts/ with its texts and voices/ with an
empty text (untranscribed, trained through the auto-encoding path), the development speakers
(voiceclone.references.dev_split) left out. Paths are written relative to the table's folder.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from recipes.shared_data import add_data_argument
from voiceclone.references import dev_split
from voiceclone.scripts import run_main
from voiceclone.tables import read_tsv, write_tsv


def training_rows(data: Path, table: Path) -> list[tuple[str, str, str]]:
    """(path relative to ``table``'s folder, speaker, text) of every training utterance, text "" for voices/."""
    held = {ref.speaker for ref in dev_split(data)}
    rows = []
    for sub, columns in (("tts", ("path", "speaker", "text")), ("voices", ("path", "speaker"))):
        for row in read_tsv(data / sub / "metadata.tsv", columns):
            if row["speaker"] not in held:
                path = os.path.relpath(data / sub / row["path"], table.parent.resolve() if data.is_absolute() else table.parent)
                rows.append((Path(path).as_posix(), row["speaker"], " ".join(row.get("text", "").split())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", type=Path, help="where to write the metadata.tsv")
    add_data_argument(parser, "tts/ and voices/")
    args = parser.parse_args()
    rows = training_rows(args.data, args.table)
    args.table.parent.mkdir(parents=True, exist_ok=True)
    write_tsv(args.table, ("path", "speaker", "text"), rows)
    print(f"{args.table}: {len(rows)} utterances ({sum(bool(r[2]) for r in rows)} transcribed)")


if __name__ == "__main__":
    run_main(main)
