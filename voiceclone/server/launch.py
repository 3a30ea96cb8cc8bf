"""Starting ``voiceclone serve`` in a child process and waiting until it answers: for the tests and
the server benchmark, which talk to a real server over loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 300.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def child_server(args: Sequence[str], log: str | Path, *, nice: int = 0,
                 timeout_s: float = START_TIMEOUT_S) -> Iterator[tuple[str, subprocess.Popen]]:
    """``voiceclone serve ARGS --port P`` in a child process, its output in ``log``; yields its base URL
    (http://127.0.0.1:P) and the process once GET /health answers, and stops it after."""
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "voiceclone.cli", "serve", "--port", str(port), *args]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"voiceclone serve exited with {process.returncode}: "
                                   f"{Path(log).read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"voiceclone serve did not answer within {timeout_s:.0f} s")
            time.sleep(0.25)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
