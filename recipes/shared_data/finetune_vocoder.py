"""Fine-tune the universal HiFi-GAN on vocoder_pairs.py's pairs, with fresh discriminators.

Time-boxed rather than step-counted: ``--minutes`` in all, the first ``--d-only`` share of it
training only the discriminators (the generator keeps its pretrained weights meanwhile), then both,
the generator's learning rate warmed up over ``--warmup`` steps. Every ``--val-every-s`` seconds of
the joint phase the generator's log-mel L1 on the validation pairs is measured. The run folder gets
the generator at the end (generator_end) and, if it ever beat the universal one there, at its best
validation score (generator_best), both with weight norm folded as fp16 safetensors, plus
losses.csv and val.csv. Runs unchanged on CUDA (``--device cuda``); there is no resume.

    python recipes/shared_data/finetune_vocoder.py --pairs runs/vocoder_pairs --run runs/vocoder_ft --device cuda
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vocoder_pair_format import HOP, load  # noqa: E402

from voiceclone.device import resolve_device  # noqa: E402
from voiceclone.scripts import non_negative_float, non_negative_int, positive_float, positive_int, run_main  # noqa: E402
from voiceclone.vocoder import HiFiGANGenerator, apply_weight_norm, load_vocoder, remove_weight_norm  # noqa: E402
from voiceclone.vocoder.discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator  # noqa: E402
from voiceclone.vocoder.losses import discriminator_loss, feature_loss, generator_loss, mel_loss  # noqa: E402

SEGMENT_FRAMES = 32  # 8192 samples, HiFi-GAN's training segment


class Pairs:
    """One pairs file on a device: log-mel (n_mels, frames), audio, item offsets in frames."""

    def __init__(self, path: Path, device: torch.device):
        mel, audio, self.offsets = load(path)
        self.mel, self.audio = torch.from_numpy(mel).to(device), torch.from_numpy(audio).to(device)
        starts = [np.arange(a, b - SEGMENT_FRAMES + 1) for a, b in zip(self.offsets[:-1], self.offsets[1:])
                  if b - a >= SEGMENT_FRAMES]
        if not starts:
            raise SystemExit(f"{path}: no item is {SEGMENT_FRAMES} frames long")
        self.starts = torch.from_numpy(np.concatenate(starts)).to(device)
        self.frame_steps = torch.arange(SEGMENT_FRAMES, device=device)
        self.sample_steps = torch.arange(SEGMENT_FRAMES * HOP, device=device)

    def batch(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random aligned segments: log-mel (B, n_mels, 32) and audio (B, 1, 8192)."""
        pick = torch.randint(len(self.starts), (size,), device=self.starts.device, generator=generator)
        start = self.starts[pick]
        mel = self.mel[:, start[:, None] + self.frame_steps].permute(1, 0, 2)
        audio = self.audio[start[:, None] * HOP + self.sample_steps][:, None]
        return mel.contiguous(), audio.contiguous()

    def items(self):
        for a, b in zip(self.offsets[:-1], self.offsets[1:]):
            yield self.mel[None, :, a:b], self.audio[None, None, a * HOP:b * HOP]


@torch.no_grad()
def validation_l1(generator: HiFiGANGenerator, pairs: Pairs) -> float:
    """Frame-weighted mean log-mel L1 (nats) between the generator's audio and the real audio."""
    generator.eval()
    total = sum(float(mel_loss(real, generator(mel)[..., : real.shape[-1]])) / 45 * mel.shape[-1]
                for mel, real in pairs.items())
    generator.train()
    return total / int(pairs.offsets[-1])


