"""Acoustic model: alignment search, length regulation, a learning training step, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voiceclone.acoustic.alignment import beta_binomial_prior, durations_to_alignment, monotonic_durations
from voiceclone.acoustic.checkpoint import load_checkpoint, save_checkpoint
from voiceclone.acoustic.config import AcousticConfig
from voiceclone.acoustic.losses import autoencode_losses, text_losses
from voiceclone.acoustic.model import AcousticModel, phone_contour_to_frames, regulate_length
from voiceclone.errors import VoiceCloneError
from voiceclone.text import DEFAULT_TABLE


def tiny_config() -> AcousticConfig:
    return AcousticConfig(n_symbols=len(DEFAULT_TABLE), d_model=32, predictor_channels=16, decoder_channels=32,
                          decoder_dilations=(1, 2), postnet_channels=16, align_dim=16, bottleneck_dim=4)


def test_mas_follows_a_planted_path():
    durations = torch.tensor([[3, 1, 4, 2]])
    hard = durations_to_alignment(durations, 10)
    logp = torch.log(hard * 0.9 + 0.01)
    found = monotonic_durations(logp, torch.tensor([4]), torch.tensor([10]))
    assert found.tolist() == durations.tolist()


def test_mas_gives_every_phoneme_a_frame_and_sums_to_length():
    torch.manual_seed(0)
    logp = torch.randn(3, 50, 12)
    lengths_t, lengths_m = torch.tensor([12, 7, 12]), torch.tensor([50, 30, 12])
    d = monotonic_durations(logp, lengths_t, lengths_m)
    for i in range(3):
        n = int(lengths_t[i])
        assert (d[i, :n] >= 1).all() and int(d[i].sum()) == int(lengths_m[i]) and (d[i, n:] == 0).all()


def test_regulate_length_repeats_vectors():
    x = torch.arange(3.0)[None, :, None]
    out = regulate_length(x, torch.tensor([[2, 0, 3]]))
    assert out[0, :, 0].tolist() == [0, 0, 2, 2, 2]


def test_prior_is_diagonal():
    prior = beta_binomial_prior([5], [50])[0]
    peaks = prior.argmax(dim=1)
    assert peaks[0] == 0 and peaks[-1] == 4 and (peaks[1:] >= peaks[:-1]).all()


def toy_batch(cfg: AcousticConfig):
    torch.manual_seed(1)
    ids = torch.randint(4, cfg.n_symbols, (2, 9))
    text_lengths = torch.tensor([9, 6])
    mel_lengths = torch.tensor([40, 25])
    mel = torch.randn(2, cfg.n_mels, 40) * (torch.arange(40)[None, None] < mel_lengths[:, None, None])
    return ids, text_lengths, mel, mel_lengths, torch.nn.functional.normalize(torch.randn(2, 256), dim=1)


def test_training_steps_reduce_the_loss():
    cfg = tiny_config()
    model = AcousticModel(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    ids, tl, mel, ml, spk = toy_batch(cfg)
    logf0 = torch.full((2, 40), 5.0)
    prior = beta_binomial_prior(tl.tolist(), ml.tolist())
    history = []
    for _ in range(30):
        out = model.forward_text(ids, tl, mel, ml, spk, logf0, prior)
        losses = text_losses(out, mel, tl, ml, torch.full((2,), 5.0), torch.full((2,), 0.2), 0.1)
        losses.update(autoencode_losses(model.forward_autoencode(mel, ml, spk, logf0), mel))
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(total.item())
        assert all(torch.isfinite(v) for v in losses.values())
    assert np.mean(history[-5:]) < 0.8 * np.mean(history[:5])


def tiny_model_and_inputs() -> tuple[AcousticModel, torch.Tensor, torch.Tensor]:
    """An untrained tiny model in eval mode, 12 random phoneme ids and a random unit d-vector."""
    cfg = tiny_config()
    ids = torch.randint(4, cfg.n_symbols, (1, 12))
    return AcousticModel(cfg).eval(), ids, torch.nn.functional.normalize(torch.randn(1, 256), dim=1)


def test_infer_shapes_speed_and_pitch():
    model, ids, spk = tiny_model_and_inputs()
    mel, durations, logf0 = model.infer(ids, spk, torch.tensor([5.0]), torch.tensor([0.2]))
    assert mel.shape[1] == 80 and mel.shape[2] == int(durations.sum()) and (durations >= 1).all()
    assert logf0.shape == (1, mel.shape[2])
    slow, slow_d, _ = model.infer(ids, spk, torch.tensor([5.0]), torch.tensor([0.2]), speed=0.5)
    assert int(slow_d.sum()) >= int(durations.sum())


def test_timing_speaker_sets_the_durations_and_the_speaker_the_sound():
    cfg = tiny_config()
    model = AcousticModel(cfg).eval()
    torch.nn.init.constant_(model.duration.head.bias, float(np.log(6.0)))  # about 5 frames a phoneme
    ids = torch.randint(4, cfg.n_symbols, (1, 12))
    spk, timing = torch.nn.functional.normalize(torch.randn(2, 256), dim=1).split(1)
    register = (torch.tensor([5.0]), torch.tensor([0.2]))
    own = model.infer(ids, spk, *register).durations
    timing_own = model.infer(ids, timing, *register).durations
    mel, durations, _ = model.infer(ids, spk, *register, timing_speaker=timing)
    assert timing_own.tolist() != own.tolist()  # the two voices are timed differently
    assert durations.tolist() == timing_own.tolist() and mel.shape[-1] == int(timing_own.sum())
    assert not torch.allclose(mel, model.infer(ids, timing, *register).mel)  # but sound as ``spk``
    same = model.infer(ids, spk, *register, timing_speaker=spk).durations
    assert same.tolist() == own.tolist()


def test_phone_contour_is_linear_between_phoneme_centres():
    values = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    durations = torch.tensor([[2, 2, 2], [1, 1, 4]])
    frames = phone_contour_to_frames(values, durations)
    # first row: centres at 1, 3, 5; frame centres at 0.5 .. 5.5
    assert torch.allclose(frames[0], torch.tensor([1.0, 1.5, 2.5, 3.0, 3.0, 3.0]))
    assert torch.allclose(frames[1], torch.full((6,), 2.0))  # a constant stays constant
    assert torch.allclose(phone_contour_to_frames(torch.tensor([[4.0]]), torch.tensor([[3]])), torch.full((1, 3), 4.0))


def test_rerender_goes_through_the_auto_encoding_path():
    model, ids, spk = tiny_model_and_inputs()
    mel, _, logf0 = model.infer(ids, spk, torch.tensor([5.0]), torch.tensor([0.2]))
    again = model.rerender(mel, spk, logf0)
    with torch.no_grad():
        expected = model.forward_autoencode(model.normalise_mel(mel), torch.tensor([mel.shape[-1]]), spk, logf0)
    assert again.shape == mel.shape
    assert torch.allclose(again, model.denormalise_mel(expected["mel_postnet"]), atol=1e-5)


def test_checkpoint_round_trip(tmp_path):
    cfg = tiny_config()
    model = AcousticModel(cfg).eval()
    save_checkpoint(tmp_path, model, DEFAULT_TABLE, {"steps": 0})
    loaded = load_checkpoint(tmp_path)
    assert loaded.table.symbols == DEFAULT_TABLE.symbols and loaded.meta == {"steps": 0}
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.model.state_dict().items()):
        assert torch.equal(a, b), k


def test_missing_and_corrupt_checkpoints_are_clear_errors(tmp_path):
    with pytest.raises(VoiceCloneError, match="missing model.safetensors"):
        load_checkpoint(tmp_path)
    save_checkpoint(tmp_path, AcousticModel(tiny_config()), DEFAULT_TABLE, {})
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(VoiceCloneError, match="corrupt or incompatible"):
        load_checkpoint(tmp_path)
