"""English text -> speakable words.

hibari's normaliser (a port of misaki's) already expands times, dates, units, titles, common
abbreviations, fractions, ranges and Roman numerals, but leaves plain numbers, money, percentages
and a few symbols for its lexicon to read as phonemes. We spell those out ourselves (with hibari's
own number words) so that the words we print are exactly what the phonemiser reads, and we add
what it does not do at all: Unicode clean-up, URLs and e-mail addresses, all-caps transcripts and
a handful of abbreviations.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from hibari.g2p import numbers as N
from hibari.g2p.normalize import normalize as hibari_normalize

from voiceclone.errors import VoiceCloneError

# -- Unicode clean-up ----------------------------------------------------------------------------

# Characters hibari's rules know about, kept as they are; everything else non-ASCII is mapped below.
_KEEP = frozenset("£€¥₹₩¢°§¶±×÷½¼¾²³µ–—©")
_REPLACE = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‐": "-", "‑": "-", "‒": "-", "―": "—", "−": "-",
    "…": "...", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i",
}


@lru_cache(maxsize=8192)
def _clean_char(ch: str) -> str:
    """One non-ASCII character as ASCII text, a kept symbol, a space, or nothing."""
    if ch in _KEEP:
        return ch
    if ch in _REPLACE:
        return _REPLACE[ch]
    if ch.isspace():
        return " "
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    category = unicodedata.category(ch)
    if category[0] in "CM":                      # controls, format characters, combining marks
        return ""
    ascii_form = "".join(c for c in unicodedata.normalize("NFKD", ch) if " " <= c <= "~")
    return ascii_form if ascii_form else " "     # emoji, non-Latin scripts: a word gap


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_unicode(text: str) -> str:
    """Map curly quotes, dashes, ellipses and accented letters to plain forms; drop emoji and controls."""
    if not text.isascii():
        text = "".join(c if c < "\x80" else _clean_char(c) for c in text)
    return _ASCII_CONTROL.sub("", text)


# -- URLs and e-mail addresses --------------------------------------------------------------------

_TLDS = "com|org|net|edu|gov|io|co|uk|de|fr|info|biz|us|ca|au|tv|me|ly|ai|app|dev"
_URL = re.compile(
    rf"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"]+"
    rf"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|\b(?:[a-zA-Z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"]*)?",
    re.I,
)
_URL_SCHEME = re.compile(r"^(?:https?|ftp)://", re.I)
_URL_PIECE = re.compile(r"[A-Za-z]+|\d+|[^A-Za-z\d]")
_URL_SYMBOLS = {".": "dot", "/": "slash", "@": "at", "-": "dash", "_": "underscore", ":": "colon",
                "?": "question mark", "=": "equals", "&": "and", "#": "hash", "~": "tilde", "+": "plus",
                "%": "percent"}
_VOWEL = re.compile(r"[aeiouy]", re.I)


def _speak_url(match: re.Match) -> str:
    url = match.group()
    trail = len(url) - len(url.rstrip(".,;:!?)'"))
    url, tail = url[: len(url) - trail], url[len(url) - trail:]
    words = []
    for piece in _URL_PIECE.findall(_URL_SCHEME.sub("", url).rstrip("/")):
        if piece.isdigit():
            words.append(" ".join(N.ONES[int(d)] for d in piece))
        elif piece.isalpha():
            # 'www', 'bbc': no vowel, so spell it; otherwise let the lexicon read it as a word
            words.append(" ".join(piece.upper()) if not _VOWEL.search(piece) or len(piece) == 1 else piece.lower())
        elif piece in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[piece])
    return " ".join(words) + tail


# -- forms hibari's rules just miss ---------------------------------------------------------------

_HOUR_AM_PM = re.compile(r"(?<![\d:.,])(\d{1,2})\s?([AaPp]\.?[Mm]\.?)(?![A-Za-z])")   # '10am' -> '10:00 am'
_DECADE_APOSTROPHE = re.compile(r"(?<![\w'])'(?=\d0s\b)")                         # "the '90s"


# -- all-caps transcripts -------------------------------------------------------------------------

_CAPS_WORD = r"[A-Z][A-Z']*"
_CAPS_RUN = re.compile(rf"\b{_CAPS_WORD}(?:[\s,.;:!?\"-]+{_CAPS_WORD})+\b")


def _lower_caps_runs(text: str) -> str:
    """LibriSpeech-style upper-case text reads as letters ('WENT' -> W-E-N-T); lower-case it.

    A whole text without lower-case letters is lower-cased; in mixed text only runs of three or
    more capitalised words are, so that 'the FBI and NASA' keeps its acronyms.
    """
    if not re.search(r"[a-z]", text):
        min_words = 2
    else:
        min_words = 3

    def lower(match: re.Match) -> str:
        run = match.group()
        if len(re.findall(r"[A-Z]{2,}", run)) < min_words:
            return run
        return re.sub(r"\bi\b", "I", run.lower())

    return _CAPS_RUN.sub(lower, text)


# -- abbreviations hibari leaves for its lexicon ----------------------------------------------------

_ABBREVIATIONS = {
    "Mr": "Mister", "Mrs": "Missus", "Dr": "Doctor", "Drs": "Doctors", "Messrs": "Messieurs",
    "etc": "et cetera", "i.e": "that is", "e.g": "for example", "viz": "namely", "Mt": "Mount",
}
_ABBREV = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")(\.?)(?![\w])(?!\.\w)"
)


def _expand_abbreviation(match: re.Match) -> str:
    word, dot = match.group(1), match.group(2)
    if word in ("i.e", "e.g") and not dot:
        return match.group()
    rest = match.string[match.end():]
    # keep a full stop that ends the text or a sentence, lose the abbreviation's own
    ends_sentence = dot and (not rest.strip() or re.match(r"\s+[A-Z\"]", rest)) and word in ("etc", "viz")
    return _ABBREVIATIONS[word] + ("." if ends_sentence else "")


# -- numbers, money, percentages -----------------------------------------------------------------

_NUMBER = re.compile(
    r"(?P<version>\d+(?:\.\d+){2,})"
    r"|(?P<neg>(?<![\w)\-])-)?(?P<cur>[$£€])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suf>(?:st|nd|rd|th|'?s)(?![A-Za-z]))?(?P<pct>\s?%)?"
)
_CURRENCY_UNITS = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
                   "€": ("euro", "euros", "cent", "cents")}
_MAX_CARDINAL_DIGITS = 15           # beyond this, numbers are read digit by digit


def _clean_words(words: str) -> str:
    """hibari's number words without the British 'and' and the commas: 'one hundred one'."""
    return " ".join(w for w in words.replace(",", "").split() if w != "and")


