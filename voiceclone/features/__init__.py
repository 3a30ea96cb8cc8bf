"""Mel front ends in numba: the vocoder/acoustic log-mel and the speaker encoder's power mel."""

from voiceclone.features.config import ENCODER_MEL, MEL_CONFIGS, VOCODER_MEL, MelConfig, mel_filterbank
from voiceclone.features.mel import mel_spectrogram, mel_spectrogram_batch

__all__ = [
    "ENCODER_MEL",
    "MEL_CONFIGS",
    "VOCODER_MEL",
    "MelConfig",
    "mel_filterbank",
    "mel_spectrogram",
    "mel_spectrogram_batch",
]
