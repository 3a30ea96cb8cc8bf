"""The training recipe end to end on a tiny made-up prepared set: it runs, saves, resumes, and a
run started from another (--init, a state.pt or an exported checkpoint folder) keeps the
normalisation statistics its weights were trained with; several prepared folders train together;
prepare.py's speaker augmentation warps speech as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from recipes.shared_data.export import prepared_data
from recipes.shared_data.prepare import Warper, pack, warp
from recipes.train import NORMALISATION_KEYS
from voiceclone.acoustic.checkpoint import load_checkpoint, save_checkpoint
from voiceclone.acoustic.config import AcousticConfig
from voiceclone.acoustic.model import AcousticModel
from voiceclone.text import DEFAULT_TABLE

ROOT = Path(__file__).resolve().parents[1]
"""The repository root, where the recipe steps run as modules."""


def _step(name: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m recipes.shared_data.<name> args...`` from the repository root."""
    return subprocess.run([sys.executable, "-m", f"recipes.shared_data.{name}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def _pack(path: Path, n: int, rng: np.random.Generator, scale: float, transcribed: bool) -> None:
    items = []
    for i in range(n):
        frames = int(rng.integers(40, 70))
        item = {"mel": (rng.normal(-5.0, 1.0, (80, frames)) * scale).astype(np.float32),
                "f0": np.where(rng.random(frames) < 0.7, 120.0 * scale, 0.0).astype(np.float32),
                "dvec": rng.normal(size=256).astype(np.float32), "speaker": f"s{i % 3}", "path": f"u{i}"}
        if transcribed:
            item.update(ids=rng.integers(1, 50, int(rng.integers(8, 15))), text=f"utterance {i}")
        items.append(item)
    pack(items, path)


def _prep(folder: Path, scale: float) -> Path:
    rng = np.random.default_rng(int(scale * 10))
    folder.mkdir()
    _pack(folder / "text.npz", 6, rng, scale, transcribed=True)
    _pack(folder / "voices.npz", 6, rng, scale, transcribed=False)
    return folder


def _train(prep: Path | list[Path], run: Path, steps: int, *extra: str) -> subprocess.CompletedProcess:
    preps = [str(p) for p in (prep if isinstance(prep, list) else [prep])]
    return _step("train", "--prep", *preps, "--run", str(run), "--steps", str(steps), "--warmup", "1", "--threads", "1",
                 "--text-frames", "150", "--ae-frames", "120", "--save-every", "1", *extra)


def _statistics(run: Path) -> dict:
    model = json.loads((run / "config.json").read_text())["model"]
    return {key: model[key] for key in NORMALISATION_KEYS}


def test_train_resume_and_init_keep_normalisation(tmp_path: Path) -> None:
    first, other = _prep(tmp_path / "prep", 1.0), _prep(tmp_path / "other", 1.3)
    done = _train(first, tmp_path / "a", 2)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "a" / "state.pt").is_file() and (tmp_path / "a" / "losses.csv").is_file()
    own = _statistics(tmp_path / "a")
    assert abs(own["logf0_mean"] - np.log(120.0)) < 1e-4

    resumed = _train(other, tmp_path / "a", 3)  # resuming on other data keeps the run's statistics
    assert resumed.returncode == 0 and "resumed from step 2" in resumed.stdout, resumed.stderr[-2000:]
    assert _statistics(tmp_path / "a") == own

    started = _train(other, tmp_path / "b", 1, "--init", str(tmp_path / "a" / "state.pt"))
    assert started.returncode == 0 and "initialised from" in started.stdout, started.stderr[-2000:]
    assert _statistics(tmp_path / "b") == own

    fresh = _train(other, tmp_path / "c", 1)  # a fresh run measures its own data
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert abs(_statistics(tmp_path / "c")["logf0_mean"] - np.log(156.0)) < 1e-4


def test_init_from_an_exported_checkpoint_folder_and_from_several_prepared_folders(tmp_path: Path) -> None:
    first, other = _prep(tmp_path / "prep", 1.0), _prep(tmp_path / "other", 1.3)
    cfg = AcousticConfig(n_symbols=len(DEFAULT_TABLE), logf0_mean=4.2, logf0_std=0.25)
    folder = save_checkpoint(tmp_path / "ckpt", AcousticModel(cfg), DEFAULT_TABLE, {"steps": 77})
    started = _train([first, other], tmp_path / "d", 1, "--init", str(folder))
    assert started.returncode == 0, started.stderr[-2000:]
    assert "initialised from" in started.stdout and "(77 steps)" in started.stdout
    assert "12 transcribed, 12 voice items" in started.stdout  # both folders
    assert _statistics(tmp_path / "d")["logf0_mean"] == 4.2
    args = json.loads((tmp_path / "d" / "config.json").read_text())["args"]
    assert args["prep"] == [str(first), str(other)]
    assert load_checkpoint(folder).meta["steps"] == 77

    fresh = _train([first, other], tmp_path / "e", 1)  # a fresh run measures both folders together
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert np.log(120.0) + 0.05 < _statistics(tmp_path / "e")["logf0_mean"] < np.log(156.0) - 0.05

    (other / "text.npz").unlink()  # a folder of untranscribed speech only adds to the auto-encoding path
    voices_only = _train([first, other], tmp_path / "f", 1)
    assert voices_only.returncode == 0 and "6 transcribed, 12 voice items" in voices_only.stdout, voices_only.stderr[-2000:]
    alone = _train(other, tmp_path / "g", 1)
    assert alone.returncode == 1 and "no text.npz" in alone.stderr


def test_warp_scales_every_frequency_and_shortens_by_its_factor() -> None:
    sr = 22050
    tone = np.sin(2 * np.pi * 200.0 * np.arange(sr) / sr).astype(np.float32)
    faster = warp(tone, 1.1)
    assert abs(len(faster) - sr / 1.1) <= 1
    spectrum = np.abs(np.fft.rfft(faster * np.hanning(len(faster))))
    assert abs(np.argmax(spectrum) * sr / len(faster) - 220.0) < 2.0


def test_warper_draws_one_factor_per_utterance_and_names_the_warped_voice() -> None:
    audio = np.zeros(22050, np.float32)
    assert Warper([])(audio, "cathy", "a.flac") == (audio, "cathy", "a.flac")
    draws = [Warper([0.9, 1.1], seed=3)(audio, "cathy", "a.flac")[1:] for _ in range(2)]
    assert draws[0] == draws[1]  # seeded
    names = {Warper([0.9, 1.1], seed=s)(audio, "cathy", "a.flac")[1] for s in range(20)}
    assert names == {"cathy@0.9", "cathy@1.1"}


def test_prepared_data_adds_up_the_folders_a_run_trained_on(tmp_path: Path) -> None:
    counts = {"transcribed": 10, "skipped_too_short": 0, "voice_halves": 4, "text_minutes": 1.5,
              "voice_minutes": 0.5, "text_speakers": 3, "voices_speakers": 2}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "summary.json").write_text(json.dumps(counts))
    (tmp_path / "b" / "summary.json").write_text(json.dumps({**counts, "warps": [0.9, 1.1]}))
    data = prepared_data([tmp_path / "a", tmp_path / "b"])
    assert data["transcribed"] == 20 and data["text_minutes"] == 3.0 and data["text_speakers"] == 3
    assert data["warps"] == [0.9, 1.1]
    assert prepared_data([tmp_path / "a"])["warps"] == []


