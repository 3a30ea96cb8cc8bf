"""How DNSMOS depends on the level speech is played at: the development references, the built-in
voice and clones (made without the watermark, which moves DNSMOS by about 0.002), each scored as
`voiceclone eval` hears them (16 kHz, edge silence trimmed) at several RMS levels. The evaluation plays everything at -20 dBFS; this says what that choice does to
every row. Prints a table and writes results/dnsmos_level.json.

    python -m recipes.shared_data.dev_split runs/dev_refs.tsv
    python -m benchmarks.dnsmos_level --refs runs/dev_refs.tsv [--levels -20,-23,-26,-29,-32]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.common import write_json
from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.data import read_sentences
from voiceclone.evaluation.dnsmos import DnsMos
from voiceclone.evaluation.scoring import JUDGE_LEVEL_DBFS, condition
from voiceclone.pipeline import SAMPLE_RATE, VoiceCloner
from voiceclone.references import read_references
from voiceclone.scripts import run_main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refs", type=Path, required=True, help="development reference table (dev_split.py)")
    parser.add_argument("--levels", default="-20,-23,-26,-29,-32", help="RMS levels in dBFS, comma-separated")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    try:
        levels = [float(v) for v in args.levels.split(",")]
    except ValueError:
        parser.error(f"--levels {args.levels!r}: expected numbers separated by commas, e.g. -20,-26")

    cloner = VoiceCloner(device=args.device, watermark=False)
    sentences = read_sentences()
    refs = read_references(args.refs)
    clips: dict[str, list[np.ndarray]] = {"references": [], "built-in voice": [], "clones": []}
    for i, ref in enumerate(tqdm(refs, desc="references and clones")):
        clips["references"].append(load_audio(ref.path, SAMPLE_RATE, trim=False, normalise=False))
        try:
            voice = cloner.voice(ref.path)
        except VoiceCloneError:
            continue  # a reference the cloner refuses (too little speech) gets no clone
        for k in (i % len(sentences), (i + len(sentences) // 2) % len(sentences)):
            clips["clones"].append(cloner.speak(sentences[k], voice)[0])
    for text in tqdm(sentences, desc="built-in voice"):
        clips["built-in voice"].append(cloner.speak(text)[0])

    judge = DnsMos()
    results = {}
    for name, audio in clips.items():
        scores = {level: [judge.score(condition(a, SAMPLE_RATE, level)) for a in audio]
                  for level in tqdm(levels, desc=f"DNSMOS, {name}")}
        results[name] = {"clips": len(audio), "levels": {
            str(level): {k: float(np.mean([s[k] for s in scores[level]])) for k in ("ovrl", "sig", "bak")}
            for level in levels}}
    print(f"\nDNSMOS OVRL (SIG / BAK) by RMS level; voiceclone eval plays at {JUDGE_LEVEL_DBFS:g} dBFS")
    print(f"{'':16s}" + "".join(f"{level:>22g}" for level in levels))
    for name, r in results.items():
        cells = "".join(f"{v['ovrl']:>8.3f} ({v['sig']:.2f}/{v['bak']:.2f})" for v in r["levels"].values())
        print(f"{name:16s}{cells}  n={r['clips']}")
    print("wrote", write_json("dnsmos_level", {"judge_level_dbfs": JUDGE_LEVEL_DBFS, "results": results}))


if __name__ == "__main__":
    run_main(main)
