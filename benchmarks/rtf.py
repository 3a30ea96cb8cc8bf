"""End-to-end real-time factor: text -> waveform with the models loaded, per stage.

RTF = synthesis seconds / audio seconds, median of repeated runs after warm-up, on CPU
with 1 and 2 threads (and CUDA when available), in the built-in voice and in a cloned one
(a cloned voice costs a second acoustic rendering and frame matching; the bar is judged on it).
Peer: the vocoder alone on the same mel, so the table shows what the acoustic model and text
front end add on top. Where the default vocoder precision is bf16 (a CPU with AMX),
the fp32 rows are timed too; the bar is judged on the default. Every row is timed with the default
HiFi-GAN and with the fast vocoder in the same run (``vocoder``; while no fast checkpoint is shipped,
its architecture with untrained initial weights, labelled so: speed does not depend on the weights),
and each fast row carries its end-to-end and vocoder-only time over HiFi-GAN's. Piper's 'joe'
voice is timed on the same text on CPU when piper-tts is installed (the [eval] extra), on the
threads onnxruntime chooses.

    python -m benchmarks.rtf [--repeats 7] [--text "..."] [--devices all|cpu|cuda]

``--devices cuda`` times only the GPU rows and writes results/rtf_cuda.json, leaving this
machine's CPU figures (results/rtf.json, which judge the bar) alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks.common import fast_vocoder, median_time, set_threads, write_json
from voiceclone.device import resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.pipeline import SAMPLE_RATE, SpeakOptions, VoiceCloner
from voiceclone.scripts import positive_int, run_main
from voiceclone.vocoder import vocode
from voiceclone.watermark import embed_watermark

TEXT = "The old lighthouse keeper walked slowly along the rocky shore."  # ten words
REFERENCE_TEXT = "A clear day on the coast brings out every walker in town, and the harbour fills with boats."


def cloned_voice(cloner: VoiceCloner):
    """A voice cloned from a clip the built-in voice speaks 3 semitones higher: the cloning path
    without outside data."""
    audio, sr = cloner.speak(REFERENCE_TEXT, options=SpeakOptions(pitch=3.0))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.wav"
        sf.write(path, audio, sr)
        return cloner.voice(path)


def stage_times(cloner: VoiceCloner, voice, text: str) -> dict[str, float]:
    """Seconds spent in each stage of one synthesis."""
    t0 = time.perf_counter()
    chunks = cloner.frontend.chunks(text)
    _ = [cloner.frontend.encode(c, cloner.table) for c in chunks]
    t1 = time.perf_counter()
    mel = cloner.mel(text, voice)
    t2 = time.perf_counter()
    audio = vocode(cloner.vocoder, mel)
    t3 = time.perf_counter()
    embed_watermark(audio, SAMPLE_RATE)
    t4 = time.perf_counter()
    return {"text": t1 - t0, "acoustic_incl_text": t2 - t1, "vocoder": t3 - t2, "watermark": t4 - t3,
            "audio_s": len(audio) / SAMPLE_RATE}


def precisions(device: str) -> tuple[str, ...]:
    """The default precision, plus fp32 for comparison where the default is something else."""
    auto = resolve_precision("auto", torch.device(device))
    return ("auto",) if auto == torch.float32 else ("auto", "fp32")


def piper_rows(text: str, repeats: int) -> list[dict]:
    """Piper's 'joe' voice speaking ``text`` on CPU (onnxruntime picks its own threads); none when
    piper-tts is not installed."""
    try:
        from voiceclone.evaluation.peer import PiperPeer

        peer = PiperPeer()
    except (ImportError, VoiceCloneError) as exc:
        print(f"piper not timed: {exc}")
        return []
    audio, sr = peer.synthesise(text)
    total = median_time(lambda: peer.synthesise(text), repeats=repeats)
    return [{"threads": "onnxruntime's", "audio_s": len(audio) / sr, "total_s": total, "rtf": total / (len(audio) / sr)}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive_int, default=7)
    parser.add_argument("--text", default=TEXT)
    parser.add_argument("--devices", choices=("all", "cpu", "cuda"), default="all",
                        help="all: the CPU rows, plus CUDA when available; cuda: only CUDA (for a GPU machine "
                             "whose CPU rows would not be this project's)")
    args = parser.parse_args()
    if args.devices == "cuda" and not torch.cuda.is_available():
        parser.error("--devices cuda: no CUDA device is available")

    rows = []
    devices = {"all": ["cpu"] + (["cuda"] if torch.cuda.is_available() else []), "cpu": ["cpu"], "cuda": ["cuda"]}[args.devices]
    for device, precision in ((d, p) for d in devices for p in precisions(d)):
        cloner = VoiceCloner(device=device, precision=precision)
        fast, fast_label = fast_vocoder(device, precision)
        voices = {"built-in": cloner.default_voice(), "cloned": cloned_voice(cloner)}
        for vocoder, model in {"hifigan": cloner.vocoder, fast_label: fast}.items():
            # swapped in place: VoiceCloner refuses an unshipped fast vocoder, whose untrained architecture is timed then
            cloner._vocoder = model
            dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
            for threads, (name, voice) in ((t, v) for t in ((1, 2) if device == "cpu" else (2,)) for v in voices.items()):
                set_threads(threads)
                audio, sr = cloner.speak(args.text, voice)
                seconds = len(audio) / sr
                total = median_time(lambda: cloner.speak(args.text, voice), repeats=args.repeats)
                mel = cloner.mel(args.text, voice)
                vocoder_only = median_time(lambda: vocode(model, mel), repeats=args.repeats)
                stages = [stage_times(cloner, voice, args.text) for _ in range(3)]
                stage = {k: float(np.median([s[k] for s in stages])) for k in stages[0]}
                rows.append({"device": device, "precision": precision, "vocoder": vocoder, "vocoder_dtype": dtype,
                             "threads": threads, "voice": name, "audio_s": seconds, "total_s": total,
                             "rtf": total / seconds, "vocoder_only_rtf": vocoder_only / seconds,
                             "vocoder_share": vocoder_only / total, "stages_s": stage})
    for row in rows:
        if row["vocoder"] != "hifigan":
            hifigan = next(r for r in rows if r["vocoder"] == "hifigan" and
                           all(r[k] == row[k] for k in ("device", "precision", "threads", "voice")))
            row["fast_vs_hifigan_total"] = row["total_s"] / hifigan["total_s"]
            row["fast_vs_hifigan_vocoder"] = row["vocoder_only_rtf"] / hifigan["vocoder_only_rtf"]
    piper = piper_rows(args.text, args.repeats) if "cpu" in devices else []
    print(f"text: {args.text!r}")
    print(f"{'device':6s} {'vocoder':>22s} {'dtype':>8s} {'thr':>3s} {'voice':>8s} {'audio s':>8s} {'total s':>8s} {'RTF':>6s} "
          f"{'vocoder RTF':>11s} {'vocoder share':>13s} {'fast/hifigan total, vocoder':>28s}")
    for r in rows:
        ratios = f"{r['fast_vs_hifigan_total']:13.3f}, {r['fast_vs_hifigan_vocoder']:.3f}" if "fast_vs_hifigan_total" in r else ""
        print(f"{r['device']:6s} {r['vocoder']:>22s} {r['vocoder_dtype']:>8s} {r['threads']:3d} {r['voice']:>8s} {r['audio_s']:8.2f} "
              f"{r['total_s']:8.3f} {r['rtf']:6.3f} {r['vocoder_only_rtf']:11.3f} {100 * r['vocoder_share']:12.0f}% {ratios}")
    for r in piper:
        print(f"cpu    {'piper joe (whole TTS)':>22s} {'-':>8s} {'-':>3s} {'joe':>8s} {r['audio_s']:8.2f} {r['total_s']:8.3f} {r['rtf']:6.3f}")
    two = next((r for r in rows if r["device"] == "cpu" and r["precision"] == "auto" and r["threads"] == 2
                and r["voice"] == "cloned" and r["vocoder"] == "hifigan"), None)
    if two is not None:
        print(f"bar: RTF {two['rtf']:.3f} on 2 CPU threads, cloned voice, default precision ({two['vocoder_dtype']}) (<= 0.35): {'passes' if two['rtf'] <= 0.35 else 'FAILS'}")
    print("wrote", write_json("rtf" if two is not None else "rtf_cuda",
                              {"text": args.text, "rows": rows, "piper": piper, "bar_rtf_2threads": 0.35,
                               "passes": None if two is None else two["rtf"] <= 0.35}))


if __name__ == "__main__":
    run_main(main)
