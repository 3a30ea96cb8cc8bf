"""Voice profile from a reference file: time and peak memory by reference length, vs resemblyzer.

Ours: ``load_voice`` (read, prepare, GE2E d-vector, YIN pitch register, band statistics and
reference frames). The peer: resemblyzer's ``preprocess_wav`` + ``embed_utterance`` on the same
file, which makes the d-vector only. Each reference is LibriSpeech speech from
../shared/data/voices joined to the length asked, written as a 16 kHz wav. Each measurement runs
in a fresh process at 2 threads, after a warm-up on 3 s: the wall time of one call and the peak
resident-memory growth during it. Prints a table and writes results/voice_profile.json.

    python -m benchmarks.voice_profile [--lengths 10,60,600]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.common import DATA_DIR, child_json, peak_rss_growth_mb, seconds_list, set_threads, write_json
from voiceclone.scripts import run_main

SR = 16000


def write_reference(seconds: int, path: Path) -> None:
    """``seconds`` of LibriSpeech voices joined end to end, as a 16 kHz wav."""
    pieces, total = [], 0
    for flac in sorted((DATA_DIR / "voices" / "librispeech").glob("*.flac")):
        audio, sr = sf.read(flac, dtype="float32")
        if sr == SR:
            pieces.append(audio)
            total += len(audio)
        if total >= seconds * SR:
            break
    if total < seconds * SR:
        raise SystemExit(f"only {total / SR:.0f} s of 16 kHz voices in {DATA_DIR / 'voices'}; ask for less")
    sf.write(path, np.concatenate(pieces)[: seconds * SR], SR)


def measure_child(method: str, path: str, warmup: str) -> None:
    """Print the wall time and peak memory growth of one profile (ours) or embedding (peer) of ``path``."""
    set_threads(2)
    if method == "ours":
        from voiceclone.encoder import load_speaker_encoder
        from voiceclone.voice import load_voice

        encoder = load_speaker_encoder("cpu")
        run = lambda p: load_voice(p, encoder)  # noqa: E731
    else:
        from resemblyzer import VoiceEncoder, preprocess_wav

        encoder = VoiceEncoder("cpu", verbose=False)
        run = lambda p: encoder.embed_utterance(preprocess_wav(p))  # noqa: E731
    run(warmup)
    seconds = []

    def timed() -> None:
        start = time.perf_counter()
        run(path)
        seconds.append(time.perf_counter() - start)

    print(json.dumps({"peak_growth_mb": peak_rss_growth_mb(timed), "seconds": seconds[0]}))


def measure(method: str, path: Path, warmup: Path) -> dict:
    return child_json("benchmarks.voice_profile", "--child", method, str(path), str(warmup))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=seconds_list, default=[10, 60, 600], help="reference lengths in seconds")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "PATH", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure_child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        warmup = Path(folder) / "warmup.wav"
        write_reference(3, warmup)
        for seconds in args.lengths:
            path = Path(folder) / f"reference_{seconds}s.wav"
            write_reference(seconds, path)
            ours, peer = measure("ours", path, warmup), measure("resemblyzer", path, warmup)
            rows.append({"reference_s": seconds, "ours": ours, "resemblyzer": peer,
                         "time_ratio_ours_over_peer": ours["seconds"] / peer["seconds"],
                         "memory_ratio_ours_over_peer": ours["peak_growth_mb"] / peer["peak_growth_mb"]})
            print(f"{seconds:>6} s reference: ours {ours['seconds']:6.2f} s {ours['peak_growth_mb']:7.0f} MB | "
                  f"resemblyzer {peer['seconds']:6.2f} s {peer['peak_growth_mb']:7.0f} MB", flush=True)
    path = write_json("voice_profile", {"threads": 2, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    run_main(main)
