"""Checking files for the mark: one result dict per file, errors included, for the `detect` command."""

from __future__ import annotations

import os

from voiceclone.audio import read_audio, to_mono
from voiceclone.errors import VoiceCloneError
from voiceclone.watermark.detect import INCONCLUSIVE, WATERMARKED, detect_watermark
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey

FIELDS = ("file", "watermarked", "state", "score", "payload", "blind_score", "repeats", "repeats_agreeing")
"""The keys of a checked file's result (an unreadable one has ``file`` and ``error``)."""


def detect_file(path: str | os.PathLike, key: WatermarkKey = DEFAULT_KEY) -> dict:
    """``FIELDS`` for a readable file, else ``{"file", "error"}``.

    ``state`` is ``"watermarked"``, ``"inconclusive"`` or ``"not watermarked"``; ``watermarked`` is true
    only for the first; ``payload`` is given only when watermarked.
    """
    try:
        audio, sample_rate = read_audio(path)
        result = detect_watermark(to_mono(audio), sample_rate, key=key)
    except VoiceCloneError as exc:
        message = str(exc)
        prefix = f"{path}: "
        return {"file": str(path), "error": message[len(prefix):] if message.startswith(prefix) else message}
    return {"file": str(path), "watermarked": result.watermarked, "state": result.state,
            "score": round(result.score, 3), "payload": result.payload, "blind_score": round(result.blind_score, 3),
            "repeats": result.repeats, "repeats_agreeing": result.repeats_agreeing}


def format_line(result: dict) -> str:
    """One human-readable line for a :func:`detect_file` result."""
    if "error" in result:
        return f"{result['file']}: error: {result['error']}"
    state = result["state"]
    verdict = {WATERMARKED: "watermarked", INCONCLUSIVE: "inconclusive (some evidence, not enough to say it is watermarked)"}
    line = f"{result['file']}: {verdict.get(state, 'no watermark')} (score {result['score']:.1f})"
    if result["payload"] is not None:
        line += f", format v{result['payload']['version']}, key id {result['payload']['key_id']}"
    elif state == WATERMARKED:
        line += ", payload unreadable"
    return line
