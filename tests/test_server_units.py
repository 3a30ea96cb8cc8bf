"""The server's parts without a server: streamed encoders, the voice store, the installed extra."""

from __future__ import annotations

import importlib
import io
import json

import numpy as np
import pytest

pytest.importorskip("fastapi")

from scripts import check_install  # noqa: E402
from voiceclone.errors import VoiceCloneError  # noqa: E402
from voiceclone.server.encoders import FORMATS, StreamEncoder, _Sink  # noqa: E402
from voiceclone.server.voices import NameTaken, UnknownVoice, VoiceStore  # noqa: E402
from voiceclone.voice import Voice  # noqa: E402

RATE = 22050


def tone(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def encoded(name: str, signal: np.ndarray, pieces: int = 7) -> list[bytes]:
    encoder = StreamEncoder(name, RATE)
    return [encoder.encode(chunk) for chunk in np.array_split(signal, pieces)] + [encoder.finish()]


def read_to_end(data: bytes) -> tuple[np.ndarray, int]:
    """A mono file of unknown length (a streamed FLAC), read frame by frame to its end through
    libsndfile's C API: soundfile's own reading seeks past the end of such a file and fails."""
    import soundfile

    with soundfile.SoundFile(io.BytesIO(data)) as handle:
        pieces = []
        while True:
            block = np.empty(4096, np.float32)
            n = soundfile._snd.sf_readf_float(handle._file, soundfile._ffi.cast("float *", block.ctypes.data), 4096)
            if n <= 0:
                return np.concatenate(pieces or [block[:0]]), handle.samplerate
            pieces.append(block[:n])


def decode(name: str, data: bytes) -> tuple[np.ndarray, int]:
    """The samples and rate of a response body in format ``name``."""
    import soundfile

    if name == "pcm":
        return np.frombuffer(data, "<i2").astype(np.float32) / 32767, FORMATS["pcm"].rate
    if name == "flac":
        return read_to_end(data)
    return soundfile.read(io.BytesIO(data), dtype="float32")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_streams_chunks_that_decode_to_the_signal(name: str) -> None:
    signal = tone()
    parts = encoded(name, signal)
    assert sum(bool(p) for p in parts[:-1]) >= 2  # bytes come out as chunks go in, not only at the end
    audio, rate = decode(name, b"".join(parts))
    assert rate == (FORMATS[name].rate or RATE)
    assert abs(len(audio) / rate - 2.0) < 0.1
    rms = float(np.sqrt(np.mean(audio[rate // 4:-rate // 4] ** 2)))
    assert abs(rms - 0.3 / np.sqrt(2)) < 0.03, rms


def test_a_streamed_wav_starts_with_its_header_alone() -> None:
    encoder = StreamEncoder("wav", RATE)
    assert encoder.encode(np.zeros(0, np.float32))[:4] == b"RIFF"
    assert len(encoder.encode(np.zeros(10, np.float32))) == 20


def test_the_sink_hands_out_appended_bytes_and_drops_rewrites_of_sent_ones() -> None:
    sink = _Sink()
    sink.write(b"abcdef")
    assert sink.take() == b"abcdef"
    sink.seek(2)
    sink.write(b"XY")        # a header fix-up of bytes already sent: dropped
    sink.seek(0, 2)
    sink.write(b"gh")
    sink.seek(4)
    sink.write(b"EFGHij")    # part rewrite (dropped), part new
    assert sink.take() == b"GHij" and sink.tell() == 10


def test_voices_are_saved_found_by_id_or_name_and_deleted(tmp_path) -> None:
    from voiceclone.acoustic.checkpoint import SHIPPED
    from voiceclone.pipeline import DEFAULT_VOICE_FILE

    store = VoiceStore(tmp_path / "voices")
    voice = Voice.load(SHIPPED / DEFAULT_VOICE_FILE)
    record = store.add(voice, "Ann")
    assert (tmp_path / "voices" / f"{record['id']}.npz").is_file()
    assert json.loads((tmp_path / "voices" / f"{record['id']}.json").read_text())["name"] == "Ann"
    assert not list((tmp_path / "voices").glob(".*"))  # no temporary files left behind
    again = VoiceStore(tmp_path / "voices")  # a restarted server finds it
    assert again.records() == [record]
    assert np.allclose(again.load("Ann").embedding, voice.embedding)
    assert again.load(record["id"]) is again.load("Ann")
    with pytest.raises(NameTaken):
        again.add(voice, "Ann")
    for bad in ("", "alloy", "a/b", "x" * 65):
        with pytest.raises(VoiceCloneError):
            again.add(voice, bad)
    assert again.delete("Ann")["id"] == record["id"]
    assert again.records() == [] and not list((tmp_path / "voices").iterdir())
    with pytest.raises(UnknownVoice):
        again.load(record["id"])


def test_the_server_extra_is_declared_and_imports() -> None:
    extra = set(check_install.declared(["server"])) - set(check_install.declared([]))
    assert extra == {"fastapi", "uvicorn", "python-multipart"}
    for name in extra:
        for module in check_install.modules_of(name):
            importlib.import_module(module)
