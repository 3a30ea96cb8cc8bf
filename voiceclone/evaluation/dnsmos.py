"""Quality judge: DNSMOS P.835 (OVRL, SIG, BAK) through the speechmos package's bundled ONNX models."""

from __future__ import annotations

import os

import numpy as np

from voiceclone.weights import package_file
from voiceclone.evaluation.rate import JUDGE_RATE


class DnsMos:
    """Non-intrusive MOS estimates of a 16 kHz signal (clips shorter than 9 s are looped, as DNSMOS does)."""

    sample_rate = JUDGE_RATE

    def __init__(self) -> None:
        from speechmos.dnsmos import DNSMOS

        models = package_file("speechmos", "speechmos/dnsmos_models/sig_bak_ovr.onnx").parent
        self._model = DNSMOS(os.fspath(models / "sig_bak_ovr.onnx"), os.fspath(models / "model_v8.onnx"))

    def score(self, audio16k: np.ndarray) -> dict[str, float]:
        """{'ovrl', 'sig', 'bak'} on the 1-5 MOS scale."""
        clip = np.clip(np.asarray(audio16k, dtype=np.float32), -1.0, 1.0)
        result = self._model(clip, self.sample_rate, False)
        return {"ovrl": float(result["ovrl_mos"]), "sig": float(result["sig_mos"]), "bak": float(result["bak_mos"])}
