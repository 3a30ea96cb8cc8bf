"""Saving and loading fast vocoder checkpoints: ``model.safetensors`` + ``config.json`` in one folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError, first_line
from voiceclone.features.config import VOCODER_MEL
from voiceclone.vocoder.fast import FastVocoder, FastVocoderConfig

WEIGHTS, CONFIG = "model.safetensors", "config.json"
SHIPPED_FAST = Path(__file__).with_name("fast_checkpoint")
"""Where the package's trained fast vocoder goes (``recipes.vocoder.train_fast --export``); not shipped yet."""
TRAIN_HINT = "train one with python -m recipes.vocoder.train_fast --export"


def save_fast_vocoder(folder: str | os.PathLike, model: FastVocoder, meta: dict) -> Path:
    """Write the weights (float32) and ``{"model": config, "meta": meta}`` into ``folder``, each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(folder / WEIGHTS, lambda p: save_file(state, str(p)))
    config = {"model": model.config.to_dict(), "meta": meta}
    atomic_write(folder / CONFIG, lambda p: p.write_text(json.dumps(config, indent=1)))
    return folder


def load_fast_vocoder(folder: str | os.PathLike = SHIPPED_FAST, device: str | torch.device = "cpu") -> FastVocoder:
    """The fast vocoder in ``folder`` in eval mode, without gradients; a missing or corrupt part is a
    one-line VoiceCloneError."""
    folder = Path(folder)
    if folder.resolve() == SHIPPED_FAST.resolve():
        check_shipped()
    for name in (WEIGHTS, CONFIG):
        if not (folder / name).is_file():
            raise VoiceCloneError(f"{folder}: fast vocoder checkpoint is missing {name}; {TRAIN_HINT}")
    try:
        config = FastVocoderConfig.from_dict(json.loads((folder / CONFIG).read_text())["model"])
        if config.mel != VOCODER_MEL:
            raise ValueError(f"it renders {config.mel}, not the vocoder mel analysis")
        model = FastVocoder(config)
        model.load_state_dict(load_file(str(folder / WEIGHTS)), strict=True)
    except Exception as exc:
        raise VoiceCloneError(f"{folder}: fast vocoder checkpoint is corrupt or incompatible "
                              f"({first_line(exc)[:200]})") from None
    return model.eval().requires_grad_(False).to(device)


def check_shipped() -> None:
    """A VoiceCloneError saying so while the package holds no trained fast vocoder (cheap: no loading)."""
    if not SHIPPED_FAST.is_dir():
        raise VoiceCloneError(f"the fast vocoder is not trained and shipped yet ({SHIPPED_FAST} is absent); use "
                              f"--vocoder hifigan (the default), or {TRAIN_HINT}")
