"""Prepare any mix of corpora for training, in parallel and in shards: the format recipes.train reads.

    python -m recipes.prepare --corpus libritts=/data/LibriTTS_R --corpus vctk=/data/VCTK-Corpus-0.92 \\
        --out runs/prep_big --workers 16 [--shard 3/8]
    python -m recipes.prepare --out runs/prep_big --merge      # once every shard is done (optional)

Corpus kinds: see recipes/corpora.py (ljspeech, vctk, vctk-mic2, libritts, tsv). For every
utterance: the vocoder log-mel, YIN F0 on the same frames, its own GE2E d-vector, and phoneme ids
for transcribed speech; untranscribed rows of a ``tsv`` corpus are cut in halves, each conditioned
on the other half's d-vector, as recipes/shared_data/prepare.py does. Speakers are named
``<kind>:<speaker>`` so that corpora never share one by accident.

Each utterance is prepared on its own, so the result does not depend on --workers or --shard:
``--shard i/n`` prepares the utterances whose position in the sorted listing is i modulo n and
writes them to ``<out>/shard-i-of-n/``; the trainer reads those folders as they are
(``--prep runs/prep_big/shard-*``), or ``--merge`` joins them into ``<out>`` exactly as one process
would have written it. Files that cannot be used (missing, unreadable, silent, too short for their
text) are listed in ``problems.tsv`` with the reason and skipped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recipes.corpora import Utterance, read_corpora, write_problems
from recipes.shared_data.prepare import SR, encoder_input, pack
from voiceclone.errors import VoiceCloneError, first_line
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.features.pitch import yin_f0
from voiceclone.scripts import non_negative_int, positive_int, run_main
from voiceclone.text import DEFAULT_TABLE

SPLITS = ("text", "voices")
_WORKER: dict = {}


def _init_worker() -> None:
    from voiceclone.encoder import load_speaker_encoder
    from voiceclone.text import TextFrontend

    torch.set_num_threads(1)
    _WORKER.update(encoder=load_speaker_encoder("cpu"), frontend=TextFrontend())


def _features(audio: np.ndarray) -> dict:
    from voiceclone.encoder import embed_batch

    mel = mel_spectrogram(audio, VOCODER_MEL)
    return {"mel": mel, "f0": yin_f0(audio)[: mel.shape[1]],
            "dvec": embed_batch(_WORKER["encoder"], [encoder_input(audio)])[0]}


def prepare_utterance(utt: Utterance) -> tuple[str, list[dict]] | tuple[str, str]:
    """("text" | "voices", items) for one utterance, or ("problem", reason)."""
    from voiceclone.audio import load_audio

    speaker, key = f"{utt.corpus}:{utt.speaker}", utt.key
    try:
        audio = load_audio(utt.path, SR)
        if utt.text:
            ids = np.asarray(_WORKER["frontend"].encode(utt.text, DEFAULT_TABLE), dtype=np.int64)
            item = {**_features(audio), "ids": ids, "text": utt.text, "speaker": speaker, "path": key}
            if item["mel"].shape[1] < len(ids) + 2:
                return "problem", f"too short for its text ({item['mel'].shape[1]} frames, {len(ids)} phonemes)"
            return "text", [item]
        half = len(audio) // 2
        if half < SR:
            return "problem", "untranscribed and under 2 s: too little to cut in halves"
        halves = [{**_features(part), "speaker": speaker, "path": f"{key}#{i}"}
                  for i, part in enumerate((audio[:half], audio[half:]))]
        halves[0]["dvec"], halves[1]["dvec"] = halves[1]["dvec"], halves[0]["dvec"]  # each half on the other's
        return "voices", halves
    except VoiceCloneError as exc:
        return "problem", first_line(exc)
    except Exception as exc:  # a damaged file must not end an hour of work
        return "problem", f"{type(exc).__name__}: {first_line(exc)[:200]}"


def parse_shard(text: str) -> tuple[int, int]:
    """``i/n`` with 0 <= i < n."""
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not int(match[1]) < int(match[2]):
        raise argparse.ArgumentTypeError(f"--shard takes i/n with 0 <= i < n, e.g. 0/4; got {text!r}")
    return int(match[1]), int(match[2])


def summarise(items: dict[str, list[dict]], problems: list[tuple[str, str]], corpora: list[str]) -> dict:
    """The counts export.py and people read (summary.json)."""
    minutes = {k: sum(it["mel"].shape[1] for it in v) * VOCODER_MEL.hop_length / SR / 60 for k, v in items.items()}
    return {"transcribed": len(items["text"]), "text_speakers": len({it["speaker"] for it in items["text"]}),
            "voices_speakers": len({it["speaker"] for it in items["voices"]}), "voice_halves": len(items["voices"]),
            "skipped_too_short": sum("too short" in reason for _, reason in problems), "problems": len(problems),
            "text_minutes": minutes["text"], "voice_minutes": minutes["voices"], "held_out_speakers": [],
            "phoneme_table_version": DEFAULT_TABLE.version, "warps": [], "corpora": corpora}


def write_prepared(folder: Path, items: dict[str, list[dict]], problems: list[tuple[str, str]],
                   corpora: list[str]) -> dict:
    """text.npz, voices.npz (where there is such speech), problems.tsv and summary.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        items[split].sort(key=lambda it: it["path"])
        if items[split]:
            pack(items[split], folder / f"{split}.npz")
    write_problems(folder / "problems.tsv", sorted(problems))
    summary = summarise(items, problems, corpora)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def prepare(corpora: list[str], out: Path, workers: int = 1, shard: tuple[int, int] = (0, 1),
            limit: int = 0) -> dict:
    """Read the corpora, prepare this shard's utterances over ``workers`` processes, write the folder."""
    listing = read_corpora(corpora)
    todo = listing.utterances[: limit or None][shard[0]::shard[1]]
    problems = list(listing.problems) if shard[0] == 0 else []  # the listing's own problems: reported once
    items: dict[str, list[dict]] = {split: [] for split in SPLITS}
    threads = torch.get_num_threads()  # an in-process run works on one thread, as each worker does, then gives them back
    if workers == 1:
        _init_worker()
        results = map(prepare_utterance, todo)
        pool = None
    else:
        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker)
        results = pool.imap(prepare_utterance, todo, chunksize=8)
    try:
        for utt, (kind, result) in tqdm(zip(todo, results), total=len(todo), desc="preparing", unit="utt"):
            if kind == "problem":
                problems.append((str(utt.path), result))
            else:
                items[kind] += result
    finally:
        torch.set_num_threads(threads)
        if pool is not None:
            pool.close()
            pool.join()
    folder = out if shard[1] == 1 else out / f"shard-{shard[0]}-of-{shard[1]}"
    return write_prepared(folder, items, problems, corpora)


