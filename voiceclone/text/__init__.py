"""English text front end: normalisation, G2P to a versioned phoneme table, chunking of long text."""

from voiceclone.text.frontend import TextFrontend
from voiceclone.text.table import DEFAULT_TABLE, PhonemeTable

__all__ = ["DEFAULT_TABLE", "PhonemeTable", "TextFrontend"]
