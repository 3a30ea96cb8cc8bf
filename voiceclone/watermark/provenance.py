"""Provenance records: what made a file, from what, when; as audio tags and as a JSON sidecar."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import soundfile as sf

from voiceclone import __version__
from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError, first_line

SOFTWARE_PREFIX = "voiceclone"
"""The software tag starts with this; the comment tag holds the record as compact JSON."""


def make_provenance(
    model_id: str,
    reference_hashes: list[str],
    watermarked: bool,
    *,
    key_id: int | None = None,
    created: datetime | None = None,
    extra: dict | None = None,
) -> dict:
    """A provenance record; ``watermarked=False`` is kept in it so turning the mark off is never silent."""
    record = {
        "software": SOFTWARE_PREFIX,
        "version": __version__,
        "model_id": model_id,
        "reference_sha256": list(reference_hashes),
        "watermarked": bool(watermarked),
        "watermark_key_id": key_id if watermarked else None,
        "created": (created or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
    }
    if extra:
        record.update(extra)
    return record


def provenance_tags(prov: dict) -> dict:
    """Tags for ``voiceclone.audio.save_audio(metadata=...)``: software + compact JSON comment."""
    mark = "watermarked" if prov.get("watermarked") else "NOT watermarked"
    return {
        "software": f"{SOFTWARE_PREFIX} {prov.get('version', '')} ({mark})".replace("  ", " "),
        "comment": json.dumps(prov, separators=(",", ":"), sort_keys=True),
        "date": prov.get("created", ""),
    }


def write_sidecar(path: str | os.PathLike, prov: dict) -> Path:
    """Write ``prov`` as pretty JSON atomically (temporary file in the same folder, then rename)."""
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    return atomic_write(path, write)


def read_provenance(path: str | os.PathLike) -> dict | None:
    """The record of an audio file (from its comment tag) or of a JSON sidecar; None when it has none."""
    path = Path(path)
    if not path.is_file():
        raise VoiceCloneError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise VoiceCloneError(f"{path}: not a provenance JSON file ({exc})") from None
        return record if isinstance(record, dict) else None
    try:
        with sf.SoundFile(str(path)) as handle:
            comment, software = handle.comment, handle.software
    except Exception as exc:
        raise VoiceCloneError(f"{path}: cannot read audio tags ({first_line(exc)})") from None
    if not software.startswith(SOFTWARE_PREFIX) or not comment:
        return None
    try:
        record = json.loads(comment)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
