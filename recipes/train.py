"""Train the acoustic model on prepared folders: one process, or many under torchrun (DDP).

    python -m recipes.train --prep runs/prep --run runs/acoustic [--steps 12000]
    torchrun --nproc_per_node=8 -m recipes.train --prep runs/prep_big --run runs/big --device cuda
    torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 -m recipes.train ...

One training path: the single-process command is the one-process case of the distributed one.
--prep takes several prepared folders (recipes.prepare shards, recipes.shared_data.prepare's
runs/prep and runs/prep_warp, ...) and trains on them together.

Every step trains the text path (phonemes -> mel, with learned alignment) on transcribed
speech and, where the folders hold untranscribed voices, the auto-encoding path (mel bottleneck ->
same decoder). Under torchrun every rank draws the same step plan (recipes.dataset.FrameSampler)
and trains on its share, with about equal frames per rank; --text-frames and --ae-frames are per
rank and micro-batch, so a step sees WORLD x --accumulate x those frames. Rank 0 logs and saves.
--config FILE (JSON, or YAML where PyYAML is installed; a run's own config.json works) sets any
option, the command line overriding it; the run's options are saved in its config.json and the
exported checkpoint. --init runs/OLD/state.pt (or an exported checkpoint folder, such as the
shipped voiceclone/acoustic/checkpoint) starts a new run (fresh optimiser and schedule) from earlier
weights, e.g. after adding a part to the model; it keeps that run's normalisation statistics
whatever data it now trains on, as a resumed run keeps its own. Writes runs/.../state.pt (resume:
model, optimiser, schedule, sampler position, every rank's random state), losses.csv,
samples/*.wav and *.png; recipes.shared_data.export turns the run into the shipped safetensors
checkpoint. --device cuda (or auto) trains on the GPUs, in bf16 autocast unless --precision fp32.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm import tqdm

from recipes.dataset import Collator, FrameSampler, Split, interpolate_logf0, statistics
from voiceclone.acoustic.alignment import beta_binomial_prior
from voiceclone.acoustic.checkpoint import load_checkpoint
from voiceclone.acoustic.config import AcousticConfig
from voiceclone.acoustic.losses import autoencode_losses, text_losses
from voiceclone.acoustic.model import AcousticModel, sequence_mask
from voiceclone.device import resolve_device
from voiceclone.errors import VoiceCloneError
from voiceclone.scripts import non_negative_float, non_negative_int, positive_float, positive_int, run_main
from voiceclone.text import DEFAULT_TABLE

SAMPLE_TEXT = "The quick brown fox jumps over the lazy dog, and then it rests."


def learning_rate(step: int, base: float, warmup: int, total: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


NORMALISATION_KEYS = ("mel_mean", "mel_std", "logf0_mean", "logf0_std")


def run_statistics(state_path: Path, init: Path | None, splits: list[Split]) -> dict:
    """The normalisation statistics for this run. Weights only make sense with the statistics they
    were trained with, so a resumed run keeps its own and an --init run keeps those of the run or
    checkpoint it starts from (the config.json beside its state.pt, or in its folder), whatever data
    it trains on now."""
    for weights in (state_path, init):
        if weights is None or not weights.exists():
            continue
        config = (weights if weights.is_dir() else weights.parent) / "config.json"
        if config.exists():
            model = json.loads(config.read_text())["model"]
            return {key: model[key] for key in NORMALISATION_KEYS}
    return statistics(splits)


def initial_weights(init: Path, device: torch.device) -> tuple[dict[str, torch.Tensor], int]:
    """Model weights and their training steps from a run's state.pt or an exported checkpoint folder
    (such as the shipped voiceclone/acoustic/checkpoint)."""
    if init.is_dir():
        checkpoint = load_checkpoint(init, device)
        return checkpoint.model.state_dict(), int(checkpoint.meta.get("steps", 0))
    return state_weights(load_state(init, device))


def load_state(path: Path, device: torch.device | str = "cpu") -> dict:
    """A run's state.pt (weights, optimiser, step); a VoiceCloneError when it is missing or unreadable."""
    if not path.is_file():
        raise VoiceCloneError(f"{path}: no such run state (a run folder's state.pt, written by train.py)")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # truncated zip, unpickling errors
        raise VoiceCloneError(f"{path}: not a readable run state ({type(exc).__name__}); is it truncated?") from None
    if not isinstance(state, dict) or "model" not in state or "step" not in state:
        raise VoiceCloneError(f"{path}: not a run state written by train.py (no model weights or step)")
    return state


