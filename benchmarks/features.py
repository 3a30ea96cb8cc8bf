"""Mel front-end speed: ours (numba) vs librosa, torch.stft + mel matmul, torchaudio.

Cases: one 60 s signal, and a batch of 200 signals of 2-15 s, at 1 and 2 threads.
Prints a table and writes results/features.json.

    python -m benchmarks.features [--repeats 7]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks.common import median_time, set_threads, write_json
from voiceclone.features import VOCODER_MEL, mel_filterbank, mel_spectrogram, mel_spectrogram_batch
from voiceclone.features.reference import torch_mel_spectrogram
from voiceclone.scripts import positive_int, run_main

CFG = VOCODER_MEL


def librosa_mel(x: np.ndarray) -> np.ndarray:
    import librosa

    padded = np.pad(x, CFG.pad, mode="reflect")
    spec = np.abs(librosa.stft(padded, n_fft=CFG.n_fft, hop_length=CFG.hop_length, window="hann", center=False))
    return np.log(np.maximum(mel_filterbank(CFG) @ spec, CFG.log_floor))


def torchaudio_mel():
    import torchaudio

    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate=CFG.sample_rate, n_fft=CFG.n_fft, hop_length=CFG.hop_length, f_min=CFG.fmin, f_max=CFG.fmax,
        n_mels=CFG.n_mels, power=1.0, center=False, norm="slaney", mel_scale="slaney",
    )

    def run(x: torch.Tensor) -> torch.Tensor:
        padded = torch.nn.functional.pad(x[None, None], (CFG.pad, CFG.pad), mode="reflect")[0, 0]
        return torch.log(torch.clamp(transform(padded), min=CFG.log_floor))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=positive_int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    long = (0.1 * rng.standard_normal(60 * CFG.sample_rate)).astype(np.float32)
    lengths = rng.uniform(2, 15, size=200)
    batch = [(0.1 * rng.standard_normal(int(s * CFG.sample_rate))).astype(np.float32) for s in lengths]
    batch_seconds = float(lengths.sum())
    ta = torchaudio_mel()
    long_t = torch.from_numpy(long)
    batch_t = [torch.from_numpy(x) for x in batch]

    methods = {
        "ours (numba)": (lambda: mel_spectrogram(long), lambda: mel_spectrogram_batch(batch)),
        "torch.stft": (lambda: torch_mel_spectrogram(long_t), lambda: [torch_mel_spectrogram(x) for x in batch_t]),
        "torchaudio": (lambda: ta(long_t), lambda: [ta(x) for x in batch_t]),
        "librosa": (lambda: librosa_mel(long), lambda: [librosa_mel(x) for x in batch]),
    }
    rows = []
    with torch.inference_mode():
        for threads in (1, 2):
            set_threads(threads)
            for name, (one, many) in methods.items():
                t_long = median_time(one, repeats=args.repeats)
                t_batch = median_time(many, repeats=max(3, args.repeats // 2), warmup=1)
                rows.append({"method": name, "threads": threads, "long_60s_ms": 1e3 * t_long,
                             "batch_s": t_batch, "batch_audio_s_per_s": batch_seconds / t_batch})
    for threads in (1, 2):
        ours = next(r for r in rows if r["method"] == "ours (numba)" and r["threads"] == threads)
        for r in rows:
            if r["threads"] == threads:
                r["ours_time_ratio_60s"] = ours["long_60s_ms"] / r["long_60s_ms"]

    print(f"{'method':14s} {'thr':>3s} {'60 s (ms)':>10s} {'ours/this':>9s} {'batch (s)':>9s} {'audio s/s':>10s}")
    for r in rows:
        print(f"{r['method']:14s} {r['threads']:3d} {r['long_60s_ms']:10.1f} {r['ours_time_ratio_60s']:9.2f} "
              f"{r['batch_s']:9.3f} {r['batch_audio_s_per_s']:10.0f}")
    two = {r["method"]: r for r in rows if r["threads"] == 2}
    bars = {
        "ours_vs_torch_stft_60s_2threads": two["ours (numba)"]["long_60s_ms"] / two["torch.stft"]["long_60s_ms"],
        "librosa_vs_ours_speedup_60s_2threads": two["librosa"]["long_60s_ms"] / two["ours (numba)"]["long_60s_ms"],
    }
    bars["passes"] = bars["ours_vs_torch_stft_60s_2threads"] <= 1.0 and bars["librosa_vs_ours_speedup_60s_2threads"] >= 4.0
    print(f"bar: ours/torch.stft = {bars['ours_vs_torch_stft_60s_2threads']:.2f} (<= 1.0), "
          f"librosa/ours = {bars['librosa_vs_ours_speedup_60s_2threads']:.1f}x (>= 4), passes={bars['passes']}")
    print("wrote", write_json("features", {"batch_audio_seconds": batch_seconds, "rows": rows, "bars": bars}))


if __name__ == "__main__":
    run_main(main)
