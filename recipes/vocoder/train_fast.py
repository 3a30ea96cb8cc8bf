"""Train the fast (Vocos-style) vocoder by distillation from the shipped HiFi-GAN.

    python -m recipes.vocoder.train_fast --data ../shared/data --run runs/fast_vocoder [--steps 200000]
    python -m recipes.vocoder.train_fast --data ../shared/data --run runs/fast_vocoder --export   # into the package

Every audio file of the shared data (tts/ and voices/) is read at 22.05 kHz; its log-mel (the
vocoder's analysis) is the input, and the universal HiFi-GAN's vocoding of that log-mel is the
teacher (made once per file, cached in RUN/teacher/). Each step draws random segments and trains on:
the mel L1 to the real audio (x45, as HiFi-GAN), the multi-resolution STFT loss to the real audio,
and the distillation of the teacher's STFT, which the head predicts directly (log-magnitude and
compressed complex L1); after --gan-from steps, also HiFi-GAN's multi-period and multi-scale
discriminators with feature matching. AdamW with warm-up and cosine decay; --device cuda trains in
bf16 autocast. Writes RUN/losses.csv, RUN/samples/*.wav every --sample-every steps and RUN/state.pt
(model, discriminators, optimisers, schedules, step, random state): run the same command again to
resume. --export [DIR] writes model.safetensors + config.json (default: the package's
voiceclone/vocoder/fast_checkpoint/) from the run's latest state.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

from recipes.train import learning_rate, rng_state, set_rng_state
from recipes.vocoder.data import TeacherCache, draw_batch, list_audio
from voiceclone.device import resolve_device
from voiceclone.errors import VoiceCloneError
from voiceclone.features import VOCODER_MEL
from voiceclone.scripts import non_negative_float, non_negative_int, positive_float, positive_int, run_main
from voiceclone.vocoder import FastVocoder, FastVocoderConfig, load_vocoder, vocode
from voiceclone.vocoder.discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator
from voiceclone.vocoder.fast_weights import SHIPPED_FAST, save_fast_vocoder
from voiceclone.vocoder.istft import frame_spectrum, istft
from voiceclone.vocoder.losses import (STFT_RESOLUTIONS, discriminator_loss, feature_loss, generator_loss, mel_loss,
                                       spectrum_distillation_loss, stft_loss)

LOG_KEYS = ("mel", "stft", "distill", "adv", "fm", "disc")
SAMPLE_SECONDS = 4.0
"""Length of the sample written every --sample-every steps (the start of the first usable file)."""


@dataclass
class FastTrainConfig:
    """The run's options (see --help); saved in RUN/config.json and in the exported checkpoint's meta."""

    data: str
    run: str
    steps: int = 200_000
    batch: int = 16
    segment_frames: int = 32
    lr: float = 5e-4
    warmup: int = 1000
    gan_from: int = 50_000
    distill_weight: float = 10.0
    stft_weight: float = 5.0
    dim: int = 384
    intermediate_dim: int = 1024
    layers: int = 8
    max_files: int = 0
    device: str = "cpu"
    threads: int = 0
    seed: int = 0
    log_every: int = 10
    save_every: int = 500
    sample_every: int = 2000
    max_minutes: float = 0.0


def parse_args(argv: list[str] | None = None) -> tuple[FastTrainConfig, str | None]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the shared data folder (tts/ and voices/ with metadata.tsv)")
    parser.add_argument("--run", required=True, help="the run folder (resumed when it holds a state.pt)")
    parser.add_argument("--steps", type=positive_int, help="total steps (the cosine schedule's length)")
    parser.add_argument("--batch", type=positive_int, help="segments per step")
    parser.add_argument("--segment-frames", type=positive_int, help="mel frames per segment (x256 samples)")
    parser.add_argument("--lr", type=positive_float, help="peak learning rate of both AdamW optimisers")
    parser.add_argument("--warmup", type=positive_int, help="linear warm-up steps")
    parser.add_argument("--gan-from", type=non_negative_int, help="add the discriminators after this many steps without them")
    parser.add_argument("--distill-weight", type=non_negative_float, help="weight of the teacher-STFT distillation")
    parser.add_argument("--stft-weight", type=non_negative_float, help="weight of the multi-resolution STFT loss")
    parser.add_argument("--dim", type=positive_int, help="backbone channels")
    parser.add_argument("--intermediate-dim", type=positive_int, help="channels inside each block's MLP")
    parser.add_argument("--layers", type=positive_int, help="ConvNeXt blocks")
    parser.add_argument("--max-files", type=non_negative_int, help="train on the first N files only (0: all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="cuda trains in bf16 autocast")
    parser.add_argument("--threads", type=non_negative_int, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--seed", type=non_negative_int)
    parser.add_argument("--log-every", type=positive_int, help="write losses.csv every this many steps")
    parser.add_argument("--save-every", type=positive_int, help="save state.pt every this many steps")
    parser.add_argument("--sample-every", type=positive_int, help="write samples/step_N.wav every this many steps")
    parser.add_argument("--max-minutes", type=non_negative_float,
                        help="stop (resumably: state saved) after this many minutes of this call (0: no limit)")
    parser.add_argument("--export", nargs="?", const=str(SHIPPED_FAST), metavar="DIR",
                        help=f"after training, write model.safetensors + config.json to DIR (default {SHIPPED_FAST})")
    args = vars(parser.parse_args(argv))
    shortest = max(n_fft for n_fft, _ in STFT_RESOLUTIONS) // (2 * VOCODER_MEL.hop_length) + 1
    if args["segment_frames"] is not None and args["segment_frames"] < shortest:
        parser.error(f"--segment-frames must be at least {shortest} (the STFT loss's longest frames)")
    export = args.pop("export")
    return FastTrainConfig(**{k: v for k, v in args.items() if v is not None}), export


class Trainer:
    """The models, optimisers and schedules of one run, and one training step."""

    def __init__(self, cfg: FastTrainConfig, device: torch.device):
        self.cfg, self.device = cfg, device
        self.model = FastVocoder(FastVocoderConfig(dim=cfg.dim, intermediate_dim=cfg.intermediate_dim,
                                                   layers=cfg.layers)).to(device)
        self.discriminators = torch.nn.ModuleList([MultiPeriodDiscriminator(), MultiScaleDiscriminator()]).to(device)
        adamw = dict(lr=cfg.lr, betas=(0.8, 0.9), weight_decay=0.01)
        self.opt_g = torch.optim.AdamW(self.model.parameters(), **adamw)
        self.opt_d = torch.optim.AdamW(self.discriminators.parameters(), **adamw)
        schedule = lambda step: learning_rate(step, 1.0, cfg.warmup, cfg.steps)  # noqa: E731
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, schedule)
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, schedule)
        self.autocast = torch.autocast("cuda", torch.bfloat16) if device.type == "cuda" else nullcontext()

    def step(self, batch: dict[str, torch.Tensor], gan: bool) -> dict[str, float]:
        """One optimiser step of the generator (and of the discriminators when ``gan``); the losses."""
        mel, real, teacher = (batch[k].to(self.device) for k in ("mel", "audio", "teacher"))
        config = self.model.config
        with self.autocast:
            spectrum = self.model.spectrum(mel)
        fake = istft(spectrum, config.n_fft, config.hop_length)[:, None]
        target = frame_spectrum(teacher, config.n_fft, config.hop_length)
        losses = {"mel": mel_loss(real, fake), "stft": stft_loss(real, fake),
                  "distill": spectrum_distillation_loss(spectrum, target)}
        if gan:
            with self.autocast:
                d_loss = sum(discriminator_loss(*disc(real, fake.detach())[:2]) for disc in self.discriminators)
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.float().backward()
            self.opt_d.step()
            self.sched_d.step()
            losses["disc"] = d_loss.detach()
            with self.autocast:
                outputs = [disc(real, fake) for disc in self.discriminators]
            losses["adv"] = sum(generator_loss(fake_scores) for _, fake_scores, _, _ in outputs).float()
            losses["fm"] = sum(feature_loss(real_f, fake_f) for _, _, real_f, fake_f in outputs).float()
        total = (losses["mel"] + self.cfg.stft_weight * losses["stft"] + self.cfg.distill_weight * losses["distill"]
                 + losses.get("adv", 0.0) + losses.get("fm", 0.0))
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        self.sched_g.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    def state(self, step: int) -> dict:
        return {"model": self.model.state_dict(), "discriminators": self.discriminators.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "sched_g": self.sched_g.state_dict(), "sched_d": self.sched_d.state_dict(),
                "step": step, "rng": rng_state(), "config": asdict(self.cfg)}

    def restore(self, state: dict) -> int:
        """Load a saved ``state``; returns its step."""
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError:
            raise VoiceCloneError("the run's state.pt holds another model size than --dim/--intermediate-dim/"
                                  "--layers ask for; resume with the run's own options (RUN/config.json)") from None
        self.discriminators.load_state_dict(state["discriminators"])
        for name in ("opt_g", "opt_d", "sched_g", "sched_d"):
            getattr(self, name).load_state_dict(state[name])
        set_rng_state(state["rng"])
        return int(state["step"])


def save_state(path: Path, state: dict) -> None:
    """Write ``state`` atomically (a crash mid-save keeps the previous state)."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def write_sample(model: FastVocoder, mel: np.ndarray, path: Path) -> None:
    """The model's vocoding of ``mel`` as a WAV (the model is put back in training mode)."""
    model.eval()
    sf.write(path, vocode(model, mel), VOCODER_MEL.sample_rate)
    model.train()


