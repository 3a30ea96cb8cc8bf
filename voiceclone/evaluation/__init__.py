"""Evaluation harness: judge real speech, copy-synthesis, our clones, a peer TTS or any folder of outputs.

Judges (all offline, loaded once): pocketsphinx WER/CER, Whisper WER, GE2E speaker similarity and identification,
pYIN pitch distance, DNSMOS. `evaluate(EvalConfig(...))` runs a mode and writes JSON, Markdown and plots.
"""

from voiceclone.evaluation.data import read_sentences
from voiceclone.evaluation.runner import MODES, SYSTEMS, EvalConfig, System, evaluate
from voiceclone.evaluation.scoring import Judges, summarise
from voiceclone.references import Reference, dev_split, read_references, write_references

__all__ = [
    "MODES",
    "SYSTEMS",
    "EvalConfig",
    "Judges",
    "Reference",
    "System",
    "dev_split",
    "evaluate",
    "read_references",
    "read_sentences",
    "summarise",
    "write_references",
]
