"""Speaker encoder: GE2E embeddings of reference audio (voice profiles are ``voiceclone.voice``)."""

from voiceclone.encoder.embedding import embed_batch, embed_utterance
from voiceclone.encoder.loading import load_speaker_encoder
from voiceclone.encoder.model import EncoderConfig, SpeakerEncoder
from voiceclone.encoder.reference import ReferenceWarning, prepare_reference

__all__ = [
    "EncoderConfig",
    "ReferenceWarning",
    "SpeakerEncoder",
    "embed_batch",
    "embed_utterance",
    "load_speaker_encoder",
    "prepare_reference",
]
