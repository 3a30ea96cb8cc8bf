"""The one exception type users see: its message is a complete, one-line explanation."""


class VoiceCloneError(Exception):
    """A problem with the user's input or environment, explained in one line.

    The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for these.
    """


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or its type's name when it has none: the cause a one-line
    VoiceCloneError quotes from a library's exception."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
