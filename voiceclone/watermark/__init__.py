"""Responsible use: an inaudible keyed watermark on everything voiceclone makes, its detector, and provenance."""

from voiceclone.watermark.detect import Detection, detect_watermark
from voiceclone.watermark.embed import embed_watermark
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey

__all__ = ["DEFAULT_KEY", "Detection", "WatermarkKey", "detect_watermark", "embed_watermark"]
