"""Ground-truth-aligned pairs for fine-tuning the vocoder: training speech rendered by the acoustic
model and processed exactly as synthesis processes a cloned voice, paired with its own audio.

- Transcribed utterances (outside the development split): the teacher-forced text path (learned
  alignment, the utterance's pitch per phoneme), conditioned on a profile of another utterance of
  the same speaker; the built-in voice's speaker as synthesis renders the built-in voice.
- Voices: one half of each recording through the auto-encoding path, conditioned on a profile of
  the other half; one crop of ``--voice-crop-s`` per speaker.

Writes train.npz and val.npz (a random 1 in 25 items) to --out in ``vocoder_pair_format``: small
enough to travel to a lent GPU machine (64 MiB there).

    python recipes/shared_data/vocoder_pairs.py --prep runs/prep --out runs/vocoder_pairs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import Split, interpolate_logf0  # noqa: E402
from export import DEFAULT_VOICE_SPEAKER  # noqa: E402
from prepare import SR  # noqa: E402
from vocoder_pair_format import HOP, save  # noqa: E402

from voiceclone.acoustic.alignment import beta_binomial_prior  # noqa: E402
from voiceclone.acoustic.model import phone_contour_to_frames  # noqa: E402
from voiceclone.audio import load_audio  # noqa: E402
from voiceclone.errors import VoiceCloneError  # noqa: E402
from voiceclone.features.bands import band_statistics  # noqa: E402
from voiceclone.features.frame_match import MATCH_WEIGHT  # noqa: E402
from voiceclone.pipeline import Voice, VoiceCloner, match_to_voice, restore_detail  # noqa: E402
from voiceclone.scripts import positive_float, positive_int, run_main  # noqa: E402

LONGER_CAPS = {DEFAULT_VOICE_SPEAKER: 0.7, "LJ": 0.8}
"""Minutes for the two single-speaker corpora, a little over the other speakers' cap."""


def processed(rows: torch.Tensor, voice: Voice, rerendered: np.ndarray | None) -> np.ndarray:
    """Rendered rows (row 0 the voice, row 1 the built-in voice if a clone) processed as synthesis does."""
    mels = rows.float().cpu().numpy()
    mel = restore_detail(mels[0]) if len(mels) == 1 else restore_detail(mels[0], mels[1], rerendered)
    return match_to_voice([mel], voice, band_statistics(mel), MATCH_WEIGHT)[0]


class Profiles:
    """Voice profiles of in-memory audio, built as `voiceclone embed` builds them from a file."""

    def __init__(self, cloner: VoiceCloner, folder: Path):
        self.cloner, self.path = cloner, folder / "reference.wav"

    def __call__(self, *candidates: np.ndarray) -> Voice | None:
        """The first candidate long enough to be a reference; None if none is."""
        for audio in candidates:
            sf.write(self.path, audio, SR)
            try:
                return self.cloner.voice(self.path)
            except VoiceCloneError:
                continue
        return None


def text_pairs(cloner: VoiceCloner, profiles: Profiles, data: Path, prep: Path, cap_minutes: float,
               rng: np.random.Generator) -> list[tuple]:
    """(log-mel, audio, group) of transcribed utterances through the teacher-forced text path."""
    model = cloner.model
    text = Split.load(prep / "text.npz")
    speakers, paths = text.speakers, text.paths
    by_speaker: dict[str, list[int]] = {}
    for i, speaker in enumerate(speakers):
        by_speaker.setdefault(str(speaker), []).append(i)
    chosen = []
    for speaker, items in by_speaker.items():
        cap = LONGER_CAPS.get(speaker, cap_minutes) * 60 * SR / HOP
        total = 0
        for i in rng.permutation(items):
            if total > cap:
                break
            chosen.append(i)
            total += text.mels[i].shape[1]
    builtin_voice = cloner.default_voice()
    builtin = cloner.speaker_tensor(builtin_voice)
    pairs = []
    for i in tqdm(chosen, desc="transcribed", unit="utt"):
        speaker = str(speakers[i])
        real = text.mels[i]
        audio = load_audio(data / "tts" / str(paths[i]), SR)
        if speaker == DEFAULT_VOICE_SPEAKER:  # rendered as synthesis renders the built-in voice
            voice = builtin_voice
        else:
            others = [j for j in by_speaker[speaker] if j != i]
            other = load_audio(data / "tts" / str(paths[int(rng.choice(others)) if others else i]), SR)
            voice = profiles(other, np.concatenate([other, audio]))
            if voice is None:
                continue
        ids = torch.from_numpy(text.ids[i])[None]
        frames, phones = real.shape[1], ids.shape[1]
        contour, _, _ = interpolate_logf0(text.f0s[i])
        spk = builtin if voice is builtin_voice else torch.cat([cloner.speaker_tensor(voice), builtin])
        rows = spk.shape[0]
        out = model.forward_text(ids.expand(rows, -1), torch.tensor([phones] * rows),
                                 model.normalise_mel(torch.from_numpy(real)[None]).expand(rows, -1, -1),
                                 torch.tensor([frames] * rows), spk, torch.from_numpy(contour)[None].expand(rows, -1),
                                 beta_binomial_prior([phones] * rows, [frames] * rows))
        mels = model.denormalise_mel(out["mel_postnet"])
        again = None
        if rows == 2:
            logf0 = phone_contour_to_frames(out["phone_logf0"][:1], out["durations"][:1])[:, :frames]
            again = model.rerender(mels[:1], spk[:1], logf0)[0].numpy()
        pairs.append((processed(mels, voice, again), audio[: frames * HOP], "text:" + speaker))
    return pairs


