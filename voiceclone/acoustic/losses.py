"""Training losses of the acoustic model, as pure functions of its outputs and targets."""

from __future__ import annotations

import torch

from voiceclone.acoustic.alignment import durations_to_alignment, forward_sum_loss


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over valid frames; pred/target (B, C, T), mask (B, T)."""
    m = mask[:, None, :].float()
    return ((pred - target).abs() * m).sum() / (m.sum() * pred.shape[1]).clamp(min=1)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over valid positions; (B, L) tensors."""
    m = mask.float()
    return (((pred - target) ** 2) * m).sum() / m.sum().clamp(min=1)


def text_losses(out: dict, mel: torch.Tensor, text_lengths: torch.Tensor, mel_lengths: torch.Tensor,
                utt_logf0_mean: torch.Tensor, utt_logf0_std: torch.Tensor, binarize_weight: float) -> dict:
    """Losses of the text path: mel (decoder and post-net), durations, pitch, alignment."""
    mel_mask, text_mask = out["mel_mask"], out["text_mask"]
    pitch_target = (out["phone_logf0"] - utt_logf0_mean[:, None]) / utt_logf0_std[:, None]
    hard = durations_to_alignment(out["durations"], mel.shape[-1])
    bin_loss = -(hard * out["align_logp"]).sum() / hard.sum().clamp(min=1)
    return {
        "mel": masked_l1(out["mel_decoder"], mel, mel_mask) + masked_l1(out["mel_postnet"], mel, mel_mask),
        "duration": masked_mse(out["log_duration_pred"], torch.log1p(out["durations"].float()), text_mask),
        "pitch": masked_mse(out["pitch_pred"], pitch_target * text_mask, text_mask),
        "align": forward_sum_loss(out["align_logp"], text_lengths, mel_lengths),
        "binarize": binarize_weight * bin_loss,
    }


def autoencode_losses(out: dict, mel: torch.Tensor) -> dict:
    """Loss of the auto-encoding path: mel reconstruction only."""
    mask = out["mel_mask"]
    return {"mel_ae": masked_l1(out["mel_decoder"], mel, mask) + masked_l1(out["mel_postnet"], mel, mask)}
