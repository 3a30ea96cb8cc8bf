"""voiceclone serve under load on loopback: throughput, latency and memory with N concurrent clients.

A real server runs in a child process (``voiceclone serve``, built-in voice, models loaded once).
For ``--seconds`` at each concurrency, every client sends one request after another (a short
sentence, wav, read to its last byte). A 429 (queue full, the server's deliberate refusal) is
retried after a pause and counted; anything else that is not a 200 with audio is an error. When
the time is up no new request starts and every request in flight is waited for, so a request
that never got an answer shows as lost. Latency is from sending a request to its last byte,
queueing included; time to the first audio (the first byte after the WAV header) beside it. Memory is the server's resident set
(VmRSS) after warm-up and after each run, and its peak (VmHWM).

    python -m benchmarks.server [--clients 8,32] [--seconds 60] [--workers 1] [--max-queue 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import write_json
from voiceclone.scripts import positive_int, run_main
from voiceclone.server.launch import child_server

SENTENCES = [
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It is easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "Four hours of steady work faced us.",
]
RETRY_PAUSE_S = 0.5
REQUEST_TIMEOUT_S = 600.0


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of process ``pid`` (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"], 1), "peak_rss_mb": round(fields["VmHWM"], 1)}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def load(url: str, clients: int, seconds: float) -> dict:
    """``clients`` clients sending requests back to back for ``seconds``; counts and latencies."""
    import httpx

    stats = {"sent": 0, "ok": 0, "refused_429": 0, "errors": 0, "audio_s": 0.0}
    latencies, first_audio, error_lines = [], [], []
    stop_at = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient, number: int) -> None:
        i = number
        while time.monotonic() < stop_at:
            body = {"model": "tts-1", "voice": "alloy", "input": SENTENCES[i % len(SENTENCES)], "response_format": "wav"}
            stats["sent"] += 1
            start = time.monotonic()
            try:
                async with http.stream("POST", "/v1/audio/speech", json=body) as response:
                    first = None
                    data = b""
                    async for piece in response.aiter_raw():
                        data += piece
                        if first is None and len(data) > 44:  # past the WAV header: the first audio
                            first = time.monotonic() - start
                if response.status_code == 429:
                    stats["refused_429"] += 1
                    await asyncio.sleep(RETRY_PAUSE_S)
                    continue
                if response.status_code != 200 or len(data) <= 44:
                    raise RuntimeError(f"HTTP {response.status_code}: {data[:200]!r}")
            except Exception as exc:  # noqa: BLE001 - every failure is counted and its first lines kept
                stats["errors"] += 1
                error_lines.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            stats["ok"] += 1
            stats["audio_s"] += (len(data) - 44) / 2 / 22050
            latencies.append(time.monotonic() - start)
            first_audio.append(first)
            i += clients

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as http:
        began = time.monotonic()
        await asyncio.gather(*(client(http, n) for n in range(clients)))
        elapsed = time.monotonic() - began
    answered = stats["ok"] + stats["refused_429"] + stats["errors"]
    return {
        "clients": clients, "seconds": round(elapsed, 1), **stats, "audio_s": round(stats["audio_s"], 1),
        "lost": stats["sent"] - answered,
        "requests_per_s": round(stats["ok"] / elapsed, 3),
        "audio_s_per_s": round(stats["audio_s"] / elapsed, 3),
        "latency_p50_s": _round(percentile(latencies, 50)), "latency_p95_s": _round(percentile(latencies, 95)),
        "first_audio_p50_s": _round(percentile(first_audio, 50)),
        "first_audio_p95_s": _round(percentile(first_audio, 95)),
        "error_examples": error_lines[:5],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="8,32", help="concurrencies to run, comma-separated")
    parser.add_argument("--seconds", type=positive_int, default=60)
    parser.add_argument("--workers", type=positive_int, default=1)
    parser.add_argument("--max-queue", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import httpx

    concurrencies = [int(c) for c in args.clients.split(",")]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        server_args = ["--voices", f"{tmp}/voices", "--workers", str(args.workers), "--max-queue",
                       str(args.max_queue), "--device", args.device]
        with child_server(server_args, Path(tmp) / "server.log") as (url, process):
            httpx.post(f"{url}/v1/audio/speech", json={"input": SENTENCES[0], "response_format": "wav"}, timeout=600)
            before = memory_mb(process.pid)
            for clients in concurrencies:
                run = asyncio.run(load(url, clients, args.seconds))
                run["memory_after"] = memory_mb(process.pid)
                run["healthy_after"] = httpx.get(f"{url}/health", timeout=10).json()
                runs.append(run)
    result = {"workers": args.workers, "max_queue": args.max_queue, "device": args.device,
              "memory_before": before, "runs": runs}
    path = write_json("server", result)
    print(f"server: {args.workers} worker(s), queue {args.max_queue}, {args.device}; "
          f"memory after warm-up {before['rss_mb']:.0f} MB")
    print("| clients | s | ok | 429 | errors | lost | req/s | audio s/s | p50 s | p95 s | first audio p50 s | RSS after MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r['clients']} | {r['seconds']} | {r['ok']} | {r['refused_429']} | {r['errors']} | {r['lost']} | "
              f"{r['requests_per_s']} | {r['audio_s_per_s']} | {r['latency_p50_s']} | {r['latency_p95_s']} | "
              f"{r['first_audio_p50_s']} | {r['memory_after']['rss_mb']} |")
    print(f"written to {path}")


if __name__ == "__main__":
    run_main(main)
