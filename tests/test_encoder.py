"""Speaker encoder: weight loading, parity with resemblyzer, speaker separation, VAD, profiles, CLI."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from conftest import make_speechlike, read_metadata
from voiceclone.encoder import (
    ReferenceWarning,
    SpeakerEncoder,
    embed_batch,
    embed_utterance,
    load_speaker_encoder,
    prepare_reference,
)
from voiceclone.encoder.embedding import partial_starts
from voiceclone.encoder.loading import default_weights_path
from voiceclone.encoder.reference import MIN_SPEECH_S
from voiceclone.encoder.vad import trim_to_speech
from voiceclone.errors import VoiceCloneError
from voiceclone.voice import Voice, build_voice, load_voice
from voiceclone.voice.frames import MAX_REFERENCE_FRAMES

SR = 16000
N_PARITY = 24
PARITY_LIST = Path(__file__).parent / "data" / "encoder_parity.txt"
PARITY_EMBEDDINGS = Path(__file__).parent / "data" / "encoder_parity.npy"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Keep this module's run time predictable on a shared 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return load_speaker_encoder("cpu")


@pytest.fixture(scope="module")
def voices(data_dir: Path) -> list[tuple[str, np.ndarray, Path]]:
    """(speaker, 16 kHz waveform, path) of the first LibriSpeech voices, one utterance each."""
    rows = read_metadata(data_dir / "voices" / "metadata.tsv")[:N_PARITY]
    out = []
    for row in rows:
        path = data_dir / "voices" / row["path"]
        wav, sr = sf.read(path, dtype="float32")
        assert sr == SR
        out.append((row["speaker"], wav, path))
    return out


@pytest.fixture(scope="module")
def resemblyzer_encoder():
    resemblyzer = pytest.importorskip("resemblyzer", reason="resemblyzer (or its webrtcvad) cannot be imported")
    return resemblyzer.VoiceEncoder("cpu", verbose=False)


def _noise(seconds: float, level: float = 1e-3, seed: int = 1) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal(int(SR * seconds))).astype(np.float32)


def _write(path: Path, audio: np.ndarray, sr: int = SR) -> Path:
    sf.write(path, audio, sr, subtype="PCM_16")
    return path


# --- network and weights -------------------------------------------------------------------------

def test_forward_gives_unit_vectors_per_window() -> None:
    model = SpeakerEncoder().eval()
    with torch.no_grad():
        out = model(torch.rand(3, 160, 40))
    assert out.shape == (3, 256)
    assert torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-5)


def test_encoder_is_cached_per_device_in_eval_mode(encoder: SpeakerEncoder) -> None:
    assert load_speaker_encoder("cpu") is encoder
    assert not encoder.training
    assert encoder.device == torch.device("cpu")
    assert encoder.version.startswith("ge2e:")


def test_weights_differ_from_an_untrained_network(encoder: SpeakerEncoder) -> None:
    untrained = SpeakerEncoder().state_dict()
    trained = encoder.state_dict()
    assert not torch.allclose(untrained["linear.weight"], trained["linear.weight"])


@pytest.mark.parametrize("content", [b"", b"not a torch file at all", b"PK\x03\x04 truncated zip"])
def test_corrupt_weight_file_names_the_package(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "pretrained.pt"
    bad.write_bytes(content)
    with pytest.raises(VoiceCloneError, match="pip install --force-reinstall resemblyzer"):
        load_speaker_encoder("cpu", weights=bad)


def test_missing_or_wrong_shaped_weights_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(VoiceCloneError, match="resemblyzer"):
        load_speaker_encoder("cpu", weights=tmp_path / "absent.pt")
    state = SpeakerEncoder().state_dict()
    state["linear.weight"] = torch.zeros(128, 256)
    wrong = tmp_path / "wrong.pt"
    torch.save({"model_state": state}, wrong)
    with pytest.raises(VoiceCloneError, match="linear.weight.*resemblyzer"):
        load_speaker_encoder("cpu", weights=wrong)


def test_weights_come_from_the_installed_wheel() -> None:
    assert default_weights_path().parts[-2:] == ("resemblyzer", "pretrained.pt")


# --- embeddings ----------------------------------------------------------------------------------

def test_partial_windows_match_resemblyzer(resemblyzer_encoder) -> None:
    for n in [1, 100, 8000, 25599, 25600, 25601, 30000, 37000, 160000, 163211, 271234]:
        _, mel_slices = resemblyzer_encoder.compute_partial_slices(n, 1.3, 0.75)
        assert list(partial_starts(n, 160)) == [s.start for s in mel_slices], n


def test_parity_with_resemblyzer_embed_utterance(encoder, voices) -> None:
    """resemblyzer's embed_utterance of the same files, computed once (see write_parity_reference)."""
    names = PARITY_LIST.read_text().split()
    expected = np.load(PARITY_EMBEDDINGS, allow_pickle=False)
    assert len(names) == len(expected) >= 20
    by_name = {path.name: wav for _, wav, path in voices}
    ours = embed_batch(encoder, [by_name[n] for n in names])
    cosines = np.sum(ours * expected, axis=1)
    assert cosines.min() >= 0.999, cosines


