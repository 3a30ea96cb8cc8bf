"""Whisper transcripts of the untranscribed clips of voices/, as a generic metadata table.

    python -m recipes.many_voices.transcribe --data ../shared/data --out runs/many_voices/voices.tsv

Writes ``path, speaker, text`` (paths relative to the table's folder, numbers spelled out by the
text front end): the ``tsv`` corpus kind of recipes/corpora.py. Rows are appended as clips finish,
so a stopped run resumes where it was, skipping the clips already in the table; clips whose
transcript is empty are listed at the end and left out.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from tqdm import tqdm

from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.rate import JUDGE_RATE
from voiceclone.evaluation.whisper import DEFAULT_MODEL, MODELS, WhisperConfig, WhisperRecogniser
from voiceclone.scripts import non_negative_int, run_main
from voiceclone.tables import audio_path, read_tsv
from voiceclone.text import TextFrontend

COLUMNS = ("path", "speaker", "text")


def done_paths(out: Path) -> set[str]:
    """Paths already in the table; a last line cut off by an interrupted run is dropped first."""
    if not out.is_file() or out.stat().st_size == 0:
        return set()
    text = out.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
        out.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    if not lines:
        return set()
    if tuple(lines[0].split("\t")) != COLUMNS:
        raise VoiceCloneError(f"{out}: not a table this recipe wrote (header is not {'/'.join(COLUMNS)}); "
                              f"move it away or choose another --out")
    return {line.split("\t", 1)[0] for line in lines[1:]}


def spoken_text(frontend: TextFrontend, transcript: str) -> str:
    """The transcript with numbers and abbreviations spelled out, on one line; '' if nothing speakable."""
    try:
        return " ".join(frontend.normalise(transcript).split()) if transcript.strip() else ""
    except VoiceCloneError:  # punctuation only
        return ""


def transcribe(data: Path, out: Path, model: str, threads: int) -> tuple[int, list[str]]:
    """Transcribe every clip of ``data``/voices not yet in ``out``; returns (rows written, empty clips)."""
    table = data / "voices" / "metadata.tsv"
    rows = read_tsv(table, ("path", "speaker"))
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_paths(out)
    todo = [(audio_path(table, row["path"], i), row["speaker"]) for i, row in enumerate(rows, 2)]
    todo = [(path, speaker) for path, speaker in todo
            if os.path.relpath(path.resolve(), out.parent.resolve()) not in done]
    written, empty = 0, []
    if not todo:
        return written, empty
    recogniser = WhisperRecogniser(WhisperConfig(model=model, cpu_threads=threads))
    frontend = TextFrontend()
    new = not out.is_file() or out.stat().st_size == 0
    with open(out, "a", encoding="utf-8") as handle:
        if new:
            handle.write("\t".join(COLUMNS) + "\n")
        for path, speaker in tqdm(todo, desc=f"whisper {model}", unit="clip"):
            text = spoken_text(frontend, recogniser.transcribe(load_audio(path, JUDGE_RATE, trim=False,
                                                                          normalise=False)))
            if not text:
                empty.append(str(path))
                continue
            handle.write(f"{os.path.relpath(path.resolve(), out.parent.resolve())}\t{speaker}\t{text}\n")
            handle.flush()
            written += 1
    return written, empty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (holds voices/metadata.tsv)")
    parser.add_argument("--out", type=Path, required=True, help="the table to write or complete")
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=non_negative_int, default=0, help="CPU threads (0: CTranslate2's default)")
    args = parser.parse_args()
    start = time.perf_counter()
    written, empty = transcribe(args.data, args.out, args.model, args.threads)
    for path in empty:
        print(f"empty transcript, skipped: {path}")
    print(f"{written} clips transcribed into {args.out} in {time.perf_counter() - start:.0f} s"
          f" ({len(empty)} empty, skipped)")


if __name__ == "__main__":
    run_main(main)
