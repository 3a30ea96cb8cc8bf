"""What the HTTP API takes and gives: the speech request, errors in OpenAI's shape, and the limits."""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

MODELS = ("voiceclone", "tts-1", "tts-1-hd", "gpt-4o-mini-tts")
"""Model names /v1/audio/speech accepts, all the same model: ours, and OpenAI's so that their clients work unchanged."""
MAX_INPUT_CHARS = 4096
"""Longest ``input`` one request speaks, OpenAI's limit."""
MAX_JSON_BYTES = 64 * 1024
"""Largest JSON body (4096 characters of input take at most 16 KB as UTF-8)."""
MAX_REFERENCES = 5
"""Most reference files one voice upload may hold."""
MAX_REFERENCE_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = MAX_REFERENCES * MAX_REFERENCE_BYTES + 64 * 1024
MAX_REFERENCE_S = 120.0
"""Longest reference; 3-10 s of clear speech is what cloning needs, and a profile keeps at most 30 s of frames."""
MAX_TOTAL_REFERENCE_S = 300.0


class SpeechRequest(BaseModel):
    """The body of POST /v1/audio/speech, as OpenAI's; ``instructions`` is accepted and ignored."""

    input: str
    model: str = "voiceclone"
    voice: str | dict = "default"
    response_format: str = "mp3"
    speed: float = 1.0
    stream_format: str = "audio"
    instructions: str | None = Field(default=None, max_length=MAX_INPUT_CHARS)


class ApiError(HTTPException):
    """A request the server refuses: its status and a one-line message, sent as OpenAI's error body."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.param = param
        self.code = code


def error_body(status: int, message: str, param: str | None = None, code: str | None = None) -> dict:
    """``{"error": {"message", "type", "param", "code"}}``, OpenAI's error shape."""
    kind = ("invalid_request_error" if status < 500 and status not in (401, 429)
            else "authentication_error" if status == 401 else "rate_limit_error" if status == 429 else "server_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
