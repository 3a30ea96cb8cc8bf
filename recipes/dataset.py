"""Training data from the prepared .npz files: items, normalisation statistics, and batches drawn
the same way on every rank (FrameSampler) and collated on each (Collator)."""

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
    texts: np.ndarray | None = None

    @classmethod
    def load(cls, path: Path) -> "Split":
        if not path.is_file():
            raise VoiceCloneError(f"{path.parent}: not a prepared folder (no {path.name}); make one with prepare.py --out")
        data = read_npz(path, mapped=("mel", "f0"))
        mo = data["mel_offsets"]
        mels = [data["mel"][:, a:b] for a, b in zip(mo[:-1], mo[1:])]
        f0s = [data["f0"][a:b] for a, b in zip(mo[:-1], mo[1:])]
        ids = None
        if "ids" in data:
            io = data["ids_offsets"]
            ids = [data["ids"][a:b] for a, b in zip(io[:-1], io[1:])]
        return cls(mels, f0s, data["dvec"], data["speaker"], data["path"], ids, data.get("text"))

    @classmethod
    def load_all(cls, paths: list[Path], optional: bool = False) -> "Split":
        """Several packed splits of the same kind as one (e.g. recordings and their warped copies, or
        shards); with ``optional``, folders without this split (a corpus with no untranscribed
        speech) contribute nothing."""
        if optional:
            present = [path for path in paths if path.is_file()]
            if not present:
                return cls.empty(transcribed=False)
            paths = present
        parts = [cls.load(path) for path in paths]
        if len({part.ids is None for part in parts}) > 1:
            raise ValueError(f"cannot mix transcribed and untranscribed splits: {paths}")
        return cls([m for p in parts for m in p.mels], [f for p in parts for f in p.f0s],
                   np.concatenate([p.dvecs for p in parts]), np.concatenate([p.speakers for p in parts]),
                   np.concatenate([p.paths for p in parts]), None if parts[0].ids is None else [x for p in parts for x in p.ids],
                   None if any(p.texts is None for p in parts) else np.concatenate([p.texts for p in parts]))

    @classmethod
    def empty(cls, transcribed: bool) -> "Split":
        return cls([], [], np.zeros((0, 256), np.float32), np.asarray([], str), np.asarray([], str),
                   [] if transcribed else None)

    def __len__(self) -> int:
        return len(self.mels)

    def items(self) -> list[dict]:
        """The utterances as prepare's item dicts (what pack() writes)."""
        out = []
        for i in range(len(self)):
            item = {"mel": self.mels[i], "f0": self.f0s[i], "dvec": self.dvecs[i],
                    "speaker": str(self.speakers[i]), "path": str(self.paths[i])}
            if self.ids is not None:
                item.update(ids=self.ids[i], text=str(self.texts[i]))
            out.append(item)
        return out


