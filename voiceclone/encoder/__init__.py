"""Speaker encoder: GE2E embeddings of reference audio, and voice profiles built from them."""

from voiceclone.encoder.embedding import embed_batch, embed_utterance
from voiceclone.encoder.loading import load_speaker_encoder
from voiceclone.encoder.model import EncoderConfig, SpeakerEncoder
from voiceclone.encoder.profile import VoiceProfile, build_profile, combine_profiles, load_voice
from voiceclone.encoder.reference import ReferenceWarning, prepare_reference

__all__ = [
    "EncoderConfig",
    "ReferenceWarning",
    "SpeakerEncoder",
    "VoiceProfile",
    "build_profile",
    "combine_profiles",
    "embed_batch",
    "embed_utterance",
    "load_speaker_encoder",
    "load_voice",
    "prepare_reference",
]
