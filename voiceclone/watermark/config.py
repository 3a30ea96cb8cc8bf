"""Fixed parameters of watermark format version 1 (changing any of them changes the format)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WatermarkConfig:
    """Where and how strongly the mark lives: a 16 kHz STFT grid, bins 375 Hz - 6 kHz."""

    sample_rate: int = 16000
    """Embedding and detection run on a 16 kHz copy, so any input rate >= 16 kHz works alike."""
    n_fft: int = 512
    hop: int = 256
    detect_hop: int = 128
    """Detection frames are twice as dense as embedding frames: alignment to within 4 ms."""
    lo_bin: int = 12
    hi_bin: int = 192
    """375 Hz .. 6 kHz: survives 16 kHz resampling and Vorbis at 64 kbit/s."""
    tile_frames: int = 2
    """Embedding frames per pattern column (32 ms)."""
    period: int = 32
    """Pattern columns before it repeats (about 1 s): any crop still meets a whole period."""
    sync_fraction: float = 1 / 3
    """Share of the cells carrying the fixed synchronisation chips; the rest carry payload bits."""
    shaping: float = 0.5
    """Mark depth goes as (bin power / frame peak) ** -shaping: a spectrally flatter mark."""
    embed_floor_db: float = 60.0
    """Bins this far below their frame's loudest bin get no mark (the quiet bins carry most of it)."""
    floor_db: float = 40.0
    """Frames this far below the loudest frame get no mark and are ignored by detection."""
    loud_emphasis: float = -0.5
    """Mark power per frame goes as (frame power) ** (1 + loud_emphasis): compressed, so quieter frames keep
    enough mark to survive added noise, while louder frames still get more."""
    wsr_db: float = -30.5
    """Watermark-to-signal energy ratio every marked file is scaled to."""
    highpass_frames: int = 15
    """Detection removes each bin's moving average over this many detection frames (the host's slow envelope)."""
    clip: float = 2.5
    window_s: float = 3.0
    window_hop_s: float = 1.0
    """Long inputs are also scored in 3 s windows, so a mark inside unmarked audio is found."""
    @property
    def n_bins(self) -> int:
        return self.hi_bin - self.lo_bin


CONFIG = WatermarkConfig()


@dataclass(frozen=True)
class DetectionConfig:
    """How detection decides (not part of the format: changing these never changes a mark).

    Scores are z-scores (see :mod:`voiceclone.watermark.detect`). The thresholds were calibrated on one
    half of a null set of unmarked segments and checked on the other half by ``python -m
    benchmarks.watermark`` (results/watermark.json: calibrated, shipped)."""

    null_keys: int = 8
    """Wrong keys whose scores in the same span measure the spread of the score there."""
    min_null_spread: float = 1.0
    """The spread is never taken below that of pure noise (it can only make a recording score lower)."""
    score_alone: float = 5.5
    """``watermarked`` on the score alone."""
    score_with_payload: float = 4.25
    """``watermarked`` when the expected payload also reads back (all 20 bits, CRC included)."""
    blind_with_crc: float = 5.75
    """``watermarked`` when the blind score is this high and the payload it reads passes its CRC (custom payloads)."""
    score_inconclusive: float = 4.25
    blind_inconclusive: float = 5.75
    """Below these, ``not watermarked``; between, ``inconclusive``."""


DETECTION = DetectionConfig()
