"""Prepare ../shared/data for acoustic-model training: features cached in one .npz per split.

For every utterance outside the development split (see voiceclone.references.dev_split):
the vocoder log-mel (our numba front end), YIN F0 on the same frames, a GE2E d-vector, and,
for transcribed speech, phoneme ids from the text front end. Untranscribed voices are cut in
two halves whose d-vectors are stored separately, so training can condition each half on the
other (as cloning conditions on a different recording).

    python -m recipes.shared_data.prepare --data ../shared/data --out runs/prep

With --warps the same utterances are written again, each played faster or slower by one factor
drawn from the list (pitch, formants and tempo all scale together, as when a recording is
resampled): new voices for the decoder to learn from, each with as much transcribed speech as the
voice it was made from. A warped utterance's speaker is "speaker@factor", so conditioning stays
within one warped voice. Train on both folders: train.py --prep runs/prep runs/prep_warp.

    python -m recipes.shared_data.prepare --out runs/prep_warp --warps 0.84,0.88,0.92,1.08,1.13,1.18
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recipes.shared_data import add_data_argument
from voiceclone.audio import load_audio, resample
from voiceclone.encoder import embed_batch, load_speaker_encoder
from voiceclone.encoder.reference import condition_reference
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.features.pitch import yin_f0
from voiceclone.references import dev_split
from voiceclone.scripts import non_negative_int, positive_int, run_main
from voiceclone.tables import read_tsv
from voiceclone.text import DEFAULT_TABLE, TextFrontend

SR = VOCODER_MEL.sample_rate


def warp(audio: np.ndarray, factor: float) -> np.ndarray:
    """``audio`` played ``factor`` times faster: every frequency scaled by ``factor``, duration divided by it."""
    return resample(audio, SR, int(round(SR / factor)))


class Warper:
    """Per utterance, one factor from ``factors`` (seeded), or none when the list is empty."""

    def __init__(self, factors: list[float], seed: int = 0):
        self.factors, self.rng = factors, np.random.default_rng(seed)

    def __call__(self, audio: np.ndarray, speaker: str, path: str) -> tuple[np.ndarray, str, str]:
        if not self.factors:
            return audio, speaker, path
        factor = float(self.factors[int(self.rng.integers(len(self.factors)))])
        return warp(audio, factor), f"{speaker}@{factor:g}", f"{path}@{factor:g}"


def encoder_input(audio: np.ndarray) -> np.ndarray:
    """22.05 kHz audio as the speaker encoder wants it (16 kHz, speech-trimmed); plain resample if too short."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return condition_reference(audio, SR).audio
        except VoiceCloneError:
            return resample(audio, SR, 16000)


def embed_items(encoder, items: list[dict], audios: list[np.ndarray], per_speaker: int,
                rng: np.random.Generator, batch: int = 48) -> None:
    """Set item["dvec"]; with ``per_speaker`` > 0 only that many utterances per speaker are embedded
    and the speaker's other utterances borrow one of those (the encoder is the slow step)."""
    chosen: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        chosen.setdefault(item["speaker"], []).append(i)
    todo = sorted(i for idx in chosen.values()
                  for i in (idx if per_speaker <= 0 else rng.permutation(idx)[:per_speaker].tolist()))
    for first in tqdm(range(0, len(todo), batch), desc="d-vectors", unit="batch"):
        part = todo[first:first + batch]
        for i, dvec in zip(part, embed_batch(encoder, [encoder_input(audios[i]) for i in part])):
            items[i]["dvec"] = dvec
    for idx in chosen.values():
        done = [i for i in idx if "dvec" in items[i]]
        for i in idx:
            if "dvec" not in items[i]:
                items[i]["dvec"] = items[int(rng.choice(done))]["dvec"]