def read_npz(path: Path, mapped: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The arrays of an .npz that np.savez wrote; those named in ``mapped`` memory-mapped read-only
    (the big log-mel: processes on one machine then share one copy in the page cache), the rest read."""
    import zipfile

    with np.load(path, allow_pickle=False) as npz:
        data = {key: npz[key] for key in npz.files if key not in mapped}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        for key in mapped:
            info = archive.getinfo(f"{key}.npy")
            if info.compress_type != zipfile.ZIP_STORED:
                with np.load(path, allow_pickle=False) as npz:
                    data[key] = npz[key]
                continue
            handle.seek(info.header_offset + 26)  # the local header: name and extra field lengths
            name_len, extra_len = np.frombuffer(handle.read(4), "<u2")
            handle.seek(info.header_offset + 30 + int(name_len) + int(extra_len))
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            data[key] = np.memmap(path, dtype=dtype, mode="r", offset=handle.tell(), shape=shape,
                                  order="F" if fortran else "C")
    return data


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
    n, total, squares = 0, 0.0, 0.0  # one utterance at a time: the corpus need not fit in memory
    for mel in (m for s in splits for m in s.mels):
        n += mel.shape[1]
        total = total + mel.sum(1, dtype=np.float64)
        squares = squares + np.square(mel, dtype=np.float64).sum(1)
    mean = total / n
    std = np.sqrt(np.maximum(squares / n - mean**2, 0.0))
    f0 = np.concatenate([f for s in splits for f in s.f0s])
    lf = np.log(f0[f0 > 0])
    return {"mel_mean": mean.tolist(), "mel_std": np.maximum(std, 1e-3).tolist(),
            "logf0_mean": float(lf.mean()), "logf0_std": float(lf.std())}


class FrameSampler:
    """Which items each rank trains on at each step, the same on every rank and for any resume.

    A step's draw depends only on (seed, step, micro-batch): items are drawn at random (from one
    length bucket, chosen in proportion to its size, when ``buckets`` > 1: similar lengths pad
    less) until the world's frame budget is met, then dealt to the ranks longest first, each to the
    rank with the fewest frames so far, so ranks carry about equal frames. With one rank and one
    bucket this is the recipe's original draw: random items up to the frame budget.
    """

    def __init__(self, lengths: np.ndarray, frame_budget: int, world: int, seed: int, buckets: int = 1):
        self.lengths, self.budget, self.world, self.seed = np.asarray(lengths), frame_budget, world, seed
        order = np.argsort(self.lengths, kind="stable")
        self.buckets = [b for b in np.array_split(order, min(buckets, max(1, len(order)))) if len(b)]
        sizes = np.array([len(b) for b in self.buckets], float)
        self.weights = sizes / sizes.sum() if len(sizes) else sizes

    def draw(self, step: int, micro: int = 0) -> list[list[int]]:
        """Item indices for every rank at (step, micro-batch)."""
        rng = np.random.default_rng([self.seed, step, micro])
        bucket = self.buckets[int(rng.choice(len(self.buckets), p=self.weights))] if len(self.buckets) > 1 else self.buckets[0]
        chosen, total, goal = [], 0, self.budget * self.world
        while total < goal or len(chosen) < self.world:
            i = int(bucket[int(rng.integers(len(bucket)))])
            if len(chosen) >= self.world and total + self.lengths[i] > goal:
                break
            chosen.append(i)
            total += int(self.lengths[i])
        ranks: list[list[int]] = [[] for _ in range(self.world)]
        frames = [0] * self.world
        for i in sorted(chosen, key=lambda i: -self.lengths[i]):
            r = int(np.argmin(frames))
            ranks[r].append(i)
            frames[r] += int(self.lengths[i])
        return ranks


class Collator:
    """Padded tensors for a list of items; crops over-long auto-encoding items and picks each
    transcribed item's d-vector from another utterance of its speaker (as cloning conditions on
    another recording), with a generator the caller seeds."""

    def __init__(self, split: Split, max_frames: int, other_utterance_dvec: bool):
        self.split, self.max_frames, self.other = split, max_frames, other_utterance_dvec
        self.contours = [interpolate_logf0(f) for f in split.f0s]
        self.by_speaker: dict[str, list[int]] = {}
        for i, spk in enumerate(split.speakers):
            self.by_speaker.setdefault(str(spk), []).append(i)

    def lengths(self) -> np.ndarray:
        """Each item's frames as the batch budget counts them."""
        return np.array([min(m.shape[1], self.max_frames) for m in self.split.mels], np.int64)

    def _dvec(self, i: int, rng: np.random.Generator) -> np.ndarray:
        if not self.other:
            return self.split.dvecs[i]
        return self.split.dvecs[rng.choice(self.by_speaker[str(self.split.speakers[i])])]

    def __call__(self, chosen: list[int], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        mels, contours, means, stds = [], [], [], []
        for i in chosen:
            mel = self.split.mels[i]
            contour, mean, std = self.contours[i]
            if self.split.ids is None and mel.shape[1] > self.max_frames:  # crop auto-encoding items
                start = int(rng.integers(mel.shape[1] - self.max_frames + 1))
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
            "dvec": torch.from_numpy(np.stack([self._dvec(i, rng) for i in chosen])),
            "utt_logf0_mean": torch.tensor(means), "utt_logf0_std": torch.tensor(stds),
        }
        for k, (m, c) in enumerate(zip(mels, contours)):
            batch["mel"].numpy()[k, :, : m.shape[1]] = m  # m may be a read-only memory map
            batch["logf0"][k, : len(c)] = torch.from_numpy(c)
        if self.split.ids is not None:
            ids = [self.split.ids[i] for i in chosen]
            batch["ids"] = torch.zeros(len(chosen), max(len(x) for x in ids), dtype=torch.long)
            for k, x in enumerate(ids):
                batch["ids"][k, : len(x)] = torch.from_numpy(x)
            batch["text_lengths"] = torch.tensor([len(x) for x in ids])
        return batch