def save_generator(generator: HiFiGANGenerator, path: Path) -> None:
    """The generator with weight norm folded, as fp16 safetensors."""
    twin = apply_weight_norm(HiFiGANGenerator(generator.config))
    twin.load_state_dict({k: v.detach().cpu() for k, v in generator.state_dict().items()})
    save_file({k: v.half().contiguous() for k, v in remove_weight_norm(twin).state_dict().items()}, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=Path("runs/vocoder_pairs"))
    parser.add_argument("--run", type=Path, default=Path("runs/vocoder_ft"))
    parser.add_argument("--minutes", type=positive_float, default=7.0)
    parser.add_argument("--max-steps", type=non_negative_int, default=0, help="stop after this many steps too (0: no limit)")
    parser.add_argument("--batch", type=positive_int, default=16)
    parser.add_argument("--lr", type=positive_float, default=5e-5, help="generator learning rate")
    parser.add_argument("--lr-d", type=positive_float, default=2e-4, help="discriminators' learning rate")
    parser.add_argument("--warmup", type=non_negative_int, default=500, help="generator steps of linear learning-rate warm-up")
    parser.add_argument("--d-only", type=non_negative_float, default=0.12, help="share of the time for discriminators alone")
    parser.add_argument("--val-every-s", type=positive_float, default=40.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive_int, default=2, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    device = resolve_device(args.device)
    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    train, val = Pairs(args.pairs / "train.npz", device), Pairs(args.pairs / "val.npz", device)
    args.run.mkdir(parents=True, exist_ok=True)

    universal = load_vocoder("cpu", "fp32")  # shared and cached: its weights are copied, never trained
    generator = HiFiGANGenerator(universal.config)
    generator.load_state_dict(universal.state_dict())
    generator = apply_weight_norm(generator).to(device).train()
    mpd, msd = MultiPeriodDiscriminator().to(device), MultiScaleDiscriminator().to(device)
    opt_g = torch.optim.AdamW(generator.parameters(), args.lr, betas=(0.8, 0.99))
    opt_d = torch.optim.AdamW([*mpd.parameters(), *msd.parameters()], args.lr_d, betas=(0.8, 0.99))
    rng = torch.Generator(device=device).manual_seed(args.seed)

    val_file = open(args.run / "val.csv", "w", newline="")
    val_log = csv.writer(val_file)
    val_log.writerow(["step", "generator_steps", "seconds", "val_mel_l1"])
    before = validation_l1(generator, val)
    val_log.writerow([0, 0, 0, f"{before:.4f}"])
    print(f"validation log-mel L1 before: {before:.4f}", flush=True)
    loss_file = open(args.run / "losses.csv", "w", newline="")
    loss_log = csv.writer(loss_file)
    loss_log.writerow(["step", "seconds", "d_loss", "g_adversarial", "mel_l1"])

    budget, start = args.minutes * 60, time.time()
    step = g_steps = 0
    next_val, best = 0.0, (before, 0)
    bar = tqdm(total=round(budget), unit="s", desc="fine-tune", bar_format="{l_bar}{bar}| {n}/{total} s {postfix}")
    while time.time() - start < budget and not (args.max_steps and step >= args.max_steps):
        elapsed = time.time() - start
        step += 1
        mel, real = train.batch(args.batch, rng)
        joint = elapsed >= args.d_only * budget
        with torch.set_grad_enabled(joint):
            fake = generator(mel)
        d_loss = sum(discriminator_loss(*disc(real, fake.detach())[:2]) for disc in (mpd, msd))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        adversarial = 0.0
        if joint:
            g_steps += 1
            for group in opt_g.param_groups:
                group["lr"] = args.lr * min(1.0, g_steps / args.warmup)
            adversarial_loss = 0
            for disc in (mpd, msd):
                _, fake_scores, real_features, fake_features = disc(real, fake)
                adversarial_loss = adversarial_loss + generator_loss(fake_scores) + feature_loss(real_features, fake_features)
            opt_g.zero_grad(set_to_none=True)
            (mel_loss(real, fake) + adversarial_loss).backward()
            opt_g.step()
            adversarial = adversarial_loss.item()
        if step % 50 == 0:
            with torch.no_grad():
                l1 = float(mel_loss(real, fake)) / 45
            loss_log.writerow([step, f"{elapsed:.1f}", f"{d_loss.item():.4f}", f"{adversarial:.4f}", f"{l1:.4f}"])
            loss_file.flush()
            bar.set_postfix_str(f"step {step}, {'joint' if joint else 'discriminators only'}, mel L1 {l1:.3f}",
                                refresh=False)
        bar.update(min(round(time.time() - start), bar.total) - bar.n)
        if joint and elapsed >= next_val:
            next_val = elapsed + args.val_every_s
            score = validation_l1(generator, val)
            val_log.writerow([step, g_steps, f"{elapsed:.0f}", f"{score:.4f}"])
            val_file.flush()
            tqdm.write(f"step {step} ({g_steps} generator steps, {elapsed:.0f} s): validation log-mel L1 {score:.4f}")
            if score < best[0]:
                best = (score, step)
                save_generator(generator, args.run / "generator_best.safetensors")
    bar.close()
    end = validation_l1(generator, val)
    val_log.writerow([step, g_steps, f"{time.time() - start:.0f}", f"{end:.4f}"])
    val_file.close()
    save_generator(generator, args.run / "generator_end.safetensors")
    print(f"{step} steps ({g_steps} joint): validation log-mel L1 {before:.4f} -> {end:.4f} at the end, "
          f"best {best[0]:.4f} at step {best[1]}; written to {args.run}/", flush=True)


if __name__ == "__main__":
    run_main(main)
