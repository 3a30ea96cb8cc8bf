"""Fine-tuning parts of the vocoder: discriminator output shapes, losses that backpropagate,
weight norm on and off, and the differentiable mel matching the numba front end."""

from __future__ import annotations

import numpy as np
import torch

from tests.conftest import make_speechlike
from voiceclone.features import VOCODER_MEL, mel_spectrogram
from voiceclone.vocoder import HiFiGANConfig, HiFiGANGenerator, apply_weight_norm, remove_weight_norm
from voiceclone.vocoder.discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator
from voiceclone.features.reference import torch_mel_spectrogram
from voiceclone.vocoder.losses import discriminator_loss, feature_loss, generator_loss, mel_loss

TINY = HiFiGANConfig(upsample_initial_channel=16)


def test_discriminator_shapes() -> None:
    real, fake = torch.randn(2, 1, 1000), torch.randn(2, 1, 1000)
    mpd, msd = MultiPeriodDiscriminator(), MultiScaleDiscriminator()
    with torch.no_grad():
        r, f, fr, ff = mpd(real, fake)
        assert len(r) == len(f) == len(fr) == len(ff) == 5
        assert all(len(feats) == 6 for feats in fr)
        for period, score, feats in zip((2, 3, 5, 7, 11), r, fr):
            assert score.shape[0] == 2 and score.ndim == 2
            assert feats[0].shape[-1] == period  # folded into (time / period, period)
        r, f, fr, ff = msd(real, fake)
        assert len(r) == 3 and all(len(feats) == 8 for feats in fr)
        assert [s.shape[-1] for s in r] == sorted((s.shape[-1] for s in r), reverse=True)


def test_resblock2_generator_shape() -> None:
    config = HiFiGANConfig(upsample_initial_channel=16, resblock="2", resblock_kernel_sizes=(3, 5, 7),
                           resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)))
    with torch.no_grad():
        assert HiFiGANGenerator(config)(torch.randn(1, 80, 7)).shape == (1, 1, 7 * 256)


def test_one_training_step_moves_every_model() -> None:
    torch.manual_seed(0)
    generator = apply_weight_norm(HiFiGANGenerator(TINY))
    mpd, msd = MultiPeriodDiscriminator(), MultiScaleDiscriminator()
    audio = torch.from_numpy(make_speechlike(22050, 0.1))[None, None]
    mel = torch_mel_spectrogram(audio[:, 0])[:, :, :4]
    real = audio[:, :, : 4 * 256]

    fake = generator(mel)
    assert fake.shape == real.shape
    d_loss = sum(discriminator_loss(*disc(real, fake.detach())[:2]) for disc in (mpd, msd))
    d_loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in mpd.parameters())
    assert all(p.grad is not None for p in msd.parameters())
    assert generator.conv_pre.parametrizations.weight.original1.grad is None

    g_loss = mel_loss(real, fake)
    for disc in (mpd, msd):
        _, fake_scores, real_feats, fake_feats = disc(real, fake)
        g_loss = g_loss + generator_loss(fake_scores) + feature_loss(real_feats, fake_feats)
    g_loss.backward()
    assert torch.isfinite(g_loss) and g_loss > 0
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in generator.parameters())
    assert generator.conv_pre.parametrizations.weight.original1.grad.abs().sum() > 0


def test_weight_norm_round_trip_keeps_output() -> None:
    torch.manual_seed(1)
    generator = HiFiGANGenerator(TINY).eval()
    mel = torch.randn(1, 80, 10)
    with torch.no_grad():
        before = generator(mel)
        remove_weight_norm(apply_weight_norm(generator))
        after = generator(mel)
    assert not any("parametrizations" in name for name, _ in generator.named_parameters())
    torch.testing.assert_close(after, before, atol=1e-6, rtol=1e-5)


def test_losses_are_zero_for_identical_audio() -> None:
    audio = torch.from_numpy(make_speechlike(22050, 0.5))[None, None]
    assert mel_loss(audio, audio) == 0
    assert discriminator_loss([torch.ones(2, 5)], [torch.zeros(2, 5)]) == 0
    assert generator_loss([torch.ones(2, 5)]) == 0


def test_torch_log_mel_matches_front_end() -> None:
    audio = make_speechlike(22050, 1.0)
    expected = mel_spectrogram(audio, VOCODER_MEL)
    ours = torch_mel_spectrogram(torch.from_numpy(audio)[None])[0].numpy()
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=2e-3)
