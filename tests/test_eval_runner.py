"""Evaluation modes end to end on a few real utterances, with a fake cloner injected; peer; CLI errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation import EvalConfig, Judges, evaluate
from voiceclone.evaluation.data import read_sentences
from voiceclone.evaluation.asr import error_counts
from voiceclone.evaluation.peer import PiperPeer
from voiceclone.evaluation.runner import assign_sentences, select_references
from voiceclone.evaluation.scoring import condition, peer_wer_on_same_sentences

TIMING = ("synth_s", "rtf", "audio_path")


@pytest.fixture(scope="module")
def judges() -> Judges:
    return Judges("cpu")


@pytest.fixture
def refs_table(tmp_path, tts_rows) -> Path:
    """Two utterances of p225 and one of p226, with transcripts."""
    picked = [r for r in tts_rows if r["speaker"] == "vctk_p225"][:2]
    picked += [next(r for r in tts_rows if r["speaker"] == "vctk_p226")]
    table = tmp_path / "refs.tsv"
    table.write_text("path\tspeaker\ttext\n" + "".join(f"{r['path']}\t{r['speaker']}\t{r['text']}\n" for r in picked))
    return table


def parrot(text: str, reference: Path):
    """A fake 'perfect cloner' that ignores the text and returns its reference recording."""
    return load_audio(reference, 22050), 22050


def test_clone_mode_with_an_injected_synthesiser_writes_a_complete_repeatable_report(tmp_path, refs_table, judges):
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("The first sentence.\nThe second sentence.\nThe third one.\n")
    config = EvalConfig(mode="clone", out=tmp_path / "run", refs=refs_table, sentences=sentences,
                        sentences_per_voice=1, save_audio=True, progress=False)
    result = evaluate(config, judges=judges, synthesise=parrot)
    rows = result["rows"]
    assert len(rows) == 3 and len({r["text"] for r in rows}) == 3
    for row in rows:  # the output is the reference itself
        assert row["secs_ref"] > 0.99 and row["speaker_id_correct"] and row["pitch_distance_st"] < 0.5
        assert row["wer"] > 0.5 and row["rtf"] is not None
    p225 = [r for r in rows if r["speaker"] == "vctk_p225"]
    assert all(r["secs_speaker"] is not None for r in p225)
    assert all(r["secs_speaker"] is None for r in rows if r["speaker"] != "vctk_p225")
    summary = result["summary"]["voiceclone"]
    assert summary["utterances"] == 3 and summary["speaker_id_accuracy"] == 1.0
    for name in ("results.json", "summary.md", "secs_per_speaker.png", "mels.png", "audio/metadata.tsv"):
        assert (config.out / name).is_file(), name
    saved = json.loads((config.out / "results.json").read_text())
    assert saved["summary"]["voiceclone"]["wer"] == pytest.approx(summary["wer"])
    assert "| voiceclone |" in (config.out / "summary.md").read_text()
    assert saved["config"]["precision"] == "auto" and saved["vocoder_dtype"] in ("float32", "bfloat16")
    assert f"Vocoder arithmetic: {saved['vocoder_dtype']}" in (config.out / "summary.md").read_text()

    # run again, with the first run as the "peer": its WER on the same sentences is this run's own
    again = evaluate(EvalConfig(**{**config.__dict__, "out": tmp_path / "again", "save_audio": False,
                                   "peer_results": config.out / "results.json"}), judges=judges, synthesise=parrot)
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k not in TIMING} for r in again["rows"]]
    assert again["summary"]["voiceclone"]["peer_wer_same_sentences"] == pytest.approx(summary["wer"])
    assert "peer_wer_same_sentences" not in summary

    # the saved (16-bit) outputs, judged as a folder from any system, score the same
    judged = evaluate(EvalConfig(mode="dir", out=tmp_path / "dir", refs=refs_table,
                                 outputs=config.out / "audio" / "metadata.tsv", plots=False, progress=False),
                      judges=judges)
    key = ("speaker", "reference", "text")
    assert [[r[k] for k in key] for r in judged["rows"]] == [[r[k] for k in key] for r in rows]
    assert [r["secs_ref"] for r in judged["rows"]] == pytest.approx([r["secs_ref"] for r in rows], abs=0.01)
    assert [r["dnsmos_ovrl"] for r in judged["rows"]] == pytest.approx([r["dnsmos_ovrl"] for r in rows], abs=0.1)


def test_real_mode_judges_the_recordings_against_their_transcripts(tmp_path, refs_table, judges):
    result = evaluate(EvalConfig(mode="real", out=tmp_path, refs=refs_table, plots=False, progress=False),
                      judges=judges)
    summary = result["summary"]["real"]
    assert summary["utterances"] == 3 and summary["wer_utterances"] == 3
    rows = result["rows"]
    for row in rows:  # each transcript fits its own recording better than another's
        other = next(r["text"] for r in rows if r["text"] != row["text"])
        assert row["wer"] < error_counts(other, row["hypothesis"]).wer
    # half of a recording against its other half: same speaker, different words
    assert all(0.6 < r["secs_ref"] < 0.999 for r in result["rows"])


def test_piper_peer_speaks_offline_and_intelligibly(judges):
    text, other = "We walked home together after the game was over.", "The doctor told him to rest for a few days."
    audio, sr = PiperPeer().synthesise(text)
    assert sr == 22050 and len(audio) > sr
    hypothesis = judges.asr.transcribe(condition(audio, sr))
    assert error_counts(text, hypothesis).wer < min(0.5, error_counts(other, hypothesis).wer), hypothesis


def test_selection_is_seeded_and_rotates_sentences():
    assert select_references(list(range(10)), 3, seed=0) == select_references(list(range(10)), 3, seed=0)
    assert select_references(list(range(10)), 0, seed=0) == list(range(10))
    picked = assign_sentences(4, 6, per_voice=3, seed=1)
    assert all(len(p) == 3 for p in picked)
    assert sorted(picked[0] + picked[1]) == list(range(6))  # consecutive voices take fresh sentences
    assert assign_sentences(2, 5, per_voice=0, seed=0) == [list(range(5))] * 2


def test_peer_wer_counts_the_peer_on_exactly_the_sentences_spoken():
    def row(text, errors, words):
        return {"text": text, "word_errors": errors, "words": words}

    ours = [row("a", 0, 10), row("a", 5, 10), row("b", 1, 5), row("no transcript", None, None)]
    peer = [row("a", 1, 10), row("a", 3, 10), row("b", 0, 5), row("c", 9, 9)]
    # "a" twice at the peer's mean of 2 errors in 10 words, "b" once with 0 in 5; "c" was not spoken
    assert peer_wer_on_same_sentences(ours, peer) == pytest.approx((2 + 2 + 0) / 25)
    with pytest.raises(VoiceCloneError, match="no rendering of the sentence 'd'"):
        peer_wer_on_same_sentences([row("d", 0, 3)], peer)


def test_bad_configuration_is_a_clear_error(tmp_path, refs_table):
    with pytest.raises(VoiceCloneError, match="unknown system"):
        evaluate(EvalConfig(mode="clone", out=tmp_path, refs=refs_table, system="nope"))
    with pytest.raises(VoiceCloneError, match="--outputs is required"):
        evaluate(EvalConfig(mode="dir", out=tmp_path, refs=refs_table))
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(VoiceCloneError, match="not a results.json"):
        evaluate(EvalConfig(mode="clone", out=tmp_path, refs=refs_table, peer_results=tmp_path / "broken.json"))
    with pytest.raises(VoiceCloneError, match="no-such-run"):  # the system is built from the checkpoint asked for
        evaluate(EvalConfig(mode="clone", out=tmp_path / "c", refs=refs_table, checkpoint=tmp_path / "no-such-run"))
    with pytest.raises(VoiceCloneError, match="not trained and shipped yet"):
        evaluate(EvalConfig(mode="copy", out=tmp_path / "v", refs=refs_table, vocoder="fast"))


def test_cli_reports_a_bad_table_in_one_line(tmp_path):
    table = tmp_path / "refs.tsv"
    table.write_text("file\tspeaker\n")
    result = subprocess.run([sys.executable, "-m", "voiceclone.cli", "eval", "--mode", "real", "--refs", str(table),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "missing column" in result.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_a_refused_reference_is_skipped_and_reported(tmp_path, refs_table, judges):
    refused = {read_paths(refs_table)[0]}

    def picky(text: str, reference: Path):
        if reference in refused:
            raise VoiceCloneError(f"{reference}: only 0.9 s of speech found")
        return parrot(text, reference)

    sentences = tmp_path / "sentences.txt"
    sentences.write_text("One sentence.\n")
    config = EvalConfig(mode="clone", out=tmp_path / "run", refs=refs_table, sentences=sentences,
                        sentences_per_voice=1, plots=False, progress=False)
    result = evaluate(config, judges=judges, synthesise=picky)
    assert len(result["rows"]) == 2 and len(result["skipped_references"]) == 1
    assert "0.9 s of speech" in (config.out / "summary.md").read_text()


def read_paths(table: Path) -> list[Path]:
    from voiceclone.references import read_references

    return [r.path for r in read_references(table)]


def test_nothing_judged_is_an_error_and_leaves_no_report_folder(tmp_path, refs_table, judges):
    def refuses_all(text: str, reference: Path):
        raise VoiceCloneError("text has nothing to speak")

    sentences = tmp_path / "sentences.txt"
    sentences.write_text("One sentence.\n")
    config = EvalConfig(mode="clone", out=tmp_path / "run", refs=refs_table, sentences=sentences,
                        sentences_per_voice=1, plots=False, progress=False)
    with pytest.raises(VoiceCloneError, match="nothing was judged.*nothing to speak"):
        evaluate(config, judges=judges, synthesise=refuses_all)
    assert not config.out.exists()


def test_tables_out_folder_and_sentences_are_checked_with_clear_errors(tmp_path, refs_table):
    utf16 = tmp_path / "utf16.tsv"
    utf16.write_text("path\tspeaker\n", encoding="utf-16")
    with pytest.raises(VoiceCloneError, match="utf16.tsv: not UTF-8"):
        evaluate(EvalConfig(mode="real", out=tmp_path / "a", refs=utf16))
    binary = tmp_path / "sentences.bin"
    binary.write_bytes(bytes(range(128, 256)))
    with pytest.raises(VoiceCloneError, match="sentences.bin: not UTF-8"):
        read_sentences(binary)
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(VoiceCloneError, match="afile: is a file"):
        evaluate(EvalConfig(mode="real", out=afile, refs=refs_table))
    with pytest.raises(VoiceCloneError, match="not a writable folder"):
        evaluate(EvalConfig(mode="real", out=afile / "run", refs=refs_table))


def test_the_unmatched_system_is_the_model_alone_in_the_reference_voice(tts_rows):
    import numpy as np

    from voiceclone.evaluation.runner import SYSTEMS, SystemOptions

    reference = Path(next(r for r in tts_rows if r["speaker"] == "vctk_p225")["path"])
    options = SystemOptions(device="cpu")
    raw, rate = SYSTEMS["voiceclone-unmatched"].load(options)("A short test sentence.", reference)
    matched, _ = SYSTEMS["voiceclone"].load(options)("A short test sentence.", reference)
    assert rate == 22050 and 0.8 < len(raw) / rate < 4.0
    assert len(raw) == len(matched)  # the same timing; only the matching steps differ
    assert not np.allclose(raw, matched, atol=1e-3)
