"""A synthetic multi-speaker corpus with exact transcripts: Kokoro-82M voices reading the shared sentence lists.

    npm pack kokoro-js@1.2.1                       # the voice packs (26.9 MB), once
    python -m recipes.many_voices.synthesise --voices kokoro-js-1.2.1.tgz --out runs/many_voices/synthetic

Three steps, each resumable and idempotent (run the same command again to continue):
1. choose the voices (``voices.json``; probes cached in ``probes.jsonl``): see ``recipes.many_voices.voices``;
2. speak sentences in each voice until it has its minutes (packs ``--pack-minutes``, blends ``--blend-minutes``):
   ``<voice>/<n>.flac`` (mono 16-bit at the acoustic model's 22.05 kHz) and ``<voice>/utterances.tsv``, one
   row appended per finished file. Every voice first gets the blends' minutes, then the packs are topped up,
   so a corpus stopped early still has every voice. ``--shard i/n`` takes every n-th voice from the i-th;
3. write ``metadata.tsv`` (the training voices) and ``heldout.tsv`` (voices kept out of training), in the
   generic layout ``recipes.prepare --corpus tsv=...`` reads, plus source and licence columns.

The transcripts are exact by construction: sentences with digits are left out, so nothing is read in a way
the text differs from; quotation marks are dropped. All of it is synthetic speech and is labelled so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from recipes.many_voices.kokoro import LEFT_OUT_PACKS, KokoroSpeaker, read_voice_packs
from recipes.many_voices.voices import ProbeJudge, SelectionConfig, VoiceEntry, select_voices
from recipes.prepare import parse_shard
from voiceclone.atomic import atomic_write
from voiceclone.scripts import run_main
from voiceclone.tables import write_tsv

OUTPUT_RATE = 22050
SOURCE = "kokoro-82m (synthetic)"
LICENSE = "Apache-2.0 (Kokoro-82M weights and voice packs); texts public domain (LJ Speech) and CC-BY-4.0 (VCTK)"
SENTENCE_FILES = ("ljspeech_sentences.txt", "vctk_sentences.txt")
_SPEAKABLE = re.compile(r"^[A-Za-z][A-Za-z ,.;:'!?()-]*$")


@dataclass(frozen=True)
class CorpusConfig:
    """How much speech each voice gets, and how sentences are chosen."""

    pack_minutes: float = 4.0
    blend_minutes: float = 1.5
    min_words: int = 4
    max_words: int = 25
    seed: int = 0


def sentence_pool(text_dir: Path, config: CorpusConfig) -> list[str]:
    """Sentences of the shared lists that read exactly as written: no digits, plain punctuation, 4-25 words."""
    pool = []
    for name in SENTENCE_FILES:
        for line in (text_dir / name).read_text(encoding="utf-8").splitlines():
            text = " ".join(line.replace('"', " ").split())
            if _SPEAKABLE.match(text) and config.min_words <= len(text.split()) <= config.max_words:
                pool.append(text)
    return sorted(set(pool))


def _voice_seed(name: str, seed: int) -> int:
    return int(hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:12], 16)


@dataclass
class VoiceProgress:
    """What a voice folder already holds: its rows (n, file, seconds, text) and their total length."""

    folder: Path
    rows: list[tuple[int, str, float, str]]

    @classmethod
    def read(cls, folder: Path) -> "VoiceProgress":
        table = folder / "utterances.tsv"
        rows = []
        if table.is_file():
            for line in table.read_text(encoding="utf-8").splitlines():
                n, name, seconds, text = line.split("\t")
                if (folder / name).is_file():
                    rows.append((int(n), name, float(seconds), text))
        return cls(folder, rows)

    @property
    def seconds(self) -> float:
        return sum(r[2] for r in self.rows)

    @property
    def next_index(self) -> int:
        return max((r[0] for r in self.rows), default=-1) + 1

    def append(self, n: int, audio: np.ndarray, text: str) -> None:
        name = f"{n:04d}.flac"
        atomic_write(self.folder / name, lambda tmp: sf.write(tmp, audio, OUTPUT_RATE, subtype="PCM_16", format="FLAC"))
        seconds = len(audio) / OUTPUT_RATE
        with open(self.folder / "utterances.tsv", "a", encoding="utf-8") as f:
            f.write(f"{n}\t{name}\t{seconds:.3f}\t{text}\n")
            f.flush()
            os.fsync(f.fileno())
        self.rows.append((n, name, seconds, text))


def speak_voice(speaker: KokoroSpeaker, packs: dict, entry: VoiceEntry, pool: list[str], folder: Path,
                target_seconds: float, config: CorpusConfig, progress: tqdm) -> None:
    """Add utterances to a voice's folder until it holds ``target_seconds`` of speech."""
    folder.mkdir(parents=True, exist_ok=True)
    done = VoiceProgress.read(folder)
    rng = np.random.default_rng(_voice_seed(entry.recipe.name, config.seed))
    order = rng.permutation(len(pool))
    speed = 1.0 if entry.kind == "pack" else float(rng.uniform(0.92, 1.08))  # blends also vary in tempo
    style = entry.recipe.style(packs)
    n = done.next_index
    while done.seconds < target_seconds:
        text = pool[order[n % len(order)]]
        audio = speaker.speak(entry.recipe, style, text, OUTPUT_RATE, speed)
        if len(audio) > OUTPUT_RATE // 2:
            done.append(n, np.clip(audio, -1.0, 1.0), text)
            progress.update(len(audio) / OUTPUT_RATE / 60)
        n += 1


