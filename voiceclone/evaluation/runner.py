"""Evaluation modes: what is judged (real recordings, copy-synthesis, a system's clones, a folder) and the run."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceclone.audio import load_audio
from voiceclone.device import resolve_device, resolve_precision
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.data import DEFAULT_SENTENCES, Rendered, read_rendered, read_sentences
from voiceclone.evaluation.rate import JUDGE_RATE
from voiceclone.evaluation.scoring import Candidate, Judges, Scorer, peer_wer_on_same_sentences, summarise
from voiceclone.references import Reference, read_references

MODES = ("real", "copy", "clone", "peer", "dir")
PEER_SYSTEM = "piper-joe"

Synthesise = Callable[[str, Path], tuple[np.ndarray, int]]
"""synthesise(text, reference_path) -> (float32 audio, sample rate): a system under test."""


@dataclass(frozen=True)
class SystemOptions:
    """What a system under test is built with: device ('auto', 'cpu', 'cuda'), vocoder precision ('auto',
    'fp32', 'bf16'), acoustic checkpoint folder (None: the shipped one) and vocoder ('hifigan', 'fast')."""

    device: str = "auto"
    precision: str = "auto"
    checkpoint: Path | None = None
    vocoder: str = "hifigan"


@dataclass(frozen=True)
class System:
    """A synthesiser that can be evaluated by name."""

    load: Callable[[SystemOptions], Synthesise]
    """Builds the synthesise callable."""
    clones: bool = True
    """False for systems whose output ignores the reference: each sentence is then rendered once."""


def _cloner(options: SystemOptions):
    from voiceclone.pipeline import VoiceCloner

    return VoiceCloner(device=options.device, precision=options.precision, checkpoint=options.checkpoint,
                       vocoder=options.vocoder)


def _load_voiceclone(options: SystemOptions) -> Synthesise:
    cloner = _cloner(options)
    voice_of = functools.cache(cloner.voice)  # each reference's voice is made once

    def synthesise(text: str, reference: Path) -> tuple[np.ndarray, int]:
        return cloner.speak(text, voice_of(reference))

    return synthesise


def _load_voiceclone_fixed(options: SystemOptions) -> Synthesise:
    """Our model told to speak in its built-in voice whatever the reference: what 'no cloning' scores."""
    cloner = _cloner(options)
    voice = cloner.default_voice()
    return lambda text, reference: cloner.speak(text, voice)


def _load_band_statistics_baseline(options: SystemOptions) -> Synthesise:
    """The training-free cloning baseline: the built-in voice's log-mel, each band shifted and scaled to
    the reference's speech-frame mean and std, then vocoded (no conditioning on the reference, no frame matching)."""
    from voiceclone.delivery import finish
    from voiceclone.features import VOCODER_MEL, mel_spectrogram
    from voiceclone.features.bands import band_statistics, match_band_statistics
    from voiceclone.pipeline import SAMPLE_RATE, SpeakOptions
    from voiceclone.vocoder import vocode

    cloner = _cloner(options)
    voice = cloner.default_voice()
    references: dict[Path, tuple[np.ndarray, np.ndarray]] = {}

    def synthesise(text: str, reference: Path) -> tuple[np.ndarray, int]:
        if reference not in references:
            references[reference] = band_statistics(mel_spectrogram(load_audio(reference, SAMPLE_RATE), VOCODER_MEL))
        mel = match_band_statistics(cloner.mel(text, voice, SpeakOptions(similarity=0.0)), references[reference])
        out = finish(vocode(cloner.vocoder, mel), SAMPLE_RATE, model_id="band-statistics-baseline",
                     sources_sha256=[], watermark=True, level_dbfs=None)
        return out.audio, out.sample_rate

    return synthesise


