"""voiceclone serve, the real thing: one server process for the module (models loaded once), talked to
over loopback HTTP by httpx and by OpenAI's own client: every format, streaming, saved voices, the
watermark, concurrent clients, a client leaving mid-stream, the API key, and a catalogue of bad requests."""

from __future__ import annotations

import io
import json
import threading
import time

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from tests.test_server_units import decode  # noqa: E402
from voiceclone.server.encoders import FORMATS  # noqa: E402
from voiceclone.server.launch import child_server  # noqa: E402

KEY = "test-key-0123"
AUTH = {"Authorization": f"Bearer {KEY}"}
REFERENCE = "tests/data/golden_reference.flac"
TEXT = "The birch canoe slid on the smooth planks."
SHORT = "Hello there."
LONG_TEXT = " ".join([TEXT, "Glue the sheet to the dark blue background.", "It is easy to tell the depth of a well."])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    with child_server(["--api-key", KEY, "--voices", str(folder / "voices"), "--workers", "2", "--max-queue", "8",
                       "--device", "cpu"], folder / "server.log") as (url, _):
        yield url, folder / "voices"


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server[0], headers=AUTH, timeout=120) as c:
        yield c


def speak(client, text: str = TEXT, **fields) -> httpx.Response:
    return client.post("/v1/audio/speech", json={"model": "tts-1", "input": text, "voice": "alloy", **fields})


def wav_file(seconds: float, rate: int = 16000, amplitude: float = 0.0) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    t = np.arange(int(rate * seconds)) / rate
    soundfile.write(buffer, amplitude * np.sin(2 * np.pi * 200 * t), rate, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_speech_in_each_format(client, name: str) -> None:
    response = speak(client, SHORT, response_format=name)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FORMATS[name].media_type
    assert response.headers.get("transfer-encoding") == "chunked"
    assert json.loads(response.headers["x-voiceclone-provenance"])["watermarked"] is True
    audio, rate = decode(name, response.content)
    assert rate == int(response.headers["x-sample-rate"])
    assert 0.5 < len(audio) / rate < 3 and np.sqrt(np.mean(audio**2)) > 0.01


def test_the_audio_streams_as_it_is_made_and_is_watermarked(client, tmp_path) -> None:
    from voiceclone.watermark.report import detect_file

    arrivals, body = [], b""
    start = time.monotonic()
    with client.stream("POST", "/v1/audio/speech", json={"input": LONG_TEXT, "response_format": "wav"}) as response:
        assert response.status_code == 200
        for piece in response.iter_raw():
            arrivals.append(time.monotonic() - start)
            body += piece
    assert len(arrivals) >= 3 and arrivals[0] < 0.5 * arrivals[-1], arrivals
    (tmp_path / "long.wav").write_bytes(body)
    audio, rate = decode("wav", body)
    assert len(audio) / rate > 6
    assert detect_file(tmp_path / "long.wav")["watermarked"] is True


def test_voices_upload_list_speak_and_delete(client, server) -> None:
    with open(REFERENCE, "rb") as handle:
        reference = handle.read()
    made = client.post("/v1/voices", files=[("file", ("me.flac", reference, "audio/flac"))], data={"name": "golden"})
    assert made.status_code == 201, made.text
    voice = made.json()
    assert voice["id"].startswith("voice_") and voice["name"] == "golden" and voice["references"] == 1
    assert (server[1] / f"{voice['id']}.npz").is_file()
    assert client.get("/v1/voices").json()["data"] == [voice]
    for key in (voice["id"], "golden"):
        assert speak(client, SHORT, voice=key, response_format="pcm").status_code == 200
    clash = client.post("/v1/voices", files=[("file", ("me.flac", reference))], data={"name": "golden"})
    assert clash.status_code == 409 and clash.json()["error"]["param"] == "name"
    assert client.delete(f"/v1/voices/{voice['id']}").json() == {"id": voice["id"], "object": "voice.deleted",
                                                                 "deleted": True}
    assert client.get("/v1/voices").json()["data"] == []
    assert speak(client, SHORT, voice={"id": voice["id"]}).status_code == 400


def test_openai_client_speaks_through_the_server(server) -> None:
    openai = pytest.importorskip("openai")
    api = openai.OpenAI(base_url=f"{server[0]}/v1", api_key=KEY, max_retries=0)
    spoken = api.audio.speech.create(model="tts-1", voice="alloy", input=SHORT, response_format="wav")
    audio, rate = decode("wav", spoken.content)
    assert rate == 22050 and len(audio) > rate / 2
    with api.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="nova", input=SHORT,
                                                          response_format="pcm", speed=1.5) as streamed:
        fast = b"".join(streamed.iter_bytes())
    assert 0 < len(fast) / 2 / 24000 < len(audio) / rate
    with pytest.raises(openai.BadRequestError, match="speed"):
        api.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, speed=4.0)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server[0]}/v1", api_key="wrong", max_retries=0).audio.speech.create(
            model="tts-1", voice="alloy", input=TEXT)