def write_tables(out: Path, voices: list[VoiceEntry]) -> dict[str, float]:
    """metadata.tsv (training voices) and heldout.tsv; returns minutes per split."""
    columns = ("path", "speaker", "text", "source", "license", "voice", "duration_s")
    minutes = {}
    for split, table in (("train", "metadata.tsv"), ("heldout", "heldout.tsv")):
        rows = []
        for entry in voices:
            if entry.split != split:
                continue
            for _, name, seconds, text in VoiceProgress.read(out / entry.recipe.name).rows:
                rows.append((f"{entry.recipe.name}/{name}", entry.recipe.name, text, SOURCE, LICENSE,
                             entry.recipe.describe(), f"{seconds:.3f}"))
        if rows:
            write_tsv(out / table, columns, rows)
        minutes[split] = sum(float(r[-1]) for r in rows) / 60
    return minutes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--voices", type=Path, required=True, help="kokoro-js-1.2.1.tgz (npm pack kokoro-js@1.2.1)")
    parser.add_argument("--out", type=Path, default=Path("runs/many_voices/synthetic"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data (its text/ lists)")
    parser.add_argument("--pack-minutes", type=float, default=CorpusConfig.pack_minutes)
    parser.add_argument("--blend-minutes", type=float, default=CorpusConfig.blend_minutes)
    parser.add_argument("--blends", type=int, default=SelectionConfig.blends, help="how many blended voices to find")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model")
    parser.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/n: speak every n-th voice from the i-th")
    parser.add_argument("--candidates", type=int, default=SelectionConfig.candidates, help="the most candidates to probe")
    parser.add_argument("--asr", choices=("pocketsphinx", "whisper"), default=SelectionConfig.asr,
                        help="the probe's intelligibility judge")
    parser.add_argument("--max-wer", type=float, default=SelectionConfig.max_wer, help="the probe's highest word error rate")
    parser.add_argument("--more-voices", action="store_true",
                        help="keep the voices chosen before and look for more, up to --blends beyond the English packs")
    parser.add_argument("--select-only", action="store_true", help="choose the voices, then stop")
    run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> None:
    out, cache = args.out, args.out / "cache"
    corpus = CorpusConfig(pack_minutes=args.pack_minutes, blend_minutes=args.blend_minutes)
    selection = SelectionConfig(blends=args.blends, candidates=args.candidates, asr=args.asr, max_wer=args.max_wer)
    packs = read_voice_packs(args.voices)  # before anything is written: a wrong tarball leaves no folder
    cache.mkdir(parents=True, exist_ok=True)
    speaker = KokoroSpeaker(cache, args.threads)

    voices_file = out / "voices.json"
    chosen = None
    if voices_file.is_file():
        record = json.loads(voices_file.read_text())
        chosen = [VoiceEntry.from_json(row) for row in record["voices"]]
    if chosen is None or args.more_voices:
        voices = select_voices(ProbeJudge(speaker, packs, selection.asr), selection, out / "probes.jsonl", chosen)
        selections = (record.get("selections", [record["selection"]]) if chosen else []) + [asdict(selection)]
        record = {"selections": selections, "left_out_packs": LEFT_OUT_PACKS, "voices": [v.to_json() for v in voices]}
        atomic_write(voices_file, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1)))
    else:
        voices = chosen
    kinds = {k: sum(v.kind == k for v in voices) for k in ("pack", "blend")}
    print(f"{len(voices)} voices ({kinds['pack']} single packs, {kinds['blend']} blends), "
          f"{sum(v.split == 'heldout' for v in voices)} held out of training")
    if args.select_only:
        return

    pool = sentence_pool(args.data / "text", corpus)
    i, n = args.shard
    mine = voices[i::n]
    budget = {v.recipe.name: 60 * (corpus.pack_minutes if v.kind == "pack" else corpus.blend_minutes) for v in mine}
    total = sum(budget.values()) / 60
    with tqdm(total=round(total, 1), desc="speaking", unit="min", bar_format="{l_bar}{bar}| {n:.1f}/{total} min [{elapsed}<{remaining}]") as progress:
        progress.update(sum(min(VoiceProgress.read(out / v.recipe.name).seconds, budget[v.recipe.name]) for v in mine) / 60)
        for first_pass in (True, False):  # every voice gets the blends' minutes before packs are topped up
            for entry in mine:
                target = budget[entry.recipe.name]
                if first_pass:
                    target = min(target, 60 * corpus.blend_minutes)
                speak_voice(speaker, packs, entry, pool, out / entry.recipe.name, target, corpus, progress)
    minutes = write_tables(out, voices)
    print(f"metadata.tsv: {minutes['train']:.1f} min of training voices; heldout.tsv: {minutes['heldout']:.1f} min")


if __name__ == "__main__":
    run_main(main)
