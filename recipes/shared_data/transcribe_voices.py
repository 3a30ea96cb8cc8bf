"""Pseudo-transcribe the untranscribed training voices with pocketsphinx, so that the text path can
learn from their speakers too (prepare.py --transcripts).

Every voices/ utterance outside the development split gets pocketsphinx's best hypothesis (its
bundled en-us model, as the evaluation uses). The hypotheses are rough (words dropped or misheard),
so hypotheses of fewer than --min-words words are left out. Writes a table: path (relative to
voices/), speaker, text.

    python recipes/shared_data/transcribe_voices.py --out runs/voice_transcripts.tsv   # 7 min on 2 processes
    python recipes/shared_data/prepare.py --transcripts runs/voice_transcripts.tsv --out runs/prep_pseudo
"""

from __future__ import annotations

import argparse
import csv
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from voiceclone.audio import load_audio
from voiceclone.evaluation.asr import Recogniser
from voiceclone.evaluation.data import dev_split, read_tsv

_recogniser: Recogniser | None = None


def transcribe(path: Path) -> str:
    """pocketsphinx's hypothesis for one file (one recogniser per worker process)."""
    global _recogniser
    if _recogniser is None:
        _recogniser = Recogniser()
    return _recogniser.transcribe(load_audio(path, Recogniser.sample_rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data",
                        help="the shared data folder (its voices/ and, for the development split, tts/)")
    parser.add_argument("--out", type=Path, default=Path("runs/voice_transcripts.tsv"), help="table to write")
    parser.add_argument("--processes", type=int, default=2, help="recogniser processes run side by side")
    parser.add_argument("--min-words", type=int, default=3, help="leave out shorter hypotheses")
    args = parser.parse_args()

    held = {ref.speaker for ref in dev_split(args.data)}
    rows = [r for r in read_tsv(args.data / "voices" / "metadata.tsv", ("path", "speaker")) if r["speaker"] not in held]
    with Pool(args.processes) as pool:
        texts = list(tqdm(pool.imap(transcribe, [args.data / "voices" / r["path"] for r in rows], chunksize=4),
                          total=len(rows), desc="pocketsphinx", unit="utt"))
    kept = [(r["path"], r["speaker"], t) for r, t in zip(rows, texts) if len(t.split()) >= args.min_words]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["path", "speaker", "text"])
        writer.writerows(kept)
    tmp.replace(args.out)
    print(f"{len(kept)} of {len(rows)} utterances transcribed ({len(rows) - len(kept)} under {args.min_words} words) "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
