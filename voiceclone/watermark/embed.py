"""Embedding: a keyed, perceptually shaped spread-spectrum modulation of STFT magnitudes."""

from __future__ import annotations

import numpy as np

from voiceclone.audio import resample
from voiceclone.errors import VoiceCloneError
from voiceclone.watermark.config import CONFIG, WatermarkConfig
from voiceclone.watermark.dsp import istft, stft
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey, key_pattern
from voiceclone.watermark.payload import encode_bits, make_payload, payload_word

MIN_SAMPLE_RATE = CONFIG.sample_rate
"""The mark lives on a 16 kHz grid: lower rates cannot carry it."""


def check_input(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Validate a mono signal and its rate (>= 16 kHz) for watermarking; return it as float64."""
    audio = np.asarray(audio)
    if audio.ndim != 1 or len(audio) == 0:
        raise VoiceCloneError(f"watermarking needs a non-empty mono signal, got shape {audio.shape}")
    if sample_rate < MIN_SAMPLE_RATE:
        raise VoiceCloneError(f"watermarking needs a sample rate of at least {MIN_SAMPLE_RATE} Hz, got {sample_rate}")
    audio = audio.astype(np.float64)
    if not np.all(np.isfinite(audio)):
        raise VoiceCloneError("cannot watermark audio containing NaN or infinite samples")
    return audio


def modulation(pattern_chips: np.ndarray, groups: np.ndarray, bits: list[int]) -> np.ndarray:
    """+-1 per cell: the chip, times the bit's sign for payload cells."""
    signs = np.array([1.0] + [1.0 if b else -1.0 for b in bits])
    return pattern_chips * signs[groups]


def mark_gains(spec: np.ndarray, first_frame: int, loudest: np.ndarray, cells: np.ndarray,
               config: WatermarkConfig = CONFIG) -> np.ndarray:
    """Per-bin gains (frames, n_fft // 2 + 1) that turn STFT frames ``first_frame...`` into their mark.

    Each band bin gets its cell's +-1, deeper in the frame's quiet bins (``shaping``); each frame is
    weighted by its power relative to ``loudest`` (the loudest frame's power, per frame: the whole
    signal's for a file, the loudest so far for a stream), compressed (``loud_emphasis``), and
    frames ``floor_db`` below it get none.
    """
    band = spec[:, config.lo_bin : config.hi_bin]
    power = band.real**2 + band.imag**2
    rel = power / (power.max(axis=1, keepdims=True) + 1e-20)
    audible = rel > 10.0 ** (-config.embed_floor_db / 10.0)
    depth = np.where(audible, np.maximum(rel, 1e-20) ** -config.shaping, 0.0)
    level = power.sum(axis=1) / (loudest + 1e-20)
    active = level > 10.0 ** (-config.floor_db / 10.0)
    emphasis = np.where(active, np.maximum(level, 1e-20) ** (config.loud_emphasis / 2), 0.0)
    columns = ((first_frame + np.arange(len(spec))) // config.tile_frames) % config.period
    gains = np.zeros(spec.shape)
    gains[:, config.lo_bin : config.hi_bin] = cells[:, columns].T * depth * emphasis[:, None]
    return gains


def frame_power(spec: np.ndarray, config: WatermarkConfig = CONFIG) -> np.ndarray:
    """Power of each STFT frame in the mark's band."""
    band = spec[:, config.lo_bin : config.hi_bin]
    return (band.real**2 + band.imag**2).sum(axis=1)


def key_cells(key: WatermarkKey, word: int, config: WatermarkConfig = CONFIG) -> np.ndarray:
    """The +-1 of every cell (bins, columns) for ``key`` carrying payload ``word``."""
    pattern = key_pattern(key, config)
    return modulation(pattern.chips, pattern.groups, encode_bits(word))


def watermark_signal(
    audio: np.ndarray, sample_rate: int, key: WatermarkKey, word: int, config: WatermarkConfig = CONFIG
) -> np.ndarray:
    """The additive mark for ``audio`` at its own rate, scaled to ``config.wsr_db``."""
    x16 = resample(audio.astype(np.float32), sample_rate, config.sample_rate).astype(np.float64)
    padded = np.concatenate([x16, np.zeros(config.n_fft)])
    spec = stft(padded, config.n_fft, config.hop)
    gains = mark_gains(spec, 0, frame_power(spec, config).max(), key_cells(key, word, config), config)
    mark16 = istft(spec * gains, config.n_fft, config.hop, len(padded))[: len(x16)]
    mark = resample(mark16.astype(np.float32), config.sample_rate, sample_rate).astype(np.float64)
    mark = np.pad(mark[: len(audio)], (0, max(0, len(audio) - len(mark))))
    mark_energy = float(np.sum(mark**2))
    if mark_energy == 0.0:
        return mark
    scale = np.sqrt(float(np.sum(audio**2)) * 10.0 ** (config.wsr_db / 10.0) / mark_energy)
    return mark * scale


def embed_watermark(
    audio: np.ndarray, sample_rate: int, key: WatermarkKey = DEFAULT_KEY, payload: int | bytes | None = None
) -> np.ndarray:
    """Return ``audio`` (float32, same length) with an inaudible keyed mark.

    ``payload`` is 12 bits; by default it carries the format version and ``key.key_id``.
    Silent input is returned unchanged (there is nothing to hide a mark in).
    """
    signal = check_input(audio, sample_rate)
    word = make_payload(key.key_id) if payload is None else payload_word(payload)
    mark = watermark_signal(signal, sample_rate, key, word)
    return (signal + mark).astype(np.float32)