def test_reference_preparation_close_to_resemblyzer_preprocessing(encoder, voices, resemblyzer_encoder) -> None:
    """Our energy VAD in place of webrtcvad barely moves the embedding."""
    from resemblyzer import preprocess_wav

    cosines = []
    for _, _, path in voices[:8]:
        ours = embed_utterance(encoder, prepare_reference(path))
        theirs = resemblyzer_encoder.embed_utterance(preprocess_wav(path))
        cosines.append(float(ours @ theirs))
    assert min(cosines) >= 0.98 and np.mean(cosines) >= 0.99, cosines


def test_batch_equals_one_by_one(encoder) -> None:
    wavs = [make_speechlike(SR, s, seed=i) for i, s in enumerate([0.3, 1.6, 2.5, 7.1])]
    batch = embed_batch(encoder, wavs)
    assert batch.shape == (4, 256) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    singles = np.stack([embed_utterance(encoder, w) for w in wavs])
    np.testing.assert_allclose(batch, singles, atol=1e-5)
    assert embed_batch(encoder, []).shape == (0, 256)


def test_same_speaker_halves_score_higher_than_different_speakers(encoder, voices) -> None:
    halves = [(spk, part) for spk, wav, _ in voices for part in np.array_split(wav, 2)]
    emb = embed_batch(encoder, [h for _, h in halves])
    speakers = np.array([s for s, _ in halves])
    sim = emb @ emb.T
    upper = np.triu(np.ones_like(sim, dtype=bool), k=1)
    same = sim[upper & (speakers[:, None] == speakers[None, :])]
    different = sim[upper & (speakers[:, None] != speakers[None, :])]
    assert len(same) == len(voices)
    assert same.mean() > different.mean() + 0.2
    assert np.mean(same > np.percentile(different, 99)) >= 0.9


# --- voice activity and reference checks ---------------------------------------------------------

def test_vad_cuts_long_silences_and_keeps_speech() -> None:
    speech = make_speechlike(SR, 3.0)
    audio = np.concatenate([_noise(2.0), speech, _noise(2.0, seed=2), speech, _noise(1.0, seed=3)])
    trimmed, speech_s = trim_to_speech(audio, SR)
    assert 5.0 <= speech_s <= 6.0
    assert 5.5 <= len(trimmed) / SR <= 7.0


@pytest.mark.parametrize("kind", ["noise", "hum", "silence"])
def test_vad_finds_no_speech_in_noise_hum_or_silence(kind: str) -> None:
    t = np.arange(5 * SR) / SR
    audio = {"noise": _noise(5.0, level=0.1),
             "hum": (0.5 * np.sin(2 * np.pi * 50 * t)).astype(np.float32) + _noise(5.0),
             "silence": np.zeros(5 * SR, np.float32)}[kind]
    assert trim_to_speech(audio, SR)[1] < MIN_SPEECH_S


def test_reference_with_little_speech_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "short.wav", np.concatenate([_noise(2.0), make_speechlike(SR, 0.5), _noise(2.0)]))
    with pytest.raises(VoiceCloneError, match="short.wav.*speech"):
        prepare_reference(path)
    with pytest.raises(VoiceCloneError, match="silent|speech"):
        prepare_reference(_write(tmp_path / "silent.wav", np.zeros(SR * 4, np.float32)))


@pytest.mark.parametrize("seconds", [0.01, 0.05, 0.125, 0.2, 0.3])
def test_reference_of_a_fraction_of_a_second_is_refused_cleanly(tmp_path: Path, seconds: float) -> None:
    """Under seven VAD windows (0.21 s) the pause-widening once returned more flags than the audio had."""
    path = _write(tmp_path / "blip.wav", make_speechlike(SR, seconds))
    with pytest.raises(VoiceCloneError, match=r"blip.wav: only 0\.\d s of speech"):
        prepare_reference(path)