def state_weights(state: dict) -> tuple[dict[str, torch.Tensor], int]:
    """Model weights of a run state and its steps, counting the run it was --init from."""
    return state["model"], int(state.get("init_steps", 0)) + int(state["step"])


def normalised_mel(model: AcousticModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The batch's log-mel in the model's normalised scale, zero past each item's length."""
    mask = sequence_mask(batch["mel_lengths"], batch["mel"].shape[-1])
    return model.normalise_mel(batch["mel"]) * mask[:, None, :]


def write_samples(model: AcousticModel, run: Path, step: int, text_split: Split, voice_split: Split,
                  device: torch.device) -> None:
    """Synthesise the sample sentence in one transcribed and one untranscribed voice; save wav + png."""
    from voiceclone.audio import save_audio
    from voiceclone.text import TextFrontend
    from voiceclone.vocoder import load_vocoder, vocode

    folder = run / "samples"
    folder.mkdir(exist_ok=True)
    ids = torch.tensor([TextFrontend().encode(SAMPLE_TEXT, DEFAULT_TABLE)], device=device)
    model.eval()
    mels = {}
    for name, split, i in (("text0", text_split, 0), ("voice0", voice_split, 0))[: 1 + bool(len(voice_split))]:
        _, mean, std = interpolate_logf0(split.f0s[i])
        mel = model.infer(ids, torch.from_numpy(split.dvecs[i][None]).to(device),
                          torch.tensor([mean], device=device), torch.tensor([std], device=device)).mel
        mels[name] = mel[0].cpu().numpy()
        save_audio(folder / f"step{step:06d}_{name}.wav", vocode(load_vocoder("cpu"), mels[name]), 22050)
    model.train()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(mels), 1, figsize=(10, 3 * len(mels)))
        for ax, (name, mel) in zip(np.atleast_1d(axes), mels.items()):
            ax.imshow(mel, origin="lower", aspect="auto")
            ax.set_title(f"step {step}: {name}")
        fig.tight_layout()
        fig.savefig(folder / f"step{step:06d}_mel.png")
        plt.close(fig)
    except ImportError:
        pass


@dataclass
class TrainConfig:
    """A run's options: the command line's, a --config file's, and what the run folder records."""

    prep: list[str] = field(default_factory=lambda: ["runs/prep"])
    run: str = "runs/acoustic"
    steps: int = 12000
    lr: float = 1e-3
    warmup: int = 500
    text_frames: int = 2000
    ae_frames: int = 1200
    accumulate: int = 1
    buckets: int = 1
    binarize_from: int = 1500
    save_every: int = 250
    sample_every: int = 1000
    log_every: int = 25
    threads: int = 2
    device: str = "cpu"
    precision: str = "auto"
    seed: int = 0
    init: str | None = None
    max_minutes: float = 0.0
    stop_after: int = 0

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        """Options from a config file; a run's config.json gives its "args" (older runs wrote every value as text)."""
        values = values.get("args", values)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known) - {"config"})
        if unknown:
            raise VoiceCloneError(f"unknown training option(s) in the config: {', '.join(unknown)}")
        out = {}
        for name, value in values.items():
            if name == "config":
                continue
            default = getattr(cls(), name)
            if name == "prep":
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
            elif value is None or value == "None":
                out[name] = None
            elif isinstance(default, (int, float)) and not isinstance(default, bool):
                out[name] = type(default)(float(value)) if isinstance(default, int) else float(value)
            else:
                out[name] = str(value)
        return cls(**out)


def read_config(path: Path) -> TrainConfig:
    """A JSON (or, with PyYAML installed, YAML) file of TrainConfig's fields."""
    if not path.is_file():
        raise VoiceCloneError(f"{path}: no such config file")
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise VoiceCloneError(f"{path}: reading YAML needs PyYAML (pip install pyyaml); or write the config as JSON") from None
        values = yaml.safe_load(text)
    else:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VoiceCloneError(f"{path}: not JSON ({exc})") from None
    if not isinstance(values, dict):
        raise VoiceCloneError(f"{path}: expected a mapping of option names to values")
    return TrainConfig.from_dict(values)