def pack(items: list[dict], path: Path) -> None:
    """Concatenate variable-length arrays with offsets into one .npz (no pickles)."""
    def offsets(key: str, axis: int = -1) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([it[key].shape[axis] for it in items])]).astype(np.int64)

    out = {
        "mel": np.concatenate([it["mel"] for it in items], axis=1).astype(np.float32),
        "mel_offsets": offsets("mel"),
        "f0": np.concatenate([it["f0"] for it in items]).astype(np.float32),
        "dvec": np.stack([it["dvec"] for it in items]).astype(np.float32),
        "speaker": np.asarray([it["speaker"] for it in items]),
        "path": np.asarray([it["path"] for it in items]),
    }
    if "ids" in items[0]:
        out["ids"] = np.concatenate([it["ids"] for it in items]).astype(np.int64)
        out["ids_offsets"] = offsets("ids")
        out["text"] = np.asarray([it["text"] for it in items])
    np.savez(path, **out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(parser, "tts/ and voices/")
    parser.add_argument("--out", type=Path, default=Path("runs/prep"))
    parser.add_argument("--limit", type=non_negative_int, default=0, help="at most this many utterances per split (0: all)")
    parser.add_argument("--dvecs-per-speaker", type=non_negative_int, default=60,
                        help="embed at most this many utterances per transcribed speaker (0: all)")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="torch threads; 1 avoids OpenMP stalls when other work shares the cores")
    parser.add_argument("--warps", default="",
                        help="comma-separated speed factors, e.g. 0.84,0.88,0.92,1.08,1.13,1.18: write every "
                             "utterance warped by one of them instead (speaker augmentation); empty: as recorded")
    args = parser.parse_args()
    try:
        factors = [float(f) for f in args.warps.split(",") if f.strip()]
    except ValueError:
        parser.error(f"--warps takes comma-separated numbers, got {args.warps!r}")
    if any(not 0.5 <= f <= 2.0 for f in factors):
        parser.error(f"--warps factors must lie between 0.5 and 2.0, got {args.warps!r}")
    warper = Warper(factors)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    held_speakers = {ref.speaker for ref in dev_split(args.data)}  # every utterance of these stays out
    encoder = load_speaker_encoder("cpu")
    frontend = TextFrontend()

    text_root = args.data / "tts"
    text_rows = [r for r in read_tsv(text_root / "metadata.tsv", ("path", "speaker", "text"))
                 if r["speaker"] not in held_speakers]
    voices = [r for r in read_tsv(args.data / "voices" / "metadata.tsv", ("path", "speaker"))
              if r["speaker"] not in held_speakers]
    if args.limit:
        text_rows, voices = text_rows[: args.limit], voices[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)  # once the tables have read: a bad --data leaves no empty folder

    text_items, skipped, encoder_inputs = [], 0, []
    for row in tqdm(text_rows, desc="transcribed", unit="utt"):
        audio, speaker, path = warper(load_audio(text_root / row["path"], SR), row["speaker"], row["path"])
        mel = mel_spectrogram(audio, VOCODER_MEL)
        ids = np.asarray(frontend.encode(row["text"], DEFAULT_TABLE), dtype=np.int64)
        if mel.shape[1] < len(ids) + 2:
            skipped += 1
            continue
        text_items.append({"mel": mel, "f0": yin_f0(audio)[: mel.shape[1]], "ids": ids,
                           "speaker": speaker, "path": path, "text": row["text"]})
        encoder_inputs.append(audio)
    embed_items(encoder, text_items, encoder_inputs, args.dvecs_per_speaker, rng)
    pack(text_items, args.out / "text.npz")

    ae_items, encoder_inputs = [], []
    for row in tqdm(voices, desc="untranscribed", unit="utt"):
        audio, speaker, path = warper(load_audio(args.data / "voices" / row["path"], SR), row["speaker"], row["path"])
        half = len(audio) // 2
        halves = [audio[:half], audio[half:]]
        if min(len(h) for h in halves) < SR:  # under a second per half: too little to learn from
            continue
        for i, part in enumerate(halves):
            mel = mel_spectrogram(part, VOCODER_MEL)
            ae_items.append({"mel": mel, "f0": yin_f0(part)[: mel.shape[1]],
                             "speaker": speaker, "path": f"{path}#{i}"})
            encoder_inputs.append(part)
    embed_items(encoder, ae_items, encoder_inputs, 0, rng)
    for first, second in zip(ae_items[0::2], ae_items[1::2]):  # condition each half on the other half
        first["dvec"], second["dvec"] = second["dvec"], first["dvec"]
    pack(ae_items, args.out / "voices.npz")

    summary = {"transcribed": len(text_items),
               "text_speakers": len({it["speaker"] for it in text_items}),
               "voices_speakers": len({it["speaker"] for it in ae_items}), "skipped_too_short": skipped, "voice_halves": len(ae_items),
               "held_out_speakers": sorted(held_speakers), "phoneme_table_version": DEFAULT_TABLE.version, "warps": warper.factors,
               "text_minutes": sum(it["mel"].shape[1] for it in text_items) * VOCODER_MEL.hop_length / SR / 60,
               "voice_minutes": sum(it["mel"].shape[1] for it in ae_items) * VOCODER_MEL.hop_length / SR / 60}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "held_out_speakers"}, indent=2))


if __name__ == "__main__":
    run_main(main)
