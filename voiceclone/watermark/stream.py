"""Embedding the mark into audio as it is made, block by block, on the mark's own 16 kHz frame grid.

The mark of a file (``embed.watermark_signal``) weighs each frame against the loudest frame of the
whole file and scales the whole mark to ``wsr_db``. A stream cannot look ahead, so here each frame
is weighed against the loudest frame so far, and the mark is scaled so that its energy so far is
``wsr_db`` below the signal's so far. Everything else (the 16 kHz grid, the cells, the shaping) is
the file's, so a streamed output is detected as a whole file is; its samples differ from a file's
mark by a fraction of the mark itself, about 30 dB below the speech.

Output lags input by the two resamplers' delays and one STFT frame; ``finish`` returns the rest.
"""

from __future__ import annotations

import numpy as np
import soxr

from voiceclone.watermark.config import CONFIG, WatermarkConfig
from voiceclone.watermark.dsp import sqrt_hann
from voiceclone.watermark.embed import MIN_SAMPLE_RATE, check_input, frame_power, key_cells, mark_gains
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey
from voiceclone.watermark.payload import make_payload


class StreamingWatermarker:
    """``add(block)`` returns the marked samples that are ready; ``finish()`` the rest. Together they
    hold exactly as many samples as went in."""

    def __init__(self, sample_rate: int, key: WatermarkKey = DEFAULT_KEY, config: WatermarkConfig = CONFIG):
        check_input(np.zeros(1), sample_rate)  # the rate must carry the mark (>= MIN_SAMPLE_RATE)
        self.sample_rate, self.config = sample_rate, config
        self._cells = key_cells(key, make_payload(key.key_id), config)
        self._down = soxr.ResampleStream(sample_rate, config.sample_rate, 1, dtype="float32", quality="HQ")
        self._up = soxr.ResampleStream(config.sample_rate, sample_rate, 1, dtype="float32", quality="HQ")
        self._x16 = np.zeros(0)            # 16 kHz signal from frame ``_frame`` on
        self._tail = np.zeros(config.n_fft - config.hop)  # overlap-add of frames already taken, past them
        self._frame = 0
        self._loudest = 0.0
        self._signal_energy = 0.0
        self._mark_energy = 0.0
        self._held = np.zeros(0)           # input samples waiting for their mark
        self._mark = np.zeros(0)           # mark samples for ``_held`` (as many as are ready)
        self._seen = 0

    def add(self, block: np.ndarray) -> np.ndarray:
        """Marked float32 samples for as much of the input so far as is ready (possibly none)."""
        block = check_input(block, self.sample_rate) if len(block) else np.zeros(0)
        self._seen += len(block)
        self._held = np.concatenate([self._held, block])
        x16 = self._down.resample_chunk(block.astype(np.float32))
        self._mark_16k(x16, last=False)
        return self._ready()

    def finish(self) -> np.ndarray:
        """The remaining marked samples, once the input has ended."""
        x16 = self._down.resample_chunk(np.zeros(0, np.float32), last=True)
        total16 = self._frame * self.config.hop + len(self._x16) + len(x16)
        self._mark_16k(x16, last=True, total16=total16)
        return self._ready(last=True)

    def _mark_16k(self, x16: np.ndarray, last: bool, total16: int = 0) -> None:
        """Take every whole frame of the 16 kHz signal, and pass the finished mark up to the input rate."""
        c = self.config
        signal = np.concatenate([self._x16, x16.astype(np.float64), np.zeros(c.n_fft if last else 0)])
        frames = 0 if len(signal) < c.n_fft else 1 + (len(signal) - c.n_fft) // c.hop
        done = frames * c.hop
        ola = np.concatenate([self._tail, np.zeros(done)])
        if frames:
            view = np.lib.stride_tricks.sliding_window_view(signal, c.n_fft)[::c.hop][:frames]
            spec = np.fft.rfft(view * sqrt_hann(c.n_fft), axis=1)
            loudest = np.maximum.accumulate(np.concatenate([[self._loudest], frame_power(spec, c)]))[1:]
            self._loudest = float(loudest[-1])
            pieces = np.fft.irfft(spec * mark_gains(spec, self._frame, loudest, self._cells, c), n=c.n_fft, axis=1)
            for i, piece in enumerate(pieces * sqrt_hann(c.n_fft)):
                ola[i * c.hop : i * c.hop + c.n_fft] += piece
        finished, self._tail = ola[:done], ola[done:]
        if last:  # the zero padding's frames are taken: everything is finished
            finished = np.concatenate([finished, self._tail])[: max(0, total16 - self._frame * c.hop)]
        finished = self._scaled(finished, signal[: len(finished)])
        self._frame += frames
        self._x16 = signal[done:]
        mark = self._up.resample_chunk(finished.astype(np.float32), last=last)
        self._mark = np.concatenate([self._mark, mark.astype(np.float64)])

    def _scaled(self, mark16: np.ndarray, signal16: np.ndarray) -> np.ndarray:
        """The mark scaled, hop by hop, so that its energy so far is ``wsr_db`` below the signal's so far."""
        hop = self.config.hop
        starts = np.arange(0, len(mark16), hop)
        if not len(starts):
            return mark16
        signal = self._signal_energy + np.cumsum(np.add.reduceat(signal16**2, starts))
        mark = self._mark_energy + np.cumsum(np.add.reduceat(mark16**2, starts))
        self._signal_energy, self._mark_energy = float(signal[-1]), float(mark[-1])
        ratio = np.where(mark > 0, signal * 10.0 ** (self.config.wsr_db / 10.0) / np.maximum(mark, 1e-30), 0.0)
        return mark16 * np.repeat(np.sqrt(ratio), hop)[: len(mark16)]

    def _ready(self, last: bool = False) -> np.ndarray:
        if last:
            self._mark = np.pad(self._mark[: len(self._held)], (0, max(0, len(self._held) - len(self._mark))))
        n = min(len(self._held), len(self._mark))
        out = self._held[:n] + self._mark[:n]
        self._held, self._mark = self._held[n:], self._mark[n:]
        return out.astype(np.float32)


__all__ = ["MIN_SAMPLE_RATE", "StreamingWatermarker"]
