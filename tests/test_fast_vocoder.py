"""The fast (Vocos-style) vocoder: output length, the iSTFT, chunked and streamed output equal to the
whole utterance's, its checkpoint (round trip, clear refusals), and its training recipe (steps, log, resume)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import make_speechlike
from voiceclone.errors import VoiceCloneError
from voiceclone.vocoder import FastVocoder, FastVocoderConfig, load_vocoder, vocode, vocode_stream
from voiceclone.vocoder import fast_weights
from voiceclone.vocoder.fast_weights import load_fast_vocoder, save_fast_vocoder
from voiceclone.vocoder.istft import frame_spectrum, istft, stft

TINY = FastVocoderConfig(dim=16, intermediate_dim=32, layers=2)


def random_model(config: FastVocoderConfig, seed: int = 0) -> FastVocoder:
    """Random weights large enough that every frame's spectrum matters (the default init is near zero)."""
    torch.manual_seed(seed)
    model = FastVocoder(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    return model


def test_output_is_frames_times_hop() -> None:
    model = random_model(TINY)
    with torch.no_grad():
        for frames in (1, 7, 33):
            assert model(torch.randn(2, 80, frames)).shape == (2, 1, frames * 256)
    assert model.spectrum(torch.randn(1, 80, 5)).shape == (1, 513, 5)


def test_istft_inverts_stft_with_same_padding() -> None:
    signal = torch.randn(3, 256 * 40, dtype=torch.float64)
    spectrum = stft(signal, 1024, 256)
    assert spectrum.shape == (3, 513, 40)
    np.testing.assert_allclose(istft(spectrum, 1024, 256).numpy(), signal.numpy(), atol=1e-10)


def test_chunked_and_streamed_equal_whole_for_ten_seconds() -> None:
    model = random_model(FastVocoderConfig(dim=32, intermediate_dim=64))  # the default depth: its receptive field
    mel = np.random.default_rng(0).normal(-5, 2, (80, 862)).astype(np.float32)  # 10.0 s
    whole = vocode(model, mel, chunk_frames=mel.shape[1])
    assert whole.shape == (862 * 256,) and np.std(whole) > 1e-2
    chunked = vocode(model, mel, chunk_frames=97)
    cuts = [0, 1, 40, 41, 300, 700, 862]
    streamed = np.concatenate(list(vocode_stream(model, (mel[:, a:b] for a, b in zip(cuts[:-1], cuts[1:])),
                                                 chunk_frames=64, first_frames=16)))
    assert np.max(np.abs(chunked - whole)) <= 1e-4
    assert np.max(np.abs(streamed - whole)) <= 1e-4
    short = np.concatenate(list(vocode_stream(model, mel, chunk_frames=97, context=4)))
    assert np.max(np.abs(short - whole)) > 1e-2  # too little context shows: the checks above can fail


def test_receptive_field_bound_is_tight() -> None:
    """No output sample depends on a frame further than the declared context, and nearly that far is reached."""
    model = random_model(TINY).double()
    context = TINY.receptive_field_frames()
    mel = torch.randn(1, 80, 4 * context, dtype=torch.float64, requires_grad=True)
    centre = 2 * context
    model(mel)[0, 0, centre * 256: (centre + 1) * 256].sum().backward()
    reached = np.flatnonzero(mel.grad[0].abs().sum(0).numpy() > 0)
    assert context - 1 <= max(centre - reached.min(), reached.max() - centre) <= context


def test_checkpoint_round_trip(tmp_path) -> None:
    model = random_model(TINY)
    save_fast_vocoder(tmp_path / "ckpt", model, {"steps": 3})
    loaded = load_fast_vocoder(tmp_path / "ckpt")
    assert loaded.config == TINY and not any(p.requires_grad for p in loaded.parameters())
    mel = torch.randn(1, 80, 20)
    with torch.no_grad():
        torch.testing.assert_close(loaded(mel), model(mel), atol=0, rtol=0)


def test_missing_or_corrupt_checkpoint_is_one_clear_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(fast_weights, "SHIPPED_FAST", tmp_path / "not_shipped")
    with pytest.raises(VoiceCloneError, match="not trained and shipped yet") as shipped:
        load_vocoder("cpu", "fp32", "fast")
    with pytest.raises(VoiceCloneError, match="missing model.safetensors") as missing:
        load_fast_vocoder(tmp_path / "elsewhere")
    save_fast_vocoder(tmp_path / "bad", random_model(TINY), {})
    (tmp_path / "bad" / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(VoiceCloneError, match="corrupt or incompatible") as corrupt:
        load_fast_vocoder(tmp_path / "bad")
    with pytest.raises(VoiceCloneError, match="unknown vocoder 'wavenet'"):
        load_vocoder("cpu", "fp32", "wavenet")
    assert all("\n" not in str(e.value) for e in (shipped, missing, corrupt))


def test_cli_and_api_refuse_the_unshipped_fast_vocoder(tmp_path) -> None:
    from typer.testing import CliRunner

    from voiceclone.cli import app
    from voiceclone.pipeline import VoiceCloner

    assert not fast_weights.SHIPPED_FAST.exists(), "weights are shipped now: test --vocoder fast for real instead"
    for command in (["speak", "Hello.", "-o", str(tmp_path / "x.wav")], ["vocode", "in.wav", "-o", str(tmp_path / "x.wav")],
                    ["eval", "--mode", "copy", "--refs", "refs.tsv", "--out", str(tmp_path / "eval")]):
        result = CliRunner().invoke(app, [*command, "--vocoder", "fast", "--device", "cpu"], standalone_mode=False)
        assert isinstance(result.exception, VoiceCloneError), command
        assert "fast vocoder is not trained and shipped yet" in str(result.exception)
    assert not (tmp_path / "x.wav").exists()
    with pytest.raises(VoiceCloneError, match="not trained and shipped yet"):
        VoiceCloner(device="cpu", vocoder="fast")
    assert "--vocoder" in CliRunner().invoke(app, ["speak", "--help"]).output


def test_segments_line_up_with_the_whole_files_frames() -> None:
    """A segment's mel frames, audio and teacher STFT frames are the same frames of the whole file."""
    from recipes.vocoder.data import Item, draw_batch

    frames = 60
    audio = np.random.default_rng(1).standard_normal(frames * 256).astype(np.float32)
    mel = np.tile(np.arange(frames, dtype=np.float32), (80, 1))  # each frame holds its own index

    class Stub:
        def __len__(self) -> int:
            return 1

        def item(self, index: int) -> Item:
            return Item(audio, mel, teacher=audio)

    batch = draw_batch(Stub(), np.random.default_rng(0), 4, 16, 1024)
    whole = stft(torch.from_numpy(audio)[None], 1024, 256)[0]
    teacher = frame_spectrum(batch["teacher"], 1024, 256)
    starts = [int(m[0, 0]) for m in batch["mel"]]
    assert len(set(starts)) > 1
    for i, start in enumerate(starts):
        np.testing.assert_array_equal(batch["mel"][i, 0].numpy(), np.arange(start, start + 16))
        np.testing.assert_array_equal(batch["audio"][i, 0].numpy(), audio[start * 256:(start + 16) * 256])
        torch.testing.assert_close(teacher[i], whole[:, start:start + 16], atol=1e-5, rtol=0)


def test_recipe_trains_logs_and_resumes(tmp_path) -> None:
    from recipes.vocoder.train_fast import main

    (tmp_path / "data" / "tts").mkdir(parents=True)
    rows = ["path\tspeaker"]
    for i, rate in enumerate((16000, 22050)):
        sf.write(tmp_path / "data" / "tts" / f"{i}.wav", make_speechlike(rate, 0.8, seed=i), rate)
        rows.append(f"{i}.wav\tspeaker{i}")
    (tmp_path / "data" / "tts" / "metadata.tsv").write_text("\n".join(rows) + "\n")
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "data"), "--run", str(run), "--dim", "16", "--intermediate-dim", "32",
              "--layers", "2", "--batch", "1", "--segment-frames", "5", "--gan-from", "2", "--log-every", "1",
              "--sample-every", "2", "--threads", "1"]
    main([*common, "--steps", "2"])
    first = torch.load(run / "state.pt", weights_only=True)
    assert first["step"] == 2 and (run / "samples" / "step_0000002.wav").is_file()
    main([*common, "--steps", "3", "--export", str(tmp_path / "exported")])
    with open(run / "losses.csv") as f:
        log = list(csv.DictReader(f))
    assert [row["step"] for row in log] == ["1", "2", "3"]
    assert log[1]["disc"] == "" and log[2]["disc"] != ""  # the discriminators join after --gan-from steps
    values = [float(row[k]) for row in log for k in ("mel", "stft", "distill")]
    assert all(np.isfinite(values)) and min(values) > 0
    assert torch.load(run / "state.pt", weights_only=True)["step"] == 3
    assert len(list((run / "teacher").glob("*.npz"))) == 2
    assert load_fast_vocoder(tmp_path / "exported").config.dim == 16


def test_the_training_files_leave_the_development_speakers_out(data_dir):
    from recipes.vocoder.data import list_audio
    from voiceclone.references import dev_split

    files = {path.resolve() for path in list_audio(data_dir)}
    held = dev_split(data_dir)
    assert files and not any(ref.path.resolve() in files for ref in held)
    assert len(files) == 1260 + 251 - len(held)


def test_training_in_process_gives_the_caller_its_thread_count_back(tmp_path):
    import torch

    from recipes.vocoder import train_fast

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(Exception):  # fails on its data, after taking one thread
            train_fast.main(["--data", str(tmp_path / "none"), "--run", str(tmp_path / "run"), "--threads", "1"])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
