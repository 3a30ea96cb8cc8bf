"""Speaker-similarity judge: GE2E embeddings, SECS (cosine similarity) and speaker identification."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voiceclone.evaluation.rate import JUDGE_RATE


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (embeddings need not be unit length)."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def centroid(embeddings: np.ndarray) -> np.ndarray:
    """Unit-length mean of a stack of (N, D) embeddings."""
    mean = np.asarray(embeddings, dtype=np.float64).mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


class SpeakerEncoderJudge:
    """The GE2E speaker encoder (resemblyzer weights in our own module), loaded once."""

    sample_rate = JUDGE_RATE

    def __init__(self, device: str = "auto") -> None:
        from voiceclone.encoder import load_speaker_encoder

        self._encoder = load_speaker_encoder(device)

    def embed(self, wavs16k: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings (N, 256) of mono 16 kHz signals."""
        from voiceclone.encoder import embed_batch

        return embed_batch(self._encoder, list(wavs16k))


class SpeakerBank:
    """Embeddings of the real reference recordings, one per row, grouped by speaker."""

    def __init__(self, paths: Sequence[Path], speakers: Sequence[str], embeddings: np.ndarray) -> None:
        if not (len(paths) == len(speakers) == len(embeddings)):
            raise ValueError("paths, speakers and embeddings must have one entry per reference")
        self.paths = [Path(p) for p in paths]
        self.speakers = list(speakers)
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.names = sorted(set(self.speakers))
        self._centroids = np.stack([self._centroid(name) for name in self.names])

    def _rows(self, speaker: str, exclude: int | None = None) -> list[int]:
        return [i for i, s in enumerate(self.speakers) if s == speaker and i != exclude]

    def _centroid(self, speaker: str, exclude: int | None = None) -> np.ndarray | None:
        rows = self._rows(speaker, exclude)
        return centroid(self.embeddings[rows]) if rows else None

    def index(self, path: Path) -> int | None:
        """Row of a reference recording, or None when the bank does not hold it."""
        path = Path(path).resolve()
        return next((i for i, p in enumerate(self.paths) if p.resolve() == path), None)

    def secs_reference(self, embedding: np.ndarray, row: int) -> float:
        """Cosine between an output and the reference recording it was made from."""
        return cosine(embedding, self.embeddings[row])

    def secs_speaker(self, embedding: np.ndarray, speaker: str, exclude: int | None) -> float | None:
        """Cosine to the centroid of the speaker's other real utterances; None when there are none."""
        other = self._centroid(speaker, exclude)
        return None if other is None else cosine(embedding, other)

    def identify(self, embedding: np.ndarray) -> str:
        """The speaker whose centroid (over all their references) is closest to the embedding."""
        scores = self._centroids @ (embedding / np.linalg.norm(embedding))
        return self.names[int(np.argmax(scores))]
