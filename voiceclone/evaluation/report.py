"""Writing an evaluation's results: JSON (every row and the summary), a Markdown table and PNG plots."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voiceclone.atomic import atomic_write
from voiceclone.evaluation.rate import JUDGE_RATE

COLUMNS = (
    ("utterances", "utts", "{:d}", 1),
    ("wer", "WER %", "{:.1f}", 100),
    ("whisper_wer", "Whisper WER %", "{:.1f}", 100),
    ("peer_wer_same_sentences", "peer WER %", "{:.1f}", 100),
    ("cer", "CER %", "{:.1f}", 100),
    ("secs_ref", "SECS ref", "{:.3f}", 1),
    ("secs_speaker", "SECS spk", "{:.3f}", 1),
    ("speaker_id_accuracy", "spk-ID %", "{:.0f}", 100),
    ("pitch_distance_st", "pitch Δ st", "{:.2f}", 1),
    ("dnsmos_ovrl", "OVRL", "{:.2f}", 1),
    ("dnsmos_sig", "SIG", "{:.2f}", 1),
    ("dnsmos_bak", "BAK", "{:.2f}", 1),
    ("rtf", "RTF", "{:.3f}", 1),
)
"""Summary fields shown in the Markdown table: key, header, format, scale."""


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a UTF-8 text file atomically."""
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def markdown_table(summary: dict[str, dict]) -> str:
    """One line per system with the headline metrics; '–' where a metric does not apply."""
    lines = ["| system | " + " | ".join(header for _, header, _, _ in COLUMNS) + " |"]
    lines.append("|---|" + "---:|" * len(COLUMNS))
    for system, values in summary.items():
        cells = []
        for key, _, fmt, scale in COLUMNS:
            value = values.get(key)
            cells.append("–" if value is None else fmt.format(value * scale if scale != 1 else value))
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure_writer(fig):
    import matplotlib.pyplot as plt

    def write(tmp: str) -> None:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)

    return write


def plot_secs(rows: Sequence[dict], path: Path) -> Path | None:
    """SECS to the reference, one column of points per target speaker (with its median); None if no SECS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_speaker: dict[str, list[float]] = {}
    for row in rows:
        if row["secs_ref"] is not None:
            by_speaker.setdefault(row["speaker"], []).append(row["secs_ref"])
    if not by_speaker:
        return None
    names = sorted(by_speaker)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.25 * len(names) + 2), 4))
    for x, name in enumerate(names):
        values = by_speaker[name]
        ax.scatter(np.full(len(values), x), values, s=12, alpha=0.6, color="tab:blue")
        ax.plot([x - 0.3, x + 0.3], [np.median(values)] * 2, color="tab:red", linewidth=2)
    ax.set_xticks(range(len(names)), [n[-12:] for n in names], rotation=90, fontsize=7)
    ax.set_ylabel("SECS (cosine to reference)")
    ax.set_title("Speaker similarity per target speaker (red: median)")
    ax.grid(axis="y", alpha=0.3)
    return atomic_write(path, _figure_writer(fig))


def plot_mels(examples: Sequence[tuple[np.ndarray, object]], path: Path) -> Path | None:
    """Vocoder-mel spectrograms of a few outputs beside the (16 kHz) references they were made from."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from voiceclone.audio import resample
    from voiceclone.features import VOCODER_MEL, mel_spectrogram

    if not examples:
        return None
    fig, axes = plt.subplots(len(examples), 2, figsize=(12, 2.6 * len(examples)), squeeze=False)
    for (reference, candidate), row in zip(examples, axes):
        for ax, audio, sr, title in (
            (row[0], reference, JUDGE_RATE, f"reference ({candidate.speaker})"),
            (row[1], candidate.audio, candidate.sample_rate, f"{candidate.system}: {candidate.key}"),
        ):
            mel = mel_spectrogram(resample(audio, sr, VOCODER_MEL.sample_rate), VOCODER_MEL)
            ax.imshow(mel, origin="lower", aspect="auto", cmap="magma")
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("frame")
            ax.set_ylabel("mel band")
    fig.tight_layout()
    return atomic_write(path, _figure_writer(fig))


def save_candidate(out: Path, candidate) -> Path:
    """Write an output's audio once, as out/audio/<key>.wav (keys shared by several rows are written once)."""
    from voiceclone.audio import save_audio

    path = Path(out) / "audio" / f"{candidate.key}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_audio(path, candidate.audio, candidate.sample_rate)
    return path


def _audio_table(rows: Sequence[dict]) -> str:
    """A `dir`-mode table of the saved outputs, so they can be judged again without re-synthesising."""
    lines = ["path\tspeaker\ttext\treference"]
    lines += [f"{r['audio_path']}\t{r['speaker']}\t{r['text'] or ''}\t{r['reference'] or ''}" for r in rows
              if r["text"]]
    return "\n".join(lines) + "\n"


def write_report(config, result: dict, examples: Sequence[tuple[np.ndarray, object]]) -> dict[str, Path]:
    """results.json, summary.md, secs_per_speaker.png and mels.png (plots unless disabled) in config.out."""
    out = Path(config.out)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()}
    written = {
        "json": write_text(out / "results.json", json.dumps({"config": settings, **result}, indent=1) + "\n"),
        "markdown": write_text(
            out / "summary.md", f"# Evaluation: {config.mode} mode\n\n" + markdown_table(result["summary"])
            + "".join(f"\nSkipped {s['speaker']}: {s['reason']}\n" for s in result.get("skipped_references", []))
            + (f"\nVocoder arithmetic: {result['vocoder_dtype']}\n" if "vocoder_dtype" in result else "")
        ),
    }
    if config.save_audio:
        written["audio_table"] = write_text(out / "audio" / "metadata.tsv", _audio_table(result["rows"]))
    if config.plots:
        for name, path in (
            ("secs_plot", plot_secs(result["rows"], out / "secs_per_speaker.png")),
            ("mel_plot", plot_mels(examples, out / "mels.png")),
        ):
            if path is not None:
                written[name] = path
    return written
