"""Checking files for the mark: one result dict per file, errors included, for the `detect` command."""

from __future__ import annotations

import os

from voiceclone.audio import read_audio, to_mono
from voiceclone.errors import VoiceCloneError
from voiceclone.watermark.detect import detect_watermark
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey


def detect_file(path: str | os.PathLike, key: WatermarkKey = DEFAULT_KEY) -> dict:
    """``{"file", "watermarked", "score", "payload"}`` for a readable file, else ``{"file", "error"}``."""
    try:
        audio, sample_rate = read_audio(path)
        result = detect_watermark(to_mono(audio), sample_rate, key=key)
    except VoiceCloneError as exc:
        message = str(exc)
        prefix = f"{path}: "
        return {"file": str(path), "error": message[len(prefix):] if message.startswith(prefix) else message}
    return {"file": str(path), "watermarked": result.watermarked, "score": round(result.score, 3),
            "payload": result.payload}


def format_line(result: dict) -> str:
    """One human-readable line for a :func:`detect_file` result."""
    if "error" in result:
        return f"{result['file']}: error: {result['error']}"
    verdict = "watermarked" if result["watermarked"] else "no watermark"
    line = f"{result['file']}: {verdict} (score {result['score']:.1f})"
    if result["payload"] is not None:
        line += f", format v{result['payload']['version']}, key id {result['payload']['key_id']}"
    elif result["watermarked"]:
        line += ", payload unreadable"
    return line