def main(argv: list[str] | None = None) -> None:
    cfg, export = parse_args(argv)
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        train(cfg, export)
    finally:
        torch.set_num_threads(threads)  # a caller in the same process (a test session) gets its threads back


def train(cfg: FastTrainConfig, export: str | None) -> None:
    """The run ``cfg`` describes, from its saved state if there is one; then ``export``, if given."""
    device = resolve_device(cfg.device)
    run = Path(cfg.run)
    (run / "samples").mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps({"args": asdict(cfg)}, indent=1))
    torch.manual_seed(cfg.seed)
    trainer = Trainer(cfg, device)
    state_path = run / "state.pt"
    step = trainer.restore(torch.load(state_path, map_location=device, weights_only=True)) if state_path.exists() else 0
    cache = TeacherCache(list_audio(Path(cfg.data), cfg.max_files), run / "teacher", load_vocoder(device, "fp32"))
    sample_mel = next(item.mel for item in map(cache.item, range(len(cache))) if item is not None)
    sample_mel = sample_mel[:, : int(SAMPLE_SECONDS * VOCODER_MEL.sample_rate / VOCODER_MEL.hop_length)]
    n_params = sum(p.numel() for p in trainer.model.parameters())
    print(f"{n_params / 1e6:.2f}M parameters ({n_params * 4 / 1e6:.1f} MB in float32); {len(cache)} files; "
          f"{device}{', bf16 autocast' if device.type == 'cuda' else ''}; from step {step}")

    new_log = not (run / "losses.csv").exists()
    with open(run / "losses.csv", "a", newline="") as log:
        writer = csv.writer(log)
        if new_log:
            writer.writerow(["step", "seconds", "lr", *LOG_KEYS])
        trainer.model.train()
        started = time.time()
        bar = tqdm(total=cfg.steps, initial=step, desc="training", unit="step")
        sums: dict[str, list[float]] = {}
        while step < cfg.steps:
            lr = trainer.opt_g.param_groups[0]["lr"]
            batch = draw_batch(cache, np.random.default_rng([cfg.seed, step]), cfg.batch, cfg.segment_frames,
                               trainer.model.config.n_fft)
            losses = trainer.step(batch, gan=step >= cfg.gan_from)
            step += 1
            for key, value in losses.items():
                sums.setdefault(key, []).append(value)
            bar.update()
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
            out_of_time = cfg.max_minutes and time.time() - started > 60 * cfg.max_minutes
            last = step == cfg.steps or out_of_time
            if step % cfg.log_every == 0 or last:
                writer.writerow([step, f"{time.time() - started:.1f}", f"{lr:.3g}",
                                 *(f"{np.mean(sums[k]):.5f}" if k in sums else "" for k in LOG_KEYS)])
                log.flush()
                sums = {}
            if step % cfg.sample_every == 0:
                write_sample(trainer.model, sample_mel, run / "samples" / f"step_{step:07d}.wav")
            if step % cfg.save_every == 0 or last:
                save_state(state_path, trainer.state(step))
            if out_of_time:
                break
        bar.close()
    if export is not None:
        folder = save_fast_vocoder(export, trainer.model, {"steps": step, "teacher": "hifigan-universal-v1",
                                                            "train_args": asdict(cfg)})
        print(f"exported step {step} to {folder}")


if __name__ == "__main__":
    run_main(main)
