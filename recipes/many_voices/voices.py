"""Choosing the synthetic voices: the English packs, and blends kept only when they are new, natural and clear.

Every candidate speaks the same probe sentences; the probe is judged at 16 kHz by the GE2E speaker encoder
(its embedding), DNSMOS (OVRL) and an ASR judge (word error rate: pocketsphinx, or Whisper tiny.en). A blend is kept when its OVRL and WER
pass, and its embedding's cosine to every voice kept before it is below ``max_cosine`` (same-speaker
recordings score about 0.87 here, different real speakers about 0.53). Candidates are drawn from a seeded
generator and probed in order, so the selection is the same on every machine; probes are cached one JSON
line per candidate, so an interrupted selection resumes where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from recipes.many_voices.kokoro import KokoroSpeaker, VoiceRecipe, english_packs, pack_lang
from voiceclone.atomic import atomic_write
from voiceclone.evaluation.rate import JUDGE_RATE

PROBE_TEXTS = (  # Harvard sentences (IEEE 1969), in the public domain
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
)
ACCENT_PACKS = (  # non-English packs that read English with an accent; the Japanese and Chinese ones do not
    "ef_dora", "em_alex", "em_santa", "ff_siwis", "hf_alpha", "hf_beta", "hm_omega", "hm_psi",
    "if_sara", "im_nicola", "pf_dora", "pm_alex", "pm_santa",
)


@dataclass(frozen=True)
class SelectionConfig:
    """How many blends to find and what a kept voice must reach on its probe."""

    blends: int = 75
    blends_probed: int = 160       # blend candidates probed before warped packs are tried
    candidates: int = 480          # the most candidates probed before giving up
    max_cosine: float = 0.85       # to every voice kept before it
    min_ovrl: float = 3.1          # DNSMOS OVRL (the English packs score 3.11-3.55)
    asr: str = "pocketsphinx"      # the probe's intelligibility judge: "pocketsphinx" or "whisper" (tiny.en)
    max_wer: float = 0.45          # on the probe (25 words; by pocketsphinx the English packs score 0.20-0.52)
    heldout_packs: tuple[str, ...] = ("af_river", "am_puck", "bm_lewis")
    heldout_every: int = 15        # every 15th kept blend is held out of training
    seed: int = 0


@dataclass
class VoiceEntry:
    """A chosen voice: its recipe, whether it trains or is held out, and its probe's scores."""

    recipe: VoiceRecipe
    kind: str   # "pack" (one pack as it is: an English one, or an accent pack reading English) or "blend" (mixed or warped)
    split: str  # "train" or "heldout"
    ovrl: float
    wer: float
    nearest: str
    cosine: float

    def to_json(self) -> dict:
        row = asdict(self)
        row["recipe"] = asdict(self.recipe)
        return row

    @classmethod
    def from_json(cls, row: dict) -> "VoiceEntry":
        recipe = row.pop("recipe")
        recipe = VoiceRecipe(recipe["name"], tuple(recipe["packs"]), tuple(recipe["weights"]), recipe["lang"],
                             recipe.get("warp", 1.0))
        return cls(recipe=recipe, **row)


def candidate_blends(packs: dict[str, np.ndarray], config: SelectionConfig) -> list[VoiceRecipe]:
    """Seeded candidates: each accent pack alone, blends of two or three packs, then single packs warped.

    Blend weights are drawn near even (Dirichlet 3): a blend led by one pack sounds like that pack.
    Blends of many voices drift towards one average voice, so after ``config.blends_probed`` blends
    the candidates are single packs with pitch and formants warped by 12-18% up or down (GE2E hears a
    warp under about 10% as the same speaker: cosine 0.84-0.94 to the pack it came from).
    """
    rng = np.random.default_rng(config.seed)
    accents = [p for p in ACCENT_PACKS if p in packs]
    pool = [p for p in english_packs(packs) if p not in config.heldout_packs] + accents
    out = [VoiceRecipe(f"kokoro_{p}", (p,), (1.0,), "en-us") for p in accents]
    while len(out) < len(accents) + config.blends_probed:
        k = 2 if rng.random() < 0.5 else 3
        chosen = tuple(str(p) for p in rng.choice(pool, size=k, replace=False))
        weights = np.maximum(rng.dirichlet(np.full(k, 3.0)), 0.15)  # no pack a trace
        weights = tuple(round(float(w), 3) for w in weights / weights.sum())
        lead = chosen[int(np.argmax(weights))]
        out.append(VoiceRecipe(f"kokoro_mix{len(out):03d}", chosen, weights, pack_lang(lead)))
    warp_rng = np.random.default_rng([config.seed, 1])
    while len(out) < config.candidates:
        pack = str(warp_rng.choice(pool))
        warp = float(warp_rng.uniform(1.12, 1.18) if warp_rng.random() < 0.5 else warp_rng.uniform(0.82, 0.88))
        lang = "en-us" if pack in accents else pack_lang(pack)
        out.append(VoiceRecipe(f"kokoro_warp{len(out):03d}", (pack,), (1.0,), lang, round(warp, 3)))
    return out


