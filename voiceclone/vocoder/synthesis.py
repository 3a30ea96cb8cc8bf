"""Mel -> waveform with either vocoder (HiFi-GAN or the fast one), in overlapping chunks so memory
stays flat and output can stream.

Each chunk is vocoded with ``context`` extra frames on each side (at least the receptive field its
config reports) and cropped, so the pieces join into exactly the whole-utterance waveform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from voiceclone.errors import VoiceCloneError
from voiceclone.features import mel_spectrogram
from voiceclone.vocoder.load import Vocoder

CHUNK_FRAMES = 512
"""Frames vocoded per step (about 6 s): long enough that the context overhead is small."""

MelInput = np.ndarray | torch.Tensor


def vocode(generator: Vocoder, mel: MelInput, chunk_frames: int = CHUNK_FRAMES,
           on_piece: Callable[[int], object] | None = None) -> np.ndarray:
    """Waveform (float32, ``frames * hop_length`` samples) for a (num_mels, frames) log-mel.

    ``on_piece`` is called with each piece's number of samples as it is made (a progress bar).
    """
    pieces = []
    for piece in vocode_stream(generator, mel, chunk_frames=chunk_frames):
        pieces.append(piece)
        if on_piece is not None:
            on_piece(len(piece))
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def vocode_stream(
    generator: Vocoder,
    mel: MelInput | Iterable[MelInput],
    chunk_frames: int = CHUNK_FRAMES,
    context: int | None = None,
    first_frames: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield waveform pieces that concatenate to ``vocode(generator, full_mel)``.

    ``mel`` is one (num_mels, frames) array or an iterable of such pieces along time (e.g. as an
    acoustic model produces them); a piece is emitted as soon as ``chunk_frames`` frames plus
    right context are buffered, and the remainder at the end. ``first_frames`` makes the first
    piece shorter, so that the first audio comes sooner. Only ``chunk_frames + 2 * context``
    frames are held at a time.
    """
    if chunk_frames < 1 or (first_frames is not None and first_frames < 1):
        raise VoiceCloneError(f"chunk_frames and first_frames must be positive, got {chunk_frames}, {first_frames}")
    config = generator.config
    context = config.receptive_field_frames() if context is None else context
    pieces = [mel] if isinstance(mel, (np.ndarray, torch.Tensor)) else mel
    param = next(generator.parameters())
    buffer = torch.zeros(config.num_mels, 0, device=param.device, dtype=param.dtype)
    start = 0  # first frame of ``buffer`` not yet emitted; frames before it are left context
    size = first_frames or chunk_frames
    for piece in pieces:
        buffer = torch.cat([buffer, _as_tensor(piece, config.num_mels, param)], dim=1)
        while buffer.shape[1] - start - context >= size:
            yield _synthesise(generator, buffer[:, : start + size + context], start, size)
            drop = max(0, start + size - context)
            buffer = buffer[:, drop:]
            start, size = start + size - drop, chunk_frames
    if buffer.shape[1] > start:
        yield _synthesise(generator, buffer, start, buffer.shape[1] - start)


def _as_tensor(mel: MelInput, num_mels: int, like: torch.Tensor) -> torch.Tensor:
    tensor = torch.as_tensor(mel)
    if tensor.ndim != 2 or tensor.shape[0] != num_mels:
        raise VoiceCloneError(f"the vocoder needs a ({num_mels}, frames) mel, got shape {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise VoiceCloneError("the vocoder's mel holds NaN or infinite values")
    return tensor.to(device=like.device, dtype=like.dtype)


@torch.inference_mode()
def _synthesise(generator: Vocoder, mel: torch.Tensor, start: int, frames: int) -> np.ndarray:
    """Vocode ``mel`` (with its context) and keep the samples of frames ``start .. start + frames``."""
    hop = generator.config.hop_length
    audio = generator(mel.unsqueeze(0))[0, 0, start * hop:(start + frames) * hop]
    return audio.float().cpu().numpy()


def copy_synthesis(generator: Vocoder, audio: np.ndarray,
                   on_piece: Callable[[int], object] | None = None) -> np.ndarray:
    """Analyse ``audio`` (at the vocoder's rate) with the vocoder's own mel analysis and vocode it back
    (the vocoder's upper bound).

    ``on_piece`` is called with each vocoded piece's sample count, as by ``vocode``."""
    return vocode(generator, mel_spectrogram(audio, generator.config.mel), on_piece=on_piece)
