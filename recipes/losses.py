"""Runs' loss curves side by side, as a Markdown table (from each run folder's losses.csv).

    python -m recipes.losses runs/cmp_old runs/cmp_new [--every 100] [--column mel --column mel_ae]

Each row shows the mean of the logged values over the ``--every`` steps up to that step, so that
two runs drawing different batches compare by their trend, not their noise.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from voiceclone.errors import VoiceCloneError
from voiceclone.scripts import positive_int, run_main


def read_losses(run: Path) -> dict[int, dict[str, float]]:
    """step -> {column: value} of a run's losses.csv."""
    path = run / "losses.csv"
    if not path.is_file():
        raise VoiceCloneError(f"{run}: no losses.csv (not a training run folder)")
    with open(path, newline="") as handle:
        return {int(row["step"]): {k: float(v) for k, v in row.items() if k not in ("step", None) and v not in ("", None)}
                for row in csv.DictReader(handle)}


def table(runs: list[Path], columns: list[str], every: int) -> str:
    curves = [read_losses(run) for run in runs]
    last = min(max(curve) for curve in curves)
    header = ["steps"] + [f"{column} {run.name}" for column in columns for run in runs]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for end in range(every, last + 1, every):
        cells = [f"{end - every + 1}-{end}"]
        for column in columns:
            for curve in curves:
                values = [row[column] for step, row in curve.items() if end - every < step <= end and column in row]
                cells.append(f"{np.mean(values):.3f}" if values else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="run folders")
    parser.add_argument("--every", type=positive_int, default=100)
    parser.add_argument("--column", action="append", help="losses.csv columns (default: mel, mel_ae, duration)")
    args = parser.parse_args()
    print(table(args.runs, args.column or ["mel", "mel_ae", "duration"], args.every))


if __name__ == "__main__":
    run_main(main)
