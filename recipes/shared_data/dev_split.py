"""Write the development reference table (held-out voices of the shared data folder) for `voiceclone eval`.

    python -m recipes.shared_data.dev_split runs/dev_refs.tsv [--data ../shared/data]

The split is `voiceclone.references.dev_split`: commonvoice speakers whose id ends in an even digit
(with transcripts) and 25 seeded voices/ speakers (no transcripts). Training must leave them out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recipes.shared_data import add_data_argument
from voiceclone.references import dev_split, write_references
from voiceclone.scripts import non_negative_int, run_main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", type=Path, help="where to write the tab-separated reference table")
    add_data_argument(parser, "tts/ and voices/")
    parser.add_argument("--voices", type=non_negative_int, default=25, help="how many voices/ speakers to hold out")
    parser.add_argument("--seed", type=int, default=0, help="seed of the voices/ draw")
    args = parser.parse_args()
    refs = dev_split(args.data, args.voices, args.seed)
    args.table.parent.mkdir(parents=True, exist_ok=True)
    write_references(args.table, refs)
    transcribed = sum(ref.text is not None for ref in refs)
    print(f"{args.table}: {len(refs)} reference voices ({transcribed} with transcripts)")


if __name__ == "__main__":
    run_main(main)
