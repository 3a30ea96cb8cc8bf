"""The tuned settings of voice matching, in one place; saved with the acoustic checkpoint they were tuned for."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class MatchConfig:
    """How far synthesis moves the acoustic model's log-mel toward a voice, step by step (``VoiceMatcher``).

    Each value was tuned on the development voices with ``voiceclone eval`` (docs/quality.md).
    """

    sharpen_amount: float = 0.5
    """How much of the mel's own deviation from its moving average in time is added back (0: off)."""
    borrow_amount: float = 0.5
    """How much of the built-in voice's deviation from its moving average in time is added."""
    sharpen_frames: int = 5
    """Width of that moving average in frames (5 hops of 256 samples at 22.05 kHz: 58 ms)."""
    spectral_amount: float = 0.6
    """How much of each frame's deviation from its moving average across bands is added back."""
    spectral_bands: int = 9
    """Width of that moving average in mel bands."""
    refine_amount: float = 0.5
    """How much of a re-rendering's spectral fine structure replaces a cloned voice's own."""
    covariance_weight: float = 0.6
    """Share of each speech frame taken from its whitened-and-coloured version (0: off). On the
    development voices (seed 0, similarity 0.2) 0, 0.5, 0.6, 0.75 and 1 gave WER 16.1, 15.9, 16.2,
    16.9, 19.2%, SECS 0.754, 0.768, 0.772, 0.775, 0.778 and speaker identification 76, 79, 84, 84, 86%."""
    covariance_shrinkage: float = 0.2
    """Fraction by which off-diagonal covariance terms are pulled toward zero."""
    covariance_min_frames: int = 80
    """Fewest speech frames (about 0.9 s) on either side for a covariance worth matching."""
    similarity: float = 0.2
    """Default share of each speech frame taken from its nearest reference frames (0: off). On the
    development voices (seed 0) 0, 0.2, 0.3 and 0.5 gave WER 13.8, 16.5, 18.8, 21.4% and SECS 0.743,
    0.754, 0.760, 0.773: 0.2 is the most it takes while staying about as intelligible as Piper."""
    neighbours: int = 4
    """Reference frames averaged per synthesised frame."""
    gate_range_nats: float = 4.0
    """Frames this far below the loudest frame's mean log-mel (about 35 dB) are left alone by the
    frame steps; the blend fades in over the next nat. Pauses keep the model's clean silence
    instead of the reference's room noise, and the weakest consonants keep the model's rendering."""

    @classmethod
    def from_dict(cls, values: dict) -> MatchConfig:
        """The config saved in a checkpoint's config.json; keys it lacks keep their defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown voice matching settings: {', '.join(sorted(unknown))}")
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_MATCH = MatchConfig()
"""The settings the shipped checkpoint was tuned with; the pure functions' defaults."""
