"""Split long normalised text into chunks the acoustic model handles well.

Chunks end at sentence punctuation where possible, else at clause punctuation, else between words
(never inside one); whole sentences are packed together up to the limits. One left-to-right pass:
every piece is measured once, and only pieces already within the word limit are measured, so the
work is linear in the length of the text.
"""

from __future__ import annotations

import math
import re
from typing import Callable

_SENTENCE_END = re.compile(r"[.!?]+[)\"']*(?=\s|$)")
_CLAUSE_END = re.compile(r"[,;:)]+[)\"']*(?=\s|$)")
_INITIAL = re.compile(r"(?:^|\s)\(?(?:[A-Za-z]\.)*[A-Za-z]$")     # 'J.', 'U.S.', 'p.m.': not an end
_LETTER = re.compile(r"[A-Za-z]")


def _split(text: str, boundary: re.Pattern, keep: Callable[[str, re.Match], bool]) -> list[str]:
    """Pieces of `text` cut after each boundary match that `keep` accepts; letterless pieces join a neighbour."""
    cuts = [m.end() for m in boundary.finditer(text) if keep(text, m)]
    pieces: list[list[str]] = []
    lead: list[str] = []
    for start, end in zip([0, *cuts], [*cuts, len(text)]):
        piece = text[start:end].strip()
        if not piece:
            continue
        if _LETTER.search(piece):
            pieces.append([*lead, piece])
            lead = []
        elif pieces:
            pieces[-1].append(piece)
        else:
            lead.append(piece)
    if lead:
        pieces.append(lead)
    return [" ".join(parts) for parts in pieces]


def _is_sentence_end(text: str, match: re.Match) -> bool:
    if match.group().startswith("."):
        # the word before the dot: bounded look-back keeps this O(1) per boundary
        window = text[max(0, match.start() - 24):match.start() + 1]
        return not _INITIAL.search(window[:-1]) or match.end() == len(text)
    return True


def split_sentences(text: str) -> list[str]:
    """Sentences of normalised text, each ending at its own punctuation."""
    return _split(text, _SENTENCE_END, _is_sentence_end)


def split_clauses(sentence: str) -> list[str]:
    """Clauses of one sentence, cut after commas, semicolons, colons and closing brackets."""
    return _split(sentence, _CLAUSE_END, lambda text, match: True)


def _words(piece: str) -> list[str]:
    """Whitespace-separated words, with letterless tokens ('(', '...') glued to a neighbour."""
    words: list[str] = []
    lead = ""
    for token in piece.split():
        if _LETTER.search(token):
            words.append(f"{lead} {token}" if lead else token)
            lead = ""
        elif words:
            words[-1] += " " + token
        else:
            lead = f"{lead} {token}" if lead else token
    if lead:
        words.append(lead)
    return words


def _word_groups(words: list[str], parts: int) -> list[list[str]]:
    """`words` in `parts` (at most one per word) non-empty consecutive groups of near-equal length."""
    parts = min(parts, len(words))
    total = sum(len(w) + 1 for w in words)
    cuts = [0]
    done = 0
    for i, word in enumerate(words[:-1], 1):
        done += len(word) + 1
        groups_left = parts - len(cuts)
        must_cut = len(words) - i == groups_left          # one word left for each group still to come
        if groups_left and (must_cut or done >= total * len(cuts) / parts):
            cuts.append(i)
    return [words[a:b] for a, b in zip(cuts, [*cuts[1:], len(words)])]


def _end_with_pause(piece: str) -> str:
    return piece if piece[-1] in ",;:.!?)" else piece + ","


def pack(
    text: str, cost: Callable[[str], int], max_phonemes: int = 200, max_words: int = 25
) -> list[str]:
    """Chunks of normalised `text`, each within `max_words` words and `max_phonemes` tokens by `cost`.

    `cost(piece)` is the number of phoneme tokens of a piece (including its final pause). A single
    word longer than the limits is a chunk of its own.
    """
    if max_phonemes < 1 or max_words < 1:
        raise ValueError("chunk limits must be positive")

    chunks: list[str] = []
    current: list[str] = []
    current_cost = current_words = 0

    def flush() -> None:
        nonlocal current_cost, current_words
        if current:
            chunks.append(" ".join(current))
            current.clear()
        current_cost = current_words = 0

    def fit(piece: str, n_words: int, n_cost: int) -> None:
        nonlocal current_cost, current_words
        if current and (current_cost + n_cost > max_phonemes or current_words + n_words > max_words):
            flush()
        current.append(piece)
        current_cost += n_cost
        current_words += n_words

    def place(piece: str, level: int) -> None:
        """Add a piece, splitting it (clauses, then words) when it alone breaks a limit."""
        words = _words(piece)
        n_cost = cost(piece) if len(words) <= max_words else None
        if n_cost is not None and n_cost <= max_phonemes:
            fit(piece, len(words), n_cost)
            return
        if len(words) == 1:
            fit(piece, 1, n_cost if n_cost is not None else cost(piece))
            return
        if level == 0 and len(clauses := split_clauses(piece)) > 1:
            for clause in clauses:
                place(clause, 1)
            return
        over_words = len(words) / max_words
        over_cost = n_cost / max_phonemes if n_cost is not None else 1
        parts = max(2, math.ceil(max(over_words, over_cost)))
        groups = _word_groups(words, parts)
        for i, group in enumerate(groups):
            text_ = " ".join(group)
            place(text_ if i == len(groups) - 1 else _end_with_pause(text_), 2)

    for sentence in split_sentences(text):
        place(sentence, 0)
    flush()
    return chunks