def probe_key(recipe: VoiceRecipe) -> str:
    """What a probe depends on: the packs, their weights and the English variety (not the voice's name)."""
    return f"{recipe.lang}|{recipe.describe()}"


class ProbeJudge:
    """Speaks the probe sentences in a voice and scores them; one instance holds the three judges."""

    def __init__(self, speaker: KokoroSpeaker, packs: dict[str, np.ndarray], asr: str = "pocketsphinx") -> None:
        from voiceclone.evaluation.asr import Recogniser
        from voiceclone.evaluation.dnsmos import DnsMos
        from voiceclone.evaluation.similarity import SpeakerEncoderJudge
        from voiceclone.evaluation.whisper import WhisperRecogniser

        if asr not in ("pocketsphinx", "whisper"):
            raise ValueError(f"unknown ASR judge '{asr}': pocketsphinx or whisper")
        self.speaker, self.packs, self.asr_name = speaker, packs, asr
        self.asr = Recogniser() if asr == "pocketsphinx" else WhisperRecogniser()
        self.mos, self.ge2e = DnsMos(), SpeakerEncoderJudge("cpu")

    def speak(self, recipe: VoiceRecipe) -> list[np.ndarray]:
        """The probe sentences in the voice, at the judges' 16 kHz."""
        style = recipe.style(self.packs)
        return [self.speaker.speak(recipe, style, t, JUDGE_RATE) for t in PROBE_TEXTS]

    def embedding(self, clips: list[np.ndarray]) -> list[float]:
        return self.ge2e.embed([np.concatenate(clips).astype(np.float32)])[0].tolist()

    def scores(self, clips: list[np.ndarray]) -> dict[str, float]:
        """{'ovrl', 'wer'}: DNSMOS of the probe and pocketsphinx's word error rate on it."""
        from voiceclone.evaluation.asr import error_counts

        counts = [error_counts(t, self.asr.transcribe(c)) for t, c in zip(PROBE_TEXTS, clips)]
        return {
            "ovrl": self.mos.score(np.concatenate(clips).astype(np.float32))["ovrl"],
            "wer": sum(c.word_errors for c in counts) / sum(c.words for c in counts),
        }


