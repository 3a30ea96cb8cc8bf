"""Utterance embeddings: 1.6 s partial windows, each embedded, averaged and L2-normalised.

The slicing reproduces resemblyzer's ``VoiceEncoder.compute_partial_slices`` (default rate
1.3 windows per second, i.e. a 0.77 s step; the last window is kept when it is at least 75%
covered by audio, the waveform being zero-padded to its end), so embeddings match
resemblyzer's ``embed_utterance`` on the same waveform.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

import numpy as np
import torch

from voiceclone.encoder.model import SpeakerEncoder
from voiceclone.features import ENCODER_MEL, mel_spectrogram_batch

PARTIAL_RATE = 1.3
"""Partial windows per second of audio."""
MIN_COVERAGE = 0.75
"""Keep the last window when at least this fraction of it holds real audio."""
MAX_PARTIALS_PER_CALL = 512
"""Partial windows sent through the network at once (bounds memory on long batches)."""
THREADED_FROM = 64
"""On CPU, fewer partial windows than this run on one thread: each LSTM step is a GEMM too small
for threads to pay off, and the 480 sequential fork/joins are slow on a busy machine."""


def partial_starts(n_samples: int, partial_frames: int, rate: float = PARTIAL_RATE,
                   min_coverage: float = MIN_COVERAGE) -> np.ndarray:
    """First mel frame of each partial window of ``partial_frames`` frames; always at least one."""
    hop = ENCODER_MEL.hop_length
    n_frames = int(np.ceil((n_samples + 1) / hop))
    step = int(np.round(ENCODER_MEL.sample_rate / rate / hop))
    starts = np.arange(0, max(1, n_frames - partial_frames + step + 1), step)
    last = starts[-1] * hop
    coverage = (n_samples - last) / (partial_frames * hop)
    if coverage < min_coverage and len(starts) > 1:
        starts = starts[:-1]
    return starts


@contextmanager
def _cpu_threads(n: int) -> Iterator[None]:
    """Temporarily cap torch's intra-op threads at ``n``."""
    previous = torch.get_num_threads()
    torch.set_num_threads(min(n, previous))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _partials(wavs: Sequence[np.ndarray], partial_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """All partial mel windows of all signals, (total, frames, n_mels), and each signal's count."""
    starts = [partial_starts(len(w), partial_frames) for w in wavs]
    padded = []
    for wav, s in zip(wavs, starts):
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1:
            raise ValueError(f"expected mono signals of shape (samples,), got {wav.shape}")
        end = (int(s[-1]) + partial_frames) * ENCODER_MEL.hop_length
        padded.append(np.pad(wav, (0, max(0, end - len(wav)))))
    mels = mel_spectrogram_batch(padded, ENCODER_MEL)
    windows = [mel.T[int(i):int(i) + partial_frames] for mel, s in zip(mels, starts) for i in s]
    return np.stack(windows), np.array([len(s) for s in starts])


def embed_batch(encoder: SpeakerEncoder, wavs: Sequence[np.ndarray]) -> np.ndarray:
    """Embeddings (N, 256) float32, L2-normalised, of N mono 16 kHz signals of any lengths.

    The partial windows of all signals go through the network together.
    """
    if len(wavs) == 0:
        return np.zeros((0, encoder.config.embedding_size), dtype=np.float32)
    windows, counts = _partials(wavs, encoder.config.partial_frames)
    out = []
    small = encoder.device.type == "cpu" and len(windows) < THREADED_FROM
    with torch.inference_mode(), _cpu_threads(1) if small else nullcontext():
        for first in range(0, len(windows), MAX_PARTIALS_PER_CALL):
            chunk = torch.from_numpy(windows[first:first + MAX_PARTIALS_PER_CALL]).to(encoder.device)
            out.append(encoder(chunk).float().cpu().numpy())
    partial = np.concatenate(out)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    means = np.stack([partial[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])
    return (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)


def embed_utterance(encoder: SpeakerEncoder, wav: np.ndarray) -> np.ndarray:
    """Embedding (256,) float32, L2-normalised, of one mono 16 kHz signal."""
    return embed_batch(encoder, [wav])[0]
