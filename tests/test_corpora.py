"""The corpus readers on tiny fixtures written here in each layout, and recipes.prepare over shards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import make_speechlike

from recipes.corpora import parse_corpus, read_corpora, read_libritts, read_ljspeech, read_metadata_tsv, read_vctk
from recipes.prepare import merge, prepare
from voiceclone.errors import VoiceCloneError


def _wav(path: Path, seconds: float, sr: int = 22050, seed: int = 0, fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, make_speechlike(sr, seconds, seed), sr, format=fmt)


def _durations(listing) -> dict[str, float]:
    return {u.path.name: round(u.duration(), 3) for u in listing.utterances}


def test_ljspeech(tmp_path: Path) -> None:
    _wav(tmp_path / "wavs" / "LJ001-0001.wav", 1.5)
    _wav(tmp_path / "wavs" / "LJ001-0002.wav", 2.0, seed=1)
    (tmp_path / "metadata.csv").write_text("LJ001-0001|Dr. Smith paid 3 dollars.|Doctor Smith paid three dollars.\n"
                                           "LJ001-0002|Printing, in the only sense.|\n"
                                           "LJ001-0003|No audio for this one.|No audio for this one.\n"
                                           "garbage line\n")
    listing = read_ljspeech(tmp_path)
    assert [(u.speaker, u.text) for u in listing.utterances] == [("LJ", "Doctor Smith paid three dollars."),
                                                                 ("LJ", "Printing, in the only sense.")]
    assert _durations(listing) == {"LJ001-0001.wav": 1.5, "LJ001-0002.wav": 2.0}
    assert [reason for _, reason in listing.problems] == ["listed in metadata.csv, no such file", "not an id|text line"]


def test_vctk_both_microphones_and_a_speaker_without_transcripts(tmp_path: Path) -> None:
    for speaker, n, seconds in (("p225", 1, 1.0), ("p225", 2, 1.25), ("p226", 1, 2.0)):
        (tmp_path / "txt" / speaker).mkdir(parents=True, exist_ok=True)
        (tmp_path / "txt" / speaker / f"{speaker}_{n:03d}.txt").write_text(f"Please call {speaker} {n}.\n")
        for mic in ("mic1", "mic2"):
            _wav(tmp_path / "wav48_silence_trimmed" / speaker / f"{speaker}_{n:03d}_{mic}.flac", seconds, 48000, n, "FLAC")
    _wav(tmp_path / "wav48_silence_trimmed" / "p315" / "p315_001_mic1.flac", 1.0, 48000, fmt="FLAC")
    (tmp_path / "txt" / "p226" / "p226_002.txt").write_text("No recording.\n")
    listing = read_vctk(tmp_path)
    assert [(u.speaker, u.text) for u in listing.utterances] == [("p225", "Please call p225 1."), ("p225", "Please call p225 2."),
                                                                 ("p226", "Please call p226 1.")]
    assert _durations(listing) == {"p225_001_mic1.flac": 1.0, "p225_002_mic1.flac": 1.25, "p226_001_mic1.flac": 2.0}
    assert sorted(Path(p).name for p, _ in listing.problems) == ["p226_002_mic1.flac", "p315"]
    assert all(u.path.name.endswith("_mic2.flac") for u in read_corpora([f"vctk-mic2={tmp_path}"]).utterances)


def test_libritts_with_splits(tmp_path: Path) -> None:
    for split, speaker, chapter, n, seconds in (("train-clean-100", "19", "198", 0, 1.0),
                                                ("train-clean-100", "19", "198", 1, 1.5),
                                                ("train-clean-360", "84", "121123", 0, 2.0)):
        stem = f"{speaker}_{chapter}_000000_{n:06d}"
        folder = tmp_path / split / speaker / chapter
        _wav(folder / f"{stem}.wav", seconds, 24000, n)
        (folder / f"{stem}.normalized.txt").write_text(f"Chapter {chapter}, line {n}.")
        (folder / f"{stem}.original.txt").write_text("ignored")
    _wav(tmp_path / "train-clean-360" / "84" / "121123" / "84_121123_000000_000009.wav", 1.0, 24000)
    listing = read_libritts(tmp_path)
    assert [(u.speaker, u.text) for u in listing.utterances] == [("19", "Chapter 198, line 0."), ("19", "Chapter 198, line 1."),
                                                                 ("84", "Chapter 121123, line 0.")]
    assert list(_durations(listing).values()) == [1.0, 1.5, 2.0]
    assert [(Path(p).name, r) for p, r in listing.problems] == [("84_121123_000000_000009.wav", "no .normalized.txt beside it")]
    assert len(read_libritts(tmp_path / "train-clean-360").utterances) == 1  # one split's folder works too


def test_generic_metadata_tsv(tmp_path: Path) -> None:
    _wav(tmp_path / "a" / "one.wav", 1.0)
    _wav(tmp_path / "two.flac", 3.0, 16000, fmt="FLAC")
    (tmp_path / "metadata.tsv").write_text("path\tspeaker\ttext\textra\na/one.wav\tann\tHello there.\tx\n"
                                           "two.flac\tbob\t\tx\nmissing.wav\tbob\tGone.\tx\n")
    listing = read_metadata_tsv(tmp_path)  # the folder or the table itself
    assert [(u.speaker, u.text) for u in listing.utterances] == [("ann", "Hello there."), ("bob", "")]
    assert _durations(listing) == {"one.wav": 1.0, "two.flac": 3.0}
    assert listing.problems == [(str(tmp_path / "missing.wav"), "listed in the table, no such file")]
    assert read_metadata_tsv(tmp_path / "metadata.tsv").utterances == listing.utterances


def test_corpus_specs_are_checked() -> None:
    assert parse_corpus("libritts=/x") == ("libritts", Path("/x"))
    for bad in ("libritts", "nope=/x", "vctk="):
        with pytest.raises(VoiceCloneError, match="KIND=PATH"):
            parse_corpus(bad)
    with pytest.raises(VoiceCloneError, match="no metadata.csv"):
        read_corpora(["ljspeech=/nonexistent"])


def test_prepare_over_shards_equals_one_process_and_lists_bad_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    rows = ["path\tspeaker\ttext"]
    for i, (seconds, text) in enumerate(((1.6, "Hello there."), (2.0, "A second line."), (1.2, "Third."),
                                         (3.0, ""), (1.4, "Fifth one."))):
        _wav(corpus / f"u{i}.wav", seconds, 22050, i)
        rows.append(f"u{i}.wav\t{'ab'[i % 2]}\t{text}")
    (corpus / "bad.wav").write_bytes(b"not audio at all")
    _wav(corpus / "silent.wav", 1.0)
    sf.write(corpus / "silent.wav", np.zeros(22050, np.float32), 22050)
    rows += ["bad.wav\ta\tBroken.", "silent.wav\tb\tQuiet.", "gone.wav\ta\tMissing."]
    (corpus / "metadata.tsv").write_text("\n".join(rows) + "\n")
    spec = [f"tsv={corpus}"]

    whole = prepare(spec, tmp_path / "one", workers=1)
    for i in range(2):
        prepare(spec, tmp_path / "sharded", workers=1, shard=(i, 2))
    merged = merge(tmp_path / "sharded")
    assert merged == whole
    assert whole["transcribed"] == 4 and whole["voice_halves"] == 2 and whole["problems"] == 3
    for split in ("text", "voices"):
        with np.load(tmp_path / "one" / f"{split}.npz") as a, np.load(tmp_path / "sharded" / f"{split}.npz") as b:
            assert sorted(a.files) == sorted(b.files)
            for key in a.files:
                assert np.array_equal(a[key], b[key]), (split, key)
    with np.load(tmp_path / "one" / "text.npz") as text:
        assert text["speaker"].tolist() == ["tsv:a", "tsv:b", "tsv:a", "tsv:a"]
        assert text["text"].tolist()[0] == "Hello there."
    problems = (tmp_path / "one" / "problems.tsv").read_text()
    assert (tmp_path / "sharded" / "problems.tsv").read_text() == problems
    assert "bad.wav" in problems and "silent.wav" in problems and "gone.wav" in problems
    counts = [json.loads((tmp_path / "sharded" / f"shard-{i}-of-2" / "summary.json").read_text())["transcribed"] for i in range(2)]
    assert sum(counts) == 4 and min(counts) >= 1


def test_prepared_log_mel_is_memory_mapped_and_statistics_stream(tmp_path: Path) -> None:
    from recipes.dataset import Split, statistics
    from recipes.shared_data.prepare import pack

    rng = np.random.default_rng(0)
    items = [{"mel": rng.normal(-5, 2, (80, n)).astype(np.float32), "f0": np.full(n, 100.0 + n, np.float32),
              "dvec": np.zeros(256, np.float32), "speaker": "s", "path": f"u{n}"} for n in (30, 45, 60)]
    pack(items, tmp_path / "voices.npz")
    split = Split.load(tmp_path / "voices.npz")
    assert isinstance(split.mels[0].base, np.memmap) or isinstance(split.mels[0], np.memmap)
    assert all(np.array_equal(a["mel"], b) for a, b in zip(items, split.mels))
    frames = np.concatenate([it["mel"] for it in items], axis=1).astype(np.float64)
    stats = statistics([split])
    assert np.allclose(stats["mel_mean"], frames.mean(1), atol=1e-9) and np.allclose(stats["mel_std"], frames.std(1), atol=1e-6)


def test_prepare_in_process_gives_back_the_callers_threads(tmp_path):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        corpus = tmp_path / "corpus"
        _wav(corpus / "u0.wav", 1.6)
        (corpus / "metadata.tsv").write_text("path\tspeaker\ttext\nu0.wav\ta\tHello there.\n")
        prepare([f"tsv={corpus}"], tmp_path / "out", workers=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_shared_metadata_takes_voice_transcripts_from_a_table(data_dir, tmp_path):
    from recipes.shared_data.metadata import read_transcripts, training_rows
    from voiceclone.tables import read_tsv as read_table, write_tsv as write_table

    voices = read_table(data_dir / "voices" / "metadata.tsv", ("path", "speaker"))
    table = tmp_path / "whisper.tsv"
    write_table(table, ("path", "speaker", "text"),
                [(str((data_dir / "voices" / row["path"]).resolve()), row["speaker"], f"words of {row['speaker']}")
                 for row in voices])
    plain = training_rows(data_dir, tmp_path / "out.tsv")
    filled = training_rows(data_dir, tmp_path / "out.tsv", read_transcripts(table))
    assert [r[:2] for r in plain] == [r[:2] for r in filled]  # same utterances, dev speakers still left out
    changed = [(a, b) for a, b in zip(plain, filled) if a[2] != b[2]]
    assert changed and all(a[2] == "" and b[2] == f"words of {b[1]}" for a, b in changed)
    assert len(changed) == sum(1 for r in plain if r[2] == "")
