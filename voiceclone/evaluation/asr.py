"""Intelligibility judge: pocketsphinx (bundled en-us model) transcripts scored by WER and CER."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jiwer
import numpy as np

from voiceclone.evaluation.rate import JUDGE_RATE

_SPEAKABLE = re.compile(r"[A-Za-z0-9]")
_DASHES = re.compile(r"[-\u2010-\u2015/]")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_EDGE_APOSTROPHES = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _frontend():
    from voiceclone.text import TextFrontend

    return TextFrontend()


def normalise_for_scoring(text: str) -> str:
    """The one normalisation applied to both reference and hypothesis before scoring.

    Spoken-form expansion (numbers, abbreviations) by the text front end, then lowercase,
    dashes to spaces, punctuation removed (apostrophes inside words kept), spaces collapsed.
    """
    if not _SPEAKABLE.search(text):
        return ""  # an empty hypothesis, or punctuation only: nothing for the front end to expand
    text = _DASHES.sub(" ", _frontend().normalise(text).lower())
    text = _NOT_WORD.sub(" ", text)
    text = _EDGE_APOSTROPHES.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class ErrorCounts:
    """Edit counts of one hypothesis against its reference; sums of these give corpus-level rates."""

    word_errors: int
    words: int
    char_errors: int
    chars: int

    @property
    def wer(self) -> float:
        return self.word_errors / self.words

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars


def error_counts(reference: str, hypothesis: str) -> ErrorCounts | None:
    """Word and character edit counts after normalising both texts; None if the reference is empty."""
    ref = normalise_for_scoring(reference)
    hyp = normalise_for_scoring(hypothesis)
    if not ref:
        return None
    words = jiwer.process_words(ref, hyp)
    chars = jiwer.process_characters(ref, hyp)
    return ErrorCounts(
        word_errors=words.substitutions + words.deletions + words.insertions,
        words=words.substitutions + words.deletions + words.hits,
        char_errors=chars.substitutions + chars.deletions + chars.insertions,
        chars=chars.substitutions + chars.deletions + chars.hits,
    )


class Recogniser:
    """Pocketsphinx with its default en-us acoustic model, language model and dictionary (all bundled)."""

    sample_rate = JUDGE_RATE

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(loglevel="FATAL")

    def transcribe(self, audio16k: np.ndarray) -> str:
        """Best hypothesis (lowercase words) for a mono float signal at 16 kHz, independent of earlier calls."""
        pcm = (np.clip(audio16k, -1.0, 1.0) * 32767.0).astype("<i2")
        self._decoder.reinit_feat()  # forget the noise and cepstral-mean estimates of earlier utterances
        self._decoder.start_utt()
        self._decoder.process_raw(pcm.tobytes(), full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""
