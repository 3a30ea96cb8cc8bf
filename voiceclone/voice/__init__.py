"""Everything about a voice: its profile (build, load, save) and matching synthesis to it."""

from voiceclone.voice.build import build_voice, combine_voices, load_voice
from voiceclone.voice.config import DEFAULT_MATCH, MatchConfig
from voiceclone.voice.matcher import VoiceMatcher
from voiceclone.voice.profile import Voice

__all__ = ["DEFAULT_MATCH", "MatchConfig", "Voice", "VoiceMatcher", "build_voice", "combine_voices", "load_voice"]
