"""recipes.train across two CPU processes (gloo): the loss goes down, the ranks hold the same weights,
a stopped run resumes exactly where it stopped, and the exported checkpoint loads in VoiceCloner.
Also the frame-balancing sampler, the run config, and bf16 autocast's code path."""

from __future__ import annotations

import csv
import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from recipes.dataset import FrameSampler
from recipes.train import TrainConfig, TrainStep, autocast_dtype, parse_config
from voiceclone.errors import VoiceCloneError

TINY = ["--warmup", "1", "--threads", "1", "--text-frames", "150", "--ae-frames", "120", "--log-every", "1",
        "--sample-every", "1000", "--lr", "2e-3"]


def _ranks(rank: int, world: int, port: int, runs: list[list[str]]) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo")
    from recipes.train import main

    for argv in runs:
        main(argv)
    torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _losses(run: Path) -> list[dict]:
    with open(run / "losses.csv") as handle:
        return list(csv.DictReader(handle))


def _state(run: Path) -> dict:
    return torch.load(run / "state.pt", weights_only=True)


def test_two_gloo_processes_train_in_step_resume_exactly_and_export(tmp_path: Path, monkeypatch) -> None:
    from test_recipe_training import _prep, _summary

    prep = _prep(tmp_path / "prep", 1.0)
    _summary(prep)
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    common = ["--prep", str(prep), "--steps", "4", "--save-every", "2", *TINY]
    runs = [["--run", str(straight), *common],
            ["--run", str(stopped), *common, "--stop-after", "2"],
            ["--run", str(stopped), *common]]  # resumes at step 2
    mp.start_processes(_ranks, args=(2, _free_port(), runs), nprocs=2, join=True, start_method="spawn")

    losses = _losses(straight)
    assert [int(row["step"]) for row in losses] == [1, 2, 3, 4]
    assert float(losses[-1]["mel"]) < float(losses[0]["mel"]) and float(losses[-1]["mel_ae"]) < float(losses[0]["mel_ae"])
    state = _state(straight)
    assert state["step"] == 4 and len(state["rng"]) == 2
    assert len(state["digests"]) == 2 and state["digests"][0] == state["digests"][1]  # ranks in step
    resumed = _state(stopped)
    assert resumed["digests"] == state["digests"]  # stopped at 2 and resumed: the same weights as straight through
    assert [row["mel"] for row in _losses(stopped)] == [row["mel"] for row in losses]
    from recipes.losses import table

    side_by_side = table([straight, stopped], ["mel"], 2).splitlines()
    assert len(side_by_side) == 4 and all(line.split("|")[2] == line.split("|")[3] for line in side_by_side[2:])
    config = json.loads((straight / "config.json").read_text())["args"]
    assert config["steps"] == 4 and config["prep"] == [str(prep)]

    data = tmp_path / "data"
    (data / "tts").mkdir(parents=True)
    import soundfile as sf
    from conftest import make_speechlike

    rows = ["path\tspeaker\ttext"]
    for i in range(2):  # the built-in voice's recordings: two are enough here
        sf.write(data / "tts" / f"c{i}.wav", make_speechlike(22050, 2.0, i), 22050)
        rows.append(f"c{i}.wav\tcathy\tline {i}")
    (data / "tts" / "metadata.tsv").write_text("\n".join(rows) + "\n")
    from recipes.shared_data import export  # in this process: the command itself is tested in test_recipe_training

    monkeypatch.setattr("sys.argv", ["export", "--run", str(straight), "--out", str(tmp_path / "ckpt"), "--data", str(data)])
    export.main()
    from voiceclone import VoiceCloner

    cloner = VoiceCloner(device="cpu", checkpoint=tmp_path / "ckpt")
    assert cloner.meta["steps"] == 4 and cloner.meta["train_args"] == config
    assert TrainConfig.from_dict(cloner.meta["train_args"]) == TrainConfig.from_dict(config)  # reproducible from it


def test_sampler_balances_frames_across_ranks_and_depends_only_on_the_step() -> None:
    lengths = np.random.default_rng(0).integers(50, 1000, 500)
    sampler = FrameSampler(lengths, 4000, world=4, seed=3, buckets=8)
    plan = sampler.draw(17)
    assert plan == FrameSampler(lengths, 4000, world=4, seed=3, buckets=8).draw(17)  # any rank, any resume
    assert plan != sampler.draw(18)
    per_rank = [int(lengths[ranks].sum()) for ranks in plan]
    assert min(per_rank) > 0.8 * max(per_rank) and all(ranks for ranks in plan)
    drawn = np.concatenate(plan)
    assert lengths[drawn].max() - lengths[drawn].min() < 200  # one length bucket of eight
    single = FrameSampler(lengths, 4000, world=1, seed=3).draw(5)
    assert len(single) == 1 and 3000 < lengths[single[0]].sum() <= 4000


def test_config_file_then_command_line(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"steps": 50, "lr": 5e-4, "prep": ["a", "b"]}))
    cfg = parse_config(["--config", str(tmp_path / "run.json"), "--lr", "1e-4"])
    assert (cfg.steps, cfg.lr, cfg.prep, cfg.warmup) == (50, 1e-4, ["a", "b"], 500)
    (tmp_path / "old.json").write_text(json.dumps({"model": {}, "args": {"steps": "8000", "init": "None", "prep": "runs/prep"}}))
    old = parse_config(["--config", str(tmp_path / "old.json")])  # an older run's config.json, values as text
    assert (old.steps, old.init, old.prep) == (8000, None, ["runs/prep"])
    (tmp_path / "bad.json").write_text(json.dumps({"stepz": 1}))
    with pytest.raises(VoiceCloneError, match="stepz"):
        parse_config(["--config", str(tmp_path / "bad.json")])


def test_bf16_autocast_only_on_cuda_and_its_forward_runs() -> None:
    assert autocast_dtype("auto", torch.device("cpu")) is None
    assert autocast_dtype("auto", torch.device("cuda", 0)) == torch.bfloat16
    assert autocast_dtype("fp32", torch.device("cuda", 0)) is None
    with pytest.raises(VoiceCloneError, match="CUDA only"):
        autocast_dtype("bf16", torch.device("cpu"))
    # the bf16 code path itself, on the CPU's autocast: float32 losses, finite, with gradients
    from voiceclone.acoustic.config import AcousticConfig
    from voiceclone.acoustic.model import AcousticModel

    torch.manual_seed(0)
    model = AcousticModel(AcousticConfig(n_symbols=60))
    b, t, n = 2, 40, 9
    tb = {"mel": torch.randn(b, 80, t) - 5, "logf0": torch.full((b, t), 5.0), "mel_lengths": torch.tensor([40, 33]),
          "dvec": torch.randn(b, 256), "utt_logf0_mean": torch.full((b,), 5.0), "utt_logf0_std": torch.full((b,), 0.2),
          "ids": torch.randint(1, 60, (b, n)), "text_lengths": torch.tensor([9, 7])}
    vb = {k: tb[k] for k in ("mel", "logf0", "mel_lengths", "dvec")}
    losses = TrainStep(model, torch.bfloat16)(tb, vb, 0.5)
    assert all(v.dtype == torch.float32 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.decoder.parameters().__next__().grad is not None
