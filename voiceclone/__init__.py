"""voiceclone: offline voice cloning and speech synthesis.

    import voiceclone
    vc = voiceclone.VoiceCloner(device="auto")
    audio, sr = vc.speak("Hello there.", vc.voice("ref.wav"))
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("voiceclone")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

from voiceclone.errors import VoiceCloneError

__all__ = ["SpeakOptions", "Voice", "VoiceCloneError", "VoiceCloner", "__version__"]


def __getattr__(name: str):
    """Import the pipeline (and torch) only when it is used, so `voiceclone --help` stays quick."""
    if name in ("VoiceCloner", "SpeakOptions"):
        from voiceclone import pipeline

        return getattr(pipeline, name)
    if name == "Voice":
        from voiceclone.voice import Voice

        return Voice
    raise AttributeError(f"module 'voiceclone' has no attribute {name!r}")
