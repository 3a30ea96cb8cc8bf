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


PRECISION_CHOICES = ("auto", "fp32", "bf16")


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The vocoder's arithmetic for a --precision flag on ``device``.

    'auto' is bfloat16 on a CPU with native bfloat16 matrix instructions (AMX or AVX512-BF16): there
    the vocoder runs about twice as fast and the judges score its output as they score float32's
    (README, "Speed"). Everywhere else, where bfloat16 would be emulated or was not measured (CUDA),
    it is float32.
    """
    name = name.lower()
    if name == "fp32":
        return torch.float32
    if name == "bf16":
        return torch.bfloat16
    if name == "auto":
        return torch.bfloat16 if device.type == "cpu" and native_cpu_bf16() else torch.float32
    raise VoiceCloneError(f"unknown precision '{name}'; choose one of: {', '.join(PRECISION_CHOICES)}")


def native_cpu_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (torch's own capability checks)."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check() for check in checks if check is not None)
