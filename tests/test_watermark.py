"""Watermark: embedding, detection after each specified transformation, keys, payload, failures."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_speechlike
from voiceclone.errors import VoiceCloneError
from voiceclone.watermark import DEFAULT_KEY, WatermarkKey, detect_watermark, embed_watermark
from voiceclone.watermark import attacks
from voiceclone.watermark.key import key_pattern
from voiceclone.watermark.payload import decode_bits, encode_bits

SR = 22050


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return make_speechlike(SR, 4.0, seed=1)


@pytest.fixture(scope="module")
def marked(clip) -> np.ndarray:
    return embed_watermark(clip, SR)


def host(seconds: float, seed: int) -> np.ndarray:
    return make_speechlike(SR, seconds, seed=seed)


TRANSFORMS = {
    "clean": lambda a: a,
    "resample 16 kHz": lambda a: attacks.resample_16k(a, SR),
    "8-bit": lambda a: attacks.requantise_8bit(a, SR),
    "ogg vorbis": lambda a: attacks.ogg_vorbis(a, SR),
    "gain +6 dB": lambda a: attacks.gain(a, SR, 6.0),
    "gain -6 dB": lambda a: attacks.gain(a, SR, -6.0),
    "noise 20 dB": lambda a: attacks.white_noise(a, SR, seed=7),
    "cut 0.5 s": lambda a: attacks.crop_start(a, SR),
    "inside longer": lambda a: attacks.inside(a, SR, host(3.0, 7), host(2.0, 8)),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_detected_after_transformation(marked, name):
    result = detect_watermark(TRANSFORMS[name](marked), SR)
    assert result.watermarked, f"{name}: score {result.score:.1f}"
    assert result.payload == {"version": 1, "key_id": DEFAULT_KEY.key_id, "word": (1 << 8) | DEFAULT_KEY.key_id}


@pytest.mark.parametrize("sr", [16000, 24000, 48000])
def test_any_rate_from_16k(sr):
    audio = make_speechlike(sr, 2.0, seed=2)
    marked = embed_watermark(audio, sr)
    assert marked.dtype == np.float32 and marked.shape == audio.shape
    assert detect_watermark(marked, sr).watermarked
    assert not detect_watermark(audio, sr).watermarked


def test_unmarked_signals_not_detected():
    for seed in range(4):
        for seconds in (1.0, 3.0, 8.0):
            result = detect_watermark(host(seconds, 10 + seed), SR)
            assert not result.watermarked and result.payload is None, (seed, seconds, result.score)


def test_wrong_key_does_not_detect(marked):
    other = WatermarkKey(secret=b"someone else", key_id=DEFAULT_KEY.key_id)
    assert not detect_watermark(marked, SR, key=other).watermarked
    assert detect_watermark(embed_watermark(marked, SR, key=other), SR, key=other).watermarked


def test_mark_is_quiet(clip, marked):
    wsr = 10 * np.log10(np.sum((marked - clip) ** 2, dtype=np.float64) / np.sum(clip**2, dtype=np.float64))
    assert wsr <= -30.0


def test_custom_payload_round_trips(clip):
    key = WatermarkKey(secret=b"studio key", key_id=9)
    assert detect_watermark(embed_watermark(clip, SR, key=key, payload=0xABC), SR, key=key).payload["word"] == 0xABC
    assert detect_watermark(embed_watermark(clip, SR, key=key, payload=b"\x01\x23"), SR, key=key).payload["word"] == 0x123


def test_crc_rejects_a_flipped_bit():
    bits = encode_bits(0x5A7)
    assert decode_bits(bits)["word"] == 0x5A7
    for i in range(len(bits)):
        flipped = list(bits)
        flipped[i] ^= 1
        assert decode_bits(flipped) is None


def test_pattern_depends_on_secret_only_and_is_stable():
    a = key_pattern(WatermarkKey(b"k", 1))
    assert np.array_equal(a.chips, key_pattern(WatermarkKey(b"k", 2)).chips)
    assert not np.array_equal(a.chips, key_pattern(WatermarkKey(b"j", 1)).chips)
    assert abs(a.chips.mean()) < 0.05


@pytest.mark.parametrize(
    ("audio", "sr", "payload", "message"),
    [
        (np.zeros(16000, np.float32), 8000, None, "at least 16000 Hz"),
        (np.zeros((100, 2), np.float32), SR, None, "mono"),
        (np.full(22050, np.nan, np.float32), SR, None, "NaN"),
        (np.ones(22050, np.float32) * 0.1, SR, 1 << 12, "payload"),
        (np.ones(22050, np.float32) * 0.1, SR, b"abc", "payload"),
    ],
)
def test_bad_input_is_a_clear_error(audio, sr, payload, message):
    with pytest.raises(VoiceCloneError, match=message):
        embed_watermark(audio, sr, payload=payload)


def test_silence_passes_through_unmarked():
    silence = np.zeros(SR, np.float32)
    assert np.array_equal(embed_watermark(silence, SR), silence)
    assert not detect_watermark(silence, SR).watermarked
