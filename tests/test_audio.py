"""Audio loading, conditioning and atomic saving, including every bad-input error."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import make_speechlike
from voiceclone.audio import load_audio, normalise_level, read_audio, resample, save_audio, to_mono, trim_silence
from voiceclone.audio.io import write_audio_stream
from voiceclone.errors import VoiceCloneError


def write(path: Path, audio: np.ndarray, sr: int, **kw) -> Path:
    sf.write(str(path), audio, sr, **kw)
    return path


@pytest.mark.parametrize("ext,fmt,subtype", [(".wav", "WAV", "PCM_16"), (".flac", "FLAC", "PCM_16"), (".ogg", "OGG", "VORBIS")])
def test_reads_common_formats(tmp_path, ext, fmt, subtype):
    x = make_speechlike(16000, 1.5)
    path = write(tmp_path / f"a{ext}", x, 16000, format=fmt, subtype=subtype)
    y = load_audio(path, 16000, trim=False, normalise=False)
    assert abs(len(y) - len(x)) < 200
    tol = 0.05 if fmt == "OGG" else 1e-3
    n = min(len(x), len(y))
    assert np.sqrt(np.mean((x[:n] - y[:n]) ** 2)) < tol


def test_mp3_when_libsndfile_supports_it(tmp_path):
    if "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile build has no MP3 support")
    x = make_speechlike(22050, 1.5)
    path = write(tmp_path / "a.mp3", x, 22050, format="MP3")
    assert len(load_audio(path, 22050, trim=False)) > 0.5 * 22050


def test_stereo_is_mixed_to_mono_and_resampled(tmp_path):
    x = make_speechlike(44100, 1.0)
    stereo = np.stack([x, 0.5 * x], axis=1)
    path = write(tmp_path / "s.wav", stereo, 44100, subtype="FLOAT")
    y = load_audio(path, 22050, trim=False, normalise=False)
    assert y.ndim == 1 and abs(len(y) - 22050) <= 1
    ref = resample(0.75 * x, 44100, 22050)
    assert np.max(np.abs(y - ref)) < 1e-5


def test_resampler_is_band_limited():
    sr = 48000
    t = np.arange(sr) / sr
    tone = np.sin(2 * np.pi * 11000 * t).astype(np.float32)  # above the 8 kHz Nyquist of 16 kHz
    down = resample(tone, sr, 16000)
    assert np.sqrt(np.mean(down[1000:-1000] ** 2)) < 1e-3  # removed, not aliased to 5 kHz


def test_trim_removes_leading_and_trailing_silence():
    sr = 16000
    x = make_speechlike(sr, 1.0)
    padded = np.concatenate([np.zeros(sr // 2, np.float32), x, np.zeros(sr, np.float32)])
    y = trim_silence(padded, sr)
    assert abs(len(y) - len(x)) < 0.05 * sr


def test_frame_levels_are_measured_in_blocks_with_the_same_values():
    """frame_rms_db works RMS_BLOCK_FRAMES frames at a time (a 10 min reference once took 0.5 GB here); every
    frame's level equals a direct measurement of that frame, across block edges and in a last short block."""
    from voiceclone.audio.processing import RMS_BLOCK_FRAMES, frame_rms_db

    frame, hop = 400, 160
    n_frames = 2 * RMS_BLOCK_FRAMES + 5
    x = make_speechlike(16000, (frame + hop * (n_frames - 1) + 37) / 16000)
    level = frame_rms_db(x, frame, hop)
    assert level.shape == (n_frames,)
    for k in (0, RMS_BLOCK_FRAMES - 1, RMS_BLOCK_FRAMES, n_frames - 1):
        power = np.mean(np.square(x[k * hop:k * hop + frame], dtype=np.float64))
        assert level[k] == pytest.approx(10 * np.log10(max(power, 1e-20)), abs=1e-9)
    assert frame_rms_db(x[:100], frame, hop).shape == (1,)  # shorter than a frame: one zero-padded frame


def test_level_normalisation_targets_rms_and_limits_peak():
    x = make_speechlike(16000, 1.0) * 0.01
    y = normalise_level(x, target_dbfs=-20.0)
    rms_db = 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
    assert np.max(np.abs(y)) <= 10 ** (-1 / 20) + 1e-6
    assert rms_db <= -20.0 + 1e-3


def test_to_mono_keeps_mono():
    x = np.ones(10, np.float32)
    assert to_mono(x) is x or np.array_equal(to_mono(x), x)


# --- bad input: one clear error naming the file -------------------------------------------------

def _error(path: Path, **kw) -> str:
    with pytest.raises(VoiceCloneError) as info:
        load_audio(path, 16000, **kw)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_file(tmp_path):
    assert "no such file" in _error(tmp_path / "nope.wav")


