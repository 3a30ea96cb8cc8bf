"""The phoneme inventory and its ids, versioned and saved with every acoustic checkpoint.

A model loads the table stored with its checkpoint, never the current one, so an old checkpoint keeps
working when the inventory grows: new tables only append symbols, and a symbol a table does not know
maps to its unknown id.

Version 1 (misaki's American English set, as hibari's G2P produces it):
- ids 0-3: ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``;
- ``" "``: word boundary;
- pauses: ``","`` short (comma, semicolon, colon, dash, brackets), ``"."`` long (full stop,
  ellipsis), ``"?"`` and ``"!"`` long with their intonation;
- stress: ``"ˈ"`` primary and ``"ˌ"`` secondary, separate tokens placed just before the stressed vowel;
- 45 phonemes, one character each: diphthongs are single letters (A = eɪ, I = aɪ, O = oʊ, W = aʊ,
  Y = ɔɪ), T is the flap, ʤ/ʧ the affricates, ᵊ a reduced schwa, ᵻ a reduced ɪ/ə.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from voiceclone.errors import VoiceCloneError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
WORD_BOUNDARY = " "
SHORT_PAUSE, LONG_PAUSE, QUESTION, EXCLAMATION = ",", ".", "?", "!"
PAUSES = (SHORT_PAUSE, LONG_PAUSE, QUESTION, EXCLAMATION)
STRESSES = ("ˈ", "ˌ")
PHONEMES_V1 = tuple("AIOWYTbdfhijklmnpstuvwzæðŋɐɑɔəɛɜɡɪɹʃʊʌʒʤʧθᵊᵻ")


@dataclass(frozen=True)
class PhonemeTable:
    """Symbols and their ids (the list index). Frozen: a table never changes once saved."""

    version: int
    symbols: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        symbols = tuple(self.symbols)
        object.__setattr__(self, "symbols", symbols)
        missing = [s for s in (PAD, UNK, BOS, EOS, WORD_BOUNDARY, *PAUSES) if s not in symbols]
        if missing:
            raise VoiceCloneError(f"phoneme table v{self.version} lacks required symbols {missing}")
        if len(set(symbols)) != len(symbols):
            raise VoiceCloneError(f"phoneme table v{self.version} has duplicate symbols")
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(symbols)})

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._index

    def id(self, symbol: str) -> int:
        """The id of `symbol`, or the unknown id."""
        return self._index.get(symbol, self._index[UNK])

    @property
    def pad_id(self) -> int:
        return self._index[PAD]

    @property
    def unk_id(self) -> int:
        return self._index[UNK]

    @property
    def bos_id(self) -> int:
        return self._index[BOS]

    @property
    def eos_id(self) -> int:
        return self._index[EOS]

    @property
    def boundary_id(self) -> int:
        return self._index[WORD_BOUNDARY]

    @property
    def pause_ids(self) -> dict[str, int]:
        """Pause symbol -> id: short (','), long ('.'), question ('?'), exclamation ('!')."""
        return {p: self._index[p] for p in PAUSES}

    def encode(self, phonemes: Iterable[str], bos_eos: bool = True) -> list[int]:
        """Ids for a phoneme sequence; unknown symbols get the unknown id. BOS/EOS wrap it by default."""
        ids = [self.id(p) for p in phonemes]
        return [self.bos_id, *ids, self.eos_id] if bos_eos else ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Symbols for ids (BOS, EOS and padding dropped); an out-of-range id raises VoiceCloneError."""
        out = []
        for i in ids:
            if not 0 <= i < len(self.symbols):
                raise VoiceCloneError(f"phoneme id {i} is outside table v{self.version} ({len(self)} symbols)")
            if self.symbols[i] not in (PAD, BOS, EOS):
                out.append(self.symbols[i])
        return out

    def to_json(self) -> str:
        return json.dumps({"version": self.version, "symbols": list(self.symbols)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PhonemeTable:
        try:
            data = json.loads(text)
            version, symbols = int(data["version"]), data["symbols"]
        except (ValueError, KeyError, TypeError) as exc:
            raise VoiceCloneError(f"not a phoneme table: {exc}") from None
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise VoiceCloneError("not a phoneme table: 'symbols' must be a list of strings")
        return cls(version, tuple(symbols))


DEFAULT_TABLE = PhonemeTable(
    version=1,
    symbols=(PAD, UNK, BOS, EOS, WORD_BOUNDARY, *PAUSES, *STRESSES, *PHONEMES_V1),
)
