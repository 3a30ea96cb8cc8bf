"""Training data from prepare.py's .npz files: items, normalisation statistics and batches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from voiceclone.errors import VoiceCloneError
from voiceclone.features.pitch import voiced_logf0_moments


@dataclass
class Split:
    """One packed split: per-utterance views into concatenated arrays."""

    mels: list[np.ndarray]
    f0s: list[np.ndarray]
    dvecs: np.ndarray
    speakers: np.ndarray
    paths: np.ndarray
    ids: list[np.ndarray] | None

    @classmethod
    def load(cls, path: Path) -> "Split":
        if not path.is_file():
            raise VoiceCloneError(f"{path.parent}: not a prepared folder (no {path.name}); make one with prepare.py --out")
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}  # each npz[key] access reads the array again
        mo = data["mel_offsets"]
        mels = [data["mel"][:, a:b] for a, b in zip(mo[:-1], mo[1:])]
        f0s = [data["f0"][a:b] for a, b in zip(mo[:-1], mo[1:])]
        ids = None
        if "ids" in data:
            io = data["ids_offsets"]
            ids = [data["ids"][a:b] for a, b in zip(io[:-1], io[1:])]
        return cls(mels, f0s, data["dvec"], data["speaker"], data["path"], ids)

    @classmethod
    def load_all(cls, paths: list[Path]) -> "Split":
        """Several packed splits of the same kind as one (e.g. recordings and their warped copies)."""
        parts = [cls.load(path) for path in paths]
        if len({part.ids is None for part in parts}) > 1:
            raise ValueError(f"cannot mix transcribed and untranscribed splits: {paths}")
        return cls([m for p in parts for m in p.mels], [f for p in parts for f in p.f0s],
                   np.concatenate([p.dvecs for p in parts]), np.concatenate([p.speakers for p in parts]),
                   np.concatenate([p.paths for p in parts]), None if parts[0].ids is None else [x for p in parts for x in p.ids])

    def __len__(self) -> int:
        return len(self.mels)


def interpolate_logf0(f0: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Log-F0 contour with unvoiced gaps filled linearly; plus the voiced frames' mean and std."""
    voiced = f0 > 0
    if voiced.sum() < 2:
        return np.full(len(f0), np.log(150.0), np.float32), float(np.log(150.0)), 0.2
    contour = np.interp(np.arange(len(f0)), np.flatnonzero(voiced), np.log(f0[voiced])).astype(np.float32)
    mean, std, _ = voiced_logf0_moments(f0)
    return contour, mean, std


def statistics(splits: list[Split]) -> dict:
    """Per-channel mel mean/std and the global voiced log-F0 mean/std."""
    frames = np.concatenate([m for s in splits for m in s.mels], axis=1)
    f0 = np.concatenate([f for s in splits for f in s.f0s])
    lf = np.log(f0[f0 > 0])
    return {"mel_mean": frames.mean(1).tolist(), "mel_std": np.maximum(frames.std(1), 1e-3).tolist(),
            "logf0_mean": float(lf.mean()), "logf0_std": float(lf.std())}


class Batcher:
    """Random batches bounded by a frame budget, with speaker-consistent d-vector sampling."""

    def __init__(self, split: Split, frame_budget: int, max_frames: int, rng: np.random.Generator,
                 other_utterance_dvec: bool):
        self.split, self.budget, self.max_frames, self.rng = split, frame_budget, max_frames, rng
        self.contours = [interpolate_logf0(f) for f in split.f0s]
        self.by_speaker: dict[str, list[int]] = {}
        for i, spk in enumerate(split.speakers):
            self.by_speaker.setdefault(str(spk), []).append(i)
        self.other = other_utterance_dvec

    def _dvec(self, i: int) -> np.ndarray:
        if not self.other:
            return self.split.dvecs[i]
        j = self.rng.choice(self.by_speaker[str(self.split.speakers[i])])
        return self.split.dvecs[j]

    def sample(self) -> dict[str, torch.Tensor]:
        chosen, total = [], 0
        while total < self.budget:
            i = int(self.rng.integers(len(self.split)))
            n = min(self.split.mels[i].shape[1], self.max_frames)
            if chosen and total + n > self.budget:
                break
            chosen.append(i)
            total += n
        return self._collate(chosen)

    def _collate(self, chosen: list[int]) -> dict[str, torch.Tensor]:
        mels, contours, means, stds = [], [], [], []
        for i in chosen:
            mel = self.split.mels[i]
            contour, mean, std = self.contours[i]
            if self.split.ids is None and mel.shape[1] > self.max_frames:  # crop auto-encoding items
                start = int(self.rng.integers(mel.shape[1] - self.max_frames + 1))
                mel, contour = mel[:, start:start + self.max_frames], contour[start:start + self.max_frames]
            mels.append(mel)
            contours.append(contour[: mel.shape[1]])
            means.append(mean)
            stds.append(std)
        t = max(m.shape[1] for m in mels)
        batch = {
            "mel": torch.zeros(len(chosen), mels[0].shape[0], t),
            "logf0": torch.zeros(len(chosen), t),
            "mel_lengths": torch.tensor([m.shape[1] for m in mels]),
            "dvec": torch.from_numpy(np.stack([self._dvec(i) for i in chosen])),
            "utt_logf0_mean": torch.tensor(means), "utt_logf0_std": torch.tensor(stds),
        }
        for k, (m, c) in enumerate(zip(mels, contours)):
            batch["mel"][k, :, : m.shape[1]] = torch.from_numpy(m)
            batch["logf0"][k, : len(c)] = torch.from_numpy(c)
        if self.split.ids is not None:
            ids = [self.split.ids[i] for i in chosen]
            batch["ids"] = torch.zeros(len(chosen), max(len(x) for x in ids), dtype=torch.long)
            for k, x in enumerate(ids):
                batch["ids"][k, : len(x)] = torch.from_numpy(x)
            batch["text_lengths"] = torch.tensor([len(x) for x in ids])
        return batch
