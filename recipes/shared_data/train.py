"""Train the acoustic model on the prepared shared data; resumable, logged, with samples.

    python -m recipes.shared_data.train --prep runs/prep --run runs/acoustic [--steps 12000]

--prep takes several prepared folders (e.g. runs/prep runs/prep_warp) and trains on them together.

Every step trains the text path (phonemes -> mel, with learned alignment) on transcribed
speech and the auto-encoding path (mel bottleneck -> same decoder) on untranscribed voices.
--init runs/OLD/state.pt (or an exported checkpoint folder, such as the shipped
voiceclone/acoustic/checkpoint) starts a new run (fresh optimiser and schedule) from earlier
weights, e.g. after adding a part to the model; it keeps that run's normalisation statistics
whatever data it now trains on, as a resumed run keeps its own. Writes runs/.../state.pt
(resume), losses.csv, samples/*.wav and *.png; export.py turns the run into the shipped
safetensors checkpoint. Runs unchanged on CUDA (--device cuda).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recipes.shared_data.dataset import Batcher, Split, interpolate_logf0, statistics
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
    for name, split, i in (("text0", text_split, 0), ("voice0", voice_split, 0)):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prep", type=Path, nargs="+", default=[Path("runs/prep")],
                        help="prepared folders (prepare.py --out), trained on together")
    parser.add_argument("--run", type=Path, default=Path("runs/acoustic"))
    parser.add_argument("--steps", type=positive_int, default=12000)
    parser.add_argument("--lr", type=positive_float, default=1e-3)
    parser.add_argument("--warmup", type=non_negative_int, default=500)
    parser.add_argument("--text-frames", type=positive_int, default=2000, help="mel frames per text batch")
    parser.add_argument("--ae-frames", type=positive_int, default=1200, help="mel frames per auto-encoding batch")
    parser.add_argument("--binarize-from", type=non_negative_int, default=1500, help="step at which the binarisation loss starts")
    parser.add_argument("--save-every", type=positive_int, default=250)
    parser.add_argument("--sample-every", type=positive_int, default=1000)
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", type=Path, default=None,
                        help="start a new run from another run's state.pt or an exported checkpoint folder such as "
                             "voiceclone/acoustic/checkpoint (model weights only; parts it lacks start fresh; the new "
                             "run's own schedule and optimiser)")
    parser.add_argument("--max-minutes", type=non_negative_float, default=0, help="stop (and save) after this long; 0: no limit")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = resolve_device(args.device)
    text_split = Split.load_all([prep / "text.npz" for prep in args.prep])
    voice_split = Split.load_all([prep / "voices.npz" for prep in args.prep])
    cfg = AcousticConfig(n_symbols=len(DEFAULT_TABLE), **run_statistics(args.run / "state.pt", args.init,
                                                                         [text_split, voice_split]))
    model = AcousticModel(cfg).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-6)
    step, init_steps = 0, 0
    state_path = args.run / "state.pt"
    if state_path.exists():
        state = load_state(state_path, device)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, init_steps = int(state["step"]), int(state.get("init_steps", 0))
        print(f"resumed from step {step}")
    elif args.init is not None:
        weights, init_steps = initial_weights(args.init, device)
        missing, unexpected = model.load_state_dict(weights, strict=False)
        if unexpected:
            raise SystemExit(f"{args.init} holds weights this model has no place for: {unexpected}")
        print(f"initialised from {args.init} ({init_steps} steps); new, freshly initialised: {missing}")
    args.run.mkdir(parents=True, exist_ok=True)  # once data and weights have loaded: a bad start leaves no empty run folder
    run_args = {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in vars(args).items()}
    (args.run / "config.json").write_text(json.dumps({"model": cfg.to_dict(), "args": run_args}, indent=1))
    rng = np.random.default_rng(args.seed + step)
    text_batches = Batcher(text_split, args.text_frames, 1000, rng, other_utterance_dvec=True)
    voice_batches = Batcher(voice_split, args.ae_frames, 400, rng, other_utterance_dvec=False)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.2f}M parameters; {len(text_split)} transcribed, {len(voice_split)} voice items")

    log_path = args.run / "losses.csv"
    new_log = not log_path.exists()
    log = open(log_path, "a", newline="")
    writer = csv.writer(log)
    if new_log:
        writer.writerow(["step", "seconds", "lr", "mel", "mel_ae", "duration", "pitch", "align", "binarize"])
    started = time.time()
    model.train()
    bar = tqdm(total=args.steps, initial=step, desc="training", unit="step")
    running: dict[str, float] = {}
    while step < args.steps:
        lr = learning_rate(step, args.lr, args.warmup, args.steps)
        for group in optimiser.param_groups:
            group["lr"] = lr
        tb = {k: v.to(device) for k, v in text_batches.sample().items()}
        prior = beta_binomial_prior(tb["text_lengths"].tolist(), tb["mel_lengths"].tolist()).to(device)
        mel = normalised_mel(model, tb)
        out = model.forward_text(tb["ids"], tb["text_lengths"], mel, tb["mel_lengths"], tb["dvec"], tb["logf0"], prior)
        bin_w = 0.0 if step < args.binarize_from else min(1.0, (step - args.binarize_from) / 1000)
        losses = text_losses(out, mel, tb["text_lengths"], tb["mel_lengths"], tb["utt_logf0_mean"],
                             tb["utt_logf0_std"], bin_w)
        vb = {k: v.to(device) for k, v in voice_batches.sample().items()}
        vmel = normalised_mel(model, vb)
        losses.update(autoencode_losses(model.forward_autoencode(vmel, vb["mel_lengths"], vb["dvec"], vb["logf0"]), vmel))
        total = sum(losses.values())
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        for k, v in losses.items():
            value = v.item()
            running[k] = 0.98 * running.get(k, value) + 0.02 * value
        bar.update(1)
        bar.set_postfix(mel=f"{running['mel']:.3f}", ae=f"{running['mel_ae']:.3f}", dur=f"{running['duration']:.3f}")
        if step % 25 == 0:
            writer.writerow([step, round(time.time() - started, 1), lr] + [round(losses[k].item(), 5) for k in
                            ("mel", "mel_ae", "duration", "pitch", "align", "binarize")])
            log.flush()
        out_of_time = args.max_minutes and (time.time() - started) / 60 > args.max_minutes
        if step % args.save_every == 0 or step == args.steps or out_of_time:
            tmp = state_path.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                        "init_steps": init_steps}, tmp)
            tmp.replace(state_path)
        if step % args.sample_every == 0:
            write_samples(model, args.run, step, text_split, voice_split, device)
        if out_of_time:
            print(f"stopping after {args.max_minutes} minutes at step {step}")
            break
    bar.close()
    log.close()


if __name__ == "__main__":
    run_main(main)
