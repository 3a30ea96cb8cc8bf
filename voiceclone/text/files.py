"""Reading the text files users give (sentences to speak, evaluation tables)."""

from __future__ import annotations

import os
from pathlib import Path

from voiceclone.errors import VoiceCloneError


def read_text_file(path: str | os.PathLike) -> str:
    """A UTF-8 text file's contents, a leading byte-order mark dropped (editors on Windows write one).

    Raises a one-line VoiceCloneError when the file cannot be read or is not UTF-8 (UTF-16, binary).
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise VoiceCloneError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise VoiceCloneError(f"{path}: cannot read ({exc.strerror or exc})") from None