def _load_voiceclone_unmatched(options: SystemOptions) -> Synthesise:
    """The acoustic model alone: its log-mel in the reference's d-vector and pitch register, timed as the
    built-in voice (as synthesis times every voice), vocoded with no matching step (no detail restored, no
    band statistics, no frame matching)."""
    import torch

    from voiceclone.delivery import finish
    from voiceclone.pipeline import SAMPLE_RATE
    from voiceclone.vocoder import vocode

    cloner = _cloner(options)
    builtin = cloner.speaker_tensor(cloner.default_voice())
    voice_of = functools.cache(cloner.voice)

    def synthesise(text: str, reference: Path) -> tuple[np.ndarray, int]:
        voice = voice_of(reference)
        mean = torch.tensor([voice.logf0_mean], dtype=torch.float32, device=cloner.device)
        std = torch.tensor([voice.logf0_std], dtype=torch.float32, device=cloner.device)
        with torch.inference_mode():
            mels = [cloner.model.infer(ids, cloner.speaker_tensor(voice), mean, std, timing_speaker=builtin).mel[0]
                    for ids in cloner.phoneme_ids(text)]
        mel = torch.cat(mels, dim=-1).float().cpu().numpy()
        out = finish(vocode(cloner.vocoder, mel), SAMPLE_RATE, model_id="voiceclone-unmatched",
                     sources_sha256=[], watermark=True, level_dbfs=None)
        return out.audio, out.sample_rate

    return synthesise


def _load_piper(options: SystemOptions) -> Synthesise:
    from voiceclone.evaluation.peer import PiperPeer

    peer = PiperPeer()
    return lambda text, reference: peer.synthesise(text)


SYSTEMS: dict[str, System] = {
    "voiceclone": System(_load_voiceclone),
    "voiceclone-fixed-voice": System(_load_voiceclone_fixed),
    "voiceclone-unmatched": System(_load_voiceclone_unmatched),
    "band-statistics-baseline": System(_load_band_statistics_baseline),
    PEER_SYSTEM: System(_load_piper, clones=False),
}
"""Systems `clone` mode can run, by name; add an entry to evaluate another one."""


@dataclass
class EvalConfig:
    """One evaluation run (see `voiceclone eval --help` for the meaning of each field)."""

    mode: str
    out: Path
    refs: Path | None = None
    sentences: Path = DEFAULT_SENTENCES
    outputs: Path | None = None
    system: str = "voiceclone"
    limit: int = 0
    sentences_per_voice: int = 0
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    checkpoint: Path | None = None
    vocoder: str = "hifigan"
    save_audio: bool = False
    plots: bool = True
    examples: int = 3
    progress: bool = True
    peer_results: Path | None = None


def select_references(refs: Sequence[Reference], limit: int, seed: int) -> list[Reference]:
    """At most ``limit`` references (0: all), drawn with ``seed``, kept in table order."""
    if limit <= 0 or limit >= len(refs):
        return list(refs)
    keep = np.sort(np.random.default_rng(seed).choice(len(refs), size=limit, replace=False))
    return [refs[i] for i in keep]


def assign_sentences(n_refs: int, n_sentences: int, per_voice: int, seed: int) -> list[list[int]]:
    """Sentence indices for each reference: all of them, or ``per_voice`` taken in turn from a seeded order."""
    if per_voice <= 0 or per_voice >= n_sentences:
        return [list(range(n_sentences)) for _ in range(n_refs)]
    order = np.random.default_rng(seed).permutation(n_sentences)
    return [[int(order[(i * per_voice + j) % n_sentences]) for j in range(per_voice)] for i in range(n_refs)]


