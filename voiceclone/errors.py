"""The one exception type users see: its message is a complete, one-line explanation."""


class VoiceCloneError(Exception):
    """A problem with the user's input or environment, explained in one line.

    The CLI prints ``str(error)`` and exits non-zero; it never shows a traceback for these.
    """
