"""The synthetic-voice corpus recipe: voice packs, blends, sentence choice, resumable output, tables."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recipes.many_voices import kokoro
from recipes.many_voices.kokoro import STYLE_SHAPE, VoiceRecipe, english_packs, read_voice_packs
from recipes.many_voices.synthesise import OUTPUT_RATE, CorpusConfig, VoiceProgress, sentence_pool, write_tables
from recipes.many_voices.voices import SelectionConfig, VoiceEntry, candidate_blends
from recipes.corpora import read_metadata_tsv
from voiceclone.errors import VoiceCloneError

NAMES = ("af_heart", "af_nicole", "am_puck", "bf_emma", "bm_lewis", "ef_dora", "jf_alpha")


def _tarball(path: Path, names=NAMES, floats: int = int(np.prod(STYLE_SHAPE))) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for i, name in enumerate(names):
            raw = np.full(floats, i, dtype="<f4").tobytes()
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def _trust(monkeypatch, path: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
    monkeypatch.setattr(kokoro, "VOICES_SHA512", digest)


def test_voice_packs_are_read_after_the_tarball_is_verified(tmp_path, monkeypatch):
    tgz = _tarball(tmp_path / "voices.tgz")
    with pytest.raises(VoiceCloneError, match="SHA-512"):
        read_voice_packs(tgz)
    _trust(monkeypatch, tgz)
    packs = read_voice_packs(tgz)
    assert sorted(packs) == sorted(NAMES)
    assert packs["am_puck"].shape == STYLE_SHAPE and packs["am_puck"][0, 0, 0] == NAMES.index("am_puck")
    assert english_packs(packs) == ["af_heart", "am_puck", "bf_emma", "bm_lewis"]  # af_nicole left out


def test_a_pack_of_the_wrong_size_is_refused(tmp_path, monkeypatch):
    tgz = _tarball(tmp_path / "voices.tgz", ("af_heart",), floats=100)
    _trust(monkeypatch, tgz)
    with pytest.raises(VoiceCloneError, match="expected"):
        read_voice_packs(tgz)


def test_a_blend_is_the_weighted_sum_of_its_packs():
    packs = {"a": np.ones(STYLE_SHAPE, np.float32), "b": np.full(STYLE_SHAPE, 3.0, np.float32)}
    style = VoiceRecipe("x", ("a", "b"), (0.25, 0.75), "en-us").style(packs)
    assert style.dtype == np.float32 and np.allclose(style, 2.5)


def test_a_warp_scales_pitch_and_keeps_the_tempo():
    from recipes.many_voices.kokoro import KOKORO_RATE, KokoroSpeaker

    class Tone(KokoroSpeaker):
        def __init__(self):
            pass

        def say(self, text, style, lang, speed=1.0):  # 1 s of 200 Hz at tempo 1, longer when slower
            t = np.arange(int(KOKORO_RATE / speed)) / KOKORO_RATE
            return np.sin(2 * np.pi * 200 * t).astype(np.float32)

    recipe = VoiceRecipe("w", ("a",), (1.0,), "en-us", warp=1.1)
    audio = Tone().speak(recipe, None, "x", 16000)
    assert len(audio) == pytest.approx(16000, rel=0.01)  # the tempo is kept
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * 16000 / len(audio) == pytest.approx(220, abs=2)  # the pitch is 10% up


def test_candidates_are_seeded_and_never_use_held_out_packs():
    packs = {name: np.zeros(STYLE_SHAPE, np.float32) for name in NAMES}
    config = SelectionConfig(blends_probed=30, candidates=40, heldout_packs=("am_puck",))
    first, again = candidate_blends(packs, config), candidate_blends(packs, config)
    assert first == again and len(first) == 40
    assert all("am_puck" not in c.packs and "jf_alpha" not in c.packs for c in first)
    assert all(abs(sum(c.weights) - 1) < 0.01 and min(c.weights) >= 0.1 for c in first)
    warped = [c for c in first if c.warp != 1.0]
    assert len(warped) == 40 - 30 - 1  # after the one accent pack and the 30 blends
    assert all(len(c.packs) == 1 and (0.82 <= c.warp <= 0.88 or 1.12 <= c.warp <= 1.18) for c in warped)
    assert candidate_blends(packs, SelectionConfig(blends_probed=30, candidates=50, heldout_packs=("am_puck",)))[:40] == first  # a higher cap extends the list


def test_sentence_pool_keeps_sentences_that_read_as_written(tmp_path):
    (tmp_path / "ljspeech_sentences.txt").write_text(
        '"He left in eighteen sixty-five, they said."\nIn 1865 he left the town.\nToo short.\n'
        "The committee met again on the following morning.\n")
    (tmp_path / "vctk_sentences.txt").write_text("Please call Stella & ask her.\nThe committee met again on the following morning.\n")
    assert sentence_pool(tmp_path, CorpusConfig()) == [
        "He left in eighteen sixty-five, they said.", "The committee met again on the following morning."]


def test_voice_progress_resumes_and_tables_read_back(tmp_path):
    folder = tmp_path / "kokoro_af_heart"
    folder.mkdir()
    done = VoiceProgress.read(folder)
    done.append(0, np.zeros(OUTPUT_RATE, np.float32), "First sentence here.")
    done.append(1, np.zeros(OUTPUT_RATE // 2, np.float32), "Second sentence here.")
    (folder / "0001.flac").unlink()  # a row whose file is gone is not counted
    again = VoiceProgress.read(folder)
    assert [r[0] for r in again.rows] == [0] and again.next_index == 1 and again.seconds == pytest.approx(1.0)
    assert sf.info(str(folder / "0000.flac")).samplerate == OUTPUT_RATE

    recipe = VoiceRecipe("kokoro_af_heart", ("af_heart",), (1.0,), "en-us")
    entries = [VoiceEntry(recipe, "pack", "train", 3.4, 0.1, "", 0.0)]
    minutes = write_tables(tmp_path, entries)
    assert minutes["train"] == pytest.approx(1 / 60) and minutes["heldout"] == 0
    listing = read_metadata_tsv(tmp_path / "metadata.tsv")
    assert [(u.speaker, u.text) for u in listing.utterances] == [("kokoro_af_heart", "First sentence here.")]
    assert not (tmp_path / "heldout.tsv").exists()


def test_the_probe_cache_is_keyed_by_recipe_and_survives_a_torn_line(tmp_path):
    from recipes.many_voices.voices import ProbeCache, probe_key

    path = tmp_path / "probes.jsonl"
    a = VoiceRecipe("kokoro_mix001", ("af_heart", "am_puck"), (0.5, 0.5), "en-us")
    cache = ProbeCache(path)
    cache.put(a, {"name": a.name, "ovrl": None})
    cache.put(a, {"name": a.name, "ovrl": 3.4})  # judged in full later: the row is replaced, not repeated
    with open(path, "a") as f:
        f.write('{"key": "en-us|1.00 bf_emma", "ov')
    again = ProbeCache(path)
    assert list(again.rows) == [probe_key(a)] and again.get(a)["ovrl"] == 3.4
    assert again.get(VoiceRecipe("other name", a.packs, a.weights, "en-us"))["ovrl"] == 3.4
    assert len(path.read_text().splitlines()) == 1


class FakeJudge:
    """Every voice a new direction; probes as clear as the ASR judge makes them."""

    def __init__(self, packs, asr, wer):
        self.packs, self.asr_name, self.wer, self.spoken = packs, asr, wer, 0

    def speak(self, recipe):
        self.spoken += 1
        return recipe

    def embedding(self, recipe):
        from recipes.many_voices.voices import probe_key

        rng = np.random.default_rng(int(hashlib.sha256(probe_key(recipe).encode()).hexdigest()[:8], 16))
        v = rng.normal(size=256)
        return (v / np.linalg.norm(v)).tolist()

    def scores(self, recipe):
        return {"ovrl": 3.5, "wer": 0.0 if len(recipe.packs) == 1 and recipe.warp == 1.0 else self.wer}


def test_more_voices_keeps_the_chosen_ones_and_judges_the_rest_again_with_another_asr(tmp_path):
    from recipes.many_voices.voices import select_voices

    packs = {name: np.zeros(STYLE_SHAPE, np.float32) for name in NAMES}
    config = SelectionConfig(blends=5, blends_probed=10, candidates=20, heldout_packs=("am_puck",))
    cache = tmp_path / "probes.jsonl"
    first = select_voices(FakeJudge(packs, "pocketsphinx", 0.6), config, cache)
    assert [v.recipe.name for v in first] == ["kokoro_af_heart", "kokoro_am_puck", "kokoro_bf_emma", "kokoro_bm_lewis",
                                              "kokoro_ef_dora"]  # the packs, and the accent pack alone: blends unclear
    assert [v.split for v in first] == ["train", "heldout", "train", "train", "train"]

    whisper = FakeJudge(packs, "whisper", 0.1)
    more = select_voices(whisper, SelectionConfig(**{**config.__dict__, "asr": "whisper", "max_wer": 0.2}), cache, first)
    assert more[:5] == first and len(more) == 4 + 5  # the English packs, then five voices beyond them
    assert all(v.kind == "blend" and v.wer == 0.1 for v in more[5:])
    assert whisper.spoken == 4  # only the new voices were spoken again, to be judged by the new ASR
