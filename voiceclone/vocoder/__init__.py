"""Vocoders: our HiFi-GAN generator loaded with the universal weights (the default) and the Vocos-style
fast vocoder; chunked/streaming synthesis for both; the discriminators and losses for training."""

from voiceclone.vocoder.config import HiFiGANConfig
from voiceclone.vocoder.fast import FastVocoder, FastVocoderConfig
from voiceclone.vocoder.generator import HiFiGANGenerator, apply_weight_norm, remove_weight_norm
from voiceclone.vocoder.load import VOCODER_CHOICES, Vocoder, load_generator, load_vocoder
from voiceclone.vocoder.synthesis import copy_synthesis, vocode, vocode_stream

__all__ = [
    "FastVocoder",
    "FastVocoderConfig",
    "HiFiGANConfig",
    "HiFiGANGenerator",
    "VOCODER_CHOICES",
    "Vocoder",
    "apply_weight_norm",
    "copy_synthesis",
    "load_generator",
    "load_vocoder",
    "remove_weight_norm",
    "vocode",
    "vocode_stream",
]
