"""Choosing the torch device from a user's --device flag."""

from __future__ import annotations

import torch

from voiceclone.errors import VoiceCloneError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when available, else CPU; 'cuda' without a GPU is an error."""
    name = name.lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise VoiceCloneError("--device cuda was asked for, but no CUDA GPU is available; use --device cpu")
        return torch.device(name)
    raise VoiceCloneError(f"unknown device '{name}'; choose one of: {', '.join(DEVICE_CHOICES)}")
