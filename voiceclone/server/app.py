"""The HTTP API (FastAPI): OpenAI's POST /v1/audio/speech, saved voices under /v1/voices, GET /health.

Every refusal is a 4xx with OpenAI's JSON error body; the API key, when set, is checked (in constant
time) before anything else is read. Synthesis runs on the bounded worker pool (``pool.Pool``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Receive, Scope, Send

from voiceclone import __version__
from voiceclone.errors import VoiceCloneError
from voiceclone.pipeline import SAMPLE_RATE, SpeakOptions
from voiceclone.server.encoders import FORMATS, StreamEncoder
from voiceclone.server.models import (
    MAX_INPUT_CHARS, MAX_JSON_BYTES, MAX_REFERENCE_BYTES, MAX_REFERENCE_S, MAX_REFERENCES, MAX_TOTAL_REFERENCE_S,
    MAX_UPLOAD_BYTES, MODELS, ApiError, SpeechRequest, error_body,
)
from voiceclone.server.pool import Pool
from voiceclone.server.voices import BUILTIN_NAMES, NameTaken, UnknownVoice, VoiceStore

log = logging.getLogger("voiceclone.server")
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif"}
OPEN_PATHS = {"/health"}
QUEUE_POLL_S = 0.5
"""How often a request waiting for a worker checks that its client is still there."""


def _error(status: int, message: str, param: str | None = None, code: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, param, code), status, headers=headers)


class Gate:
    """ASGI middleware in front of everything: the API key (Bearer, compared in constant time), then
    the body size (the Content-Length header, and the bytes as they arrive), before the app reads a byte."""

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self.key_digest = hashlib.sha256(api_key.encode()).digest() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.key_digest is not None and scope["path"] not in OPEN_PATHS:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            given = hashlib.sha256(token.strip().encode()).digest()
            if not (hmac.compare_digest(given, self.key_digest) and scheme.lower() == "bearer"):
                response = _error(401, "missing or wrong API key: send the header 'Authorization: Bearer KEY'",
                                  code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
                return await response(scope, receive, send)
        limit = MAX_UPLOAD_BYTES if scope["path"] == "/v1/voices" else MAX_JSON_BYTES
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await _error(413, f"request body too large: at most {limit:,} bytes")(scope, receive, send)
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise ApiError(413, f"request body too large: at most {limit:,} bytes")
            return message

        await self.app(scope, counted, send)


class JobResponse(StreamingResponse):
    """A streamed job's response: the job stops when the client leaves (checked while streaming) or the
    response ends for any reason."""

    def __init__(self, job, **kwargs) -> None:
        super().__init__(job.body(), **kwargs)
        self.job = job

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            self.job.cancel()
            group.cancel_scope.cancel()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(watch)
                try:
                    await self.stream_response(send)
                except OSError:  # the client left while we wrote
                    pass
                group.cancel_scope.cancel()
        finally:
            self.job.cancel()


def create_app(cloner, store: VoiceStore, *, workers: int = 1, max_queue: int = 16, api_key: str | None = None,
               warm_up: str | None = None) -> FastAPI:
    """The ASGI app around a loaded ``cloner`` (a ``VoiceCloner``, shared by the workers) and ``store``;
    each worker speaks ``warm_up`` once at start-up, before the server answers."""
    pool = Pool(workers, max_queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            await asyncio.get_running_loop().run_in_executor(None, pool.warm_up, lambda: list(cloner.stream(warm_up)))
        yield
        pool.shutdown()

    app = FastAPI(title="voiceclone", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.pool = pool
    app.add_middleware(Gate, api_key=api_key)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "param", None), getattr(exc, "code", None),
                      exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(p) for p in first.get("loc", ()) if p != "body"]
        message = str(first.get("msg", "invalid request"))
        return _error(400, f"{'.'.join(where) + ': ' if where else ''}{message}", where[0] if where else None)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return _error(500, "internal error; the server log has the details")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "version": __version__, "sample_rate": SAMPLE_RATE, **pool.state()}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "voiceclone"} for m in MODELS]}

    @app.post("/v1/audio/speech")
    async def speech(body: SpeechRequest, request: Request) -> Response:
        text, fmt, options, voice = _check_speech(body, store)
        if not pool.reserve():
            raise ApiError(429, f"server busy: {pool.workers} worker(s) and {pool.max_queue} waiting requests; "
                                "retry shortly", code="queue_full", headers={"Retry-After": "1"})
        started = {}

        def start():
            stream = cloner.stream(text, voice=voice, options=options)
            encoder = StreamEncoder(fmt, stream.sample_rate)
            started.update(provenance=stream.provenance, rate=encoder.rate)

            def chunks():
                yield encoder.encode(np.zeros(0, np.float32))  # the WAV header at once
                for chunk in stream:
                    yield encoder.encode(chunk)
                yield encoder.finish()

            return chunks(), stream.close

        job = pool.stream(start)
        while not (await asyncio.wait({job.started}, timeout=QUEUE_POLL_S))[0]:
            if await request.is_disconnected():  # gave up while waiting for a worker: never start
                job.cancel()
                job.started.cancel()
                return Response(status_code=499)
        try:
            job.started.result()
        except VoiceCloneError as exc:
            raise ApiError(400, str(exc), "input") from None
        headers = {"X-Voiceclone-Provenance": json.dumps(started["provenance"], separators=(",", ":")),
                   "X-Sample-Rate": str(started["rate"])}
        return JobResponse(job, media_type=FORMATS[fmt].media_type, headers=headers)

    @app.get("/v1/voices")
    async def list_voices() -> dict:
        return {"object": "list", "data": store.records()}

    @app.delete("/v1/voices/{voice_id}")
    async def delete_voice(voice_id: str) -> dict:
        try:
            record = store.delete(voice_id)
        except UnknownVoice as exc:
            raise ApiError(404, str(exc), "voice_id") from None
        return {"id": record["id"], "object": "voice.deleted", "deleted": True}

    @app.post("/v1/voices", status_code=201)
    async def add_voice(request: Request) -> dict:
        with tempfile.TemporaryDirectory(prefix="voiceclone-upload-") as folder:
            paths, names, name = await _receive_references(request, Path(folder))
            if not pool.reserve():
                raise ApiError(429, "server busy; retry shortly", code="queue_full", headers={"Retry-After": "1"})
            try:
                voice = await pool.call(lambda: cloner.voice(paths))
            except VoiceCloneError as exc:
                message = str(exc)
                for path, original in zip(paths, names):
                    message = message.replace(str(path), original)
                raise ApiError(400, message.replace(folder + "/", ""), "file") from None
        try:
            return store.add(voice, name)
        except NameTaken as exc:
            raise ApiError(409, str(exc), "name") from None
        except VoiceCloneError as exc:
            raise ApiError(400, str(exc), "name") from None

    return app


def _check_speech(body: SpeechRequest, store: VoiceStore):
    """The request's text, format, options and voice, or the ApiError that refuses it."""
    text = body.input.strip()
    if not text:
        raise ApiError(400, "input is empty: give the text to speak", "input")
    if len(body.input) > MAX_INPUT_CHARS:
        raise ApiError(400, f"input is {len(body.input):,} characters; at most {MAX_INPUT_CHARS:,}", "input")
    if body.model not in MODELS:
        raise ApiError(400, f"unknown model '{body.model}'; use one of: {', '.join(MODELS)}", "model")
    if body.response_format not in FORMATS:
        raise ApiError(400, f"unsupported response_format '{body.response_format}'; use one of: "
                            f"{', '.join(FORMATS)}", "response_format")
    if body.stream_format != "audio":
        raise ApiError(400, f"unsupported stream_format '{body.stream_format}'; only 'audio' (chunked audio bytes)",
                       "stream_format")
    try:
        options = SpeakOptions(speed=body.speed)
    except VoiceCloneError as exc:
        raise ApiError(400, str(exc), "speed") from None
    key = body.voice.get("id") if isinstance(body.voice, dict) else body.voice
    if not isinstance(key, str) or not key:
        raise ApiError(400, "voice: give a voice name or id (or {\"id\": ...})", "voice")
    if key in BUILTIN_NAMES:
        return text, body.response_format, options, None
    try:
        return text, body.response_format, options, store.load(key)
    except VoiceCloneError as exc:
        raise ApiError(400, str(exc), "voice") from None


