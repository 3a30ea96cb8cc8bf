"""Writing output files atomically: a temporary file in the target folder, then a rename.

A reader never sees a half-written file, a failed write leaves any old file in place, and
every failure is one VoiceCloneError naming the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from voiceclone.errors import VoiceCloneError, first_line


def _default_mode() -> int:
    """Permissions a plain open() would give a new file (mkstemp's are owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_output_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path if a file can be created there; a VoiceCloneError saying why not otherwise.

    Cheap, so commands call it before long work: a bad output path fails at once, not after synthesis.
    """
    path = Path(path)
    folder = path.parent  # Path("x").parent is Path(".")
    if path.is_dir():
        raise VoiceCloneError(f"{path}: is a folder; give a file name to write")
    if folder.exists() and not folder.is_dir():
        raise VoiceCloneError(f"{path}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise VoiceCloneError(f"{path}: output folder {folder} does not exist")
    return path


def _reason(exc: Exception) -> str:
    """A short cause for a failed write; an OSError's own message without the temporary file's name."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return first_line(exc)


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then move the result to ``path``."""
    path = check_output_path(path)
    folder = path.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise VoiceCloneError(f"{path}: cannot write to {folder} ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except VoiceCloneError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise VoiceCloneError(f"{path}: cannot write ({_reason(exc)})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def save_npy(path: str | os.PathLike, array) -> Path:
    """Save a NumPy array as .npy atomically."""
    import numpy as np

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, array)

    return atomic_write(path, write)
