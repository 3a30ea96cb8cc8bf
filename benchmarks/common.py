"""Small helpers shared by the benchmarks: timing, thread control, fresh processes, JSON output.

Each benchmark runs as a module from the repository root: ``python -m benchmarks.<name>``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"
DATA_DIR = ROOT.parent / "shared" / "data"


def set_threads(n: int) -> None:
    """Use ``n`` threads in torch, numba and BLAS for the measurements that follow."""
    import numba
    import torch

    torch.set_num_threads(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:
        pass


def seconds_list(text: str) -> list[int]:
    """argparse type: whole seconds, comma-separated ("10,60")."""
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of whole seconds") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text}: every length must be at least 1 s")
    return values


def median_time(fn: Callable[[], object], repeats: int = 7, warmup: int = 2) -> float:
    """Median wall time in seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict:
    """What the numbers were measured on."""
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def write_json(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json`` and return its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    return path


def child_json(module: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run ``python -m module args...`` in a fresh process from the repository root; the JSON object
    its last line of output prints."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_growth_mb(fn: Callable[[], object]) -> float:
    """Peak resident memory (MB) while ``fn()`` runs, above the resident memory just before it (Linux).

    Resets the kernel's high-water mark first (/proc/self/clear_refs), so an earlier peak (loading
    the weights) does not hide this one.
    """
    before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    fn()
    return (_status_kb("VmHWM") - before) / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def fast_vocoder(device: str, precision: str) -> tuple[object, str]:
    """The fast vocoder for timing, and its label: the shipped one ('fast'), or while none is shipped its
    architecture with untrained initial weights ('fast (untrained init)'), whose speed is the same."""
    import torch

    from voiceclone.device import resolve_precision
    from voiceclone.vocoder import FastVocoder, FastVocoderConfig, load_vocoder
    from voiceclone.vocoder.fast_weights import SHIPPED_FAST

    if SHIPPED_FAST.is_dir():
        return load_vocoder(device, precision, "fast"), "fast"
    torch_device = torch.device(device)
    model = FastVocoder(FastVocoderConfig()).eval().requires_grad_(False)
    return model.to(torch_device, resolve_precision(precision, torch_device)), "fast (untrained init)"