async def _receive_references(request: Request, folder: Path) -> tuple[list[Path], list[str], str | None]:
    """The uploaded references saved in ``folder`` (checked: count, size, duration, readable), their
    names as uploaded, and the voice's name if given."""
    import soundfile

    try:
        form = await request.form(max_files=MAX_REFERENCES + 1, max_fields=8)
    except MultiPartException as exc:
        raise ApiError(400, f"malformed multipart upload: {exc.message}", "file") from None
    uploads = [value for _, value in form.multi_items() if not isinstance(value, str)]
    name = form.get("name")
    if name is not None and not isinstance(name, str):
        raise ApiError(400, "name must be a text field", "name")
    if not uploads:
        raise ApiError(400, "no reference audio: upload one or more files as multipart/form-data (field 'file')",
                       "file")
    if len(uploads) > MAX_REFERENCES:
        raise ApiError(400, f"{len(uploads)} files; a voice takes at most {MAX_REFERENCES}", "file")
    paths, names, total = [], [], 0.0
    for i, upload in enumerate(uploads):
        original = re.sub(r"[^\w .-]", "_", Path(upload.filename or f"reference{i + 1}").name)[:100]
        suffix = Path(original).suffix.lower()
        path = folder / f"reference{i + 1}{suffix if suffix in AUDIO_SUFFIXES else '.audio'}"
        size = 0
        with open(path, "wb") as handle:
            while block := await upload.read(1 << 20):
                size += len(block)
                if size > MAX_REFERENCE_BYTES:
                    raise ApiError(413, f"{original}: too large: a reference is at most "
                                        f"{MAX_REFERENCE_BYTES // 2**20} MB", "file")
                handle.write(block)
        try:
            seconds = soundfile.info(str(path)).duration
        except Exception:  # noqa: BLE001 - libsndfile's own error types vary by format
            raise ApiError(400, f"{original}: not audio that can be read (wav, flac, ogg or mp3)", "file") from None
        if seconds > MAX_REFERENCE_S:
            raise ApiError(400, f"{original}: {seconds:.0f} s long; a reference may be at most "
                                f"{MAX_REFERENCE_S:.0f} s (3-10 s of clear speech is enough)", "file")
        total += seconds
        paths.append(path)
        names.append(original)
    if total > MAX_TOTAL_REFERENCE_S:
        raise ApiError(400, f"references total {total:.0f} s; at most {MAX_TOTAL_REFERENCE_S:.0f} s", "file")
    return paths, names, name