def voice_pairs(cloner: VoiceCloner, profiles: Profiles, data: Path, prep: Path, crop_s: float,
                rng: np.random.Generator) -> list[tuple]:
    """(log-mel, audio, group) of one crop per untranscribed voice through the auto-encoding path."""
    model = cloner.model
    voices = Split.load(prep / "voices.npz")
    paths = voices.paths
    builtin = cloner.speaker_tensor(cloner.default_voice())
    pairs = []
    for k in tqdm(range(0, len(paths), 2), desc="voices", unit="voice"):
        side = int(rng.integers(2))
        i = k + side  # prepare.py stores each recording's two halves next to each other
        audio = load_audio(data / "voices" / str(paths[i]).split("#")[0], SR)
        halves = [audio[: len(audio) // 2], audio[len(audio) // 2:]]
        real = voices.mels[i]
        frames = real.shape[1]
        voice = profiles(halves[1 - side], audio)
        if voice is None:
            continue
        contour = torch.from_numpy(interpolate_logf0(voices.f0s[i])[0])[None]
        spk = torch.cat([cloner.speaker_tensor(voice), builtin])
        out = model.forward_autoencode(model.normalise_mel(torch.from_numpy(real)[None]).expand(2, -1, -1),
                                       torch.tensor([frames, frames]), spk, contour.expand(2, -1))
        mels = model.denormalise_mel(out["mel_postnet"])
        again = model.rerender(mels[:1], spk[:1], contour)[0].numpy()
        mel = processed(mels, voice, again)
        n = int(crop_s * SR / HOP)
        start = int(rng.integers(0, max(1, frames - n)))
        pairs.append((mel[:, start:start + n], halves[side][start * HOP:(start + n) * HOP], "voice:" + str(voices.speakers[i])))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    parser.add_argument("--prep", type=Path, default=Path("runs/prep"), help="prepare.py's output")
    parser.add_argument("--checkpoint", type=Path, default=None, help="acoustic checkpoint (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=Path("runs/vocoder_pairs"))
    parser.add_argument("--minutes-per-speaker", type=positive_float, default=0.55, help="transcribed speech per speaker")
    parser.add_argument("--voice-crop-s", type=positive_float, default=1.2, help="seconds kept per untranscribed voice")
    parser.add_argument("--threads", type=positive_int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    cloner = VoiceCloner(device="cpu", checkpoint=args.checkpoint, watermark=False)
    with tempfile.TemporaryDirectory() as tmp, torch.inference_mode():
        profiles = Profiles(cloner, Path(tmp))
        pairs = text_pairs(cloner, profiles, args.data, args.prep, args.minutes_per_speaker, rng)
        pairs += voice_pairs(cloner, profiles, args.data, args.prep, args.voice_crop_s, rng)
    val = set(rng.choice(len(pairs), size=max(8, len(pairs) // 25), replace=False).tolist())
    args.out.mkdir(parents=True, exist_ok=True)
    save([p for j, p in enumerate(pairs) if j not in val], args.out / "train.npz")
    save([p for j, p in enumerate(pairs) if j in val], args.out / "val.npz")


if __name__ == "__main__":
    run_main(main)
