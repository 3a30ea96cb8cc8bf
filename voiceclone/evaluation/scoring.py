"""Scoring one output against its text and target speaker with every judge, and aggregating rows."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voiceclone.audio import normalise_level, resample, trim_silence
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.asr import Recogniser, error_counts
from voiceclone.evaluation.dnsmos import DnsMos
from voiceclone.evaluation.pitch import median_f0, semitone_distance, voiced_f0
from voiceclone.evaluation.rate import JUDGE_RATE
from voiceclone.evaluation.similarity import SpeakerBank, SpeakerEncoderJudge
from voiceclone.evaluation.whisper import INSTALL_HINT, WhisperRecogniser, missing

JUDGE_LEVEL_DBFS = -20.0
"""Every judge listens at one RMS level, as at one rate (``JUDGE_RATE``). DNSMOS depends on it (benchmarks/dnsmos_level.py measures how much)."""


def condition(audio: np.ndarray, sample_rate: int, level_dbfs: float = JUDGE_LEVEL_DBFS) -> np.ndarray:
    """What the judges hear: 16 kHz, edge silence trimmed, at ``level_dbfs`` RMS, the same for every system."""
    audio = resample(np.asarray(audio, dtype=np.float32), sample_rate, JUDGE_RATE)
    trimmed = trim_silence(audio, JUDGE_RATE)
    return normalise_level(trimmed if len(trimmed) else audio, level_dbfs)


def load_whisper() -> WhisperRecogniser | None:
    """The Whisper judge (on the CPU), or None with one warning when faster-whisper or its model is not installed."""
    absent = missing()
    if absent:
        warnings.warn(f"Whisper WER skipped: {', '.join(absent)} not installed; run: {INSTALL_HINT}", stacklevel=2)
        return None
    return WhisperRecogniser()


class Judges:
    """All judges, loaded once: pocketsphinx and Whisper ASR, the GE2E speaker encoder and DNSMOS."""

    def __init__(self, device: str = "auto") -> None:
        self.asr = Recogniser()
        self.whisper = load_whisper()
        self.speaker = SpeakerEncoderJudge(device)
        self.mos = DnsMos()


@dataclass
class Candidate:
    """One output to judge: its audio, what it should say and whose voice it should have."""

    system: str
    key: str
    """Identifies the audio: candidates sharing a key share their audio and its audio-level scores."""
    speaker: str
    text: str | None
    reference: int | None
    """Row of the speaker bank the output was made from, when known."""
    audio: np.ndarray
    sample_rate: int
    synth_seconds: float | None = None
    probe: np.ndarray | None = None
    """16 kHz audio for the speaker and pitch judges when not the whole output (real mode: its second half)."""


@dataclass
class _AudioScores:
    hypothesis: str
    whisper_hypothesis: str | None
    embedding: np.ndarray
    f0_hz: float | None
    mos: dict[str, float]
    duration_s: float


@dataclass
class Scorer:
    """Scores candidates against a bank of real reference recordings (16 kHz audio, one per bank row)."""

    judges: Judges
    bank: SpeakerBank
    speaker_f0: dict[str, float | None]
    _cache: dict[str, _AudioScores] = field(default_factory=dict)

    @classmethod
    def build(cls, judges: Judges, paths: Sequence[Path], speakers: Sequence[str],
              audio16k: Sequence[np.ndarray]) -> Scorer:
        """Embed the references and find each speaker's median F0 over all their real speech."""
        bank = SpeakerBank(paths, speakers, judges.speaker.embed(audio16k))
        tracks: dict[str, list[np.ndarray]] = {}
        for speaker, audio in zip(speakers, audio16k):
            tracks.setdefault(speaker, []).append(voiced_f0(audio))
        return cls(judges, bank, {speaker: median_f0(t) for speaker, t in tracks.items()})

    def _audio_scores(self, candidate: Candidate) -> _AudioScores:
        cached = self._cache.get(candidate.key)
        if cached is not None:
            return cached
        heard = condition(candidate.audio, candidate.sample_rate)
        probe = heard if candidate.probe is None else candidate.probe
        scores = _AudioScores(
            hypothesis=self.judges.asr.transcribe(heard),
            whisper_hypothesis=self.judges.whisper.transcribe(heard) if self.judges.whisper is not None else None,
            embedding=self.judges.speaker.embed([probe])[0],
            f0_hz=median_f0([voiced_f0(probe)]),
            mos=self.judges.mos.score(heard),
            duration_s=len(candidate.audio) / candidate.sample_rate,
        )
        self._cache[candidate.key] = scores
        return scores

    def score(self, candidate: Candidate) -> dict:
        """One result row: every per-utterance metric (None where it does not apply)."""
        s = self._audio_scores(candidate)
        counts = error_counts(candidate.text, s.hypothesis) if candidate.text else None
        whisper = (error_counts(candidate.text, s.whisper_hypothesis)
                   if candidate.text and s.whisper_hypothesis is not None else None)
        known = candidate.speaker in self.bank.names
        identified = self.bank.identify(s.embedding)
        target_f0 = self.speaker_f0.get(candidate.speaker)
        ref = candidate.reference
        return {
            "system": candidate.system,
            "key": candidate.key,
            "speaker": candidate.speaker,
            "reference": str(self.bank.paths[ref]) if ref is not None else None,
            "text": candidate.text,
            "hypothesis": s.hypothesis,
            "wer": counts.wer if counts else None,
            "cer": counts.cer if counts else None,
            "word_errors": counts.word_errors if counts else None,
            "words": counts.words if counts else None,
            "char_errors": counts.char_errors if counts else None,
            "chars": counts.chars if counts else None,
            "whisper_hypothesis": s.whisper_hypothesis,
            "whisper_wer": whisper.wer if whisper else None,
            "whisper_word_errors": whisper.word_errors if whisper else None,
            "whisper_words": whisper.words if whisper else None,
            "secs_ref": self.bank.secs_reference(s.embedding, ref) if ref is not None else None,
            "secs_speaker": self.bank.secs_speaker(s.embedding, candidate.speaker, ref) if known else None,
            "identified_as": identified,
            "speaker_id_correct": (identified == candidate.speaker) if known else None,
            "f0_hz": s.f0_hz,
            "target_f0_hz": target_f0,
            "pitch_distance_st": (
                semitone_distance(s.f0_hz, target_f0) if s.f0_hz is not None and target_f0 is not None else None
            ),
            "dnsmos_ovrl": s.mos["ovrl"],
            "dnsmos_sig": s.mos["sig"],
            "dnsmos_bak": s.mos["bak"],
            "duration_s": s.duration_s,
            "synth_s": candidate.synth_seconds,
            "rtf": candidate.synth_seconds / s.duration_s if candidate.synth_seconds is not None else None,
        }


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _ratio(num: list, den: list) -> float | None:
    pairs = [(n, d) for n, d in zip(num, den) if n is not None and d]
    return sum(n for n, _ in pairs) / sum(d for _, d in pairs) if pairs else None


