"""The one exception type users see: its message is a complete, one-line explanation; and warnings
shown the same way, one line each."""

import sys


class VoiceCloneError(Exception):
    """A problem with the user's input or environment, explained in one line.

    The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for these.
    """


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or its type's name when it has none: the cause a one-line
    VoiceCloneError quotes from a library's exception."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def show_warning_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: object = None, line: str | None = None) -> None:
    """``warnings.showwarning`` for commands and scripts: ``warning: <message>`` on stderr, as errors are
    shown, without the source file and line that Python's default display adds."""
    print(f"warning: {message}", file=sys.stderr)
