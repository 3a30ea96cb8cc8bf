"""Streaming synthesis: time to first audio against the whole text's time, and what streaming changes.

- Time to first audio (TTFA): from ``VoiceCloner.stream(text, voice)`` to its first chunk, for a
  two-sentence text in a cloned voice (its level already measured, as for any voice streamed
  before), median of repeated runs; beside it the time ``speak`` takes for the whole text.
- Clips: sentences streamed in several voices; each must be detected as watermarked. Each is
  compared with ``speak``'s output for the same text and voice: the level of both, and what is
  left of the difference once the level is matched (the marks differ a little).

    python -m benchmarks.streaming [--repeats 7] [--threads 2] [--clips 50]

Voices: the development voices in ../shared/data/voices when present, else the test reference.
Writes results/streaming.json.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.common import DATA_DIR, ROOT, set_threads, write_json
from voiceclone.evaluation.data import read_sentences
from voiceclone.pipeline import VoiceCloner
from voiceclone.scripts import positive_int, run_main
from voiceclone.watermark import detect_watermark

TEXT = "The old lighthouse keeper walked slowly along the rocky shore. Far below, the waves broke on the stones."


def reference_voices(count: int) -> list[Path]:
    """Up to ``count`` reference recordings: development voices, else the test reference."""
    table = DATA_DIR / "voices" / "metadata.tsv"
    if not table.is_file():
        return [ROOT / "tests" / "data" / "golden_reference.flac"]
    with open(table, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [DATA_DIR / "voices" / row["path"] for row in rows[:count]]


def time_to_first_audio(cloner: VoiceCloner, voice, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds to the first chunk and to the whole streamed text, per run."""
    first, whole = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        chunks = iter(cloner.stream(TEXT, voice))
        next(chunks)
        first.append(time.perf_counter() - start)
        for _ in chunks:
            pass
        whole.append(time.perf_counter() - start)
    return first, whole


def compare(streamed: np.ndarray, spoken: np.ndarray) -> dict:
    """Levels of both (dBFS RMS), and the difference left once the level is matched (dB below the signal)."""
    s, w = streamed.astype(np.float64), spoken.astype(np.float64)
    scale = float(np.dot(s, w) / np.dot(w, w))
    residual = s - scale * w
    return {"stream_dbfs": 20 * np.log10(np.sqrt(np.mean(s**2))), "speak_dbfs": 20 * np.log10(np.sqrt(np.mean(w**2))),
            "residual_db": 10 * np.log10(np.sum(residual**2) / np.sum(s**2)), "same_length": len(s) == len(w)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=positive_int, default=7)
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--clips", type=positive_int, default=50)
    parser.add_argument("--voices", type=positive_int, default=10)
    args = parser.parse_args()
    set_threads(args.threads)
    cloner = VoiceCloner(device="cpu")
    voices = [cloner.voice(path) for path in reference_voices(args.voices)]
    voice = voices[0]
    list(cloner.stream(TEXT, voice))  # warm-up; also measures the voice's level once
    cloner.speak(TEXT, voice)
    first, streamed_whole = time_to_first_audio(cloner, voice, args.repeats)
    spoken = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        cloner.speak(TEXT, voice)
        spoken.append(time.perf_counter() - start)
    sentences = read_sentences()
    clips = []
    for k in range(args.clips):
        text, clip_voice = sentences[k % len(sentences)], voices[k % len(voices)]
        streamed = np.concatenate(list(cloner.stream(text, clip_voice)))
        found = detect_watermark(streamed, cloner.vocoder.config.sampling_rate)
        clips.append({"text": text, "voice": clip_voice.description, "state": found.state, "score": found.score,
                      **compare(streamed, cloner.speak(text, clip_voice)[0])})
    detected = sum(c["state"] == "watermarked" for c in clips)
    levels = [c["stream_dbfs"] - c["speak_dbfs"] for c in clips]
    result = {
        "threads": args.threads, "text": TEXT, "voice": voice.description,
        "ttfa_s": statistics.median(first), "ttfa_runs_s": first,
        "stream_whole_s": statistics.median(streamed_whole), "speak_whole_s": statistics.median(spoken),
        "clips": len(clips), "clips_watermarked": detected,
        "stream_minus_speak_db": {"median": statistics.median(levels), "min": min(levels), "max": max(levels)},
        "residual_db_median": statistics.median(c["residual_db"] for c in clips),
        "all_same_length": all(c["same_length"] for c in clips), "per_clip": clips,
    }
    print(f"time to first audio {result['ttfa_s']:.3f} s (median of {args.repeats}, {args.threads} threads); "
          f"whole text: streamed {result['stream_whole_s']:.3f} s, speak {result['speak_whole_s']:.3f} s")
    print(f"{detected} of {len(clips)} streamed clips detected as watermarked; stream level minus speak's: median "
          f"{result['stream_minus_speak_db']['median']:+.2f} dB ({min(levels):+.2f} to {max(levels):+.2f}); "
          f"level-matched difference {result['residual_db_median']:.1f} dB below the signal")
    print(f"written to {write_json('streaming', result)}")


if __name__ == "__main__":
    run_main(main)
