"""Readers for the speech corpus layouts people train on, each giving the same list of utterances.

- ``ljspeech``: ``metadata.csv`` (``id|text|normalized text``) and ``wavs/<id>.wav``; one speaker, ``LJ``.
- ``vctk``: VCTK 0.92, ``txt/<speaker>/<speaker>_<n>.txt`` and
  ``wav48_silence_trimmed/<speaker>/<speaker>_<n>_mic1.flac`` (``mic2`` with ``vctk-mic2``).
- ``libritts``: LibriTTS and LibriTTS-R, ``[<split>/]<speaker>/<chapter>/<id>.wav`` beside ``<id>.normalized.txt``;
  the folder given may hold several splits or be one split.
- ``tsv``: a generic ``metadata.tsv`` with the columns ``path``, ``speaker`` and ``text``, paths relative to the
  table's folder (or absolute); an empty ``text`` marks untranscribed speech, trained through the
  auto-encoding path.

A reader lists what it can use and, separately, what it cannot (a transcript without audio, audio
without a transcript, an unreadable line) with the reason: problems are reported, never fatal.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from voiceclone.errors import VoiceCloneError
from voiceclone.tables import read_tsv


@dataclass(frozen=True)
class Utterance:
    """One recording: its corpus kind, audio file, speaker (unique within the corpus), text ("" if untranscribed)."""

    corpus: str
    path: Path
    speaker: str
    text: str

    @property
    def key(self) -> str:
        """A stable id across machines and shards: the corpus kind and the file's path."""
        return f"{self.corpus}:{self.path.as_posix()}"

    def duration(self) -> float:
        """The recording's length in seconds, from its header."""
        return float(sf.info(str(self.path)).duration)


@dataclass
class Listing:
    """What a reader found: usable utterances, and (path, reason) for everything it had to leave out."""

    utterances: list[Utterance]
    problems: list[tuple[str, str]]


def _need_dir(root: Path, *names: str) -> None:
    for name in names:
        if not (root / name).exists():
            raise VoiceCloneError(f"{root}: no {name} here; is it the right corpus folder?")


def read_ljspeech(root: Path) -> Listing:
    """LJSpeech-1.1: the normalised text (third column) where given, else the text as written."""
    _need_dir(root, "metadata.csv", "wavs")
    found, problems = [], []
    lines = (root / "metadata.csv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        fields = line.split("|")
        if len(fields) < 2 or not fields[0].strip():
            problems.append((f"{root / 'metadata.csv'}:{number}", "not an id|text line"))
            continue
        text = (fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]).strip()
        wav = root / "wavs" / f"{fields[0].strip()}.wav"
        if not wav.is_file():
            problems.append((str(wav), "listed in metadata.csv, no such file"))
        elif not text:
            problems.append((str(wav), "empty text"))
        else:
            found.append(Utterance("ljspeech", wav, "LJ", text))
    return Listing(found, problems)


def read_vctk(root: Path, mic: str = "mic1") -> Listing:
    """VCTK 0.92: one microphone's FLAC per transcript; speakers without transcripts (p315) are listed as problems."""
    _need_dir(root, "txt", "wav48_silence_trimmed")
    found, problems = [], []
    audio_root = root / "wav48_silence_trimmed"
    for txt in sorted((root / "txt").glob("*/*.txt")):
        flac = audio_root / txt.parent.name / f"{txt.stem}_{mic}.flac"
        text = txt.read_text(encoding="utf-8", errors="replace").strip()
        if not flac.is_file():
            problems.append((str(flac), f"transcript {txt.name} has no {mic} recording"))
        elif not text:
            problems.append((str(txt), "empty transcript"))
        else:
            found.append(Utterance("vctk", flac, txt.parent.name, text))
    for speaker in sorted(p for p in audio_root.iterdir() if p.is_dir()):
        if not (root / "txt" / speaker.name).is_dir():
            problems.append((str(speaker), "no transcripts for this speaker"))
    return Listing(found, problems)


def read_libritts(root: Path) -> Listing:
    """LibriTTS / LibriTTS-R: every ``*.wav`` with its ``.normalized.txt``; the speaker is the path's third-last part."""
    if not root.is_dir():
        raise VoiceCloneError(f"{root}: no such corpus folder")
    found, problems = [], []
    wavs = sorted(root.rglob("*.wav"))
    if not wavs:
        raise VoiceCloneError(f"{root}: no <speaker>/<chapter>/*.wav files here; is it a LibriTTS folder?")
    for wav in wavs:
        txt = wav.with_name(wav.stem + ".normalized.txt")
        if not txt.is_file():
            problems.append((str(wav), "no .normalized.txt beside it"))
            continue
        text = txt.read_text(encoding="utf-8", errors="replace").strip()
        if not text:
            problems.append((str(txt), "empty transcript"))
        else:
            found.append(Utterance("libritts", wav, wav.parent.parent.name, text))
    return Listing(found, problems)


def read_metadata_tsv(table: Path) -> Listing:
    """A generic ``metadata.tsv`` (path, speaker, text; other columns ignored), or a folder holding one."""
    table = table / "metadata.tsv" if table.is_dir() else table
    found, problems = [], []
    for number, row in enumerate(read_tsv(table, ("path", "speaker")), 2):
        path, speaker = (row.get("path") or "").strip(), (row.get("speaker") or "").strip()
        if not path or not speaker:
            problems.append((f"{table}:{number}", "no path or speaker"))
            continue
        audio = table.parent / path
        if not audio.is_file():
            problems.append((str(audio), "listed in the table, no such file"))
        else:
            found.append(Utterance("tsv", audio, speaker, (row.get("text") or "").strip()))
    return Listing(found, problems)


READERS: dict[str, Callable[[Path], Listing]] = {
    "ljspeech": read_ljspeech,
    "vctk": read_vctk,
    "vctk-mic2": lambda root: read_vctk(root, "mic2"),
    "libritts": read_libritts,
    "tsv": read_metadata_tsv,
}


def parse_corpus(spec: str) -> tuple[str, Path]:
    """``KIND=PATH`` (e.g. ``libritts=/data/LibriTTS_R``) as (kind, path); a VoiceCloneError for an unknown kind."""
    kind, sep, path = spec.partition("=")
    if not sep or not path or kind not in READERS:
        raise VoiceCloneError(f"--corpus takes KIND=PATH with KIND one of {', '.join(READERS)}; got {spec!r}")
    return kind, Path(path)


def read_corpora(specs: list[str]) -> Listing:
    """Every corpus in ``specs`` (``KIND=PATH``), in one listing sorted by utterance key."""
    found, problems = [], []
    for spec in specs:
        kind, path = parse_corpus(spec)
        listing = READERS[kind](path)
        found += listing.utterances
        problems += listing.problems
    keys = [u.key for u in found]
    if len(set(keys)) != len(keys):
        raise VoiceCloneError("the same recording is listed twice; give each corpus once")
    return Listing(sorted(found, key=lambda u: u.key), problems)


def write_problems(path: Path, problems: list[tuple[str, str]]) -> None:
    """The left-out files and why, one tab-separated line each."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["path", "reason"])
        writer.writerows(problems)
