"""Tricky English inputs and the speakable words the front end must turn them into."""

from __future__ import annotations

import pytest

from voiceclone.errors import VoiceCloneError
from voiceclone.text.normalise import normalise

CASES = [
    # cardinals, ordinals, decimals, negatives, years
    ("I have 3 cats.", "I have three cats."),
    ("1,000,000 people", "one million people"),
    ("room 101", "room one hundred one"),
    ("He was 1st.", "He was first."),
    ("the 21st century", "the twenty-first century"),
    ("1,000th", "one thousandth"),
    ("pi is 3.14", "pi is three point one four"),
    ("0.5", "zero point five"),
    ("-5 degrees", "minus five degrees"),
    ("In 1984 and 2005", "In nineteen eighty-four and two thousand five"),
    ("born in 1905", "born in nineteen oh-five"),
    ("the 1990s", "the nineteen nineties"),
    ("the '90s", "the nineties"),
    ("007", "zero zero seven"),
    ("version 1.2.3", "version one dot two dot three"),
    ("pre-1990", "pre-nineteen ninety"),
    ("1,2,3", "one, two, three"),
    # currency and percentages
    ("It costs $3.50.", "It costs three dollars and fifty cents."),
    ("£20", "twenty pounds"),
    ("€1,200", "one thousand two hundred euros"),
    ("$1", "one dollar"),
    ("$0.99", "ninety-nine cents"),
    ("£1.01", "one pound and one penny"),
    ("$5 million", "five million dollars"),
    ("$100k", "one hundred thousand dollars"),
    ("¥100", "one hundred yen"),
    ("50% off", "fifty percent off"),
    ("-3.5%", "minus three point five percent"),
    # dates and times
    ("12/05/2024", "December fifth, twenty twenty-four"),
    ("2024-05-12", "May twelfth, twenty twenty-four"),
    ("May 5th", "May fifth"),
    ("the 3rd of July, 1776", "the third of July, seventeen seventy-six"),
    ("Jan. 5, 2024", "January fifth, twenty twenty-four"),
    ("at 6:30 pm", "at six thirty P.M."),
    ("1:05 a.m.", "one oh five A.M."),
    ("10am", "ten A.M."),
    ("10:45", "ten forty-five"),
    # abbreviations, titles, initialisms, acronyms
    ("Dr. Smith lives on Elm St.", "Doctor Smith lives on Elm Street."),
    ("Mr. and Mrs. Jones, etc.", "Mister and Missus Jones, et cetera."),
    ("etc. The end", "et cetera. The end"),
    ("St. Paul", "Saint Paul"),
    ("cats vs. dogs", "cats versus dogs"),
    ("e.g., that", "for example, that"),
    ("I live in the U.S.A.", "I live in the U.S.A."),
    ("FBI and NASA", "FBI and NASA"),
    ("Henry VIII", "Henry the eighth"),
    ("Chapter IV", "Chapter four"),
    ("No. 5", "Number five"),
    # units and symbols
    ("5 km and 3 kg", "five kilometers and three kilograms"),
    ("1.5 kg", "one point five kilograms"),
    ("30°C", "thirty degrees Celsius"),
    ("A&B", "A and B"),
    ("C++", "C plus plus"),
    ("1/2 cup", "one half cup"),
    ("Call 555-1234", "Call five five five, one two three four"),
    # URLs and e-mail
    ("see https://example.com/foo.", "see example dot com slash foo."),
    ("mail bob@example.com", "mail bob at example dot com"),
    ("www.bbc.co.uk", "W W W dot B B C dot co dot uk"),
    # Unicode, quotes, dashes, ellipses, emoji, controls
    ("“Hello” — he said… 😀", "Hello, he said..."),
    ("it’s fine", "it's fine"),
    ("café naïve", "cafe naive"),
    ("Tab\there\x00 \u200bok", "Tab here ok"),
    ("Hello!!! World??", "Hello! World?"),
    ("你好 world", "world"),
    # all-caps transcripts (LibriSpeech)
    ("HELLO THERE MISTER TOMKINS", "hello there mister tomkins"),
    ("I SAW HIM", "I saw him"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normalise_is_idempotent(text: str, expected: str) -> None:
    """Chunks are normalised text that gets normalised again before G2P: that must not change it."""
    assert normalise(expected) == expected


@pytest.mark.parametrize("text", ["", "   \n\t", "...", "!?", "— – -", "😀😀", "\x00\x01", "([{ }])"])
def test_nothing_to_speak_is_a_clear_error(text: str) -> None:
    with pytest.raises(VoiceCloneError, match="nothing to speak"):
        normalise(text)


def test_huge_numbers_are_read_digit_by_digit() -> None:
    words = normalise("1" * 40)
    assert words == " ".join(["one"] * 40)
