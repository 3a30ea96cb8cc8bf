"""Word error rate of the shipped Whisper models against the true transcripts of tts/, to pick one.

    python -m recipes.many_voices.compare_asr --data ../shared/data --out results/asr_compare.json

A stratified subset keeps the CPU time small: every utterance not spoken by the dominant 'cathy'
speaker, plus ``--cathy`` of hers drawn with ``--seed``. Each model runs on ``--threads`` CPU
threads; numbers are spelled out on both sides before scoring (voiceclone.evaluation.asr). Prints
and saves, per model, the corpus WER, the WER per source and the real-time factor, and the choice:
the lower WER, or the faster model when the two are within 0.5 points.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from voiceclone.audio import load_audio
from voiceclone.evaluation.asr import error_counts
from voiceclone.evaluation.rate import JUDGE_RATE
from voiceclone.evaluation.report import write_text
from voiceclone.evaluation.whisper import MODELS, WhisperConfig, WhisperRecogniser
from voiceclone.scripts import non_negative_int, positive_int, run_main
from voiceclone.tables import audio_path, read_tsv

TIE_POINTS = 0.5
"""WER differences below this many percentage points are a tie, broken by speed."""


def stratified(rows: list[dict[str, str]], cathy: int, seed: int) -> list[dict[str, str]]:
    """Every row of the other speakers and ``cathy`` of cathy's, drawn with ``seed``, in table order."""
    theirs = [i for i, row in enumerate(rows) if row["speaker"] == "cathy"]
    picked = set(np.random.default_rng(seed).choice(theirs, size=min(cathy, len(theirs)), replace=False).tolist())
    return [row for i, row in enumerate(rows) if row["speaker"] != "cathy" or i in picked]


def _wer(counts: list) -> float:
    return sum(c.word_errors for c in counts) / sum(c.words for c in counts)


def measure(model: str, rows: list[dict[str, str]], audio: list[np.ndarray], threads: int) -> dict:
    """One model's transcripts of ``audio`` (16 kHz) scored against the rows' text: WER overall and per source, RTF."""
    start = time.perf_counter()
    recogniser = WhisperRecogniser(WhisperConfig(model=model, cpu_threads=threads))
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    hypotheses = [recogniser.transcribe(a) for a in audio]
    elapsed = time.perf_counter() - start
    counts = [error_counts(row["text"], hyp) for row, hyp in zip(rows, hypotheses)]
    scored = [(row, c) for row, c in zip(rows, counts) if c is not None]
    sources = sorted({row["source"] for row, _ in scored})
    return {
        "wer": _wer([c for _, c in scored]),
        "wer_per_source": {s: _wer([c for row, c in scored if row["source"] == s]) for s in sources},
        "rtf": elapsed / (sum(len(a) for a in audio) / JUDGE_RATE),
        "transcribe_s": elapsed,
        "load_s": load_s,
        "hypotheses": hypotheses,
    }


def choose(results: dict[str, dict]) -> str:
    """The model with the lowest WER; within ``TIE_POINTS`` of it, the fastest."""
    best = min(r["wer"] for r in results.values())
    close = [name for name, r in results.items() if 100 * (r["wer"] - best) < TIE_POINTS]
    return min(close, key=lambda name: results[name]["rtf"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (holds tts/metadata.tsv)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the results")
    parser.add_argument("--cathy", type=non_negative_int, default=72, help="how many of cathy's utterances to include")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive_int, default=1, help="CPU threads per model")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    args = parser.parse_args()

    table = args.data / "tts" / "metadata.tsv"
    rows = stratified(read_tsv(table, ("path", "speaker", "text", "source")), args.cathy, args.seed)
    audio = [load_audio(audio_path(table, row["path"], i), JUDGE_RATE, trim=False, normalise=False)
             for i, row in enumerate(rows, 2)]
    results = {}
    for model in args.models:
        results[model] = measure(model, rows, audio, args.threads)
        r = results[model]
        print(f"{model}: WER {100 * r['wer']:.2f}%  RTF {r['rtf']:.3f} "
              f"({r['transcribe_s']:.0f} s, load {r['load_s']:.1f} s)  " + "  ".join(f"{s} {100 * w:.1f}%" for s, w in r["wer_per_source"].items()), flush=True)
    chosen = choose(results)
    print(f"chosen: {chosen}")
    hypotheses = {model: results[model].pop("hypotheses") for model in results}
    report = {
        "utterances": len(rows),
        "audio_s": sum(len(a) for a in audio) / JUDGE_RATE,
        "cathy": args.cathy, "seed": args.seed, "threads": args.threads,
        "models": results,
        "chosen": chosen,
        "rows": [{"path": row["path"], "source": row["source"], "text": row["text"],
                  **{model: hypotheses[model][i] for model in hypotheses}} for i, row in enumerate(rows)],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.out, json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    run_main(main)
