"""The acoustic model: phonemes + speaker d-vector + pitch -> 80-band log-mel frames.

Non-Attentive/FastPitch style: a Tacotron 2 text encoder, speaker conditioning from the
GE2E d-vector, duration and pitch predictors, a length regulator, a non-autoregressive
dilated-convolution decoder and a Tacotron 2 post-net. A second input path feeds the same
decoder from a narrow, instance-normalised bottleneck of a mel spectrogram, so untranscribed
voices teach the decoder many speakers (auto-encoding).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from voiceclone.acoustic.alignment import Aligner, monotonic_durations
from voiceclone.acoustic.config import AcousticConfig


def sequence_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """(B, T) True on valid positions."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class ConvBlock(nn.Module):
    """Conv1d -> ReLU -> LayerNorm over channels -> dropout, on (B, C, T)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dropout: float, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation)
        self.norm = nn.LayerNorm(c_out)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv(x))
        return self.dropout(self.norm(x.transpose(1, 2)).transpose(1, 2))


class TextEncoder(nn.Module):
    """Tacotron 2 encoder: embedding, a conv stack, a bidirectional LSTM."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        self.embedding = nn.Embedding(cfg.n_symbols, cfg.d_model, padding_idx=0)
        self.convs = nn.ModuleList(
            ConvBlock(cfg.d_model, cfg.d_model, cfg.encoder_kernel, cfg.dropout) for _ in range(cfg.encoder_convs)
        )
        self.lstm = nn.LSTM(cfg.d_model, cfg.d_model // 2, batch_first=True, bidirectional=True)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (encoder outputs (B, L, D), embeddings (B, D, L) for the aligner)."""
        emb = self.embedding(ids).transpose(1, 2)
        x = emb
        mask = sequence_mask(lengths, ids.shape[1])[:, None, :]
        for conv in self.convs:
            x = conv(x) * mask
        packed = nn.utils.rnn.pack_padded_sequence(x.transpose(1, 2), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, emb


class Predictor(nn.Module):
    """Two conv blocks and a linear head: one scalar per phoneme (durations, pitch)."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        self.blocks = nn.Sequential(
            ConvBlock(cfg.d_model, cfg.predictor_channels, cfg.predictor_kernel, cfg.dropout),
            ConvBlock(cfg.predictor_channels, cfg.predictor_channels, cfg.predictor_kernel, cfg.dropout),
        )
        self.head = nn.Linear(cfg.predictor_channels, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, L, D), mask (B, L) -> (B, L)."""
        h = self.blocks(x.transpose(1, 2) * mask[:, None, :]).transpose(1, 2)
        return self.head(h).squeeze(-1) * mask


class MelBottleneck(nn.Module):
    """Speaker-poor content code from a mel: instance norm, narrow channels, pooled in time."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        c = cfg.predictor_channels
        self.stride = cfg.bottleneck_stride
        self.encode = nn.Sequential(
            nn.Conv1d(cfg.n_mels, c, 5, padding=2), nn.InstanceNorm1d(c), nn.ReLU(),
            nn.Conv1d(c, c, 5, padding=2), nn.InstanceNorm1d(c), nn.ReLU(),
            nn.Conv1d(c, cfg.bottleneck_dim, 1),
        )
        self.expand = nn.Conv1d(cfg.bottleneck_dim, cfg.d_model, 3, padding=1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, n_mels, T) normalised -> (B, T, D)."""
        t = mel.shape[-1]
        code = torch.tanh(self.encode(mel))
        code = F.avg_pool1d(code, self.stride, ceil_mode=True)
        code = F.interpolate(code, scale_factor=self.stride, mode="nearest")[..., :t]
        return self.expand(code).transpose(1, 2)


class Decoder(nn.Module):
    """Dilated residual convolutions, each block's input scaled and shifted by the speaker (FiLM),
    then a mel head. The scales start at zero, so a model trained with shifts alone loads as is."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        c = cfg.decoder_channels
        self.inp = nn.Conv1d(cfg.d_model, c, 1)
        self.blocks = nn.ModuleList(
            ConvBlock(c, c, cfg.decoder_kernel, cfg.dropout, dilation=d) for d in cfg.decoder_dilations
        )
        self.speaker = nn.Linear(cfg.speaker_dim, c * len(cfg.decoder_dilations))
        self.speaker_scale = nn.Linear(cfg.speaker_dim, c * len(cfg.decoder_dilations))
        nn.init.zeros_(self.speaker_scale.weight)
        nn.init.zeros_(self.speaker_scale.bias)
        self.out = nn.Conv1d(c, cfg.n_mels, 1)

    def forward(self, x: torch.Tensor, speaker: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, D), speaker (B, S), mask (B, T) -> mel (B, n_mels, T)."""
        m = mask[:, None, :].float()
        h = self.inp(x.transpose(1, 2)) * m
        spk = self.speaker(speaker).chunk(len(self.blocks), dim=-1)
        scales = self.speaker_scale(speaker).chunk(len(self.blocks), dim=-1)
        for block, s, g in zip(self.blocks, spk, scales):
            h = (h + block(h * (1 + g[:, :, None]) + s[:, :, None])) * m
        return self.out(h) * m


class PostNet(nn.Module):
    """Tacotron 2 post-net: a residual stack of tanh convolutions refining the mel."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        c = cfg.postnet_channels
        dims = [cfg.n_mels] + [c] * (cfg.postnet_layers - 1) + [cfg.n_mels]
        self.layers = nn.ModuleList(nn.Conv1d(a, b, 5, padding=2) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = mel
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = self.dropout(torch.tanh(h))
        return mel + h


def regulate_length(x: torch.Tensor, durations: torch.Tensor, max_frames: int | None = None) -> torch.Tensor:
    """Repeat each phoneme's vector for its number of frames: (B, L, D) -> (B, T, D)."""
    ends = torch.cumsum(durations, dim=1)
    total = int(ends[:, -1].max()) if max_frames is None else max_frames
    frames = torch.arange(total, device=x.device)
    index = torch.searchsorted(ends, frames[None].expand(x.shape[0], -1).contiguous(), right=True)
    index = index.clamp(max=x.shape[1] - 1)
    return torch.gather(x, 1, index[..., None].expand(-1, -1, x.shape[2]))


def phone_contour_to_frames(values: torch.Tensor, durations: torch.Tensor) -> torch.Tensor:
    """Per-phoneme values (B, L) -> a per-frame contour (B, T), linear between phoneme centres and
    flat beyond the first and last: the continuous kind of contour the auto-encoding path is trained on."""
    ends = torch.cumsum(durations, dim=1).float()
    centres = ends - durations.float() / 2
    total = int(ends[:, -1].max())
    t = (torch.arange(total, device=values.device).float() + 0.5)[None].expand(values.shape[0], -1).contiguous()
    right = torch.searchsorted(centres.contiguous(), t).clamp(max=values.shape[1] - 1)
    left = (right - 1).clamp(min=0)  # before the first centre left == right: the contour stays flat
    c0, c1 = torch.gather(centres, 1, left), torch.gather(centres, 1, right)
    v0, v1 = torch.gather(values, 1, left), torch.gather(values, 1, right)
    w = ((t - c0) / (c1 - c0).clamp(min=1e-6)).clamp(0, 1)
    return v0 + w * (v1 - v0)


class Inference(NamedTuple):
    """What ``AcousticModel.infer`` predicts for a batch."""

    mel: torch.Tensor
    """(B, n_mels, T) log-mel in the vocoder's scale."""
    durations: torch.Tensor
    """(B, L) frames per phoneme."""
    logf0: torch.Tensor
    """(B, T) predicted log-F0 as a continuous frame contour (``phone_contour_to_frames``)."""


class AcousticModel(nn.Module):
    """Text (phoneme ids) + d-vector + pitch -> normalised log-mel. No I/O inside."""

    def __init__(self, cfg: AcousticConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = TextEncoder(cfg)
        self.speaker = nn.Sequential(nn.Linear(cfg.speaker_dim, cfg.d_model), nn.Tanh())
        self.duration = Predictor(cfg)
        self.pitch = Predictor(cfg)
        self.pitch_embed = nn.Conv1d(1, cfg.d_model, 3, padding=1)
        self.aligner = Aligner(cfg.n_mels, cfg.d_model, cfg.align_dim)
        self.bottleneck = MelBottleneck(cfg)
        self.decoder = Decoder(cfg)
        self.postnet = PostNet(cfg)
        # normalisation statistics live in the config; as buffers they follow the model's device
        self.register_buffer("mel_mean", torch.tensor(cfg.mel_mean).view(1, -1, 1), persistent=False)
        self.register_buffer("mel_std", torch.tensor(cfg.mel_std).view(1, -1, 1), persistent=False)

    # --- pieces shared by training and inference ------------------------------------------------
    def normalise_mel(self, mel: torch.Tensor) -> torch.Tensor:
        return (mel - self.mel_mean) / self.mel_std

    def denormalise_mel(self, mel: torch.Tensor) -> torch.Tensor:
        return mel * self.mel_std + self.mel_mean

    def embed_pitch(self, logf0: torch.Tensor) -> torch.Tensor:
        """Absolute log-F0 (B, N) -> (B, N, D) embedding."""
        z = (logf0 - self.cfg.logf0_mean) / self.cfg.logf0_std
        return self.pitch_embed(z[:, None, :]).transpose(1, 2)

    def decode(self, x: torch.Tensor, speaker: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frame features -> (decoder mel, post-net mel), both normalised, (B, n_mels, T)."""
        mel = self.decoder(x, speaker, mask)
        return mel, self.postnet(mel) * mask[:, None, :]

    # --- training -------------------------------------------------------------------------------
    def forward_text(self, ids, text_lengths, mel, mel_lengths, speaker, logf0_frames, prior):
        """Teacher-forced text path. mel normalised (B, n_mels, T); logf0_frames (B, T) absolute,
        interpolated through unvoiced frames; prior (B, T, L). Returns a dict of tensors."""
        text_mask = sequence_mask(text_lengths, ids.shape[1])
        mel_mask = sequence_mask(mel_lengths, mel.shape[-1])
        enc, emb = self.encoder(ids, text_lengths)
        spk = self.speaker(speaker)
        h = enc + spk[:, None, :]
        align_logp = self.aligner(mel, emb, text_mask, prior)
        durations = monotonic_durations(align_logp, text_lengths, mel_lengths)
        # per-phoneme mean of the frame pitch under the hard alignment
        ends = torch.cumsum(durations, 1)
        csum = F.pad(torch.cumsum(logf0_frames * mel_mask, 1), (1, 0))
        phone_logf0 = (torch.gather(csum, 1, ends) - torch.gather(csum, 1, ends - durations)) / durations.clamp(min=1)
        phone_logf0 = phone_logf0 * text_mask
        x = h + self.embed_pitch(phone_logf0)
        frames = regulate_length(x, durations, mel.shape[-1])
        dec, post = self.decode(frames, speaker, mel_mask)
        return {
            "mel_decoder": dec, "mel_postnet": post, "align_logp": align_logp, "durations": durations,
            "log_duration_pred": self.duration(h, text_mask), "pitch_pred": self.pitch(h, text_mask),
            "phone_logf0": phone_logf0, "text_mask": text_mask, "mel_mask": mel_mask,
        }

    def forward_autoencode(self, mel, mel_lengths, speaker, logf0_frames):
        """Auto-encoding path for untranscribed speech: bottleneck content + speaker + pitch."""
        mel_mask = sequence_mask(mel_lengths, mel.shape[-1])
        content = self.bottleneck(mel) + self.speaker(speaker)[:, None, :] + self.embed_pitch(logf0_frames)
        dec, post = self.decode(content * mel_mask[..., None], speaker, mel_mask)
        return {"mel_decoder": dec, "mel_postnet": post, "mel_mask": mel_mask}

    # --- inference ------------------------------------------------------------------------------
    @torch.inference_mode()
    def infer(self, ids: torch.Tensor, speaker: torch.Tensor, logf0_mean: torch.Tensor, logf0_std: torch.Tensor,
              speed: float = 1.0, timing_speaker: torch.Tensor | None = None) -> Inference:
        """ids (B, L) without padding, speaker (B, S), the target voice's log-F0 mean and std (B,).

        ``timing_speaker`` (B, S), if given, is the voice whose phoneme durations are predicted
        instead of ``speaker``'s: one the duration predictor knows well times speech more
        intelligibly than an unseen one.
        """
        lengths = torch.full((ids.shape[0],), ids.shape[1], device=ids.device)
        mask = sequence_mask(lengths, ids.shape[1])
        enc, _ = self.encoder(ids, lengths)
        h = enc + self.speaker(speaker)[:, None, :]
        h_timing = h if timing_speaker is None else enc + self.speaker(timing_speaker)[:, None, :]
        log_dur = self.duration(h_timing, mask)
        durations = torch.clamp(torch.round((torch.exp(log_dur) - 1) / speed), min=1).long()
        logf0 = logf0_mean[:, None] + logf0_std[:, None] * self.pitch(h, mask)
        x = h + self.embed_pitch(logf0)
        frames = regulate_length(x, durations)
        frame_mask = torch.ones(frames.shape[:2], dtype=torch.bool, device=ids.device)
        _, post = self.decode(frames, speaker, frame_mask)
        return Inference(self.denormalise_mel(post), durations, phone_contour_to_frames(logf0, durations))

    @torch.inference_mode()
    def rerender(self, mel: torch.Tensor, speaker: torch.Tensor, logf0: torch.Tensor) -> torch.Tensor:
        """``mel`` (B, n_mels, T, the vocoder's scale) rendered again through the auto-encoding path
        (bottleneck, ``speaker`` (B, S), the frame log-F0 contour ``logf0`` (B, T)). That path learnt
        every training voice, where the text path learnt mostly one."""
        lengths = torch.full((mel.shape[0],), mel.shape[-1], device=mel.device)
        again = self.forward_autoencode(self.normalise_mel(mel), lengths, speaker, logf0)
        return self.denormalise_mel(again["mel_postnet"])