def test_directory(tmp_path):
    assert "directory" in _error(tmp_path)


def test_unreadable_file(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"RIFF this is not audio at all" * 10)
    assert "cannot read audio" in _error(path)


def test_zero_length_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert "cannot read audio" in _error(path)


def test_zero_samples(tmp_path):
    path = write(tmp_path / "nosamples.wav", np.zeros(0, np.float32), 16000)
    assert "no audio samples" in _error(path)


def test_all_silent(tmp_path):
    path = write(tmp_path / "silent.wav", np.zeros(16000, np.float32), 16000)
    assert "silent" in _error(path)


def test_non_finite_samples(tmp_path):
    x = make_speechlike(16000, 1.0)
    x[100] = np.nan
    path = write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    assert "NaN" in _error(path)


def test_too_short_after_trimming(tmp_path):
    x = np.concatenate([np.zeros(16000, np.float32), make_speechlike(16000, 0.3), np.zeros(16000, np.float32)])
    path = write(tmp_path / "short.wav", x, 16000)
    assert "after trimming" in _error(path)


@pytest.mark.parametrize("rate", [1, 100, 3999])
def test_implausible_sample_rate_is_refused_before_resampling(tmp_path, rate):
    """A damaged header claiming 1 Hz once made 48,000 samples a 13-hour file and exhausted memory."""
    path = write(tmp_path / "slow.wav", make_speechlike(16000, 3.0), rate)
    assert "sample rate" in _error(path)


def test_odd_sample_rate_and_many_channels(tmp_path):
    x = make_speechlike(11025, 1.0)
    path = write(tmp_path / "odd.wav", np.stack([x] * 6, axis=1), 11025)
    y = load_audio(path, 16000, trim=False)
    assert abs(len(y) - 16000) <= 2


def test_read_audio_returns_channels(tmp_path):
    path = write(tmp_path / "two.wav", np.zeros((100, 2), np.float32) + 0.1, 8000)
    audio, sr = read_audio(path)
    assert audio.shape == (100, 2) and sr == 8000


# --- saving -------------------------------------------------------------------------------------

def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    x = make_speechlike(22050, 0.5)
    out = save_audio(tmp_path / "out.wav", x, 22050, metadata={"software": "voiceclone test", "comment": "hi"})
    assert out.exists() and [p.name for p in tmp_path.iterdir()] == ["out.wav"]
    with sf.SoundFile(str(out)) as handle:
        assert handle.samplerate == 22050 and handle.copy_metadata().get("software", "").startswith("voiceclone test")


def test_a_stream_gets_one_tagged_wav():
    x = make_speechlike(22050, 0.5)
    stream = io.BytesIO()
    write_audio_stream(stream, x, 22050, metadata={"software": "voiceclone test", "comment": "hi"})
    stream.seek(0)
    with sf.SoundFile(stream) as handle:
        assert handle.format == "WAV" and handle.samplerate == 22050 and handle.frames == len(x)
        assert handle.copy_metadata().get("comment") == "hi"
        assert np.allclose(handle.read(dtype="float32"), x, atol=1 / 16384)
    with pytest.raises(VoiceCloneError, match="nothing to write"):
        write_audio_stream(io.BytesIO(), np.zeros(0, np.float32), 22050)


def test_save_into_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VoiceCloneError, match="does not exist"):
        save_audio(tmp_path / "missing" / "out.wav", np.zeros(100, np.float32), 22050)


def test_save_unknown_extension(tmp_path):
    with pytest.raises(VoiceCloneError, match="unsupported output extension"):
        save_audio(tmp_path / "out.xyz", np.zeros(100, np.float32), 22050)


def test_save_unwritable_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if (folder / "probe").exists() or _can_write(folder):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(VoiceCloneError, match="cannot write"):
            save_audio(folder / "out.wav", np.zeros(100, np.float32) + 0.1, 22050)
    finally:
        folder.chmod(0o700)


def _can_write(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
        (folder / ".probe").unlink()
        return True
    except OSError:
        return False


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "keep.wav"
    save_audio(out, np.zeros(100, np.float32) + 0.1, 22050)
    before = out.read_bytes()

    def broken_write(self, data):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sf.SoundFile, "write", broken_write)
    with pytest.raises(VoiceCloneError, match="disk full"):
        save_audio(out, np.zeros(200, np.float32) + 0.2, 22050)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_saved_files_get_normal_permissions(tmp_path):
    import os

    out = save_audio(tmp_path / "perm.wav", np.zeros(100, np.float32) + 0.1, 22050)
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
