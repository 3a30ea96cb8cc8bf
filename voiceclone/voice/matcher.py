"""The voice-matching chain: from the acoustic model's log-mel to one that sounds like the voice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voiceclone.features.bands import BandStatistics, match_joint_band_statistics, move_band_statistics
from voiceclone.voice.config import DEFAULT_MATCH, MatchConfig
from voiceclone.voice.covariance import match_covariance
from voiceclone.voice.detail import borrow_spectral_detail, borrow_temporal_detail, sharpen_in_frequency, sharpen_in_time
from voiceclone.voice.frames import blend_nearest_frames
from voiceclone.voice.profile import Voice


class VoiceMatcher:
    """Every step between the acoustic model and the vocoder, with the settings of one ``MatchConfig``.

    Per chunk of text, ``restore_detail`` gives back the contrast that the model's L1 training
    blurs (``voice.detail``), and ``match`` moves the log-mel to the voice: band statistics (``features.bands``), then the cross-band covariance of the reference
    frames (``voice.covariance``), then each speech frame part of the way toward its nearest
    reference frames (``voice.frames``), with the band statistics restored after each step.
    """

    def __init__(self, config: MatchConfig = DEFAULT_MATCH):
        self.config = config

    def restore_detail(self, mel: np.ndarray, builtin: np.ndarray | None = None,
                       rerendered: np.ndarray | None = None) -> np.ndarray:
        """One chunk's model log-mel (n_mels, T) with the contrast that L1 training blurs given back.

        The built-in voice (``builtin`` None) sharpens its own rendering in time and across bands. A
        cloned voice first takes part of the harmonic fine structure of its ``rerendered`` pass
        through the auto-encoding path, then sharpens in time, borrows the temporal detail of
        ``builtin`` (the same phonemes in the built-in voice, frame-aligned), and sharpens across bands.
        """
        c = self.config
        if builtin is None:
            return sharpen_in_frequency(sharpen_in_time(mel, c.sharpen_amount, c.sharpen_frames),
                                        c.spectral_amount, c.spectral_bands)
        if rerendered is None:
            raise ValueError("a cloned voice's log-mel needs its re-rendering through the auto-encoding path")
        refined = borrow_spectral_detail(mel, rerendered, c.refine_amount, c.spectral_bands)
        sharpened = sharpen_in_time(refined, c.sharpen_amount, c.sharpen_frames)
        borrowed = borrow_temporal_detail(sharpened, builtin, c.borrow_amount, c.sharpen_frames)
        return sharpen_in_frequency(borrowed, c.spectral_amount, c.spectral_bands)

    def match(self, pieces: Sequence[np.ndarray], voice: Voice, spoken: BandStatistics,
              similarity: float | None) -> list[np.ndarray]:
        """Log-mel ``pieces`` (the chunks of one text) moved from their band statistics ``spoken`` to ``voice``'s.

        With ``similarity`` given, their cross-band covariance is then moved toward the reference
        frames' and each speech frame blended that far toward its nearest reference frames. None
        skips both (a pitch shift: the reference frames carry harmonics at the unshifted pitch).
        """
        c = self.config
        target = (voice.band_mean, voice.band_std)
        pieces = [move_band_statistics(mel, spoken, target) for mel in pieces]
        if similarity is None:
            return pieces
        pieces = match_joint_band_statistics(
            match_covariance(pieces, voice.reference_frames, c.covariance_weight, c.covariance_shrinkage,
                             c.covariance_min_frames, c.gate_range_nats), target)
        if similarity > 0:
            pieces = match_joint_band_statistics(
                [blend_nearest_frames(mel, voice.reference_frames, target, similarity, c.neighbours, c.gate_range_nats)
                 for mel in pieces], target)
        return pieces
