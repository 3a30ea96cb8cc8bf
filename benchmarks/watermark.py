"""Watermark robustness, false positives, imperceptibility and detection speed.

Real speech from ../shared/data stands in for synthesised output. Marked set: a seeded sample of
tts/ utterances, each marked with the default key, then transformed; null set: every tts/ and
voices/ recording, unmarked. Prints tables and writes results/watermark.json.

    python -m benchmarks.watermark [--marked 300] [--dnsmos 60]
"""

from __future__ import annotations

import argparse
import csv

import numpy as np

from benchmarks.common import DATA_DIR, median_time, set_threads, write_json
from voiceclone.audio import read_audio, resample, to_mono
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.scripts import positive_int, run_main
from voiceclone.watermark import DEFAULT_KEY, WatermarkKey, detect_watermark, embed_watermark
from voiceclone.watermark import attacks
from voiceclone.watermark.config import CONFIG

BARS = {"clean": 0.99, "other": 0.95, "false_positive": 0.005, "wsr_db": -30.0, "dnsmos_drop": 0.05, "speed": 100.0}


def rows(sub: str) -> list[str]:
    with open(DATA_DIR / sub / "metadata.tsv", newline="", encoding="utf-8") as handle:
        return [str(DATA_DIR / sub / r["path"]) for r in csv.DictReader(handle, delimiter="\t")]


def load(path: str) -> tuple[np.ndarray, int]:
    audio, sr = read_audio(path)
    return to_mono(audio), sr


def transformations(rng: np.random.Generator, others: list[str]):
    """name -> function(audio, sr) for every transformation in the bar."""

    def inside(audio: np.ndarray, sr: int) -> np.ndarray:
        hosts = [resample(load(p)[0], load(p)[1], sr) for p in rng.choice(others, 2, replace=False)]
        before = hosts[0][: int(rng.uniform(1.0, 4.0) * sr)]
        after = hosts[1][: int(rng.uniform(1.0, 4.0) * sr)]
        return attacks.inside(audio, sr, before, after)

    return {
        "clean": lambda a, sr: a,
        "resample 16 kHz": attacks.resample_16k,
        "8-bit": attacks.requantise_8bit,
        "ogg vorbis": attacks.ogg_vorbis,
        "gain +6 dB": lambda a, sr: attacks.gain(a, sr, 6.0),
        "gain -6 dB": lambda a, sr: attacks.gain(a, sr, -6.0),
        "noise 20 dB": attacks.white_noise,
        "cut 0.5 s": attacks.crop_start,
        "inside longer": inside,
    }


def vorbis_kbps(audio: np.ndarray, sr: int) -> float:
    import io

    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, audio, sr, format="OGG", subtype="VORBIS", compression_level=attacks.VORBIS_COMPRESSION_LEVEL)
    return len(buffer.getvalue()) * 8 / (len(audio) / sr) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marked", type=positive_int, default=300, help="marked utterances (sampled from tts/)")
    parser.add_argument("--dnsmos", type=positive_int, default=60, help="utterances scored with DNSMOS")
    args = parser.parse_args()
    set_threads(1)
    rng = np.random.default_rng(0)
    tts, voices = rows("tts"), rows("voices")
    marked_paths = list(rng.choice(tts, min(args.marked, len(tts)), replace=False))
    wrong_key = WatermarkKey(secret=b"not the voiceclone key", key_id=2)

    # null distribution: every real recording, unmarked
    null_scores = np.array([detect_watermark(*load(p)).score for p in tts + voices])
    fp = float(np.mean(null_scores >= CONFIG.threshold))

    # robustness
    names = list(transformations(rng, voices))
    detected = {n: [] for n in names}
    payload_ok = {n: [] for n in names}
    scores = {n: [] for n in names}
    wrong, wsr, kbps = [], [], []
    dnsmos_pairs = []
    for i, path in enumerate(marked_paths):
        audio, sr = load(path)
        marked = embed_watermark(audio, sr)
        wsr.append(10 * np.log10(np.sum((marked - audio) ** 2, dtype=np.float64) / np.sum(audio**2, dtype=np.float64)))
        kbps.append(vorbis_kbps(marked, sr))
        wrong.append(detect_watermark(marked, sr, key=wrong_key).watermarked)
        for name, transform in transformations(rng, voices).items():
            result = detect_watermark(transform(marked, sr), sr)
            detected[name].append(result.watermarked)
            scores[name].append(result.score)
            payload_ok[name].append(result.payload is not None and result.payload["key_id"] == DEFAULT_KEY.key_id)
        if i < args.dnsmos:
            dnsmos_pairs.append((resample(audio, sr, 16000), resample(marked, sr, 16000)))

    from speechmos import dnsmos

    def ovrl(x: np.ndarray) -> float:
        return float(dnsmos.run(np.clip(x, -1, 1).astype(np.float32), 16000)["ovrl_mos"])

    drops = [ovrl(a) - ovrl(b) for a, b in dnsmos_pairs]

    # speed: one thread, a 10 s utterance-like signal, against the mel front end on the same audio
    audio, sr = load(marked_paths[0])
    long = np.tile(embed_watermark(audio, sr), int(np.ceil(10 * sr / len(audio))))[: 10 * sr]
    detect_s = median_time(lambda: detect_watermark(long, sr))
    long22 = resample(long, sr, VOCODER_MEL.sample_rate)
    mel_s = median_time(lambda: mel_spectrogram(long22, VOCODER_MEL))
    embed_s = median_time(lambda: embed_watermark(long, sr), repeats=5)

    table = []
    print(f"{'transformation':<16} {'detected':>9} {'payload ok':>11} {'median score':>13} {'min score':>10}")
    for name in names:
        row = {
            "transformation": name,
            "detection_rate": float(np.mean(detected[name])),
            "payload_rate": float(np.mean(payload_ok[name])),
            "median_score": float(np.median(scores[name])),
            "min_score": float(np.min(scores[name])),
            "bar": BARS["clean"] if name == "clean" else BARS["other"],
        }
        table.append(row)
        print(f"{name:<16} {row['detection_rate']:>8.1%} {row['payload_rate']:>10.1%} "
              f"{row['median_score']:>13.1f} {row['min_score']:>10.1f}")
    quantiles = {f"q{q}": float(np.quantile(null_scores, q / 100)) for q in (50, 99, 99.5, 99.9)}
    quantiles["max"] = float(null_scores.max())
    summary = {
        "threshold": CONFIG.threshold,
        "null_files": len(null_scores),
        "false_positive_rate": fp,
        "null_quantiles": quantiles,
        "false_positive_rate_at": {f"{t:.1f}": float(np.mean(null_scores >= t)) for t in np.arange(4.5, 6.6, 0.5)},
        "wrong_key_detection_rate": float(np.mean(wrong)),
        "marked_files": len(marked_paths),
        "wsr_db_mean": float(np.mean(wsr)),
        "wsr_db_max": float(np.max(wsr)),
        "vorbis_kbps_mean": float(np.mean(kbps)),
        "dnsmos_files": len(drops),
        "dnsmos_ovrl_drop_mean": float(np.mean(drops)),
        "dnsmos_ovrl_drop_max": float(np.max(drops)),
        "detect_realtime_factor_1thread": 10.0 / detect_s,
        "embed_realtime_factor_1thread": 10.0 / embed_s,
        "detect_vs_mel_frontend_time_ratio": detect_s / mel_s,
    }
    print()
    for key, value in summary.items():
        print(f"{key:<36} {value if not isinstance(value, float) else round(value, 4)}")
    path = write_json("watermark", {"bars": BARS, "robustness": table, **summary})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    run_main(main)
