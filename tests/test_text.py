"""Text front end: phoneme table, G2P tokens, chunking, robustness, and the `text` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from voiceclone.errors import VoiceCloneError
from voiceclone.text import DEFAULT_TABLE, PhonemeTable, TextFrontend
from voiceclone.text.chunks import pack, split_clauses, split_sentences
from voiceclone.text.phonemes import to_tokens
from voiceclone.text.table import PAUSES, STRESSES, WORD_BOUNDARY


@pytest.fixture(scope="module")
def fe() -> TextFrontend:
    return TextFrontend()


# -- phoneme table -----------------------------------------------------------------------------


def test_table_round_trips_through_json():
    table = PhonemeTable.from_json(DEFAULT_TABLE.to_json())
    assert table == DEFAULT_TABLE and table.version == DEFAULT_TABLE.version and len(table) == len(DEFAULT_TABLE)


def test_table_has_special_ids_and_maps_unknown_symbols():
    t = DEFAULT_TABLE
    assert t.pad_id == 0 and len({t.pad_id, t.unk_id, t.bos_id, t.eos_id, t.boundary_id, *t.pause_ids.values()}) == 9
    assert t.encode(["h", "ʒ", "@@"], bos_eos=False) == [t.id("h"), t.id("ʒ"), t.unk_id]
    assert t.encode(["h"]) == [t.bos_id, t.id("h"), t.eos_id]
    assert t.decode(t.encode(["h", " ", "."])) == ["h", " ", "."]


def test_a_grown_table_keeps_old_ids_and_old_tables_still_encode_new_text():
    grown = PhonemeTable(DEFAULT_TABLE.version + 1, (*DEFAULT_TABLE.symbols, "x", "ç"))
    phonemes = ["h", "ˈ", "ɛ", "x", "ç"]
    old_ids = DEFAULT_TABLE.encode(phonemes)
    new_ids = grown.encode(phonemes)
    assert new_ids[:4] == old_ids[:4]
    assert old_ids[4:6] == [DEFAULT_TABLE.unk_id] * 2 and new_ids[4:6] == [len(DEFAULT_TABLE), len(DEFAULT_TABLE) + 1]


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '{"version": 1}', '{"version": 1, "symbols": "abc"}', '{"version": 1, "symbols": ["a", "b"]}'],
)
def test_bad_table_json_is_a_clear_error(text):
    with pytest.raises(VoiceCloneError):
        PhonemeTable.from_json(text)


def test_decode_rejects_out_of_range_ids():
    with pytest.raises(VoiceCloneError, match="outside table"):
        DEFAULT_TABLE.decode([len(DEFAULT_TABLE)])


# -- G2P tokens ------------------------------------------------------------------------------------


def test_to_tokens_tidies_boundaries_and_pauses():
    assert to_tokens(" hˈI ,  ðɛɹ… ?! ") == ["h", "ˈ", "I", ",", "ð", "ɛ", "ɹ", "?"]
    assert to_tokens("“hˈI”") == ["h", "ˈ", "I", "."]           # quotes dropped, final pause added
    assert to_tokens("bˈɛTəɾ (ʔ)") == ["b", "ˈ", "ɛ", "T", "ə", "T", ",", "t", ","]
    assert to_tokens(".,!") == []


def test_phonemes_are_table_symbols_with_boundaries_stress_and_pauses(fe):
    phonemes = fe.phonemise("Hello, world. Are you there? Yes!")
    assert all(p in DEFAULT_TABLE for p in phonemes)
    assert [p for p in phonemes if p in PAUSES] == [",", ".", "?", "!"]
    assert phonemes.count(WORD_BOUNDARY) == 2          # "are you there": none next to a pause
    assert any(p in STRESSES for p in phonemes)
    assert "".join(phonemes) == "həlˈO,wˈɜɹld.ˌɑɹ ju ðˈɛɹ?jˈɛs!"


def test_every_utterance_ends_in_a_pause(fe):
    assert fe.phonemise("no punctuation here")[-1] == "."
    assert fe.phonemise("is it")[-1] == "."
    assert fe.phonemise("is it?")[-1] == "?"


@pytest.mark.parametrize(
    ("text", "word", "reading"),
    [
        ("I will read books.", "read", "ɹˈid"),
        ("I read it yesterday.", "read", "ɹˈɛd"),
        ("I live here.", "live", "lˈɪv"),
        ("A live show.", "live", "lˈIv"),
    ],
)
def test_heteronyms_follow_context(fe, text, word, reading):
    assert reading in "".join(fe.phonemise(text))


def test_out_of_vocabulary_words_get_phonemes(fe):
    phonemes = fe.phonemise("Zorblaxian quibbletons")
    assert phonemes.count(WORD_BOUNDARY) == 1 and len(phonemes) > 12
    assert DEFAULT_TABLE.unk_id not in DEFAULT_TABLE.encode(phonemes)


def test_encode_is_deterministic_across_instances(fe):
    text = "On 12/05/2024 Dr. Smith paid $3.50 for 2 coffees, didn't he?"
    ids = fe.encode(text)
    assert ids == TextFrontend().encode(text) == fe.encode(text)
    assert ids[0] == DEFAULT_TABLE.bos_id and ids[-1] == DEFAULT_TABLE.eos_id


def test_encode_with_the_table_of_a_checkpoint(fe):
    old = PhonemeTable(1, tuple(s if s != "ð" else "ð_old" for s in DEFAULT_TABLE.symbols))
    ids = fe.encode("the", table=old)
    assert old.unk_id in ids and DEFAULT_TABLE.unk_id not in fe.encode("the")


@pytest.mark.parametrize("text", ["", "  \n ", "...", "?!", "“ — ”"])
def test_empty_or_punctuation_only_text_is_a_clear_error(fe, text):
    for call in (fe.normalise, fe.phonemise, fe.encode, fe.chunks):
        with pytest.raises(VoiceCloneError, match="nothing to speak"):
            call(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=80)
    | st.text(alphabet="aZ 09.,;:!?-'\"$£€%/@&()…—’“😀\u0301\x00\u200b", max_size=80)
)
@example(text="0AA©")          # a short word then a long one: the word split once made no progress
def test_any_unicode_gives_known_ids_or_a_clear_error(fe, text):
    try:
        ids = fe.encode(text)
    except VoiceCloneError:
        return
    assert all(0 <= i < len(DEFAULT_TABLE) for i in ids)
    assert DEFAULT_TABLE.unk_id not in ids and DEFAULT_TABLE.pad_id not in ids
    assert len(ids) > 3
    for chunk in fe.chunks(text, max_phonemes=20, max_words=3):
        assert fe.encode(chunk)


def test_all_training_transcripts_phonemise(fe, tts_rows):
    for row in tts_rows:
        phonemes = fe.phonemise(row["text"])
        assert len(phonemes) > 1 and all(p in DEFAULT_TABLE for p in phonemes), row["text"]
        if not re.search("[a-z]", row["text"]):
            # upper-case LibriSpeech text must read as its lower-case words, not as spelled letters
            assert phonemes == fe.phonemise(re.sub(r"\bi\b", "I", row["text"].lower())), row["text"]


# -- chunking ---------------------------------------------------------------------------------------


def test_sentence_split_ignores_initials_and_abbreviated_dots():
    text = "J. Edgar Hoover ran the F.B.I. for years. He died at ten P.M. on a Tuesday! Why? Nobody knows..."
    assert split_sentences(text) == [
        "J. Edgar Hoover ran the F.B.I. for years.",
        "He died at ten P.M. on a Tuesday!",
        "Why?",
        "Nobody knows...",
    ]
    assert split_clauses("one, two; three: four (five) six") == ["one,", "two;", "three:", "four (five)", "six"]


def test_letterless_pieces_join_their_neighbours():
    assert split_sentences(". ! Hello. ? World") == [". ! Hello. ?", "World"]


def _check_chunks(fe, text, chunks, max_phonemes, max_words):
    # every word kept, in order (a chunk cut between words gains a comma)
    assert " ".join(chunks).replace(",", "").split() == fe.normalise(text).replace(",", "").split()
    for chunk in chunks:
        assert len(chunk.split()) <= max_words, chunk
        assert len(fe.phonemise(chunk)) <= max_phonemes, chunk
        assert re.search(r"[,;:.!?)][)\"']*$", chunk) or chunk is chunks[-1], chunk
        assert fe.normalise(chunk) == chunk


def test_chunks_of_real_text_respect_limits_and_keep_every_word(fe, data_dir):
    lines = (data_dir / "text" / "ljspeech_sentences.txt").read_text(encoding="utf-8").splitlines()[:150]
    text = " ".join(lines)
    for max_phonemes, max_words in ((200, 25), (60, 10)):
        chunks = fe.chunks(text, max_phonemes=max_phonemes, max_words=max_words)
        _check_chunks(fe, text, chunks, max_phonemes, max_words)


def test_short_sentences_are_packed_together(fe):
    text = "It rained all day. We stayed in and read. " * 12
    chunks = fe.chunks(text, max_words=25)
    _check_chunks(fe, text, chunks, 200, 25)
    assert len(chunks) == 5 and all(c.count(".") >= 4 for c in chunks)   # 108 words, greedy by sentence


def test_letterless_tokens_never_make_a_chunk_of_their_own(fe):
    text = "a " + "' " * 40 + "b ( ( ( ( ( ( c"
    for chunk in fe.chunks(text, max_phonemes=200, max_words=2):
        assert fe.encode(chunk)


def test_text_without_punctuation_is_cut_between_words(fe):
    text = " ".join(["the quick brown fox jumps over the lazy dog"] * 20)
    chunks = fe.chunks(text, max_phonemes=80, max_words=12)
    _check_chunks(fe, text, chunks, 80, 12)
    assert all(c.endswith(",") for c in chunks[:-1])


def test_long_sentence_is_cut_at_clauses_first(fe):
    clause = "and then the little dog ran away into the wood"
    text = ", ".join([clause] * 6) + "."
    chunks = fe.chunks(text, max_phonemes=200, max_words=25)
    _check_chunks(fe, text, chunks, 200, 25)
    assert all(c.endswith(",") for c in chunks[:-1]) and len(chunks) == 3


def test_chunking_is_a_single_linear_pass():
    """Structural check: each character of the text is measured a bounded number of times."""
    measured = []

    def cost(piece: str) -> int:
        measured.append(len(piece))
        return len(piece) // 2

    for text in ("Short one, with a clause. " * 40_000, "word " * 200_000):   # ~1 MB each
        measured.clear()
        chunks = pack(text.strip(), cost, max_phonemes=200, max_words=25)
        assert sum(measured) <= 2 * len(text)
        assert max(len(c.split()) for c in chunks) <= 25


def test_one_megabyte_of_text_chunks_in_linear_work(fe, data_dir, monkeypatch):
    text = (data_dir / "text" / "ljspeech_sentences.txt").read_text(encoding="utf-8").replace("\n", " ")
    text = (text * (1 + 1_000_000 // len(text)))[:1_000_000]
    fed = []
    phonemise_words = fe._phonemise_words

    def counting(words: str) -> list[str]:
        fed.append(len(words))
        return phonemise_words(words)

    monkeypatch.setattr(fe, "_phonemise_words", counting)
    start = time.perf_counter()
    chunks = fe.chunks(text)
    seconds = time.perf_counter() - start
    assert sum(fed) <= 1.5 * len(text) and len(chunks) > 1000
    assert seconds < 240, f"1 MB took {seconds:.0f} s: chunking is no longer linear"


# -- command line -----------------------------------------------------------------------------------


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voiceclone.cli", "text", *args], capture_output=True, text=True, input=stdin, timeout=300
    )


def test_cli_prints_words_and_phonemes():
    result = _run("Dr. Smith paid $3.50.")
    assert result.returncode == 0, result.stderr
    assert "Doctor Smith paid three dollars and fifty cents." in result.stdout
    assert "dˈɑktəɹ" in result.stdout


def test_cli_json_output_matches_the_api(fe):
    text = "It is 6:30 pm. Let's go!"
    result = _run("--json", text)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["words"] == fe.normalise(text) and data["phonemes"] == fe.phonemise(text)
    assert data["ids"] == fe.encode(text) and data["chunks"] == fe.chunks(text)


def test_cli_reads_stdin_and_reports_empty_text_in_one_line():
    assert _run("--json", "-", stdin="Hello there.").returncode == 0
    result = _run("  ...  ")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0 and "nothing to speak" in result.stderr
