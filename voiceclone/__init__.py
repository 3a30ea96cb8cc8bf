"""voiceclone: offline voice cloning and speech synthesis."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("voiceclone")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

from voiceclone.errors import VoiceCloneError

__all__ = ["VoiceCloneError", "__version__"]