@pytest.mark.parametrize("windows", range(0, 9))
def test_vad_keeps_one_flag_per_window_whatever_the_length(windows: int) -> None:
    audio = make_speechlike(SR, windows * 0.03 + 0.01)
    trimmed, speech_s = trim_to_speech(audio, SR)
    assert len(trimmed) <= len(audio) and speech_s <= windows * 0.03 + 1e-9


def test_short_or_clipped_reference_warns(tmp_path: Path) -> None:
    short = _write(tmp_path / "short.wav", np.concatenate([_noise(0.5), make_speechlike(SR, 2.0), _noise(0.5)]))
    with pytest.warns(ReferenceWarning, match=r"only [12]\.\d s of speech"):
        audio = prepare_reference(short)
    assert 1.5 * SR <= len(audio) <= 3.0 * SR
    clipped = np.clip(make_speechlike(SR, 5.0) * 8.0, -1.0, 1.0)
    with pytest.warns(ReferenceWarning, match="clipped"):
        prepare_reference(_write(tmp_path / "clipped.wav", clipped))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_reference(_write(tmp_path / "fine.wav", make_speechlike(SR, 5.0)))


def test_reference_is_resampled_mixed_and_raised_to_level(tmp_path: Path) -> None:
    quiet = 0.01 * make_speechlike(44100, 4.0)
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([quiet, quiet], axis=1), 44100)
    audio = prepare_reference(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 3.0 * SR <= len(audio) <= 4.1 * SR
    assert 20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) > -32.0


# --- profiles ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def references(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("refs")
    return [_write(folder / f"ref{i}.wav", make_speechlike(SR, 4.0, seed=i)) for i in range(3)]


def test_profile_round_trip_and_provenance(encoder, references, tmp_path: Path) -> None:
    profile = build_voice(references[:2], encoder)
    expected = embed_batch(encoder, [prepare_reference(p) for p in references[:2]]).mean(axis=0)
    np.testing.assert_allclose(profile.embedding, expected / np.linalg.norm(expected), atol=1e-5)
    assert profile.sources == ("ref0.wav", "ref1.wav")
    assert len(set(profile.sha256)) == 2 and all(len(h) == 64 for h in profile.sha256)
    assert all(3.0 <= s <= 4.0 for s in profile.speech_s)
    assert profile.encoder_version == encoder.version
    assert profile.band_mean.shape == profile.band_std.shape == (80,) and np.all(profile.band_std > 0)
    saved = profile.save(tmp_path / "voice.npz")
    loaded = Voice.load(saved)
    np.testing.assert_array_equal(loaded.embedding, profile.embedding)
    np.testing.assert_array_equal(loaded.band_mean, profile.band_mean)
    np.testing.assert_array_equal(loaded.band_std, profile.band_std)
    assert profile.reference_frames.shape[0] == 80 and 300 < profile.reference_frames.shape[1] <= MAX_REFERENCE_FRAMES
    np.testing.assert_allclose(loaded.reference_frames, profile.reference_frames, atol=0.01)  # stored as float16
    assert (loaded.sources, loaded.sha256, loaded.speech_s, loaded.encoder_version) == (
        profile.sources, profile.sha256, profile.speech_s, profile.encoder_version)


def test_profile_is_accepted_wherever_a_reference_is(encoder, references, tmp_path: Path) -> None:
    pair = build_voice(references[:2], encoder).save(tmp_path / "pair.npz")
    mixed = load_voice([pair, references[2]], encoder)
    direct = build_voice(references, encoder)
    np.testing.assert_allclose(mixed.embedding, direct.embedding, atol=1e-5)
    np.testing.assert_allclose(mixed.band_mean, direct.band_mean, atol=1e-5)
    np.testing.assert_allclose(mixed.band_std, direct.band_std, atol=1e-5)
    assert len(mixed.sources) == 3
    single = load_voice(references[0], encoder)
    np.testing.assert_allclose(single.embedding, embed_utterance(encoder, prepare_reference(references[0])),
                               atol=1e-5)
    np.testing.assert_array_equal(load_voice(pair).embedding, Voice.load(pair).embedding)


