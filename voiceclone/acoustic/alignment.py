"""Learned monotonic alignment between phonemes and mel frames (RAD-TTS / FastPitch 1.1 style).

A small aligner scores every (frame, phoneme) pair; a forward-sum (CTC) loss teaches it,
a beta-binomial prior keeps it near the diagonal early on, and monotonic alignment search
turns the soft alignment into integer durations (each phoneme at least one frame).
"""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np
import torch
from scipy.stats import betabinom
from torch import nn
from torch.nn import functional as F


class Aligner(nn.Module):
    """Scores frames against phonemes by negative squared distance of learned projections."""

    def __init__(self, n_mels: int, text_dim: int, dim: int):
        super().__init__()
        self.key = nn.Sequential(
            nn.Conv1d(text_dim, 2 * text_dim, 3, padding=1), nn.ReLU(), nn.Conv1d(2 * text_dim, dim, 1)
        )
        self.query = nn.Sequential(
            nn.Conv1d(n_mels, 2 * n_mels, 3, padding=1), nn.ReLU(),
            nn.Conv1d(2 * n_mels, n_mels, 1), nn.ReLU(), nn.Conv1d(n_mels, dim, 1),
        )
        self.temperature = 0.0005

    def forward(self, mel: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (B, T_mel, L) of each frame belonging to each phoneme.

        mel (B, n_mels, T), text (B, C, L), text_mask (B, L) True on real phonemes,
        prior (B, T, L) log beta-binomial prior.
        """
        with torch.autocast(mel.device.type, enabled=False):  # the expansion below cancels badly in bf16
            return self._logp(mel.float(), text.float(), text_mask, prior.float())

    def _logp(self, mel: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        q = self.query(mel).transpose(1, 2)  # B T D
        k = self.key(text).transpose(1, 2)  # B L D
        # squared distances by expansion: one batched matmul instead of a (B, T, L, D) tensor
        dist = q.pow(2).sum(-1, keepdim=True) + k.pow(2).sum(-1)[:, None, :] - 2 * q @ k.transpose(1, 2)
        logits = -self.temperature * dist
        logits = logits.masked_fill(~text_mask[:, None, :], -1e4)
        logp = F.log_softmax(logits, dim=-1) + prior
        return logp.masked_fill(~text_mask[:, None, :], -1e4)


@lru_cache(maxsize=4096)
def _prior(n_text: int, n_frames: int, scale: float = 1.0) -> np.ndarray:
    t = np.arange(1, n_frames + 1)[:, None]
    logpmf = betabinom.logpmf(np.arange(n_text)[None, :], n_text - 1, scale * t, scale * (n_frames + 1 - t))
    return np.maximum(logpmf, -1e4).astype(np.float32)


def beta_binomial_prior(text_lengths: list[int], mel_lengths: list[int]) -> torch.Tensor:
    """Log prior (B, T_max, L_max) favouring a diagonal path; zeros in padding."""
    out = torch.zeros(len(text_lengths), max(mel_lengths), max(text_lengths))
    for i, (n, t) in enumerate(zip(text_lengths, mel_lengths)):
        out[i, :t, :n] = torch.from_numpy(_prior(n, t))
    return out


def forward_sum_loss(logp: torch.Tensor, text_lengths: torch.Tensor, mel_lengths: torch.Tensor,
                     blank_logprob: float = -1.0) -> torch.Tensor:
    """CTC loss that sums over all monotonic paths through the phonemes (B, T, L) log-probs."""
    padded = F.pad(logp, (1, 0), value=blank_logprob)
    losses = []
    for i in range(logp.shape[0]):
        n, t = int(text_lengths[i]), int(mel_lengths[i])
        target = torch.arange(1, n + 1, device=logp.device)[None]
        lp = F.log_softmax(padded[i, :t, : n + 1], dim=-1)[:, None, :]
        losses.append(F.ctc_loss(lp, target, torch.tensor([t]), torch.tensor([n]), zero_infinity=True))
    return torch.stack(losses).mean()


@nb.njit(cache=True)
def _mas(logp: np.ndarray, n_text: int, n_frames: int) -> np.ndarray:
    """Best monotonic path: every frame one phoneme, phonemes in order, none skipped."""
    neg = -1e9
    value = np.full((n_frames, n_text), neg)
    value[0, 0] = logp[0, 0]
    for t in range(1, n_frames):
        for j in range(min(n_text, t + 1)):
            stay = value[t - 1, j]
            move = value[t - 1, j - 1] if j > 0 else neg
            value[t, j] = logp[t, j] + max(stay, move)
    durations = np.zeros(n_text, dtype=np.int64)
    j = n_text - 1
    for t in range(n_frames - 1, -1, -1):
        durations[j] += 1
        if j > 0 and (j == t or value[t - 1, j - 1] > value[t - 1, j]):
            j -= 1
    return durations


def monotonic_durations(logp: torch.Tensor, text_lengths: torch.Tensor, mel_lengths: torch.Tensor) -> torch.Tensor:
    """Integer durations (B, L_max) from MAS on each item's log-probs; they sum to the mel length."""
    logp_np = logp.detach().float().cpu().numpy()
    out = torch.zeros(logp.shape[0], logp.shape[2], dtype=torch.long)
    for i in range(logp.shape[0]):
        n, t = int(text_lengths[i]), int(mel_lengths[i])
        out[i, :n] = torch.from_numpy(_mas(logp_np[i, :t, :n].astype(np.float64), n, t))
    return out.to(logp.device)


def durations_to_alignment(durations: torch.Tensor, n_frames: int) -> torch.Tensor:
    """Hard alignment (B, T, L) with a one for each frame's phoneme."""
    ends = torch.cumsum(durations, dim=1)
    starts = ends - durations
    frames = torch.arange(n_frames, device=durations.device)[None, :, None]
    return ((frames >= starts[:, None, :]) & (frames < ends[:, None, :])).float()
