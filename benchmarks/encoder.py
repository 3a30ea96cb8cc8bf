"""Speaker encoder: equal error rate on the 251 LibriSpeech voices, and embedding speed vs resemblyzer.

EER: every utterance of ../shared/data/voices is split into halves; trials are all
same-speaker half pairs against all different-speaker half pairs (cosine similarity). Rows:
'raw' halves of the files as they are (ours and resemblyzer's embed_utterance on the same
halves), and 'prepared' halves of each utterance after reference preparation (ours: level to
-30 dBFS and our energy VAD; resemblyzer: its preprocess_wav with webrtcvad). Speed: median time to embed
10 s of speech on CPU at 1 and 2 threads (bar: <= 50 ms at 2 threads), ours vs resemblyzer's
embed_utterance in the same run, plus CUDA when present, plus batch throughput. Prints a table
and writes results/encoder.json.

    python -m benchmarks.encoder [--repeats 7] [--batch-threads 2] [--no-peer-eer]
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
import soundfile as sf
import torch

from benchmarks.common import DATA_DIR, median_time, set_threads, write_json
from voiceclone.encoder import embed_batch, embed_utterance, load_speaker_encoder
from voiceclone.encoder.reference import raise_level
from voiceclone.encoder.vad import trim_to_speech
from voiceclone.scripts import positive_int, run_main

SR = 16000
BAR_10S_2THREADS_S = 0.050


def load_voices() -> tuple[list[str], list[np.ndarray]]:
    """Speaker ids and 16 kHz waveforms of voices/metadata.tsv."""
    folder = DATA_DIR / "voices"
    with open(folder / "metadata.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    wavs = []
    for row in rows:
        wav, sr = sf.read(folder / row["path"], dtype="float32")
        assert sr == SR, row["path"]
        wavs.append(wav)
    return [row["speaker"] for row in rows], wavs


def equal_error_rate(same: np.ndarray, different: np.ndarray) -> float:
    """Where the false-reject rate of ``same`` equals the false-accept rate of ``different``."""
    thresholds = np.sort(np.concatenate([same, different]))
    frr = np.searchsorted(np.sort(same), thresholds, side="left") / len(same)
    far = 1.0 - np.searchsorted(np.sort(different), thresholds, side="left") / len(different)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def trials(speakers: list[str], embeddings: np.ndarray) -> dict:
    """EER and mean scores of all same-speaker vs all different-speaker pairs of halves."""
    labels = np.repeat(np.array(speakers), 2)
    sim = embeddings @ embeddings.T
    upper = np.triu(np.ones_like(sim, dtype=bool), k=1)
    same_mask = labels[:, None] == labels[None, :]
    same, different = sim[upper & same_mask], sim[upper & ~same_mask]
    return {"eer": equal_error_rate(same, different), "same_mean": float(same.mean()),
            "different_mean": float(different.mean()), "same_trials": int(len(same)),
            "different_trials": int(len(different))}


def halves(wavs: list[np.ndarray]) -> list[np.ndarray]:
    return [part for wav in wavs for part in np.array_split(wav, 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive_int, default=7)
    parser.add_argument("--batch-threads", type=positive_int, default=2, help="threads for the EER pass (timed as throughput)")
    parser.add_argument("--no-peer-eer", action="store_true", help="skip resemblyzer's EER (the slow part)")
    args = parser.parse_args()
    from resemblyzer import VoiceEncoder, preprocess_wav

    set_threads(args.batch_threads)
    speakers, wavs = load_voices()
    parts = halves(wavs)
    ours = load_speaker_encoder("cpu")
    peer = VoiceEncoder("cpu", verbose=False)

    start = time.perf_counter()
    ours_emb = embed_batch(ours, parts)
    batch_s = time.perf_counter() - start
    audio_s = sum(len(p) for p in parts) / SR
    print(f"ours: {len(parts)} halves embedded in {batch_s:.1f} s", flush=True)
    prepared = [trim_to_speech(raise_level(w), SR)[0] for w in wavs]
    eer = {"ours raw": trials(speakers, ours_emb),
           "ours prepared": trials(speakers, embed_batch(ours, halves(prepared)))}
    if not args.no_peer_eer:
        eer["resemblyzer raw"] = trials(speakers, np.stack([peer.embed_utterance(p) for p in parts]))
        peer_prepared = halves([preprocess_wav(w) for w in wavs])
        eer["resemblyzer prepared"] = trials(speakers, np.stack([peer.embed_utterance(p) for p in peer_prepared]))

    ten = np.concatenate(wavs)[: 10 * SR]
    speed = []
    for threads in (1, 2):
        set_threads(threads)
        speed.append({"device": "cpu", "threads": threads,
                      "ours_s": median_time(lambda: embed_utterance(ours, ten), args.repeats),
                      "resemblyzer_s": median_time(lambda: peer.embed_utterance(ten), args.repeats)})
    if torch.cuda.is_available():
        ours_gpu, peer_gpu = load_speaker_encoder("cuda"), VoiceEncoder("cuda", verbose=False)

        def synced(fn):
            return lambda: (fn(), torch.cuda.synchronize())

        speed.append({"device": "cuda", "threads": 2,
                      "ours_s": median_time(synced(lambda: embed_utterance(ours_gpu, ten)), args.repeats),
                      "resemblyzer_s": median_time(synced(lambda: peer_gpu.embed_utterance(ten)), args.repeats)})
    for row in speed:
        row["ratio_resemblyzer_over_ours"] = row["resemblyzer_s"] / row["ours_s"]
    bar_row = speed[1]

    print(f"EER on {len(speakers)} voices (halves), "
          f"{eer['ours raw']['same_trials']} same / {eer['ours raw']['different_trials']} different trials")
    print(f"{'encoder':<21} {'EER %':>7} {'same':>7} {'diff':>7}")
    for name, r in eer.items():
        print(f"{name:<21} {100 * r['eer']:7.2f} {r['same_mean']:7.3f} {r['different_mean']:7.3f}")
    print(f"\nembed 10 s of speech (median of {args.repeats})")
    print(f"{'device':<6} {'threads':>7} {'ours ms':>8} {'resemblyzer ms':>15} {'ratio':>6}")
    for r in speed:
        print(f"{r['device']:<6} {r['threads']:>7} {1000 * r['ours_s']:8.1f} {1000 * r['resemblyzer_s']:15.1f} "
              f"{r['ratio_resemblyzer_over_ours']:6.2f}")
    verdict = "meets" if bar_row["ours_s"] <= BAR_10S_2THREADS_S else "MISSES"
    print(f"bar: <= {1000 * BAR_10S_2THREADS_S:.0f} ms at 2 CPU threads: {verdict}")
    print(f"batch: {len(parts)} halves, {audio_s:.0f} s of audio embedded in {batch_s:.1f} s "
          f"({args.batch_threads} threads, one embed_batch call)")
    path = write_json("encoder", {
        "eer": eer, "speed_10s": speed,
        "bar_10s_2threads_s": BAR_10S_2THREADS_S, "meets_bar": verdict == "meets",
        "batch": {"utterances": len(parts), "audio_s": audio_s, "seconds": batch_s, "threads": args.batch_threads},
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    run_main(main)
