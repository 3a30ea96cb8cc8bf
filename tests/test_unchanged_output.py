"""Restructuring must not change what voiceclone says: the samples of a fixed text, in the built-in
voice and in a fixed cloned voice, through speak, batch and vocode, against those recorded before
(tests/data/golden_synthesis.npz, fp32 vocoder on CPU; the reference is hibari-tts's bundled voice,
tests/data/golden_reference.flac). Recorded by the code before the package was reorganised, and
the speech samples again for the acoustic checkpoint of step 37339.

If an intended change to the sound makes these fail, record them again and say why in the commit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voiceclone.pipeline import VoiceCloner

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "golden_reference.flac"
TEXT = "Good morning, everyone."
TOLERANCE = 1e-5
PCM16 = 1 / 32768
"""Files are 16-bit: one step of quantisation, on top of the tolerance."""
VOICECLONE = str(Path(sys.executable).with_name("voiceclone"))


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(DATA / "golden_synthesis.npz") as arrays:
        return dict(arrays)


@pytest.fixture(scope="module")
def cloner() -> VoiceCloner:
    return VoiceCloner(device="cpu", precision="fp32")


def _max_difference(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_speak_in_the_built_in_and_a_cloned_voice(cloner, golden):
    builtin, _ = cloner.speak(TEXT)
    cloned, _ = cloner.speak(TEXT, cloner.voice(REFERENCE))
    assert _max_difference(builtin, golden["builtin"]) <= TOLERANCE
    assert _max_difference(cloned, golden["cloned"]) <= TOLERANCE


def test_batch_writes_what_speak_says(golden, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text(f"{TEXT}\n\n{TEXT}\n")
    subprocess.run([VOICECLONE, "speak", "--ref", str(REFERENCE), "--text-file", str(lines), "--out-dir",
                    str(tmp_path / "clips"), "--device", "cpu", "--precision", "fp32"], check=True, capture_output=True)
    for name in ("0001.wav", "0002.wav"):
        audio, _ = sf.read(tmp_path / "clips" / name, dtype="float32")
        assert _max_difference(audio, golden["cloned"]) <= PCM16 + TOLERANCE


def test_vocode(golden, tmp_path):
    subprocess.run([VOICECLONE, "vocode", str(REFERENCE), "-o", str(tmp_path / "copy.wav"), "--device", "cpu",
                    "--precision", "fp32"], check=True, capture_output=True)
    audio, _ = sf.read(tmp_path / "copy.wav", dtype="float32")
    assert _max_difference(audio, golden["vocoded"]) <= TOLERANCE