def test_training_and_checkpoints_load_without_the_g2p_package() -> None:
    """A GPU machine may lack hibari (the G2P): training on prepared data never phonemises."""
    code = ("import sys; sys.modules['hibari'] = None; import recipes.shared_data.train, recipes.shared_data.export; "
            "from voiceclone.acoustic.checkpoint import load_checkpoint; load_checkpoint(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def _summary(prep: Path) -> None:
    (prep / "summary.json").write_text(json.dumps(
        {"transcribed": 6, "skipped_too_short": 0, "voice_halves": 6, "text_minutes": 0.1, "voice_minutes": 0.1,
         "text_speakers": 3, "voices_speakers": 3}))


def _export(run: Path, out: Path, data: Path) -> subprocess.CompletedProcess:
    return _step("export", "--run", str(run), "--out", str(out), "--data", str(data))


def test_export_writes_a_loadable_checkpoint_and_a_failed_export_changes_nothing(tmp_path: Path) -> None:
    import soundfile as sf
    from conftest import make_speechlike

    prep = _prep(tmp_path / "prep", 1.0)
    _summary(prep)
    assert _train(prep, tmp_path / "run", 1).returncode == 0
    data = tmp_path / "data"
    (data / "tts").mkdir(parents=True)
    rows = ["path\tspeaker\ttext"]
    for i in range(8):
        sf.write(data / "tts" / f"c{i}.wav", make_speechlike(22050, 3.0), 22050)
        rows.append(f"c{i}.wav\tcathy\tline {i}")
    (data / "tts" / "metadata.tsv").write_text("\n".join(rows) + "\n")

    out = tmp_path / "ckpt"
    out.mkdir()
    (out / "old.txt").write_text("the checkpoint before")
    failed = _export(tmp_path / "run", out, tmp_path / "no_data")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.startswith("error: ") and failed.stderr.strip().count("\n") == 0
    assert [p.name for p in out.iterdir()] == ["old.txt"] and len(list(tmp_path.glob(".ckpt*"))) == 0

    done = _export(tmp_path / "run", out, data)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "config.json", "default_voice.npz",
                                                   "model.safetensors", "phonemes.json"]
    assert load_checkpoint(out).meta["steps"] == 1 and len(list(tmp_path.glob(".ckpt*"))) == 0


def test_recipe_scripts_refuse_bad_arguments_in_one_line(tmp_path: Path) -> None:
    prep = _prep(tmp_path / "prep", 1.0)
    cases = [(_train(prep, tmp_path / "a", 0), 2, "must be at least 1"),
             (_train(tmp_path / "missing", tmp_path / "b", 1), 1, "not a prepared folder"),
             (_train(prep, tmp_path / "c", 1, "--init", str(tmp_path / "none.pt")), 1, "no such run state"),
             (_export(tmp_path / "nothing", tmp_path / "out", tmp_path), 1, "not a run folder")]
    for result, code, message in cases:
        assert result.returncode == code and message in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    assert not any((tmp_path / run).exists() for run in "abc")  # a run that could not start leaves no folder


def test_dev_split_step_writes_the_development_table_from_the_default_data_folder(tmp_path: Path, data_dir: Path) -> None:
    from voiceclone.references import dev_split, read_references

    done = _step("dev_split", str(tmp_path / "refs.tsv"), timeout=120)  # --data defaults to ../shared/data
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_references(tmp_path / "refs.tsv") == [ref.__class__(ref.path.resolve(), ref.speaker, ref.text)
                                                      for ref in dev_split(data_dir)]
    assert done.stdout.startswith(f"{tmp_path / 'refs.tsv'}: ")
    other = _step("dev_split", str(tmp_path / "none.tsv"), "--data", str(tmp_path), timeout=120)
    assert other.returncode == 1 and other.stderr.startswith("error: ") and "no such table" in other.stderr
