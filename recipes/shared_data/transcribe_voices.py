"""Pseudo-transcribe the untranscribed training voices with pocketsphinx, so that the text path can
learn from their speakers too (prepare.py --transcripts).

Every voices/ utterance outside the development split gets pocketsphinx's best hypothesis (its
bundled en-us model, as the evaluation uses). The hypotheses are rough (words dropped or misheard),
so hypotheses of fewer than --min-words words are left out. Writes a reference table (absolute
path, speaker, text), as dev_split.py does.

    python recipes/shared_data/transcribe_voices.py --out runs/voice_transcripts.tsv   # 7 min on 2 processes
    python recipes/shared_data/prepare.py --transcripts runs/voice_transcripts.tsv --out runs/prep_pseudo
"""

from __future__ import annotations

import argparse
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from voiceclone.audio import load_audio
from voiceclone.evaluation.asr import Recogniser
from voiceclone.evaluation.data import Reference, dev_split, read_tsv, write_references
from voiceclone.scripts import non_negative_int, positive_int, run_main

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
    parser.add_argument("--processes", type=positive_int, default=2, help="recogniser processes run side by side")
    parser.add_argument("--min-words", type=non_negative_int, default=3, help="leave out shorter hypotheses")
    args = parser.parse_args()

    held = {ref.speaker for ref in dev_split(args.data)}
    rows = [r for r in read_tsv(args.data / "voices" / "metadata.tsv", ("path", "speaker")) if r["speaker"] not in held]
    paths = [args.data / "voices" / r["path"] for r in rows]
    with Pool(args.processes) as pool:
        texts = list(tqdm(pool.imap(transcribe, paths, chunksize=4), total=len(rows), desc="pocketsphinx", unit="utt"))
    kept = [Reference(path, r["speaker"], text) for path, r, text in zip(paths, rows, texts)
            if len(text.split()) >= args.min_words]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_references(args.out, kept)
    print(f"{len(kept)} of {len(rows)} utterances transcribed ({len(rows) - len(kept)} under {args.min_words} words) "
          f"-> {args.out}")


if __name__ == "__main__":
    run_main(main)
