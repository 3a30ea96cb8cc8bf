"""The numba mel front end against a torch.stft reference, and its FFT against numpy's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from conftest import make_speechlike
from voiceclone.audio import load_audio
from voiceclone.features import ENCODER_MEL, VOCODER_MEL, mel_spectrogram, mel_spectrogram_batch
from voiceclone.features.fft import fft
from voiceclone.features.mel import log_inplace
from voiceclone.features.reference import torch_mel_spectrogram

CONFIGS = {"vocoder": VOCODER_MEL, "encoder": ENCODER_MEL}


def reference(x: np.ndarray, config) -> np.ndarray:
    """torch.stft in float64: the exact answer both float32 implementations approximate."""
    return torch_mel_spectrogram(x, config, dtype=torch.float64).numpy()


def assert_parity(ours: np.ndarray, ref: np.ndarray, config) -> None:
    """Log-mel within 1e-4 absolute wherever the mel magnitude exceeds 1e-4."""
    assert ours.shape == ref.shape
    if config.log:
        mask = np.exp(ref) > 1e-4
        ours_log, ref_log = ours, ref
    else:
        mask = ref > 1e-4
        ours_log, ref_log = np.log(np.maximum(ours, 1e-30)), np.log(ref)
    assert mask.mean() > 0.05  # the comparison covers a real part of the spectrogram
    assert np.max(np.abs(ours_log - ref_log)[mask]) < 1e-4


@pytest.mark.parametrize("n", [2, 3, 5, 8, 12, 30, 400, 512, 1024])
def test_fft_matches_numpy(n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((7, n)) + 1j * rng.standard_normal((7, n))).astype(np.complex64)
    ref = np.fft.fft(x.astype(np.complex128), axis=1)
    assert np.max(np.abs(fft(x) - ref)) < 1e-5 * np.max(np.abs(ref))


@pytest.mark.parametrize("kind", ["vocoder", "encoder"])
@pytest.mark.parametrize("signal", ["speechlike", "noise", "chirp", "impulses"])
def test_parity_on_synthetic_signals(kind, signal):
    config = CONFIGS[kind]
    sr = config.sample_rate
    rng = np.random.default_rng(1)
    t = np.arange(int(1.7 * sr)) / sr
    x = {
        "speechlike": lambda: make_speechlike(sr, 1.7),
        "noise": lambda: 0.1 * rng.standard_normal(len(t)),
        "chirp": lambda: 0.5 * np.sin(2 * np.pi * (50 + 2000 * t) * t),  # 50 Hz to 6.9 kHz, inside the mel range
        "impulses": lambda: (np.arange(len(t)) % 997 == 0) * 0.9,
    }[signal]().astype(np.float32)
    assert_parity(mel_spectrogram(x, config), reference(x, config), config)


@pytest.mark.parametrize("n_samples", [1, 100, 383, 1023, 1024, 1025, 5000])
def test_short_and_odd_lengths(n_samples):
    x = np.random.default_rng(n_samples).standard_normal(n_samples).astype(np.float32) * 0.1
    ours = mel_spectrogram(x, VOCODER_MEL)
    assert ours.shape == (80, VOCODER_MEL.n_frames(n_samples))
    if n_samples > VOCODER_MEL.pad:  # torch's reflect padding needs a signal longer than the pad
        ref = reference(x, VOCODER_MEL)
        assert np.max(np.abs(ours - ref)) < 1e-4


@pytest.mark.parametrize("n_fft", [402, 1022])
def test_parity_when_the_first_stage_is_not_radix_4(n_fft):
    # n_fft not a multiple of 4 takes the separate framing pass instead of the fused first stage
    config = dataclasses.replace(VOCODER_MEL, n_fft=n_fft, pad=(n_fft - 256) // 2)
    x = make_speechlike(config.sample_rate, 1.3).astype(np.float32)
    assert_parity(mel_spectrogram(x, config), reference(x, config), config)


def test_log_inplace_matches_numpy():
    rng = np.random.default_rng(4)
    values = np.concatenate([np.exp(rng.uniform(-30, 12, 5000)), [0.0, 1e-300, 1.0, 2.0, np.sqrt(2.0)]])
    ours = values.copy()
    log_inplace(ours, 1e-5, np.empty_like(values), np.empty_like(values))
    assert np.max(np.abs(ours - np.log(np.maximum(values, 1e-5)))) < 1e-9


def test_frame_count_matches_hifigan_convention():
    assert VOCODER_MEL.n_frames(22050 * 2) == (22050 * 2) // 256
    assert ENCODER_MEL.n_frames(16000) == 1 + 16000 // 160


def test_batch_equals_one_by_one():
    rng = np.random.default_rng(3)
    signals = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (3000, 22050, 777, 40000, 12345)]
    batch = mel_spectrogram_batch(signals, VOCODER_MEL)
    for x, mel in zip(signals, batch):
        assert np.allclose(mel, mel_spectrogram(x, VOCODER_MEL), atol=1e-5)  # frames pair up differently


def test_encoder_mel_matches_librosa_as_resemblyzer_calls_it():
    librosa = pytest.importorskip("librosa")
    x = make_speechlike(16000, 2.0)
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40)
    assert_parity(mel_spectrogram(x, ENCODER_MEL), ref.astype(np.float32), ENCODER_MEL)


def test_parity_on_real_speech(tts_rows):
    rows = [r for r in tts_rows if r["source"] in ("cathy", "vctk", "commonvoice", "misc")][::40][:12]
    for row in rows:
        for config in CONFIGS.values():
            x = load_audio(row["path"], config.sample_rate, trim=False)
            assert_parity(mel_spectrogram(x, config), reference(x, config), config)


def test_float32_peer_agrees_too():
    """The float32 torch.stft peer used in the benchmark computes the same thing."""
    x = make_speechlike(22050, 1.0)
    ours = mel_spectrogram(x, VOCODER_MEL)
    peer = torch_mel_spectrogram(x, VOCODER_MEL).numpy()
    assert np.max(np.abs(ours - peer)) < 1e-3


# --- pitch -------------------------------------------------------------------------------------

def test_yin_in_blocks_matches_one_pass_and_gates_on_the_whole_recording(monkeypatch):
    import voiceclone.features.pitch as pitch

    sr = VOCODER_MEL.sample_rate
    t = np.arange(sr) / sr
    tone = sum(np.sin(2 * np.pi * 150.0 * k * t) / k for k in (1, 2, 3))
    signal = np.concatenate([0.3 * tone, 0.3e-3 * tone]).astype(np.float32)  # a loud second, then 60 dB quieter
    monkeypatch.setattr(pitch, "BLOCK_FRAMES", 10**9)
    whole = pitch.yin_f0(signal)
    monkeypatch.setattr(pitch, "BLOCK_FRAMES", 16)  # the quiet second's blocks hold no loud frame
    blocked = pitch.yin_f0(signal)
    assert np.array_equal(whole, blocked)
    per_second = len(blocked) // 2
    assert np.median(blocked[5:per_second - 5]) == pytest.approx(150.0, rel=0.01)
    assert not blocked[per_second + 5:].any()  # 60 dB below the loudest frame: unvoiced
