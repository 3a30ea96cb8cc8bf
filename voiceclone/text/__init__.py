"""English text front end: normalisation, G2P to a versioned phoneme table, chunking of long text."""

from voiceclone.text.table import DEFAULT_TABLE, PhonemeTable

__all__ = ["DEFAULT_TABLE", "PhonemeTable", "TextFrontend"]


def __getattr__(name: str):
    """``TextFrontend`` loads on first use: it needs hibari's G2P, which the phoneme table (all that
    loading a checkpoint or training on prepared data needs) does not."""
    if name == "TextFrontend":
        from voiceclone.text.frontend import TextFrontend

        return TextFrontend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