def parse_config(argv: list[str] | None = None) -> TrainConfig:
    """TrainConfig from the command line, over a --config file's values, over the defaults."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config", type=Path)
    known, _ = early.parse_known_args(argv)
    base = read_config(known.config) if known.config else TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="a JSON/YAML file of these options (a run's config.json works)")
    parser.add_argument("--prep", nargs="+", help="prepared folders (recipes.prepare or recipes.shared_data.prepare), trained on together")
    parser.add_argument("--run", "--run-dir", dest="run",
                        help="the run folder (resumed when it holds a state.pt); under torchrun spell it --run-dir, "
                             "as torchrun reads --run as its own --run-path")
    parser.add_argument("--steps", type=positive_int, help="optimiser steps in all")
    parser.add_argument("--lr", type=positive_float)
    parser.add_argument("--warmup", type=non_negative_int)
    parser.add_argument("--text-frames", type=positive_int, help="mel frames per text batch, per rank and micro-batch")
    parser.add_argument("--ae-frames", type=positive_int, help="mel frames per auto-encoding batch, per rank and micro-batch")
    parser.add_argument("--accumulate", type=positive_int, help="micro-batches per optimiser step (gradient accumulation)")
    parser.add_argument("--buckets", type=positive_int, help="length buckets batches are drawn from (1: any lengths together)")
    parser.add_argument("--binarize-from", type=non_negative_int, help="step at which the binarisation loss starts")
    parser.add_argument("--save-every", type=positive_int)
    parser.add_argument("--sample-every", type=positive_int)
    parser.add_argument("--log-every", type=positive_int, help="write losses.csv every this many steps")
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads per process")
    parser.add_argument("--device", help="cpu, cuda or auto; under torchrun each rank takes cuda:LOCAL_RANK")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), help="auto: bf16 autocast on CUDA, fp32 on CPU")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--init", help="start a new run from another run's state.pt or an exported checkpoint folder such as "
                                       "voiceclone/acoustic/checkpoint (model weights only; parts it lacks start fresh; the new "
                                       "run's own schedule and optimiser)")
    parser.add_argument("--max-minutes", type=non_negative_float, help="stop (and save) after this long; 0: no limit")
    parser.add_argument("--stop-after", type=non_negative_int,
                        help="stop (and save) after this many steps of this invocation, the schedule unchanged; 0: no limit")
    parser.set_defaults(**asdict(base))
    args = vars(parser.parse_args(argv))
    args.pop("config")
    return TrainConfig.from_dict(args)


@dataclass
class Distributed:
    """This process's place in the run: rank, world size and device (cuda:LOCAL_RANK under torchrun)."""

    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0


def start_distributed(device_name: str) -> tuple[Distributed, bool]:
    """Join the torchrun process group when there is one (gloo on CPU, NCCL on CUDA); else one process.
    Also whether this call started the group (and so ends it)."""
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    device = resolve_device(device_name)
    if device.type == "cuda":
        if device.index is None:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    started = world > 1 and not dist.is_initialized()
    if started:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(rank, world, device), started


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 autocast on CUDA (auto or bf16); none on CPU, where bf16 training is refused."""
    if precision == "bf16" and device.type != "cuda":
        raise VoiceCloneError("--precision bf16 trains in bf16 autocast on CUDA only; use fp32 (or auto) on the CPU")
    return torch.bfloat16 if device.type == "cuda" and precision in ("auto", "bf16") else None


class TrainStep(nn.Module):
    """The losses of one batch pair as a module's forward, so DistributedDataParallel can wrap it:
    the model's forward passes (under autocast when given a dtype), losses in float32."""

    def __init__(self, model: AcousticModel, dtype: torch.dtype | None = None):
        super().__init__()
        self.model, self.dtype = model, dtype

    def _autocast(self, device: torch.device):
        return torch.autocast(device.type, dtype=self.dtype) if self.dtype is not None else nullcontext()

    def forward(self, tb: dict[str, torch.Tensor], vb: dict[str, torch.Tensor] | None, bin_w: float) -> dict[str, torch.Tensor]:
        model = self.model
        device = tb["mel"].device
        prior = beta_binomial_prior(tb["text_lengths"].tolist(), tb["mel_lengths"].tolist()).to(device)
        mel = normalised_mel(model, tb)
        with self._autocast(device):
            out = model.forward_text(tb["ids"], tb["text_lengths"], mel, tb["mel_lengths"], tb["dvec"], tb["logf0"], prior)
        out = {k: v.float() if v.is_floating_point() else v for k, v in out.items()}
        losses = text_losses(out, mel, tb["text_lengths"], tb["mel_lengths"], tb["utt_logf0_mean"],
                             tb["utt_logf0_std"], bin_w)
        if vb is not None:
            vmel = normalised_mel(model, vb)
            with self._autocast(device):
                vout = model.forward_autoencode(vmel, vb["mel_lengths"], vb["dvec"], vb["logf0"])
            losses.update(autoencode_losses({k: v.float() for k, v in vout.items()} | {"mel_mask": vout["mel_mask"]}, vmel))
        return losses