def _seed_everything(seed: int) -> None:
    import torch

    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def real_candidates(refs: Sequence[Reference], audio16k: Sequence[np.ndarray]) -> Iterator[Candidate]:
    """Each recording judged as it is; the speaker judges hear its second half (the bank holds the first)."""
    for i, (ref, audio) in enumerate(zip(refs, audio16k)):
        yield Candidate("real", f"real/{i:03d}_{_slug(ref.speaker)}", ref.speaker, ref.text, i, audio, JUDGE_RATE,
                        probe=audio[len(audio) // 2:])


def copy_candidates(refs: Sequence[Reference], device: str, precision: str,
                    vocoder: str = "hifigan") -> Iterator[Candidate]:
    """Each recording's vocoder mel through the vocoder: the ceiling any mel-based system can reach."""
    from voiceclone.vocoder import copy_synthesis, load_vocoder

    generator = load_vocoder(device, precision, vocoder)
    rate = generator.config.sampling_rate
    for i, ref in enumerate(refs):
        wav = load_audio(ref.path, rate)
        start = time.perf_counter()
        audio = copy_synthesis(generator, wav)
        elapsed = time.perf_counter() - start
        yield Candidate(f"copy-{vocoder}", f"copy/{i:03d}_{_slug(ref.speaker)}", ref.speaker, ref.text, i,
                        audio, rate, elapsed)


def synthesis_candidates(name: str, synthesise: Synthesise, clones: bool, refs: Sequence[Reference],
                         sentences: Sequence[str], assignment: Sequence[Sequence[int]],
                         seed: int, skipped: list[dict] | None = None) -> Iterator[Candidate]:
    """Every assigned sentence spoken for every reference; seeded per sentence, so runs repeat exactly.

    With a ``skipped`` list, a reference the system refuses (VoiceCloneError) is recorded there and
    passed over, as a user would be told to bring a longer recording; without one the error stops the run.
    """
    rendered: dict[int, tuple[np.ndarray, int, float]] = {}
    for i, (ref, picked) in enumerate(zip(refs, assignment)):
        for j in picked:
            if clones or j not in rendered:
                _seed_everything(seed + 1000 * i + j if clones else seed + j)
                start = time.perf_counter()
                try:
                    audio, sr = synthesise(sentences[j], ref.path)
                except VoiceCloneError as exc:  # a reference the system refuses (e.g. under 1 s of speech)
                    if skipped is None or not clones:
                        raise
                    skipped.append({"reference": str(ref.path), "speaker": ref.speaker, "reason": str(exc)})
                    break
                elapsed = time.perf_counter() - start
                audio = np.asarray(audio, dtype=np.float32).reshape(-1)
                if len(audio) == 0:
                    raise VoiceCloneError(f"system '{name}' returned no audio for sentence {j + 1}")
                rendered[j] = (audio, int(sr), elapsed)
            audio, sr, elapsed = rendered[j]
            key = f"{name}/{i:03d}_{_slug(ref.speaker)}/s{j:02d}" if clones else f"{name}/s{j:02d}"
            yield Candidate(name, key, ref.speaker, sentences[j], i, audio, sr, elapsed)
        if clones:
            rendered.clear()


def dir_candidates(items: Sequence[Rendered], outputs: Path, bank_paths: Sequence[Path]) -> Iterator[Candidate]:
    """Files made by any system, as listed in a table (path, speaker, text, optional reference)."""
    index = {p.resolve(): i for i, p in enumerate(bank_paths)}
    for k, item in enumerate(items):
        reference = None
        if item.reference is not None:
            reference = index.get(item.reference.resolve())
            if reference is None:
                raise VoiceCloneError(f"{outputs}: reference {item.reference} is not in the reference table")
        try:
            audio = load_audio(item.path, JUDGE_RATE, trim=False, normalise=False)
        except VoiceCloneError as exc:
            raise VoiceCloneError(f"{outputs}: row {k + 2}: {exc}") from None
        yield Candidate("dir", f"dir/{k:03d}_{_slug(item.path.stem)}", item.speaker, item.text, reference,
                        audio, JUDGE_RATE)


def read_result_rows(path: Path) -> list[dict]:
    """The per-utterance rows of an earlier run's results.json."""
    try:
        rows = json.loads(Path(path).read_text())["rows"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoiceCloneError(f"{path}: not a results.json written by voiceclone eval ({type(exc).__name__})") from None
    if not isinstance(rows, list):
        raise VoiceCloneError(f"{path}: not a results.json written by voiceclone eval (no rows)")
    return rows


def _check(config: EvalConfig) -> None:
    if config.mode not in MODES:
        raise VoiceCloneError(f"unknown mode '{config.mode}'; choose one of: {', '.join(MODES)}")
    if config.refs is None:
        raise VoiceCloneError(f"--refs is required in '{config.mode}' mode (the table of real reference voices)")
    if config.mode == "dir" and config.outputs is None:
        raise VoiceCloneError("--outputs is required in 'dir' mode (the table of files to judge)")
    if config.mode == "clone" and config.system not in SYSTEMS:
        raise VoiceCloneError(f"unknown system '{config.system}'; choose one of: {', '.join(SYSTEMS)}")
    if config.limit < 0 or config.sentences_per_voice < 0:
        raise VoiceCloneError("--limit and --sentences-per-voice must be 0 (all) or positive")
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise VoiceCloneError(f"{out}: is a file; --out needs a folder for the report")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise VoiceCloneError(f"{out}: cannot write the report there ({existing} is not a writable folder)")


def evaluate(config: EvalConfig, judges: Judges | None = None, synthesise: Synthesise | None = None) -> dict:
    """Run one evaluation and write its report into ``config.out``; returns {'summary', 'rows'}.

    ``judges`` and ``synthesise`` may be passed in (tests, notebooks) to reuse loaded models or to
    evaluate any callable in 'clone' mode instead of the system named by ``config.system``.
    """
    from tqdm import tqdm

    from voiceclone.evaluation import report

    _check(config)
    peer_rows = read_result_rows(config.peer_results) if config.peer_results is not None else None
    skipped: list[dict] = []
    refs = select_references(read_references(config.refs), config.limit, config.seed)
    loaded = [load_audio(ref.path, JUDGE_RATE) for ref in refs]
    if config.mode == "real":
        candidates, total = real_candidates(refs, loaded), len(refs)
    elif config.mode == "copy":
        candidates, total = copy_candidates(refs, config.device, config.precision, config.vocoder), len(refs)
    elif config.mode == "dir":
        items = read_rendered(config.outputs)
        candidates, total = dir_candidates(items, config.outputs, [r.path for r in refs]), len(items)
    else:
        name = PEER_SYSTEM if config.mode == "peer" else config.system
        system = SYSTEMS[name] if synthesise is None else System(lambda options: synthesise)
        sentences = read_sentences(config.sentences)
        assignment = assign_sentences(len(refs), len(sentences), config.sentences_per_voice, config.seed)
        options = SystemOptions(config.device, config.precision, config.checkpoint, config.vocoder)
        candidates = synthesis_candidates(name, system.load(options), system.clones, refs, sentences,
                                          assignment, config.seed, skipped)
        total = sum(len(a) for a in assignment)

    judges = judges or Judges(config.device)  # after the system loaded, so its errors come first
    bank_audio = [a[: len(a) // 2] for a in loaded] if config.mode == "real" else loaded
    scorer = Scorer.build(judges, [r.path for r in refs], [r.speaker for r in refs], bank_audio)

    created = not config.out.exists()
    try:
        config.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoiceCloneError(f"{config.out}: cannot create the report folder ({exc.strerror or exc})") from None
    rows, examples = [], []
    try:
        for candidate in tqdm(candidates, total=total, desc=f"eval {config.mode}", unit="utt",
                              disable=not config.progress):
            rows.append(scorer.score(candidate))
            if config.save_audio:
                rows[-1]["audio_path"] = str(report.save_candidate(config.out, candidate))
            if len(examples) < config.examples and candidate.reference is not None and (
                candidate.reference not in {e[0] for e in examples}
            ):
                examples.append((candidate.reference, candidate))
        if not rows:
            reasons = "; ".join(f"{item['speaker']}: {item['reason']}" for item in skipped[:2])
            raise VoiceCloneError(f"nothing was judged: every reference was skipped ({reasons})")
    except VoiceCloneError:
        if created and not any(config.out.iterdir()):
            config.out.rmdir()  # a failed run leaves no empty report folder behind
        raise
    result = {"summary": summarise(rows), "rows": rows, "skipped_references": skipped}
    if config.mode in ("copy", "clone"):  # what 'auto' meant on this machine
        dtype = resolve_precision(config.precision, resolve_device(config.device))
        result["vocoder_dtype"] = str(dtype).removeprefix("torch.")
    if peer_rows is not None:
        for system, values in result["summary"].items():
            values["peer_wer_same_sentences"] = peer_wer_on_same_sentences(
                [row for row in rows if row["system"] == system], peer_rows)
    for item in skipped:
        tqdm.write(f"warning: skipped {item['speaker']}: {item['reason']}")
    report.write_report(config, result, [(bank_audio[i], c) for i, c in examples])
    return result
