"""hibari's phoneme string -> our token list: one symbol per phoneme, stress mark, boundary or pause."""

from __future__ import annotations

from voiceclone.text.table import (
    EXCLAMATION,
    LONG_PAUSE,
    PAUSES,
    PHONEMES_V1,
    QUESTION,
    SHORT_PAUSE,
    STRESSES,
    WORD_BOUNDARY,
)

# punctuation hibari passes through -> our pause tokens; quotes and anything unknown are dropped
_PUNCTUATION = {",": SHORT_PAUSE, ";": SHORT_PAUSE, ":": SHORT_PAUSE, "—": SHORT_PAUSE, "(": SHORT_PAUSE,
                ")": SHORT_PAUSE, ".": LONG_PAUSE, "…": LONG_PAUSE, "?": QUESTION, "!": EXCLAMATION}
# symbols the OOV net or the lexicon may emit outside the inventory, mapped to the nearest inside it
_FOLD = {"ɾ": "T", "ʔ": "t", "ʀ": "ɹ", "ɚ": "əɹ", "ɒ": "ɑ", "ː": ""}
_KEEP = frozenset(PHONEMES_V1) | frozenset(STRESSES)
_STRENGTH = {SHORT_PAUSE: 1, LONG_PAUSE: 2, QUESTION: 3, EXCLAMATION: 3}


def _symbol_map() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {c: (c,) for c in _KEEP}
    table.update({c: (p,) for c, p in _PUNCTUATION.items()})
    table.update({c: tuple(s) for c, s in _FOLD.items()})
    table[" "] = (WORD_BOUNDARY,)
    return table


_SYMBOLS = _symbol_map()


def to_tokens(phoneme_string: str) -> list[str]:
    """Tokens for a G2P output string, tidied so that equal speech gives equal sequences.

    No boundary next to a pause, one pause per run of punctuation (the strongest), nothing before
    the first phoneme, and always a pause at the end (a full stop if the text had none).
    """
    tokens: list[str] = []
    for ch in phoneme_string:
        for symbol in _SYMBOLS.get(ch, ()):
            last = tokens[-1] if tokens else None
            if symbol == WORD_BOUNDARY:
                if last is not None and last != WORD_BOUNDARY and last not in PAUSES:
                    tokens.append(symbol)
            elif symbol in PAUSES:
                if last == WORD_BOUNDARY:
                    tokens.pop()
                    last = tokens[-1] if tokens else None
                if last is None:
                    continue
                if last in PAUSES:
                    if _STRENGTH[symbol] > _STRENGTH[last]:
                        tokens[-1] = symbol
                else:
                    tokens.append(symbol)
            else:
                tokens.append(symbol)
    if tokens and tokens[-1] == WORD_BOUNDARY:
        tokens.pop()
    if tokens and tokens[-1] not in PAUSES:
        tokens.append(LONG_PAUSE)
    return tokens
