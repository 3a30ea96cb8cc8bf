"""Vocoder quality by copy-synthesis: DNSMOS of real utterances vs the same utterances analysed into
VOCODER_MEL and rebuilt by our HiFi-GAN.

Twenty utterances spread evenly over ../shared/data/tts/metadata.tsv; both sides are scored at
16 kHz (DNSMOS's rate). Bar: mean OVRL of the copies within 0.1 of the originals'. Prints a table
and writes results/copy_synthesis.json.

    python -m benchmarks.copy_synthesis [--count 20] [--device auto]
"""

from __future__ import annotations

import argparse
import csv

import numpy as np
from speechmos import dnsmos

from benchmarks.common import DATA_DIR, write_json
from voiceclone.audio import load_audio, resample
from voiceclone.scripts import positive_int, run_main
from voiceclone.vocoder import copy_synthesis, load_vocoder

DNSMOS_RATE = 16000
OVRL_BAR = 0.1


def score(audio: np.ndarray, rate: int) -> dict[str, float]:
    """DNSMOS (SIG, BAK, OVRL, P.808) of one clip, resampled to 16 kHz."""
    clip = np.clip(resample(audio, rate, DNSMOS_RATE), -1.0, 1.0)
    result = dnsmos.run(clip, DNSMOS_RATE)
    return {k: float(result[k]) for k in ("sig_mos", "bak_mos", "ovrl_mos", "p808_mos")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=positive_int, default=20)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    with open(DATA_DIR / "tts" / "metadata.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    picks = [rows[int(i)] for i in np.linspace(0, len(rows) - 1, args.count)]
    generator = load_vocoder(args.device)
    rate = generator.config.sampling_rate
    results = []
    for row in picks:
        original = load_audio(DATA_DIR / "tts" / row["path"], rate)
        copy = copy_synthesis(generator, original)
        results.append({"path": row["path"], "source": row["source"],
                        "original": score(original, rate), "copy": score(copy, rate)})
        print(f"{row['path'][:48]:48s} OVRL {results[-1]['original']['ovrl_mos']:.2f} -> "
              f"{results[-1]['copy']['ovrl_mos']:.2f}")

    keys = ("sig_mos", "bak_mos", "ovrl_mos", "p808_mos")
    mean = {side: {k: float(np.mean([r[side][k] for r in results])) for k in keys} for side in ("original", "copy")}
    print(f"\n{'':9s}" + "".join(f"{k:>10s}" for k in keys))
    for side in ("original", "copy"):
        print(f"{side:9s}" + "".join(f"{mean[side][k]:10.3f}" for k in keys))
    gap = mean["original"]["ovrl_mos"] - mean["copy"]["ovrl_mos"]
    bars = {"ovrl_original": mean["original"]["ovrl_mos"], "ovrl_copy": mean["copy"]["ovrl_mos"],
            "ovrl_gap": gap, "bar": OVRL_BAR, "passes": abs(gap) <= OVRL_BAR}
    print(f"bar: |OVRL original - copy| = {abs(gap):.3f} (<= {OVRL_BAR}), passes={bars['passes']}")
    print("wrote", write_json("copy_synthesis", {"device": str(generator.conv_pre.weight.device),
                                                  "utterances": results, "mean": mean, "bars": bars}))


if __name__ == "__main__":
    run_main(main)
