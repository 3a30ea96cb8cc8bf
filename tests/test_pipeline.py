"""The shipped pipeline end to end: text + voice -> watermarked waveform, controls, CLI and errors."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import last_stderr_line
from voiceclone.errors import VoiceCloneError
from voiceclone.features.bands import band_statistics
from voiceclone.voice import DEFAULT_MATCH
from voiceclone.voice.frames import nearest_frame_means, speech_gate
from voiceclone.features.pitch import median_f0, yin_f0
from voiceclone.delivery import OUTPUT_LEVEL_DBFS
from voiceclone.pipeline import MAX_TEXT_CHARS, SAMPLE_RATE, SpeakOptions, VoiceCloner
from voiceclone.watermark import detect_watermark

SENTENCE = "The birch canoe slid on the smooth planks."


@pytest.fixture(scope="module")
def cloner() -> VoiceCloner:
    return VoiceCloner(device="cpu")


@pytest.fixture(scope="module")
def default_audio(cloner):
    return cloner.speak(SENTENCE)


def test_default_voice_speaks_a_watermarked_sentence(default_audio):
    audio, sr = default_audio
    assert sr == SAMPLE_RATE and audio.dtype == np.float32 and np.all(np.isfinite(audio))
    assert 1.0 < len(audio) / sr < 8.0  # eight words take a few seconds, not nothing and not forever
    assert np.sqrt(np.mean(audio**2)) > 0.01
    assert detect_watermark(audio, sr).watermarked


def test_speed_changes_duration(cloner):
    slow, _ = cloner.speak(SENTENCE, options=SpeakOptions(speed=0.7))
    fast, _ = cloner.speak(SENTENCE, options=SpeakOptions(speed=1.5))
    assert len(slow) > 1.6 * len(fast)


def test_pitch_shift_moves_f0(cloner):
    voice = cloner.default_voice()
    low = median_f0(yin_f0(cloner.speak(SENTENCE, voice, SpeakOptions(pitch=-4.0))[0]))
    high = median_f0(yin_f0(cloner.speak(SENTENCE, voice, SpeakOptions(pitch=4.0))[0]))
    assert 12 * np.log2(high / low) > 3.0  # asked for 8 semitones apart; about 4 to 7 come out


def test_voice_conditioning_changes_the_output(cloner):
    voice = cloner.default_voice()
    other = dataclasses.replace(voice, embedding=-voice.embedding, logf0_mean=voice.logf0_mean + 0.5)
    a = cloner.mel(SENTENCE, voice)
    b = cloner.mel(SENTENCE, other)
    n = min(a.shape[1], b.shape[1])
    assert np.mean(np.abs(a[:, :n] - b[:, :n])) > 0.1


def test_output_takes_the_voice_spectral_envelope(cloner):
    voice = cloner.default_voice()
    tilt = np.linspace(-1.0, 1.0, len(voice.band_mean))
    centre = voice.band_mean[:, None]
    brighter = dataclasses.replace(voice, band_mean=voice.band_mean + tilt, band_std=voice.band_std * 1.5,
                                   reference_frames=(voice.reference_frames - centre) * 1.5 + centre + tilt[:, None])
    # without frame matching: measured again, the output's statistics are the voice's, up to which
    # frames now count as speech (the brighter output is off by 0.16 on average, 0.27 at most)
    plain, bright = cloner.mel(SENTENCE, voice, SpeakOptions(similarity=0.0)), cloner.mel(SENTENCE, brighter, SpeakOptions(similarity=0.0))
    for mel, target in ((plain, voice), (bright, brighter)):
        np.testing.assert_allclose(band_statistics(mel)[0], target.band_mean, atol=0.3)
    assert np.median(band_statistics(bright)[1] / band_statistics(plain)[1]) == pytest.approx(1.5, rel=0.1)


def test_output_level_does_not_follow_the_voice_level(cloner):
    voice = cloner.default_voice()
    # the same voice recorded 8.7 dB louder (log-mel +1 nat): unlevelled, its clone would come out louder too
    louder = dataclasses.replace(voice, band_mean=voice.band_mean + 1.0, reference_frames=voice.reference_frames + 1.0)
    for v in (voice, louder):
        audio, _ = cloner.speak(SENTENCE, v)
        level = 20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
        assert level == pytest.approx(OUTPUT_LEVEL_DBFS, abs=0.5) and np.max(np.abs(audio)) < 1.0


def test_similarity_pulls_frames_toward_the_reference_frames(cloner):
    voice = cloner.default_voice()
    stats = (voice.band_mean, voice.band_std)

    def distance_to_reference(mel):  # mean distance of each speech frame to its nearest reference frame
        frames = mel[:, speech_gate(mel) == 1.0]
        return float(np.sqrt(((frames - nearest_frame_means(frames, voice.reference_frames, stats, 1)) ** 2)
                             .sum(axis=0)).mean())

    distances = [distance_to_reference(cloner.mel(SENTENCE, voice, SpeakOptions(similarity=s))) for s in (0.0, 0.3, 0.8)]
    assert distances[0] > distances[1] > distances[2]
    plain = cloner.mel(SENTENCE, voice, SpeakOptions(similarity=0.0))
    assert cloner.mel(SENTENCE, voice, SpeakOptions(similarity=0.8)).shape == plain.shape  # timing untouched


def test_a_profile_without_reference_frames_asks_to_be_rebuilt(cloner, tmp_path):
    from voiceclone.voice import Voice

    shipped = Voice.load(cloner.default_voice_path)
    dataclasses.replace(shipped, reference_frames=None).save(tmp_path / "old.npz")
    with pytest.raises(VoiceCloneError, match="rebuild it with: voiceclone embed"):
        cloner.voice(tmp_path / "old.npz")


def test_long_text_is_chunked_with_pauses(cloner):
    text = " ".join([SENTENCE] * 6)
    mel = cloner.mel(text, cloner.default_voice())
    single = cloner.mel(SENTENCE, cloner.default_voice())
    assert mel.shape[1] > 5 * single.shape[1]


@pytest.mark.parametrize("kwargs,match", [
    ({"speed": 0.1}, "speed"), ({"pitch": 30.0}, "pitch"), ({"similarity": 1.5}, "similarity"),
])
def test_bad_controls(cloner, kwargs, match):
    with pytest.raises(VoiceCloneError, match=match):
        cloner.mel(SENTENCE, cloner.default_voice(), SpeakOptions(**kwargs))


def test_empty_and_huge_text(cloner):
    with pytest.raises(VoiceCloneError):
        cloner.mel("   ", cloner.default_voice())
    with pytest.raises(VoiceCloneError, match="characters"):
        cloner.mel("a" * (MAX_TEXT_CHARS + 1), cloner.default_voice())


def test_a_checkpoint_folder_brings_its_own_built_in_voice(tmp_path):
    import shutil

    from voiceclone.acoustic.checkpoint import SHIPPED
    from voiceclone.voice import Voice

    shutil.copytree(SHIPPED, tmp_path / "ckpt")
    (tmp_path / "ckpt" / "default_voice.npz").unlink()
    assert VoiceCloner(device="cpu", checkpoint=tmp_path / "ckpt").default_voice_path == SHIPPED / "default_voice.npz"
    shipped = Voice.load(SHIPPED / "default_voice.npz")
    own = dataclasses.replace(shipped, logf0_mean=shipped.logf0_mean + 0.5)
    own.save(tmp_path / "ckpt" / "default_voice.npz")
    voice = VoiceCloner(device="cpu", checkpoint=tmp_path / "ckpt").default_voice()
    assert voice.logf0_mean == pytest.approx(own.logf0_mean)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(VoiceCloneError, match="missing"):
        VoiceCloner(device="cpu", checkpoint=tmp_path)


# --- CLI ----------------------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voiceclone.cli", *args], capture_output=True, text=True, timeout=600)


def test_cli_speak_writes_file_with_provenance(tmp_path):
    out, sidecar = tmp_path / "hi.wav", tmp_path / "hi.json"
    result = run("speak", "Hello there.", "-o", str(out), "--provenance-json", str(sidecar), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    audio, sr = sf.read(out, dtype="float32")
    assert sr == SAMPLE_RATE and detect_watermark(audio, sr).watermarked
    record = json.loads(sidecar.read_text())
    assert record["watermarked"] is True and record["model_id"]


def test_cli_no_watermark_is_recorded(tmp_path):
    out = tmp_path / "plain.wav"
    result = run("speak", "Hello there.", "-o", str(out), "--no-watermark", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    with sf.SoundFile(out) as handle:
        assert "NOT watermarked" in handle.copy_metadata().get("software", "")


def test_cli_help_states_the_similarity_default():
    result = run("speak", "--help")
    assert result.returncode == 0 and f"default {DEFAULT_MATCH.similarity:g})" in " ".join(result.stdout.split())


def test_cli_batch_mode(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("First line.\n\nSecond line here.\n", encoding="utf-8-sig")  # a byte-order mark is dropped
    clips = tmp_path / "clips" / "today"  # created, parents too
    result = run("speak", "--text-file", str(lines), "--out-dir", str(clips), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in clips.glob("*.wav")) == ["0001.wav", "0002.wav"]


def test_cli_speak_pipes_text_in_and_a_wav_out():
    result = subprocess.run([sys.executable, "-m", "voiceclone.cli", "speak", "-", "-o", "-", "--device", "cpu"],
                            input=b"Hello there.", capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr
    audio, sr = sf.read(io.BytesIO(result.stdout), dtype="float32")
    assert sr == SAMPLE_RATE and 0.5 < len(audio) / sr < 5.0 and detect_watermark(audio, sr).watermarked
    assert last_stderr_line(result.stderr.decode()) == "standard output: spoken in default voice"  # not in the audio


def test_cli_speak_to_a_closed_pipe_is_one_line():
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read: the write fails with a broken pipe
    try:
        result = subprocess.run([sys.executable, "-m", "voiceclone.cli", "speak", "Hello there.", "-o", "-",
                                 "--device", "cpu"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=600)
    finally:
        os.close(writer)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert last_stderr_line(result.stderr) == "error: standard output was closed before all the audio was written"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_speak_will_not_write_audio_to_a_terminal():
    import pty

    main, terminal = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "voiceclone.cli", "speak", "Hi.", "-o", "-"],
                                stdout=terminal, stderr=subprocess.PIPE, text=True, timeout=600)
    finally:
        os.close(terminal)
        os.close(main)
    assert result.returncode == 1 and "pipe it" in result.stderr and result.stderr.strip().count("\n") == 0


def test_speak_to_file_checks_both_paths_before_synthesis(cloner, tmp_path, monkeypatch):
    def no_synthesis(*args, **kwargs):
        raise AssertionError("synthesised before the paths were checked")

    monkeypatch.setattr(cloner, "speak", no_synthesis)
    for sidecar, message in [(tmp_path / "missing" / "p.json", "does not exist"), (tmp_path, "is a folder")]:
        with pytest.raises(VoiceCloneError, match=message):
            cloner.speak_to_file("Hi.", tmp_path / "a.wav", provenance_json=sidecar)
    with pytest.raises(VoiceCloneError, match="unsupported output extension"):
        cloner.speak_to_file("Hi.", tmp_path / "a.mp3")
    assert not (tmp_path / "a.wav").exists()


@pytest.mark.filterwarnings("error")
def test_progress_bars_show_long_work_and_change_nothing(cloner, default_audio, capsys, monkeypatch):
    import voiceclone.pipeline as pipeline

    monkeypatch.setattr(pipeline, "PROGRESS_DELAY_S", 0.0)
    audio, sr = cloner.speak(SENTENCE, progress=True)
    err = capsys.readouterr().err
    assert "reading" in err and "vocoding" in err and "s of speech" in err
    assert np.array_equal(audio, default_audio[0])
    cloner.speak(SENTENCE)
    assert capsys.readouterr().err == ""


def test_cli_warns_that_similarity_is_off_with_a_pitch_shift(tmp_path):
    out = tmp_path / "up.wav"
    result = run("speak", "Hi there.", "-o", str(out), "--pitch", "2", "--similarity", "0.5", "--device", "cpu")
    assert result.returncode == 0 and out.is_file(), result.stderr
    assert "warning: similarity has no effect with a pitch shift" in result.stderr


@pytest.mark.parametrize("args,match", [
    (["speak", "", "-o", "{tmp}/x.wav"], "empty"),
    (["speak", "Hi.", "--ref", "{tmp}/missing.wav", "-o", "{tmp}/x.wav"], "no such file"),
    (["speak", "Hi.", "-o", "{tmp}/nodir/x.wav"], "does not exist"),
    (["speak", "Hi."], "-o OUT.wav"),
    (["speak", "Hi.", "-o", "{tmp}/x.wav", "--speed", "9"], "out of range"),
    (["speak", "Hi.", "-o", "{tmp}/x.wav", "--similarity", "-1"], "out of range"),
    (["speak", "Hi.", "-o", "{tmp}/x.wav", "--precision", "fp16"], "unknown precision 'fp16'"),
    (["speak", "--text-file", "{tmp}/lines.txt", "--out-dir", "{tmp}/lines.txt"], "is a file"),
    (["speak", "Hi.", "-o", "{tmp}"], "is a folder"),
    (["speak", "Hi.", "-o", "{tmp}/lines.txt/x.wav"], "is a file, not a folder"),
    (["speak", "Hi.", "-o", "{tmp}/x.wav", "--provenance-json", "{tmp}"], "is a folder"),
    (["speak", "--text-file", "{tmp}/mixed.txt", "--out-dir", "{tmp}/clips"], "mixed.txt: line 3: text has nothing"),
    (["speak", "--text-file", "{tmp}/utf16.txt", "-o", "{tmp}/x.wav"], "utf16.txt: not UTF-8 text"),
])
def test_cli_errors_are_one_line(tmp_path, args, match):
    (tmp_path / "lines.txt").write_text("A line.\n")
    (tmp_path / "mixed.txt").write_text("Hello.\n\n\u2026 \U0001F600\nBye.\n", encoding="utf-8")
    (tmp_path / "utf16.txt").write_text("Hello there.\n", encoding="utf-16")
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 1, result.stdout
    assert match.lower() in result.stderr.lower() and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "clips").exists()


def test_clone_from_reference_file(cloner, data_dir):
    ref = sorted((data_dir / "voices" / "librispeech").glob("*.flac"))[0]
    voice = cloner.voice(ref)
    audio, sr = cloner.speak(SENTENCE, voice)
    assert len(audio) > sr and np.isfinite(voice.logf0_mean)
