"""The text front end: text -> speakable words -> phoneme tokens -> ids, and chunks for long input."""

from __future__ import annotations

import threading

from voiceclone.text.chunks import pack
from voiceclone.text.normalise import normalise
from voiceclone.text.phonemes import to_tokens
from voiceclone.text.table import DEFAULT_TABLE, PhonemeTable

DEFAULT_MAX_PHONEMES = 200
DEFAULT_MAX_WORDS = 25


class TextFrontend:
    """English text front end around hibari's G2P (misaki's lexicons, tagger and OOV net).

    The G2P loads on first use (about a second) and is then shared; calls are serialised by a lock,
    so one instance may serve several threads. Output is deterministic: the same text always gives
    the same words, phonemes and ids.
    """

    def __init__(self) -> None:
        self._g2p = None
        self._lock = threading.Lock()

    def _phonemise_words(self, words: str) -> list[str]:
        """Phoneme tokens for already normalised words."""
        with self._lock:
            if self._g2p is None:
                from hibari.g2p import G2P

                self._g2p = G2P()
            return to_tokens(self._g2p(words, normalize_text=False))

    def normalise(self, text: str) -> str:
        """Speakable words: numbers, money, dates, abbreviations, URLs... spelled out."""
        return normalise(text)

    def phonemise(self, text: str) -> list[str]:
        """Phoneme symbols with stress marks, word boundaries (' ') and pauses (',', '.', '?', '!')."""
        return self._phonemise_words(normalise(text))

    def encode(self, text: str, table: PhonemeTable = DEFAULT_TABLE) -> list[int]:
        """Ids of `text`'s phonemes in `table` (BOS ... EOS); pass the table saved with a checkpoint."""
        return table.encode(self.phonemise(text))

    def chunks(
        self, text: str, max_phonemes: int = DEFAULT_MAX_PHONEMES, max_words: int = DEFAULT_MAX_WORDS
    ) -> list[str]:
        """Normalised text in chunks ending at sentence or clause punctuation, each within the limits.

        Every chunk ends with punctuation, so its phonemes end with a pause token.
        """
        words = normalise(text)
        return pack(words, lambda piece: len(self._phonemise_words(piece)), max_phonemes, max_words)

    def describe(self, text: str, max_phonemes: int = DEFAULT_MAX_PHONEMES, max_words: int = DEFAULT_MAX_WORDS,
                 table: PhonemeTable = DEFAULT_TABLE) -> dict:
        """What the front end makes of ``text``: {"words", "phonemes", "ids", "chunks", "table_version"}."""
        phonemes = self.phonemise(text)
        return {"words": self.normalise(text), "phonemes": phonemes, "ids": table.encode(phonemes),
                "chunks": self.chunks(text, max_phonemes, max_words), "table_version": table.version}


def format_description(described: dict) -> str:
    """``TextFrontend.describe``'s result as aligned lines for a terminal."""
    lines = [f"words:    {described['words']}", f"phonemes: {''.join(described['phonemes'])}",
             f"ids:      {' '.join(map(str, described['ids']))} (table v{described['table_version']})"]
    return "\n".join(lines + [f"chunk {i}:  {chunk}" for i, chunk in enumerate(described["chunks"], 1)])