def merge(out: Path) -> dict:
    """Join ``out/shard-*-of-n/`` into ``out``: the files one process would have written."""
    from recipes.dataset import Split

    shards = sorted(out.glob("shard-*-of-*"))
    counts = {int(p.name.rsplit("-", 1)[1]) for p in shards}
    if len(counts) != 1 or len(shards) != counts.pop():
        raise VoiceCloneError(f"{out}: the shard folders are incomplete or of different counts: {[p.name for p in shards]}")
    items: dict[str, list[dict]] = {split: [] for split in SPLITS}
    problems, corpora = [], []
    for folder in shards:
        for split in SPLITS:
            if (folder / f"{split}.npz").is_file():
                items[split] += Split.load(folder / f"{split}.npz").items()
        problems += [tuple(line.split("\t", 1)) for line in (folder / "problems.tsv").read_text().splitlines()[1:]]
        corpora = json.loads((folder / "summary.json").read_text())["corpora"]
    return write_prepared(out, items, problems, corpora)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", default=[], metavar="KIND=PATH",
                        help="a corpus to read (repeat for several): ljspeech, vctk, vctk-mic2, libritts or tsv")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=positive_int, default=1, help="processes preparing utterances")
    parser.add_argument("--shard", type=parse_shard, default=(0, 1), metavar="I/N",
                        help="prepare only shard I of N (0-based), into OUT/shard-I-of-N/")
    parser.add_argument("--limit", type=non_negative_int, default=0, help="only the first this many utterances (0: all)")
    parser.add_argument("--merge", action="store_true", help="join OUT/shard-*-of-N/ into OUT and stop")
    args = parser.parse_args()
    if args.merge:
        summary = merge(args.out)
    elif not args.corpus:
        parser.error("give at least one --corpus KIND=PATH (or --merge)")
    else:
        summary = prepare(args.corpus, args.out, args.workers, args.shard, args.limit)
    print(json.dumps({k: v for k, v in summary.items() if k != "held_out_speakers"}, indent=2))


if __name__ == "__main__":
    run_main(main)