def test_corrupt_or_foreign_profiles_are_refused(encoder, references, tmp_path: Path) -> None:
    (tmp_path / "garbage.npz").write_bytes(b"garbage")
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    np.savez(tmp_path / "pickled.npz", format=np.array("voiceclone-voice-profile/1"),
             embedding=np.array([object()], dtype=object))
    good = build_voice(references[:1], encoder)
    Voice(np.ones(256, np.float32), good.sources, good.sha256, good.speech_s,
                 good.encoder_version).save(tmp_path / "unnormalised.npz")
    Voice(good.embedding, good.sources, good.sha256, good.speech_s, "ge2e:other").save(tmp_path / "other.npz")
    dataclasses.replace(good, reference_frames=np.full((80, 5), np.nan, np.float32)).save(tmp_path / "nanframes.npz")
    damaged = {"noframes": dict(reference_frames=np.zeros((80, 0), np.float32)),
               "loudframes": dict(reference_frames=np.full((80, 5), 6e4, np.float32)),
               "hugebands": dict(band_mean=np.full(80, 1e30, np.float32)),
               "negpitchstd": dict(logf0_std=-3.0), "hugepitch": dict(logf0_mean=50.0),
               "infpitch": dict(logf0_mean=float("inf")), "nanspeech": dict(speech_s=(float("nan"),))}
    for name, change in damaged.items():
        dataclasses.replace(good, **change).save(tmp_path / f"{name}.npz")
    floor = dataclasses.replace(good, reference_frames=np.full((80, 5), np.log(1e-5), np.float32))
    assert Voice.load(floor.save(tmp_path / "floor.npz")).reference_frames.shape == (80, 5)  # e.g. 8 kHz audio
    for name, message in [("garbage", "not a voice profile"), ("foreign", "not a voice profile"),
                          ("pickled", "not a voice profile|damaged"), ("unnormalised", "damaged"),
                          ("other", "different encoder|rebuild"), ("absent", "no such"),
                          ("nanframes", "damaged"), *((name, "damaged.*rebuild") for name in damaged)]:
        with pytest.raises(VoiceCloneError, match=message):
            load_voice(tmp_path / f"{name}.npz", encoder)


# --- command line --------------------------------------------------------------------------------

def _cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in-process: (exit code, stdout, stderr)."""
    from voiceclone import cli

    code = 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["voiceclone", *args])
        try:
            cli.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_embed_writes_profile_and_reports_errors(references, tmp_path: Path, capsys) -> None:
    out = tmp_path / "voice.npz"
    code, stdout, stderr = _cli(capsys, "embed", *map(str, references), "-o", str(out), "--device", "cpu")
    assert code == 0, stderr
    assert stdout.count("\n") == 1 and "3 references" in stdout
    assert len(Voice.load(out).sources) == 3
    (tmp_path / "bad.npz").write_bytes(b"x")
    code, _, stderr = _cli(capsys, "embed", str(tmp_path / "bad.npz"), "-o", str(tmp_path / "never.npz"))
    assert code == 1
    assert stderr.startswith("error:") and stderr.count("\n") == 1
    assert not (tmp_path / "never.npz").exists()


def test_cli_embed_prints_reference_warnings(tmp_path: Path, capsys) -> None:
    short = _write(tmp_path / "short.wav", make_speechlike(SR, 2.0))
    code, stdout, stderr = _cli(capsys, "embed", str(short), "-o", str(tmp_path / "v.npz"), "--device", "cpu")
    assert code == 0
    assert stderr.startswith("warning:") and "s of speech" in stderr
    assert stderr.strip().count("\n") == 0 and ".py" not in stderr  # one line, no source code
    assert "1 reference," in stdout


def write_parity_reference(data_dir: Path) -> None:
    """Store resemblyzer's embed_utterance of the first N_PARITY voices (run once, by hand)."""
    from resemblyzer import VoiceEncoder

    reference = VoiceEncoder("cpu", verbose=False)
    rows = read_metadata(data_dir / "voices" / "metadata.tsv")[:N_PARITY]
    paths = [data_dir / "voices" / row["path"] for row in rows]
    embeddings = [reference.embed_utterance(sf.read(p, dtype="float32")[0]) for p in paths]
    PARITY_LIST.parent.mkdir(exist_ok=True)
    PARITY_LIST.write_text("".join(f"{p.name}\n" for p in paths))
    np.save(PARITY_EMBEDDINGS, np.stack(embeddings).astype(np.float32))


if __name__ == "__main__":
    from conftest import DATA_DIR

    write_parity_reference(DATA_DIR)
