"""Saving and loading our acoustic checkpoints: safetensors weights + JSON config (the model, the voice
matching settings tuned for it, metadata) + phoneme table."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from voiceclone.acoustic.config import AcousticConfig
from voiceclone.atomic import atomic_write
from voiceclone.acoustic.model import AcousticModel
from voiceclone.errors import VoiceCloneError, first_line
from voiceclone.text import PhonemeTable
from voiceclone.voice.config import DEFAULT_MATCH, MatchConfig

WEIGHTS, CONFIG, PHONEMES = "model.safetensors", "config.json", "phonemes.json"
SHIPPED = Path(__file__).with_name("checkpoint")
"""The checkpoint that ships inside the package."""


@dataclass
class AcousticCheckpoint:
    """A loaded model with the phoneme table it was trained with, the voice matching tuned for it,
    and its recorded metadata."""

    model: AcousticModel
    table: PhonemeTable
    meta: dict
    match: MatchConfig = DEFAULT_MATCH


def save_checkpoint(folder: str | os.PathLike, model: AcousticModel, table: PhonemeTable, meta: dict,
                    match: MatchConfig = DEFAULT_MATCH) -> Path:
    """Write the three files into ``folder`` (created if needed), each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(folder / WEIGHTS, lambda p: save_file(state, str(p)))
    config = {"model": model.cfg.to_dict(), "match": match.to_dict(), "meta": meta}
    atomic_write(folder / CONFIG, lambda p: p.write_text(json.dumps(config, indent=1)))
    atomic_write(folder / PHONEMES, lambda p: p.write_text(table.to_json()))
    return folder


def load_checkpoint(folder: str | os.PathLike = SHIPPED, device: str | torch.device = "cpu") -> AcousticCheckpoint:
    """Load a checkpoint folder; any missing or corrupt part is a one-line VoiceCloneError."""
    folder = Path(folder)
    for name in (WEIGHTS, CONFIG, PHONEMES):
        if not (folder / name).is_file():
            raise VoiceCloneError(f"{folder}: acoustic checkpoint is missing {name}; reinstall voiceclone "
                                  f"or point to a folder made by recipes/shared_data/export.py")
    try:
        config = json.loads((folder / CONFIG).read_text())
        cfg = AcousticConfig.from_dict(config["model"])
        table = PhonemeTable.from_json((folder / PHONEMES).read_text())
        model = AcousticModel(cfg)
        state = load_file(str(folder / WEIGHTS))
        model.load_state_dict(state, strict=True)
        match = MatchConfig.from_dict(config.get("match", {}))
    except VoiceCloneError:
        raise
    except Exception as exc:
        raise VoiceCloneError(f"{folder}: acoustic checkpoint is corrupt or incompatible ({first_line(exc)[:200]})") from None
    if len(table) > cfg.n_symbols:
        raise VoiceCloneError(f"{folder}: phoneme table has {len(table)} symbols but the model knows {cfg.n_symbols}")
    return AcousticCheckpoint(model.to(device).eval(), table, config.get("meta", {}), match)