def test_concurrent_clients_all_get_their_speech(server) -> None:
    results: list[httpx.Response] = []

    def one(i: int) -> None:
        results.append(httpx.post(f"{server[0]}/v1/audio/speech", headers=AUTH, timeout=120,
                                  json={"input": f"Client {i}.", "response_format": "wav"}))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [r.status_code for r in results] == [200] * 4
    assert all(len(decode("wav", r.content)[0]) > 22050 / 2 for r in results)


def test_a_client_leaving_mid_stream_frees_its_worker(server, client) -> None:
    with client.stream("POST", "/v1/audio/speech", json={"input": LONG_TEXT * 4, "response_format": "pcm"}) as response:
        next(response.iter_raw())
    start = time.monotonic()
    while client.get("/health").json()["busy"] and time.monotonic() - start < 15:
        time.sleep(0.1)
    assert client.get("/health").json()["busy"] == 0  # the whole text would take far longer than this


BAD_SPEECH = [
    ({"input": ""}, 400, "input"),
    ({"input": "   \n "}, 400, "input"),
    ({"input": "a" * 4097}, 400, "input"),
    ({}, 400, "input"),
    ({"input": 12}, 400, "input"),
    ({"input": "Hi.", "voice": "nobody"}, 400, "voice"),
    ({"input": "Hi.", "voice": {"name": "x"}}, 400, "voice"),
    ({"input": "Hi.", "response_format": "aac"}, 400, "response_format"),
    ({"input": "Hi.", "response_format": "mp4"}, 400, "response_format"),
    ({"input": "Hi.", "speed": 0.25}, 400, "speed"),
    ({"input": "Hi.", "speed": 4.0}, 400, "speed"),
    ({"input": "Hi.", "speed": "fast"}, 400, "speed"),
    ({"input": "Hi.", "model": "gpt-9"}, 400, "model"),
    ({"input": "Hi.", "stream_format": "sse"}, 400, "stream_format"),
    ({"input": "\u200b\u200b..."}, 400, "input"),
]


@pytest.mark.parametrize(("body", "status", "param"), BAD_SPEECH)
def test_bad_speech_requests_get_a_json_4xx(client, body, status, param) -> None:
    response = client.post("/v1/audio/speech", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"] and "\n" not in error["message"]


def test_bad_bodies_uploads_routes_and_keys_get_a_json_4xx(server, client) -> None:
    url = server[0]
    cases = {
        "malformed JSON": (client.post("/v1/audio/speech", content=b"{not json",
                                       headers={"Content-Type": "application/json"}), 400),
        "JSON not an object": (client.post("/v1/audio/speech", json=[1, 2]), 400),
        "body over 64 KB": (client.post("/v1/audio/speech", json={"input": "a" * 70_000}), 413),
        "no key": (httpx.post(f"{url}/v1/audio/speech", json={"input": "Hi."}), 401),
        "wrong key": (httpx.post(f"{url}/v1/audio/speech", json={"input": "Hi."},
                                 headers={"Authorization": f"Bearer {KEY}x"}), 401),
        "key not as Bearer": (httpx.get(f"{url}/v1/voices", headers={"Authorization": f"Basic {KEY}"}), 401),
        "upload without files": (client.post("/v1/voices", data={"name": "x"}), 400),
        "upload not multipart": (client.post("/v1/voices", json={"file": "x"}), 400),
        "upload multipart without boundary": (client.post("/v1/voices", content=b"--x\r\n",
                                                          headers={"Content-Type": "multipart/form-data"}), 400),
        "upload not audio": (client.post("/v1/voices", files={"file": ("a.wav", b"hello, not audio")}), 400),
        "upload silent audio": (client.post("/v1/voices", files={"file": ("quiet.wav", wav_file(4.0))}), 400),
        "upload too long": (client.post("/v1/voices", files={"file": ("long.wav", wav_file(130, 8000, 0.1))}), 400),
        "upload too many files": (client.post("/v1/voices", files=[("file", (f"{i}.wav", b"x")) for i in range(6)]),
                                  400),
        "upload a profile as audio": (client.post("/v1/voices", files={"file": ("v.npz", b"PK\x03\x04")}), 400),
        "bad voice name": (client.post("/v1/voices", files={"file": ("a.flac", open(REFERENCE, "rb").read())},
                                       data={"name": "../../etc"}), 400),
        "delete unknown voice": (client.delete("/v1/voices/voice_0000000000000000"), 404),
        "unknown route": (client.get("/v1/nothing"), 404),
        "wrong method": (client.get("/v1/audio/speech"), 405),
    }
    for what, (response, status) in cases.items():
        assert response.status_code == status, (what, response.text)
        assert response.json()["error"]["message"], what
        assert "Traceback" not in response.text and "/tmp" not in response.text, (what, response.text)
    health = httpx.get(f"{url}/health").json()  # open without a key, and still well
    assert health["status"] == "ok" and health["busy"] == 0 and health["waiting"] == 0
    assert speak(client, "Still here.").status_code == 200
