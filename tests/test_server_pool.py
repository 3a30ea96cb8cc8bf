"""The server's worker pool and streaming over real HTTP (uvicorn on a loopback port), with a stand-in
for the models whose speed the test controls: queue full, a client leaving mid-stream, many clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

from voiceclone.errors import VoiceCloneError  # noqa: E402
from voiceclone.server.app import create_app  # noqa: E402
from voiceclone.server.launch import free_port  # noqa: E402
from voiceclone.server.voices import VoiceStore  # noqa: E402

CHUNK = (0.1 * np.sin(np.arange(2205) / 5)).astype(np.float32)


class FakeStream:
    def __init__(self, chunks: int, delay_s: float, gate: threading.Event | None, fail_at: int | None) -> None:
        self.sample_rate = 22050
        self.provenance = {"software": "voiceclone", "watermark": True}
        self.chunks, self.delay_s, self.gate, self.fail_at = chunks, delay_s, gate, fail_at
        self.made = 0
        self.closed = False

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self.chunks):
            if self.closed:
                return
            if self.gate is not None:
                self.gate.wait(30)
            time.sleep(self.delay_s)
            if i == self.fail_at:
                raise RuntimeError("synthesis broke")
            self.made += 1
            yield CHUNK

    def close(self) -> None:
        self.closed = True


class FakeCloner:
    """``stream`` as VoiceCloner's: chunks of a tone, ``delay_s`` apart, each waiting for ``gate`` if set."""

    def __init__(self, chunks: int = 3, delay_s: float = 0.0) -> None:
        self.chunks, self.delay_s = chunks, delay_s
        self.gate: threading.Event | None = None
        self.fail_at: int | None = None
        self.streams: list[FakeStream] = []

    def stream(self, text, voice=None, options=None) -> FakeStream:
        if "!" in text:
            raise VoiceCloneError("text has nothing to speak")
        stream = FakeStream(self.chunks, self.delay_s, self.gate, self.fail_at)
        self.streams.append(stream)
        return stream


@contextmanager
def serving(cloner: FakeCloner, tmp_path, **options) -> Iterator[str]:
    port = free_port()
    app = create_app(cloner, VoiceStore(tmp_path / "voices"), **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if cloner.gate is not None:
            cloner.gate.set()
        server.should_exit = True
        thread.join(10)


def speech(url: str, text: str = "Hello.", **fields) -> httpx.Response:
    return httpx.post(f"{url}/v1/audio/speech", json={"input": text, "response_format": "pcm", **fields}, timeout=30)


def wait_for(predicate, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_full_queue_answers_429_and_the_accepted_requests_finish(tmp_path) -> None:
    cloner = FakeCloner(chunks=2)
    cloner.gate = threading.Event()
    with serving(cloner, tmp_path, workers=1, max_queue=1) as url:
        results = {}
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, speech(url))) for i in range(2)]
        for thread in threads:
            thread.start()
        assert wait_for(lambda: httpx.get(f"{url}/health").json()["waiting"] == 1)
        refused = speech(url)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "queue_full"
        cloner.gate.set()
        for thread in threads:
            thread.join(30)
        assert [results[i].status_code for i in range(2)] == [200, 200]
        assert all(len(results[i].content) == 2 * 2 * len(CHUNK) * 24000 // 22050 for i in range(2))
        assert httpx.get(f"{url}/health").json() == {**httpx.get(f"{url}/health").json(), "busy": 0, "waiting": 0}


def test_a_client_leaving_mid_stream_frees_its_worker(tmp_path) -> None:
    cloner = FakeCloner(chunks=200, delay_s=0.05)  # 10 s of work if nobody stopped it
    with serving(cloner, tmp_path, workers=1, max_queue=0) as url:
        with httpx.stream("POST", f"{url}/v1/audio/speech", json={"input": "Hello.", "response_format": "wav"},
                          timeout=30) as response:
            assert response.status_code == 200
            first = next(response.iter_raw())
            assert first.startswith(b"RIFF")
        assert wait_for(lambda: cloner.streams[0].closed, 3.0)
        assert wait_for(lambda: httpx.get(f"{url}/health").json()["busy"] == 0, 3.0)
        assert cloner.streams[0].made < 60
        cloner.chunks = 2
        assert speech(url).status_code == 200  # the only worker is free again


def test_a_client_that_gives_up_while_queued_costs_no_work(tmp_path) -> None:
    cloner = FakeCloner(chunks=2)
    cloner.gate = threading.Event()
    with serving(cloner, tmp_path, workers=1, max_queue=1) as url:
        first = threading.Thread(target=speech, args=(url,))
        first.start()
        assert wait_for(lambda: len(cloner.streams) == 1)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/v1/audio/speech", json={"input": "Hello."}, timeout=0.5)
        time.sleep(1.5)  # the server notices the client left within QUEUE_POLL_S
        cloner.gate.set()
        first.join(30)
        assert wait_for(lambda: httpx.get(f"{url}/health").json()["waiting"] == 0)
        assert len(cloner.streams) == 1  # the second request never started synthesis


def test_concurrent_clients_all_get_their_whole_answer(tmp_path) -> None:
    cloner = FakeCloner(chunks=4, delay_s=0.01)
    with serving(cloner, tmp_path, workers=2, max_queue=16) as url:
        results: list[httpx.Response] = []
        threads = [threading.Thread(target=lambda: results.append(speech(url, response_format="wav")))
                   for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(r.status_code for r in results) == [200] * 12
        assert {len(r.content) for r in results} == {44 + 4 * 2 * len(CHUNK)}


def test_errors_before_and_during_the_stream(tmp_path) -> None:
    cloner = FakeCloner(chunks=5)
    with serving(cloner, tmp_path) as url:
        refused = speech(url, "Nothing!")
        assert refused.status_code == 400
        assert refused.json()["error"] == {"message": "text has nothing to speak", "type": "invalid_request_error",
                                           "param": "input", "code": None}
        cloner.fail_at = 2
        with pytest.raises(httpx.RemoteProtocolError):  # cut off: no clean end for a client to mistake
            speech(url, response_format="wav")
        assert httpx.get(f"{url}/health").json()["busy"] == 0


def test_oversized_bodies_are_refused_with_413(tmp_path) -> None:
    from voiceclone.server.models import MAX_JSON_BYTES, MAX_REFERENCE_BYTES

    with serving(FakeCloner(), tmp_path) as url:
        def chunked():  # no Content-Length: counted as it arrives
            yield b'{"input": "'
            for _ in range(MAX_JSON_BYTES // 1000 + 1):
                yield b"a" * 1000
            yield b'"}'

        streamed = httpx.post(f"{url}/v1/audio/speech", content=chunked(), headers={"Content-Type": "application/json"})
        big_file = httpx.post(f"{url}/v1/voices", files={"file": ("big.wav", b"\0" * (MAX_REFERENCE_BYTES + 1))})
        for response in (streamed, big_file):
            assert response.status_code == 413 and "too large" in response.json()["error"]["message"]
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
