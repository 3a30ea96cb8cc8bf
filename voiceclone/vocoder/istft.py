"""Short-time Fourier transform pair with "same" padding, frame-exact for chunked synthesis.

Frame ``t`` is the Hann-windowed span of ``n_fft`` samples starting at ``t * hop - pad``, with
``pad = (n_fft - hop) // 2`` (so it is centred on ``(t + 1/2) * hop``, as the vocoder's log-mel
frames are). ``frames * hop`` samples give ``frames`` frames and back. The inverse overlap-adds
the windowed frames and divides by the sum of the squared windows that reach each sample, so
every output sample depends only on the frames that overlap it: an iSTFT of a chunk with a few
frames of context equals the whole signal's on the chunk's samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def same_pad(n_fft: int, hop: int) -> int:
    """Samples by which frame 0 starts before sample 0."""
    return (n_fft - hop) // 2


def stft(audio: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """(batch, frames * hop) waveform -> (batch, n_fft // 2 + 1, frames) complex spectrum; zeros outside."""
    pad = same_pad(n_fft, hop)
    return frame_spectrum(F.pad(audio, (pad, n_fft - hop - pad)), n_fft, hop)


def frame_spectrum(padded: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """(batch, (frames - 1) * hop + n_fft) waveform, already carrying its ``same_pad`` samples of
    context on the left, -> (batch, n_fft // 2 + 1, frames) complex spectrum."""
    window = torch.hann_window(n_fft, dtype=padded.dtype, device=padded.device)
    return torch.stft(padded, n_fft, hop_length=hop, win_length=n_fft, window=window, center=False, return_complex=True)


def istft(spectrum: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """(batch, n_fft // 2 + 1, frames) complex spectrum -> (batch, frames * hop) waveform.

    Weighted overlap-add normalised by the squared-window envelope; inverts ``stft`` exactly
    (to float rounding), edges included.
    """
    batch, _, frames = spectrum.shape
    window = torch.hann_window(n_fft, dtype=spectrum.real.dtype, device=spectrum.device)
    segments = torch.fft.irfft(spectrum, n=n_fft, dim=1) * window[:, None]  # (batch, n_fft, frames)
    length = (frames - 1) * hop + n_fft
    fold = dict(output_size=(1, length), kernel_size=(1, n_fft), stride=(1, hop))
    audio = F.fold(segments, **fold)[:, 0, 0]
    envelope = F.fold(window.square()[None, :, None].expand(1, n_fft, frames), **fold)[0, 0, 0]
    pad = same_pad(n_fft, hop)
    keep = slice(pad, pad + frames * hop)
    return audio[:, keep] / envelope[keep]


def reach_frames(n_fft: int, hop: int) -> int:
    """Frames on each side of a frame whose iSTFT windows overlap its samples (an upper bound)."""
    return -(-n_fft // (2 * hop)) + 1
