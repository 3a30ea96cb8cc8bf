"""The server's saved voices: one profile per voice in a folder, ``<id>.npz`` (``Voice.save``) beside
``<id>.json`` (its name and what made it), each written atomically.

A request names a voice by its id or its name; "default" and OpenAI's voice names give the built-in voice.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from pathlib import Path

from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError
from voiceclone.voice import Voice

BUILTIN_NAMES = frozenset({"default", "alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova",
                           "onyx", "sage", "shimmer", "verse"})
"""Names that give the built-in voice: "default" and OpenAI's voices, so that OpenAI clients work unchanged."""
ID_PATTERN = re.compile(r"voice_[0-9a-f]{16}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
"""A saved voice's name: 1-64 letters, digits, spaces, dots, dashes and underscores."""


def default_voices_dir() -> Path:
    """Where ``voiceclone serve`` keeps voices unless told: $XDG_DATA_HOME/voiceclone/voices."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "voiceclone" / "voices"


class UnknownVoice(VoiceCloneError):
    """No saved voice has that id or name."""


class VoiceStore:
    """Saved voices in ``folder`` (created if missing), safe to use from several threads."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VoiceCloneError(f"{self.folder}: cannot create the voices folder ({exc.strerror or exc})") from None
        self._lock = threading.Lock()
        self._cache: dict[str, Voice] = {}

    def records(self) -> list[dict]:
        """Every saved voice's record, oldest first."""
        records = []
        for path in self.folder.glob("voice_*.json"):
            if ID_PATTERN.fullmatch(path.stem) and path.with_suffix(".npz").is_file():
                try:
                    records.append(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    continue  # a file being deleted, or not ours
        return sorted(records, key=lambda r: (r.get("created_at", 0), r.get("id", "")))

    def find(self, key: str) -> dict:
        """The record of the voice whose id or name is ``key``."""
        for record in self.records():
            if key in (record.get("id"), record.get("name")):
                return record
        raise UnknownVoice(f"unknown voice '{key}': use 'default' (or an OpenAI voice name) or the id or name of a "
                           f"voice uploaded to /v1/voices")

    def load(self, key: str) -> Voice:
        """The profile of the voice ``key`` (id or name), read once and kept."""
        voice_id = self.find(key)["id"]
        with self._lock:
            if voice_id not in self._cache:
                self._cache[voice_id] = Voice.load(self.folder / f"{voice_id}.npz")
            return self._cache[voice_id]

    def add(self, voice: Voice, name: str | None) -> dict:
        """Save ``voice`` under a new id (and ``name``, which must be free); its record."""
        if name is not None and not NAME_PATTERN.fullmatch(name):
            raise VoiceCloneError("a voice name is 1-64 letters, digits, spaces, dots, dashes or underscores")
        if name is not None and (name in BUILTIN_NAMES or ID_PATTERN.fullmatch(name)):
            raise VoiceCloneError(f"'{name}' names the built-in voice or looks like an id; choose another name")
        with self._lock:
            if name is not None and any(r.get("name") == name for r in self.records()):
                raise NameTaken(f"a voice named '{name}' exists; delete it first or choose another name")
            voice_id = f"voice_{secrets.token_hex(8)}"
            record = {"id": voice_id, "object": "voice", "name": name, "created_at": int(time.time()),
                      "references": len(voice.sources), "speech_seconds": round(voice.total_speech_s, 2),
                      "sha256": list(voice.sha256)}
            voice.save(self.folder / f"{voice_id}.npz")
            atomic_write(self.folder / f"{voice_id}.json",
                         lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
            self._cache[voice_id] = voice
        return record

    def delete(self, key: str) -> dict:
        """Remove the voice ``key`` (id or name); its record."""
        with self._lock:
            record = self.find(key)
            voice_id = record["id"]
            (self.folder / f"{voice_id}.json").unlink(missing_ok=True)
            (self.folder / f"{voice_id}.npz").unlink(missing_ok=True)
            self._cache.pop(voice_id, None)
        return record


class NameTaken(VoiceCloneError):
    """Another saved voice has that name."""