def _digits(text: str) -> str:
    return " ".join(N.ONES[int(d)] for d in text if d.isdigit())


def _cardinal(digits: str) -> str:
    if len(digits) > _MAX_CARDINAL_DIGITS or (len(digits) > 1 and digits[0] == "0"):
        return _digits(digits)
    return _clean_words(N.cardinal(int(digits)))


def _plural(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties', 'six' -> 'sixes'."""
    head, _, last = words.rpartition(" ")
    stem, _, tail = last.rpartition("-")
    if tail.endswith("y"):
        tail = tail[:-1] + "ies"
    elif tail.endswith(("x", "s")):
        tail += "es"
    else:
        tail += "s"
    last = f"{stem}-{tail}" if stem else tail
    return f"{head} {last}" if head else last


def _money(symbol: str, integer: str, fraction: str) -> str:
    one, many, sub_one, sub_many = _CURRENCY_UNITS[symbol]
    main = int(integer or "0")
    if len(fraction) > 2:                          # '$1.505': not a money amount, read the decimal
        return f"{_cardinal(integer or '0')} point {_digits(fraction)} {many}"
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if main or not cents:
        parts.append(f"{_cardinal(integer or '0')} {one if main == 1 else many}")
    if cents:
        parts.append(f"{_cardinal(str(cents))} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def _number_words(match: re.Match) -> str:
    if match.group("version"):
        words = " dot ".join(_cardinal(part) for part in match.group("version").split("."))
    else:
        number = match.group("num").replace(",", "")
        integer, _, fraction = number.partition(".")
        suffix = (match.group("suf") or "").lstrip("'")
        if match.group("cur") and not suffix:
            words = _money(match.group("cur"), integer, fraction)
        elif fraction:
            words = f"{_cardinal(integer) if integer else ''} point {_digits(fraction)}".strip()
        elif suffix in ("st", "nd", "rd", "th") and len(integer) <= _MAX_CARDINAL_DIGITS:
            words = _clean_words(N.ordinal(int(integer)))
        elif len(integer) == 4 and "," not in match.group("num") and integer[0] != "0":
            words = _clean_words(N.year(int(integer)))
        else:
            words = _cardinal(integer)
        if suffix == "s":
            words = _plural(words)
        if match.group("cur") and suffix:
            words += " " + _CURRENCY_UNITS[match.group("cur")][1]
        if match.group("neg"):
            words = "minus " + words
        if match.group("pct"):
            words += " percent"
    text, start, end = match.string, match.start(), match.end()
    before = " " if start and text[start - 1].isalnum() else ""
    after = " " if end < len(text) and text[end].isalnum() else ""
    return before + words + after


# -- symbols and punctuation ------------------------------------------------------------------------

_SYMBOL_WORDS = {"&": " and ", "@": " at ", "+": " plus ", "%": " percent ", "/": " slash ", "$": " dollars ",
                 "£": " pounds ", "€": " euros ", "¥": " yen ", "₹": " rupees ", "₩": " won ", "©": " copyright "}
_SYMBOL = re.compile("|".join(re.escape(s) for s in _SYMBOL_WORDS))
_DASH = re.compile(r"\s*(?:—|–|--+)\s*|\s+-\s+|(?<=\s)-(?=\s|$)")
_BRACKET_OPEN = re.compile(r"[\[{<]")
_BRACKET_CLOSE = re.compile(r"[\]}>]")
_DROP = re.compile(r"[\"*^_\\|~`=°]")
_REPEATED = re.compile(r"([!?,;:])[!?,;:.]*|\.{4,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_SPACE_AFTER_PUNCT = re.compile(r"([,;:!?])(?=[A-Za-z(])")
_LEADING_PUNCT = re.compile(r"^[\s,.;:!?)-]+")
_LONE_MARKS = re.compile(r"(?<!\S)['-]+(?!\S)")
_LONG_RUN = re.compile(r"\S{48,}")
_WS = re.compile(r"\s+")
_LETTER = re.compile(r"[A-Za-z]")


def _break_long_run(match: re.Match) -> str:
    """No word is 48 characters long: break such runs so the tokenizer stays linear."""
    run = match.group()
    return " ".join(run[i:i + 24] for i in range(0, len(run), 24))


def normalise(text: str) -> str:
    """Speakable English words for `text`, e.g. '$3.50' -> 'three dollars and fifty cents'.

    Raises VoiceCloneError when nothing speakable is left (empty, blank or punctuation-only text).
    """
    if not isinstance(text, str):
        raise VoiceCloneError(f"text must be a string, not {type(text).__name__}")
    text = clean_unicode(text)
    text = _WS.sub(" ", text).strip()
    text = _URL.sub(_speak_url, text)
    text = _LONG_RUN.sub(_break_long_run, text)
    text = _lower_caps_runs(text)
    text = _HOUR_AM_PM.sub(r"\1:00 \2", text)
    text = _DECADE_APOSTROPHE.sub("", text)
    text = hibari_normalize(text)
    text = _ABBREV.sub(_expand_abbreviation, text)
    text = _NUMBER.sub(_number_words, text)
    text = _DASH.sub(", ", text)
    text = _SYMBOL.sub(lambda m: _SYMBOL_WORDS[m.group()], text)
    text = _BRACKET_OPEN.sub(" (", _BRACKET_CLOSE.sub(") ", text))
    text = _DROP.sub(" ", text)
    text = _LONE_MARKS.sub(" ", text)
    text = _WS.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED.sub(lambda m: "..." if m.group().startswith(".") else m.group(1), text)
    text = _SPACE_AFTER_PUNCT.sub(r"\1 ", text)
    text = _LEADING_PUNCT.sub("", text).strip()
    if not _LETTER.search(text):
        raise VoiceCloneError("text has nothing to speak: it is empty or only punctuation and symbols")
    return text
