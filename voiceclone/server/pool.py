"""The bounded worker pool: ``workers`` threads synthesise, at most ``max_queue`` more requests wait,
and a request beyond that is refused at once (429). A streamed request keeps its worker from its first
chunk to its last; a client that leaves frees it after the chunk in hand.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("voiceclone.server")


class Pool:
    """``workers`` synthesis threads and room for ``max_queue`` waiting requests."""

    def __init__(self, workers: int, max_queue: int) -> None:
        self.workers = workers
        self.max_queue = max_queue
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="voiceclone-worker")
        self._lock = threading.Lock()
        self.accepted = 0   # running or waiting
        self.busy = 0       # running
        self.jobs: set[StreamJob] = set()

    def warm_up(self, work: Callable[[], object]) -> None:
        """Run ``work()`` once on each worker thread, all at once, before any request: a thread's first
        synthesis is slower (code compiled on first use) and makes its memory allocator's working set."""
        together = threading.Barrier(self.workers)

        def run() -> None:
            work()
            together.wait()  # holds this thread, so each of the others gets one

        for future in [self.executor.submit(run) for _ in range(self.workers)]:
            future.result()

    def reserve(self) -> bool:
        """Take a place if a worker or the queue has one; False when full."""
        with self._lock:
            if self.accepted >= self.workers + self.max_queue:
                return False
            self.accepted += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.accepted -= 1

    def _started(self, delta: int) -> None:
        with self._lock:
            self.busy += delta

    def state(self) -> dict:
        with self._lock:
            return {"workers": self.workers, "busy": self.busy, "waiting": self.accepted - self.busy,
                    "max_queue": self.max_queue}

    async def call(self, work: Callable[[], object]) -> object:
        """Run ``work()`` on a worker (a place must be reserved; it is released after) and return its result."""
        def run() -> object:
            self._started(1)
            try:
                return work()
            finally:
                self._started(-1)
                self.release()

        return await asyncio.get_running_loop().run_in_executor(self.executor, run)

    def stream(self, start: Callable[[], tuple[Iterable[bytes], Callable[[], None]]]) -> StreamJob:
        """Run a streamed job on a worker (a place must be reserved; it is released after): ``start()``
        returns the encoded chunks and the function that stops their production."""
        job = StreamJob(self, start, asyncio.get_running_loop())
        self.jobs.add(job)
        self.executor.submit(job.run)
        return job

    def shutdown(self) -> None:
        """Stop every job at its next chunk and let the threads finish."""
        for job in list(self.jobs):
            job.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)


class SynthesisFailed(RuntimeError):
    """Synthesis failed after the response had begun."""


class StreamJob:
    """One streamed synthesis: produced on a worker thread, consumed by the response on the event loop."""

    def __init__(self, pool: Pool, start, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = pool
        self._start = start
        self._loop = loop
        self.started: asyncio.Future = loop.create_future()
        self._chunks: asyncio.Queue = asyncio.Queue()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop producing: the worker stops after the chunk in hand (or does not start)."""
        self._cancelled.set()

    def _to_loop(self, fn, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the server is going down
            self._cancelled.set()

    def _resolve(self, value: object, failed: bool) -> None:
        def settle() -> None:
            if not self.started.done():
                (self.started.set_exception if failed else self.started.set_result)(value)
        self._to_loop(settle)

    def run(self) -> None:
        """On a worker: start the stream (the result or error settles ``started``), then pass its chunks on."""
        self.pool._started(1)
        try:
            if self._cancelled.is_set():
                self._resolve(ConnectionAbortedError("client left"), failed=True)
                return
            try:
                chunks, stop = self._start()
            except Exception as exc:  # noqa: BLE001 - handed to the request, which answers for it
                self._resolve(exc, failed=True)
                return
            self._resolve(None, failed=False)
            try:
                for data in chunks:
                    if data:
                        self._to_loop(self._chunks.put_nowait, data)
                    if self._cancelled.is_set():
                        break
            except Exception as exc:  # noqa: BLE001 - the response has begun: it can only be cut off
                log.exception("synthesis failed mid-stream; the response is cut off")
                self._to_loop(self._chunks.put_nowait, exc)
            finally:
                stop()
        finally:
            self._to_loop(self._chunks.put_nowait, None)
            self.pool._started(-1)
            self.pool.release()
            self.pool.jobs.discard(self)

    async def body(self) -> AsyncIterator[bytes]:
        """The encoded chunks as the worker makes them. A failure mid-way is raised here, so the server
        cuts the connection off without the last chunk: the client sees an incomplete response."""
        try:
            while (data := await self._chunks.get()) is not None:
                if isinstance(data, Exception):
                    raise SynthesisFailed("synthesis failed mid-stream") from data
                yield data
        finally:
            self.cancel()