class ProbeCache:
    """Probes by ``probe_key``, one JSON line each; a line torn by a stopped run is dropped and the file repaired."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows = path, {}
        if not path.is_file():
            return
        torn = False
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                torn = True
                continue
            self.rows[row["key"]] = row
        if torn:
            self._rewrite()

    def _rewrite(self) -> None:
        text = "".join(json.dumps(row) + "\n" for row in self.rows.values())
        atomic_write(self.path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    def get(self, recipe: VoiceRecipe) -> dict | None:
        return self.rows.get(probe_key(recipe))

    def put(self, recipe: VoiceRecipe, row: dict) -> dict:
        key = probe_key(recipe)
        replaced = key in self.rows
        self.rows[key] = {"key": key, **row}
        if replaced:
            self._rewrite()
        else:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(self.rows[key]) + "\n")
        return self.rows[key]


def select_voices(judge: ProbeJudge, config: SelectionConfig, probe_cache: Path,
                  chosen: list[VoiceEntry] | None = None) -> list[VoiceEntry]:
    """The English packs (all kept) and the candidates that pass, in the order they were found.

    A candidate's probe is judged by DNSMOS and ASR only when its embedding is new enough: most
    candidates are turned away on the embedding alone. ``chosen`` (a selection made before, perhaps
    with another ASR judge) is kept as it is and added to: its voices count as kept, and the
    candidates not in it are judged against them, so the voices already spoken stay in the corpus.
    """
    cache = ProbeCache(probe_cache)
    names, embeddings, kept = [], [], []

    def nearest(embedding: np.ndarray) -> tuple[str, float]:
        scores = np.stack(embeddings) @ embedding
        i = int(np.argmax(scores))
        return names[i], float(scores[i])

    def probed(recipe: VoiceRecipe, full: bool) -> dict:
        row = cache.get(recipe)
        judged = row is not None and row.get("ovrl") is not None and row.get("asr", "pocketsphinx") == judge.asr_name
        if row is not None and (not full or judged):
            return row
        clips = judge.speak(recipe)
        row = {"name": recipe.name, "embedding": judge.embedding(clips), "ovrl": None, "wer": None}
        if full or nearest(np.asarray(row["embedding"], np.float32))[1] < config.max_cosine:
            row.update(judge.scores(clips), asr=judge.asr_name)
        return cache.put(recipe, row)

    if chosen:
        for entry in chosen:
            kept.append(entry)
            names.append(entry.recipe.name)
            embeddings.append(np.asarray(probed(entry.recipe, full=False)["embedding"], dtype=np.float32))
        return _add_candidates(judge, config, kept, names, embeddings, nearest, probed)

    packs = [VoiceRecipe(f"kokoro_{p}", (p,), (1.0,), pack_lang(p)) for p in english_packs(judge.packs)]
    for recipe in tqdm(packs, desc="probing packs", unit="voice"):
        row = probed(recipe, full=True)
        split = "heldout" if recipe.packs[0] in config.heldout_packs else "train"
        kept.append(VoiceEntry(recipe, "pack", split, row["ovrl"], row["wer"], "", 0.0))
        names.append(recipe.name)
        embeddings.append(np.asarray(row["embedding"], dtype=np.float32))
    for entry in kept:  # each pack's nearest other pack, for the record
        own = embeddings[names.index(entry.recipe.name)]
        others = [(n, float(e @ own)) for n, e in zip(names, embeddings) if n != entry.recipe.name]
        entry.nearest, entry.cosine = max(others, key=lambda x: x[1])

    return _add_candidates(judge, config, kept, names, embeddings, nearest, probed)


def _add_candidates(judge: ProbeJudge, config: SelectionConfig, kept: list[VoiceEntry], names: list[str],
                    embeddings: list[np.ndarray], nearest, probed) -> list[VoiceEntry]:
    """Candidates in order, each kept when new, natural and clear enough; ``kept`` grows in place."""
    english = {f"kokoro_{p}" for p in english_packs(judge.packs)}
    found = sum(entry.recipe.name not in english for entry in kept)
    done = {probe_key(entry.recipe) for entry in kept}
    progress = tqdm([c for c in candidate_blends(judge.packs, config) if probe_key(c) not in done],
                    desc="probing blends", unit="voice")
    for recipe in progress:
        if found >= config.blends:
            break
        row = probed(recipe, full=False)
        embedding = np.asarray(row["embedding"], dtype=np.float32)
        near, cos = nearest(embedding)
        if cos >= config.max_cosine:
            continue
        if row["ovrl"] is None or row.get("asr", "pocketsphinx") != judge.asr_name:
            row = probed(recipe, full=True)
        if row["ovrl"] < config.min_ovrl or row["wer"] > config.max_wer:
            continue
        found += 1
        split = "heldout" if found % config.heldout_every == 0 else "train"
        kind = "pack" if len(recipe.packs) == 1 and recipe.warp == 1.0 else "blend"
        kept.append(VoiceEntry(recipe, kind, split, row["ovrl"], row["wer"], near, cos))
        names.append(recipe.name)
        embeddings.append(embedding)
        progress.set_postfix(kept=found)
    return kept
