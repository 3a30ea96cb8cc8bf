"""HiFi-GAN vocoder: our generator loaded with the universal weights, chunked/streaming synthesis,
and the discriminators and losses for fine-tuning."""

from voiceclone.vocoder.config import HiFiGANConfig
from voiceclone.vocoder.generator import HiFiGANGenerator, apply_weight_norm, remove_weight_norm
from voiceclone.vocoder.load import load_generator, load_vocoder
from voiceclone.vocoder.synthesis import copy_synthesis, vocode, vocode_stream

__all__ = [
    "HiFiGANConfig",
    "HiFiGANGenerator",
    "apply_weight_norm",
    "copy_synthesis",
    "load_generator",
    "load_vocoder",
    "remove_weight_norm",
    "vocode",
    "vocode_stream",
]
