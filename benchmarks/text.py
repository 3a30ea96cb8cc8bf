"""Text front-end speed on the LJ Speech sentences: sentences per second, one thread.

Rows: our normalisation alone; our full pipeline (normalise + G2P + ids, what training data and
synthesis use); the peer, hibari's own pipeline (its normaliser + G2P to a phoneme string); and
chunking the whole file as one long text. Bar: full pipeline >= 200 sentences/s.
Prints a table and writes results/text.json.

    python -m benchmarks.text [--repeats 3] [--sentences N]
"""

from __future__ import annotations

import argparse

from benchmarks.common import DATA_DIR, median_time, set_threads, write_json
from voiceclone.scripts import non_negative_int, positive_int, run_main
from voiceclone.text import DEFAULT_TABLE, TextFrontend

BAR_SENTENCES_PER_S = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--sentences", type=non_negative_int, default=0, help="use the first N sentences (0: all)")
    args = parser.parse_args()

    path = DATA_DIR / "text" / "ljspeech_sentences.txt"
    sentences = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
    if args.sentences:
        sentences = sentences[: args.sentences]
    text = " ".join(sentences)
    set_threads(1)

    from hibari.g2p import G2P

    peer = G2P()
    frontend = TextFrontend()
    frontend.encode("Warm up the G2P and its out-of-vocabulary net.")

    cases = {
        "ours: normalise": lambda: [frontend.normalise(s) for s in sentences],
        "ours: normalise+G2P+ids": lambda: [DEFAULT_TABLE.encode(frontend.phonemise(s)) for s in sentences],
        "hibari: normalize+G2P (peer)": lambda: [peer(s) for s in sentences],
    }
    rows = []
    for name, fn in cases.items():
        seconds = median_time(fn, repeats=args.repeats, warmup=1)
        rows.append({"method": name, "seconds": seconds, "sentences_per_s": len(sentences) / seconds})
    peer_rate = rows[-1]["sentences_per_s"]
    for row in rows:
        row["ratio_to_peer"] = row["sentences_per_s"] / peer_rate
    chunk_seconds = median_time(lambda: frontend.chunks(text), repeats=1, warmup=0)
    n_chunks = len(frontend.chunks(text))

    print(f"{len(sentences)} sentences, {len(text) / 1e6:.2f} MB, 1 thread")
    print(f"{'method':30s} {'seconds':>8s} {'sent/s':>8s} {'vs peer':>8s}")
    for r in rows:
        print(f"{r['method']:30s} {r['seconds']:8.2f} {r['sentences_per_s']:8.0f} {r['ratio_to_peer']:8.2f}")
    print(f"{'chunks(whole file)':30s} {chunk_seconds:8.2f} {len(text) / 1e3 / chunk_seconds:8.0f} kB/s, {n_chunks} chunks")
    full = rows[1]["sentences_per_s"]
    bars = {"pipeline_sentences_per_s": full, "bar": BAR_SENTENCES_PER_S, "passes": full >= BAR_SENTENCES_PER_S}
    print(f"bar: full pipeline {full:.0f} sentences/s (>= {BAR_SENTENCES_PER_S}), passes={bars['passes']}")
    payload = {"sentences": len(sentences), "megabytes": len(text) / 1e6, "rows": rows,
               "chunks": {"seconds": chunk_seconds, "n_chunks": n_chunks, "kb_per_s": len(text) / 1e3 / chunk_seconds},
               "bars": bars}
    print("wrote", write_json("text", payload))


if __name__ == "__main__":
    run_main(main)
