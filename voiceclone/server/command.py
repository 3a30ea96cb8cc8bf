"""The ``voiceclone serve`` command. Importing this module is cheap: the server's packages (the
``[server]`` extra) and the models load only when the command runs."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Optional

import typer

from voiceclone.errors import VoiceCloneError

WARM_UP_TEXT = "Ready."


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; loopback unless you say otherwise (0.0.0.0 for every interface: set --api-key).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
    api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="VOICECLONE_API_KEY", help="Require 'Authorization: Bearer KEY' on every /v1 request (also from $VOICECLONE_API_KEY).")] = None,
    voices: Annotated[Optional[Path], typer.Option("--voices", help="Folder of the voices uploaded to /v1/voices, kept as profiles (default: $XDG_DATA_HOME/voiceclone/voices).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Requests synthesised at once.")] = 1,
    max_queue: Annotated[int, typer.Option("--max-queue", min=0, help="Requests that may wait for a worker; more get 429.")] = 16,
    device: Annotated[str, typer.Option("--device", help="auto (CUDA when available), cpu or cuda.")] = "auto",
    precision: Annotated[str, typer.Option("--precision", help="Vocoder arithmetic: auto, fp32 or bf16 (as for speak).")] = "auto",
) -> None:
    r"""Serve speech over HTTP, OpenAI-compatible: POST /v1/audio/speech, /v1/voices, GET /health.

    Needs the server extra (pip install 'voiceclone\[server]'). Example:
    voiceclone serve --port 8000; then
    curl -s localhost:8000/v1/audio/speech -d '{"input": "Hello there.", "response_format": "wav"}' -H 'Content-Type: application/json' | aplay
    """
    try:
        import uvicorn

        from voiceclone.server.app import create_app
    except ImportError as exc:
        raise VoiceCloneError(f"the server needs the [server] extra: pip install 'voiceclone[server]' ({exc})") from None
    from voiceclone.pipeline import VoiceCloner
    from voiceclone.server.voices import VoiceStore, default_voices_dir

    if not _is_loopback(host) and not api_key:
        typer.echo(f"warning: listening on {host} without --api-key: anyone who can reach it can use it", err=True)
    store = VoiceStore(voices or default_voices_dir())
    cloner = VoiceCloner(device=device, precision=precision)
    _ = cloner.frontend, cloner.encoder, cloner.vocoder, cloner.default_voice()  # every model, once, before the workers
    typer.echo(f"voiceclone: models loaded on {cloner.device}; voices in {store.folder}", err=True)
    app = create_app(cloner, store, workers=workers, max_queue=max_queue, api_key=api_key, warm_up=WARM_UP_TEXT)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
