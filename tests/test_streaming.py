"""Streaming synthesis: the mark embedded block by block, speech yielded as it is made, -o - streaming."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import make_speechlike
from voiceclone.audio import resample
from voiceclone.audio.streaming import encode_stream, wav_stream_header
from voiceclone.errors import VoiceCloneError
from voiceclone.pipeline import SAMPLE_RATE, VoiceCloner
from voiceclone.vocoder import HiFiGANConfig, HiFiGANGenerator, vocode, vocode_stream
from voiceclone.watermark import detect_watermark, embed_watermark
from voiceclone.watermark.stream import StreamingWatermarker

REFERENCE = Path(__file__).parent / "data" / "golden_reference.flac"
TEXT = "Good morning, everyone. The birch canoe slid on the smooth planks."


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    audio, rate = sf.read(REFERENCE, dtype="float32")
    return resample(audio, rate, SAMPLE_RATE)


def _streamed(signal: np.ndarray, block: int) -> np.ndarray:
    marker = StreamingWatermarker(SAMPLE_RATE)
    out = [marker.add(signal[i:i + block]) for i in range(0, len(signal), block)]
    return np.concatenate(out + [marker.finish()])


def test_streamed_mark_is_detected_like_a_file_s(speech):
    streamed = _streamed(speech, 1000)
    assert len(streamed) == len(speech)
    np.testing.assert_array_equal(streamed, _streamed(speech, 7777))  # blocks do not change the samples
    mark, whole_mark = streamed - speech, embed_watermark(speech, SAMPLE_RATE) - speech
    assert 10 * np.log10(np.sum(mark.astype(np.float64) ** 2) / np.sum(speech.astype(np.float64) ** 2)) == pytest.approx(-30.5, abs=0.5)
    assert np.sum((mark - whole_mark) ** 2) < 0.05 * np.sum(whole_mark**2)  # the file's mark, but for its causal weighting
    found = detect_watermark(streamed, SAMPLE_RATE)
    assert found.watermarked and found.payload is not None
    assert not detect_watermark(speech, SAMPLE_RATE).watermarked


def test_streaming_marker_refuses_a_rate_that_cannot_carry_the_mark():
    with pytest.raises(VoiceCloneError, match="at least 16000"):
        StreamingWatermarker(8000)


def test_a_short_first_vocoder_piece_still_joins_into_the_whole():
    torch.manual_seed(0)
    tiny = HiFiGANGenerator(HiFiGANConfig(upsample_initial_channel=16)).eval()
    mel = np.random.default_rng(0).standard_normal((80, 90)).astype(np.float32) - 5
    pieces = list(vocode_stream(tiny, [mel[:, :30], mel[:, 30:]], chunk_frames=40, first_frames=8))
    assert len(pieces[0]) == 8 * 256
    np.testing.assert_allclose(np.concatenate(pieces), vocode(tiny, mel), atol=1e-5)


def test_stream_encodings():
    chunks = [np.full(3, 0.5, np.float32), np.array([-2.0, 2.0], np.float32)]
    pcm = b"".join(encode_stream(chunks, SAMPLE_RATE, "pcm"))
    assert np.frombuffer(pcm, "<i2").tolist() == [16384] * 3 + [-32767, 32767]
    wav = b"".join(encode_stream(chunks, SAMPLE_RATE, "wav"))
    assert wav.startswith(wav_stream_header(SAMPLE_RATE)) and wav[44:] == pcm
    with pytest.raises(VoiceCloneError, match="unknown stream format"):
        list(encode_stream(chunks, SAMPLE_RATE, "mp3"))


@pytest.fixture(scope="module")
def cloner() -> VoiceCloner:
    return VoiceCloner(device="cpu", precision="fp32")


@pytest.fixture(scope="module")
def voice(cloner):
    return cloner.voice(REFERENCE)


def test_stream_is_speak_up_to_level_and_mark(cloner, voice):
    speech = cloner.stream(TEXT, voice)
    assert speech.sample_rate == SAMPLE_RATE and speech.provenance["watermarked"]
    streamed = np.concatenate(list(speech)).astype(np.float64)
    whole = cloner.speak(TEXT, voice)[0].astype(np.float64)
    assert len(streamed) == len(whole)
    scale = np.dot(streamed, whole) / np.dot(whole, whole)
    residual = streamed - scale * whole
    assert 10 * np.log10(np.sum(residual**2) / np.sum(streamed**2)) < -30  # the marks differ a little, nothing else
    assert 20 * np.log10(scale) == pytest.approx(0.0, abs=4.0)  # the voice's fixed gain, near speak's level
    assert detect_watermark(streamed.astype(np.float32), SAMPLE_RATE).watermarked


def test_stream_yields_before_the_text_is_rendered_and_stops_when_closed(cloner, voice, monkeypatch):
    rendered = []
    real = cloner.chunk_mel
    monkeypatch.setattr(cloner, "chunk_mel", lambda *args: rendered.append(1) or real(*args))
    text = " ".join(["The birch canoe slid on the smooth planks, and it glued the sheet to the dark blue background."] * 3)
    assert len(cloner.phoneme_ids(text)) == 3
    speech = cloner.stream(text, voice)
    first = next(iter(speech))
    assert len(first) > 0 and len(rendered) == 1
    speech.close()
    assert list(speech) == [] and len(rendered) == 1


def test_stream_errors_come_before_any_audio(cloner):
    with pytest.raises(VoiceCloneError):
        cloner.stream("   ")
    with pytest.raises(VoiceCloneError, match="characters"):
        cloner.stream("a" * 20_001)


def test_cli_streams_raw_pcm():
    result = subprocess.run([sys.executable, "-m", "voiceclone.cli", "speak", "Hello there.", "-o", "-", "--format", "pcm",
                             "--device", "cpu"], capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr
    audio = np.frombuffer(result.stdout, "<i2").astype(np.float32) / 32767
    assert 0.5 < len(audio) / SAMPLE_RATE < 5.0 and detect_watermark(audio, SAMPLE_RATE).watermarked