def summarise(rows: Sequence[dict]) -> dict[str, dict]:
    """Aggregates per system: corpus WER/CER and Whisper WER (errors over reference words), means of the rest."""
    summary = {}
    for system in dict.fromkeys(row["system"] for row in rows):
        part = [row for row in rows if row["system"] == system]
        col = {key: [row[key] for row in part] for key in part[0]}
        ids = [c for c in col["speaker_id_correct"] if c is not None]
        pitch = [p for p in col["pitch_distance_st"] if p is not None]
        synth = [s for s in col["synth_s"] if s is not None]
        summary[system] = {
            "utterances": len(part),
            "speakers": len(set(col["speaker"])),
            "wer": _ratio(col["word_errors"], col["words"]),
            "cer": _ratio(col["char_errors"], col["chars"]),
            "whisper_wer": _ratio(col["whisper_word_errors"], col["whisper_words"]),
            "wer_utterances": sum(w is not None for w in col["wer"]),
            "secs_ref": _mean(col["secs_ref"]),
            "secs_speaker": _mean(col["secs_speaker"]),
            "speaker_id_accuracy": float(np.mean(ids)) if ids else None,
            "pitch_distance_st": _mean(pitch),
            "pitch_distance_st_median": float(np.median(pitch)) if pitch else None,
            "dnsmos_ovrl": _mean(col["dnsmos_ovrl"]),
            "dnsmos_sig": _mean(col["dnsmos_sig"]),
            "dnsmos_bak": _mean(col["dnsmos_bak"]),
            "duration_s": float(sum(col["duration_s"])),
            "rtf": (sum(synth) / sum(d for d, s in zip(col["duration_s"], col["synth_s"]) if s is not None))
            if synth else None,
        }
    return summary


def peer_wer_on_same_sentences(rows: Sequence[dict], peer_rows: Sequence[dict]) -> float | None:
    """The peer's corpus WER on exactly the sentences ``rows`` spoke, each as often as there.

    Corpus WER depends on which sentences were spoken; a system that spoke two sentences per
    voice is compared fairly only with the peer's errors on those same sentences. Each sentence's
    peer errors and words are averaged over the peer's renderings of it. Raises VoiceCloneError
    when the peer never spoke one of the sentences.
    """
    peer: dict[str, list[tuple[int, int]]] = {}
    for row in peer_rows:
        if row.get("words"):
            peer.setdefault(row["text"], []).append((row["word_errors"], row["words"]))
    errors = words = 0.0
    for row in rows:
        if not row.get("words"):
            continue
        if row["text"] not in peer:
            raise VoiceCloneError(f"the peer results hold no rendering of the sentence {row['text']!r}; run "
                                  f"--mode peer with the same --sentences")
        renderings = peer[row["text"]]
        errors += sum(e for e, _ in renderings) / len(renderings)
        words += sum(w for _, w in renderings) / len(renderings)
    return errors / words if words else None
