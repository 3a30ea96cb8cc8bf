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


def test_three_states_and_evidence(marked, clip):
    from voiceclone.watermark.detect import INCONCLUSIVE, NOT_WATERMARKED, WATERMARKED

    found = detect_watermark(marked, SR)
    assert found.state == WATERMARKED and found.watermarked and found.payload_expected
    assert found.repeats >= 3 and found.repeats_agreeing == found.repeats
    plain = detect_watermark(clip, SR)
    assert plain.state == NOT_WATERMARKED and not plain.watermarked and plain.payload is None
    # a weak mark: some evidence, never a yes
    faint = clip + 0.25 * (marked - clip)
    weak = detect_watermark(attacks.white_noise(faint, SR, snr_db=14.0, seed=3), SR)
    assert weak.state in (INCONCLUSIVE, NOT_WATERMARKED, WATERMARKED)
    assert weak.watermarked == (weak.state == WATERMARKED)


def test_decision_rule():
    from voiceclone.watermark.config import DETECTION
    from voiceclone.watermark.detect import INCONCLUSIVE, NOT_WATERMARKED, WATERMARKED, Evidence, decide
    from voiceclone.watermark.payload import make_payload

    word = make_payload(DEFAULT_KEY.key_id)
    right = tuple(encode_bits(word))
    wrong = tuple(encode_bits(word ^ 1)[:-1] + [1 - encode_bits(word ^ 1)[-1]])  # CRC fails

    def evidence(score, bits=wrong, blind=0.0, agreeing=4):
        return Evidence(score=score, blind_score=blind, bits=bits, blind_bits=wrong, expected_word=word,
                        repeats=4, repeats_agreeing=agreeing, spans=1)

    assert decide(evidence(DETECTION.score_alone)) == WATERMARKED
    assert decide(evidence(DETECTION.score_with_payload, bits=right)) == WATERMARKED
    assert decide(evidence(DETECTION.score_alone, agreeing=1)) == INCONCLUSIVE  # most repeats must agree
    assert decide(evidence((DETECTION.score_inconclusive + DETECTION.score_alone) / 2)) == INCONCLUSIVE
    assert decide(evidence(DETECTION.score_inconclusive - 0.01, blind=DETECTION.blind_inconclusive - 0.01)) == NOT_WATERMARKED
    assert decide(evidence(0.0, blind=DETECTION.blind_inconclusive)) == INCONCLUSIVE


def test_long_inputs_pay_for_their_many_windows():
    from voiceclone.watermark.detect import adjust_for_spans

    assert adjust_for_spans(6.0, 1) == 6.0
    assert 5.0 < adjust_for_spans(6.0, 100) < 6.0 and adjust_for_spans(40.0, 1000) > 39.0
    assert adjust_for_spans(0.5, 100) == pytest.approx(0.0, abs=1e-9)


def test_detect_file_fields(tmp_path, marked):
    import soundfile as sf

    from voiceclone.watermark.report import FIELDS, detect_file, format_line

    sf.write(tmp_path / "m.wav", marked, SR)
    result = detect_file(tmp_path / "m.wav")
    assert tuple(result) == FIELDS and result["state"] == "watermarked"
    assert "watermarked (score" in format_line(result)
    assert "inconclusive" in format_line({**result, "state": "inconclusive", "watermarked": False, "payload": None})
