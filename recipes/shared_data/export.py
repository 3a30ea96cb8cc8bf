"""Export a training run as the checkpoint shipped inside the package, with its model card.

    python -m recipes.shared_data.export --run runs/acoustic [--out voiceclone/acoustic/checkpoint] [--data ../shared/data]

Writes model.safetensors (fp16 weights would halve the size; we keep fp32 while it is a few MB),
config.json (model config + metadata), phonemes.json (the phoneme table the model was trained
with), default_voice.npz (the built-in voice: a profile of CC0 recordings) and MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from recipes.shared_data import add_data_argument
from recipes.train import load_state, state_weights
from voiceclone.acoustic.checkpoint import SHIPPED, save_checkpoint
from voiceclone.acoustic.config import AcousticConfig
from voiceclone.acoustic.model import AcousticModel
from voiceclone.errors import VoiceCloneError
from voiceclone.scripts import run_main
from voiceclone.tables import read_tsv
from voiceclone.text import DEFAULT_TABLE
from voiceclone.voice import build_voice

DEFAULT_VOICE_SPEAKER = "cathy"  # CC0-1.0 recordings; the built-in voice is their averaged profile
DEFAULT_VOICE_FILES = 8


def default_voice_references(data: Path) -> list[Path]:
    rows = [r for r in read_tsv(data / "tts" / "metadata.tsv", ("path", "speaker"))
            if r["speaker"] == DEFAULT_VOICE_SPEAKER]
    return [data / "tts" / r["path"] for r in rows[:DEFAULT_VOICE_FILES]]


def listed(prep: str | list[str]) -> list[str]:
    """A run's recorded --prep as a list (runs made before --prep took several folders hold one path)."""
    return prep if isinstance(prep, list) else [prep]


def prepared_data(folders: list[Path]) -> dict:
    """prepare.py's summaries of the folders a run trained on, counts added up; speaker counts are the
    recordings' (the first folder's) and ``warps`` lists the speed factors of any warped copies."""
    summaries = [json.loads((folder / "summary.json").read_text()) for folder in folders]
    data = dict(summaries[0])
    for extra in summaries[1:]:
        for key in ("transcribed", "skipped_too_short", "voice_halves", "text_minutes", "voice_minutes"):
            data[key] += extra[key]
    data["warps"] = sorted({factor for summary in summaries for factor in summary.get("warps", [])})
    return data


def replace_folder(out: Path, write) -> None:
    """Call ``write(folder)`` on a new folder beside ``out``, then put it in ``out``'s place: a failed
    export leaves the old checkpoint whole, never a mix of new weights and an old voice or card."""
    if not out.parent.is_dir():
        raise VoiceCloneError(f"{out}: folder {out.parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        write(tmp)
        tmp.chmod(0o755)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=Path("runs/acoustic"))
    parser.add_argument("--out", type=Path, default=SHIPPED)
    add_data_argument(parser, "tts/ (the built-in voice's recordings)")
    parser.add_argument("--note", default="", help="a line for the model card (e.g. how the run was resumed)")
    args = parser.parse_args()

    config_path = args.run / "config.json"
    if not config_path.is_file():
        raise VoiceCloneError(f"{args.run}: not a run folder (no config.json); train one with train.py --run")
    run_config = json.loads(config_path.read_text())
    cfg = AcousticConfig.from_dict(run_config["model"])
    weights, steps = state_weights(load_state(args.run / "state.pt"))  # counting the run it was --init from
    model = AcousticModel(cfg)
    model.load_state_dict(weights)
    model.eval()
    prep = prepared_data([Path(p) for p in listed(run_config["args"]["prep"])])
    profile = build_voice(default_voice_references(args.data))  # everything is read before anything is written
    meta = {
        "model_id": f"voiceclone-acoustic-shared-{steps}",
        "steps": steps,
        "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "train_args": run_config["args"],
        "data": {k: v for k, v in prep.items() if k != "held_out_speakers"},
        "parameters": sum(p.numel() for p in model.parameters()),
        "note": args.note,
    }
    augmented = (f"\n  Counts include warped copies (`prepare.py --warps`, speed factors {prep['warps']})."
                 if prep["warps"] else "")
    if prep.get("corpora"):  # recipes.prepare: whatever corpora the run names
        data_line = (f"{', '.join(f'`{c}`' for c in prep['corpora'])} prepared by `recipes/prepare.py`: "
                     f"{prep['transcribed']} transcribed utterances ({prep['text_minutes']:.1f} min, {prep['text_speakers']} "
                     f"speakers) and {prep['voice_halves']} halves of untranscribed utterances ({prep['voice_minutes']:.1f} "
                     f"min, {prep['voices_speakers']} speakers). Licences: those of the corpora.")
    else:
        data_line = f"""`../shared/data` prepared by `recipes/shared_data/prepare.py`, development speakers held out:
  {prep['transcribed']} transcribed utterances ({prep['text_minutes']:.1f} min, {prep['text_speakers']} speakers, mostly the
  CC0 `cathy` voice) and {prep['voice_halves']} halves of untranscribed LibriSpeech utterances
  ({prep['voice_minutes']:.1f} min, {prep['voices_speakers']} speakers). Licences: CC0-1.0, public domain, CC-BY-4.0, CMU ARCTIC.{augmented}"""
    card = f"""# voiceclone acoustic model `{meta['model_id']}`

- Architecture: Tacotron 2 text encoder, GE2E d-vector conditioning (FiLM in the decoder), duration and pitch predictors
  (learned monotonic alignment), dilated-convolution decoder, Tacotron 2 post-net; an auto-encoding
  path through a mel bottleneck trains the same decoder on untranscribed voices.
  {meta['parameters'] / 1e6:.2f}M parameters; predicts the HiFi-GAN universal 80-band log-mel.
- Data: {data_line}
- Training: `recipes/train.py`, {meta['steps']} steps, arguments in config.json (`meta.train_args`). {args.note}
- Built-in voice: averaged profile of {DEFAULT_VOICE_FILES} CC0 `cathy` recordings (default_voice.npz).
- At synthesis `VoiceCloner` predicts phoneme durations for the built-in voice whatever the
  target (the timing predicted for unseen voices was less intelligible), takes half of a cloned
  voice's harmonic fine structure from the output rendered again through the auto-encoding path
  (`AcousticModel.rerender`), and moves the output to the voice's per-band log-mel statistics
  (`voiceclone/features/bands.py`), stored in its profile.
- Phoneme table: version {DEFAULT_TABLE.version}, {len(DEFAULT_TABLE)} symbols (phonemes.json).
- Measured quality: see the README's evaluation table (`voiceclone eval`).
- Intended use: speech synthesis with consent of the voice's owner; every output is watermarked.
"""

    def write(folder: Path) -> None:
        save_checkpoint(folder, model, DEFAULT_TABLE, meta)
        profile.save(folder / "default_voice.npz")
        (folder / "MODEL_CARD.md").write_text(card)

    replace_folder(args.out, write)
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"exported step {meta['steps']} to {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    run_main(main)