LOG_KEYS = ("mel", "mel_ae", "duration", "pitch", "align", "binarize")


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"].cpu())


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of the model's parameters: equal on every rank of a run in step."""
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    cfg_run = parse_config(argv)
    run = Path(cfg_run.run)
    torch.set_num_threads(cfg_run.threads)
    where, own_group = start_distributed(cfg_run.device)
    device, rank, world = where.device, where.rank, where.world
    dtype = autocast_dtype(cfg_run.precision, device)
    torch.manual_seed(cfg_run.seed + rank)
    preps = [Path(p) for p in cfg_run.prep]
    for prep in preps:  # a folder may hold only one of the two splits, never neither
        if not (prep / "voices.npz").is_file() and not (prep / "text.npz").is_file():
            Split.load(prep / "text.npz")  # says what is missing
    text_split = Split.load_all([prep / "text.npz" for prep in preps], optional=True)
    if not len(text_split):
        raise VoiceCloneError(f"{', '.join(map(str, preps))}: not a prepared folder with transcribed speech (no text.npz)")
    voice_split = Split.load_all([prep / "voices.npz" for prep in preps], optional=True)
    init = Path(cfg_run.init) if cfg_run.init else None
    cfg = AcousticConfig(n_symbols=len(DEFAULT_TABLE), **run_statistics(run / "state.pt", init, [text_split, voice_split]))
    model = AcousticModel(cfg).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg_run.lr, weight_decay=1e-6)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: learning_rate(s, cfg_run.lr, cfg_run.warmup, cfg_run.steps) / cfg_run.lr)
    step, init_steps = 0, 0
    state_path = run / "state.pt"
    if state_path.exists():
        state = load_state(state_path, device)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, init_steps = int(state["step"]), int(state.get("init_steps", 0))
        scheduler.last_epoch = step  # the schedule is a function of the step (and of --steps, which may have grown)
        rngs = state.get("rng", [])
        if len(rngs) == world:
            set_rng_state(rngs[rank])
        if where.main:
            print(f"resumed from step {step}")
    elif init is not None:
        weights, init_steps = initial_weights(init, device)
        missing, unexpected = model.load_state_dict(weights, strict=False)
        if unexpected:
            raise SystemExit(f"{init} holds weights this model has no place for: {unexpected}")
        if where.main:
            print(f"initialised from {init} ({init_steps} steps); new, freshly initialised: {missing}")
    if world > 1:
        steps = [None] * world
        dist.all_gather_object(steps, step)
        if len(set(steps)) > 1:
            raise VoiceCloneError(f"the ranks found different states in {run} (steps {steps}): the run folder must be "
                                  "on storage every node sees, or copied to each")
    for group in optimiser.param_groups:
        group["lr"] = cfg_run.lr * scheduler.lr_lambdas[0](step)
    if where.main:
        run.mkdir(parents=True, exist_ok=True)  # once data and weights have loaded: a bad start leaves no empty run folder
        (run / "config.json").write_text(json.dumps({"model": cfg.to_dict(), "args": asdict(cfg_run)}, indent=1))
    text_collate = Collator(text_split, 1000, other_utterance_dvec=True)
    voice_collate = Collator(voice_split, 400, other_utterance_dvec=False) if len(voice_split) else None
    text_plan = FrameSampler(text_collate.lengths(), cfg_run.text_frames, world, cfg_run.seed, cfg_run.buckets)
    voice_plan = (FrameSampler(voice_collate.lengths(), cfg_run.ae_frames, world, cfg_run.seed + 1, cfg_run.buckets)
                  if voice_collate else None)
    step_module = TrainStep(model, dtype)
    trained = step_module
    if world > 1:
        trained = nn.parallel.DistributedDataParallel(
            step_module, device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=voice_collate is None)
    if where.main:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{n_params / 1e6:.2f}M parameters; {len(text_split)} transcribed, {len(voice_split)} voice items; "
              f"{world} process(es) on {device}{', bf16 autocast' if dtype else ''}")
        log_path = run / "losses.csv"
        new_log = not log_path.exists()
        log = open(log_path, "a", newline="")
        writer = csv.writer(log)
        if new_log:
            writer.writerow(["step", "seconds", "lr", *LOG_KEYS, "frames"])
    started = time.time()
    model.train()
    bar = tqdm(total=cfg_run.steps, initial=step, desc="training", unit="step", disable=not where.main)
    running: dict[str, float] = {}
    frames_done, first_step = 0, step
    while step < cfg_run.steps:
        lr = optimiser.param_groups[0]["lr"]
        bin_w = 0.0 if step < cfg_run.binarize_from else min(1.0, (step - cfg_run.binarize_from) / 1000)
        optimiser.zero_grad(set_to_none=True)
        sums = torch.zeros(len(LOG_KEYS) + 1)
        for micro in range(cfg_run.accumulate):
            rng = np.random.default_rng([cfg_run.seed, step, micro, rank])
            tb = text_collate(text_plan.draw(step, micro)[rank], rng)
            vb = voice_collate(voice_plan.draw(step, micro)[rank], rng) if voice_collate else None
            tb = {k: v.to(device) for k, v in tb.items()}
            vb = {k: v.to(device) for k, v in vb.items()} if vb else None
            last = micro == cfg_run.accumulate - 1
            with trained.no_sync() if world > 1 and not last else nullcontext():
                losses = trained(tb, vb, bin_w)
                (sum(losses.values()) / cfg_run.accumulate).backward()
            sums += torch.tensor([losses[k].item() if k in losses else 0.0 for k in LOG_KEYS]
                                 + [float(tb["mel_lengths"].sum() + (vb["mel_lengths"].sum() if vb else 0))])
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        scheduler.step()
        step += 1
        if world > 1:  # NCCL reduces CUDA tensors only
            sums = sums.to(device)
            dist.all_reduce(sums)
            sums = sums.cpu()
        values = dict(zip(LOG_KEYS, (sums[:-1] / (world * cfg_run.accumulate)).tolist()))
        frames_done += int(sums[-1])
        for k, value in values.items():
            running[k] = 0.98 * running.get(k, value) + 0.02 * value
        bar.update(1)
        bar.set_postfix(mel=f"{running['mel']:.3f}", ae=f"{running['mel_ae']:.3f}", dur=f"{running['duration']:.3f}",
                        fps=f"{frames_done / max(1e-9, time.time() - started):.0f}")
        if where.main and step % cfg_run.log_every == 0:
            writer.writerow([step, round(time.time() - started, 1), lr] + [round(values[k], 5) for k in LOG_KEYS]
                            + [int(sums[-1])])
            log.flush()
        out_of_time = torch.tensor(float(bool(cfg_run.max_minutes) and (time.time() - started) / 60 > cfg_run.max_minutes
                                         or step - first_step == cfg_run.stop_after))
        if world > 1:
            out_of_time = out_of_time.to(device)
            dist.broadcast(out_of_time, 0)  # every rank stops at the same step
            out_of_time = out_of_time.cpu()
        if step % cfg_run.save_every == 0 or step == cfg_run.steps or out_of_time:
            save_state(state_path, model, optimiser, scheduler, step, init_steps, world, where.main)
        if where.main and step % cfg_run.sample_every == 0:
            write_samples(model, run, step, text_split, voice_split, device)
        if out_of_time:
            if where.main:
                print(f"stopping at step {step}")
            break
    bar.close()
    elapsed = time.time() - started
    if where.main:
        log.close()
        print(f"{frames_done} frames in {elapsed:.1f} s: {frames_done / max(elapsed, 1e-9):.0f} frames/s in all, "
              f"{frames_done / max(elapsed, 1e-9) / world:.0f} per process")
    if world > 1:
        dist.barrier()
    if own_group:
        dist.destroy_process_group()


def save_state(path: Path, model: AcousticModel, optimiser, scheduler, step: int, init_steps: int, world: int,
               main: bool) -> None:
    """Rank 0 writes the run's state (atomically): model, optimiser, schedule, step (the sampler's
    position: its draws are a function of the step), every rank's random state and every rank's
    weights digest; ranks whose weights differ stop the run."""
    mine = {"rng": rng_state(), "digest": weights_digest(model)}
    gathered = [None] * world
    if world > 1:
        dist.all_gather_object(gathered, mine)
    else:
        gathered = [mine]
    digests = [g["digest"] for g in gathered]
    if len(set(digests)) > 1:
        raise VoiceCloneError(f"step {step}: the ranks' weights differ ({digests}); the run is out of step")
    rngs = [g["rng"] for g in gathered]
    if main:
        tmp = path.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "scheduler": scheduler.state_dict(),
                    "step": step, "init_steps": init_steps, "sampler": {"step": step}, "rng": rngs, "digests": digests}, tmp)
        tmp.replace(path)
    if world > 1:
        dist.barrier()  # no rank runs ahead of a save


if __name__ == "__main__":
    run_main(main)
