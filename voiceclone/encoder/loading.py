"""Loading resemblyzer's GE2E weights into our SpeakerEncoder, once per device."""

from __future__ import annotations

import os
import textwrap
import threading
from functools import lru_cache
from pathlib import Path

import torch

from voiceclone.device import resolve_device
from voiceclone.encoder.model import SpeakerEncoder
from voiceclone.errors import VoiceCloneError, first_line
from voiceclone.hashing import file_sha256
from voiceclone.weights import package_file

WEIGHTS_PACKAGE = "resemblyzer"
WEIGHTS_FILE = "resemblyzer/pretrained.pt"

_cache: dict[tuple[str, str], SpeakerEncoder] = {}
_lock = threading.Lock()


def default_weights_path() -> Path:
    """resemblyzer/pretrained.pt inside the installed resemblyzer wheel (found via metadata only)."""
    return package_file(WEIGHTS_PACKAGE, WEIGHTS_FILE)


@lru_cache(maxsize=4)
def weights_version(path: Path) -> str:
    """'ge2e:' plus the first 16 hex digits of the weight file's SHA-256: names the embedding space."""
    return f"ge2e:{file_sha256(path)[:16]}"


def _bad_weights(path: Path, reason: str) -> VoiceCloneError:
    return VoiceCloneError(
        f"speaker encoder weights {path} are unusable ({reason}); "
        f"reinstall the package that provides them: pip install --force-reinstall {WEIGHTS_PACKAGE}"
    )


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The LSTM and linear tensors of a GE2E checkpoint, checked against SpeakerEncoder's shapes."""
    path = Path(path)
    if not path.is_file():
        raise _bad_weights(path, "file not found")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip, truncated pickle, disallowed globals...
        raise _bad_weights(path, f"cannot read: {textwrap.shorten(first_line(exc), 120, placeholder=' ...')}") from None
    state = checkpoint.get("model_state") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise _bad_weights(path, "no 'model_state' in the checkpoint")
    expected = SpeakerEncoder().state_dict()
    picked = {}
    for name, tensor in expected.items():
        value = state.get(name)
        if not isinstance(value, torch.Tensor) or value.shape != tensor.shape:
            raise _bad_weights(path, f"tensor '{name}' missing or of the wrong shape")
        if not torch.isfinite(value).all():
            raise _bad_weights(path, f"tensor '{name}' holds NaN or infinite values")
        picked[name] = value.float()
    return picked


def load_speaker_encoder(device: str | torch.device = "auto", weights: str | os.PathLike | None = None) -> SpeakerEncoder:
    """The GE2E encoder in eval mode on ``device`` ('auto', 'cpu', 'cuda'); loaded once and reused.

    ``weights`` defaults to resemblyzer's pretrained.pt. Raises VoiceCloneError (naming the
    package to install) when the file is missing or corrupt.
    """
    target = device if isinstance(device, torch.device) else resolve_device(device)
    path = Path(weights) if weights is not None else default_weights_path()
    key = (str(target), str(path.resolve()))
    with _lock:
        if key not in _cache:
            encoder = SpeakerEncoder()
            encoder.load_state_dict(read_state_dict(path))
            encoder.version = weights_version(path)
            _cache[key] = encoder.to(target).eval().requires_grad_(False)
        return _cache[key]
