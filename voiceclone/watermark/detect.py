"""Detection: correlate whitened log-power features with the key's pattern at every alignment, and decide.

The evidence, per span of the input (the whole signal, and 3 s windows of longer ones):

- ``score``: at every alignment of the 1 s grid, the pattern's cells are summed with the signs the
  expected payload gives them (the sync cells and all 20 payload cells, so the whole mark adds up
  coherently), as a z-score whose spread is measured in the same span with wrong keys (free of
  whatever the recording itself does); the best alignment's z, corrected for the number of spans
  searched (Bonferroni), so a long file is not more likely to score high by chance.
- ``blind_score``: the same without assuming a payload (sync cells plus the magnitude of every payload
  cell, a robust z-score over alignments): what reads a custom payload.
- ``payload``: the 20 bits at the best alignment when their CRC checks.
- ``repeats`` / ``repeats_agreeing``: the span's whole one-second periods, and how many of them alone
  correlate positively with the pattern at that alignment (a real mark is in every one of them).

The decision (:func:`decide`) has three states: ``watermarked`` (strong evidence), ``inconclusive``
(some evidence, never printed as a yes) and ``not watermarked``; the thresholds in
:class:`~voiceclone.watermark.config.DetectionConfig` were calibrated on one half of a null set of
unmarked segments and checked on the other (``python -m benchmarks.watermark``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import log_ndtr, ndtri_exp

from voiceclone.audio import resample
from voiceclone.watermark.config import CONFIG, DETECTION, DetectionConfig, WatermarkConfig
from voiceclone.watermark.dsp import fold, stft, whiten
from voiceclone.watermark.embed import check_input
from voiceclone.watermark.key import DEFAULT_KEY, WatermarkKey, key_pattern
from voiceclone.watermark.payload import PAYLOAD_BITS, decode_bits, encode_bits, make_payload

WATERMARKED = "watermarked"
INCONCLUSIVE = "inconclusive"
NOT_WATERMARKED = "not watermarked"
STATES = (WATERMARKED, INCONCLUSIVE, NOT_WATERMARKED)


@dataclass(frozen=True)
class Evidence:
    """What one input says about one key, before any decision (see the module docstring)."""

    score: float
    blind_score: float
    bits: tuple[int, ...]
    """The 20 payload bits at the best alignment of ``score``."""
    blind_bits: tuple[int, ...]
    """The 20 payload bits at the best alignment of ``blind_score``."""
    expected_word: int
    repeats: int
    repeats_agreeing: int
    spans: int

    @property
    def payload(self) -> dict | None:
        """The payload read at the best alignment when its CRC checks (the blind alignment as fallback)."""
        return decode_bits(list(self.bits)) or decode_bits(list(self.blind_bits))

    @property
    def payload_expected(self) -> bool:
        found = decode_bits(list(self.bits))
        return found is not None and found["word"] == self.expected_word


@dataclass(frozen=True)
class Detection:
    """The decision (``state``; ``watermarked`` is ``state == "watermarked"``) and the evidence behind it."""

    watermarked: bool
    score: float
    payload: dict | None
    state: str = NOT_WATERMARKED
    blind_score: float = 0.0
    payload_expected: bool = False
    repeats: int = 0
    repeats_agreeing: int = 0


@lru_cache(maxsize=64)
def _pattern_spectra(key: WatermarkKey, config: WatermarkConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The conjugate spectrum over detection-frame phase of each group's chips, as (k, groups, bins); per
    group sqrt(cell count); and the chips per (bin, detection frame of the period) with each cell's group."""
    pattern = key_pattern(key, config)
    per_column = config.tile_frames * config.hop // config.detect_hop
    columns = np.arange(per_column * config.period) // per_column
    spectra, weights = [], []
    for group in range(PAYLOAD_BITS + 1):
        chips = np.where(pattern.groups == group, pattern.chips, 0.0)[:, columns]
        spectra.append(np.conj(np.fft.rfft(chips, axis=1)))
        weights.append(np.sqrt(np.count_nonzero(pattern.groups == group)))
    by_frequency = np.ascontiguousarray(np.stack(spectra).transpose(2, 0, 1))  # (k, groups, bins)
    return by_frequency, np.asarray(weights), pattern.chips[:, columns], pattern.groups[:, columns]


@lru_cache(maxsize=16)
def _null_spectra(key: WatermarkKey, config: WatermarkConfig, n_keys: int) -> np.ndarray:
    """(k, n_keys * groups, bins) pattern spectra of wrong keys derived from ``key``: the null in every span."""
    keys = [WatermarkKey(secret=key.secret + b"\0null\0" + str(i).encode(), key_id=key.key_id) for i in range(n_keys)]
    return np.concatenate([_pattern_spectra(k, config)[0] for k in keys], axis=1)


def features(audio: np.ndarray, sample_rate: int, config: WatermarkConfig = CONFIG) -> np.ndarray:
    """Whitened (detection frames, bins) features of a 16 kHz copy of ``audio``."""
    x16 = resample(audio.astype(np.float32), sample_rate, config.sample_rate).astype(np.float64)
    spec = stft(x16, config.n_fft, config.detect_hop)[:, config.lo_bin : config.hi_bin]
    power = spec.real**2 + spec.imag**2
    return whiten(power, config.floor_db, config.highpass_frames, config.clip)


def _robust_z(values: np.ndarray) -> np.ndarray:
    centre = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - centre)) + 1e-12
    return (values - centre) / spread


def _group_z(folded_spectrum: np.ndarray, spectra: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of every group with the folded features at every alignment: raw, and scaled to unit RMS."""
    # one (groups, bins) x (bins,) product per frequency: a batched matrix product (BLAS), not einsum
    by_frequency = np.matmul(spectra, folded_spectrum.T[:, :, None])[:, :, 0]
    corr = np.fft.irfft(by_frequency.T, n=period, axis=1)
    return corr, corr / (np.sqrt(np.mean(corr**2, axis=-1, keepdims=True)) + 1e-12)


def _signs(word: int) -> np.ndarray:
    return np.array([1.0] + [1.0 if b else -1.0 for b in encode_bits(word)])


def _period(config: WatermarkConfig) -> int:
    return (config.tile_frames * config.hop // config.detect_hop) * config.period


@dataclass(frozen=True)
class _Span:
    z: float
    offset: int
    bits: tuple[int, ...]
    blind: float
    blind_bits: tuple[int, ...]
    folded: np.ndarray


def _score_span(feat: np.ndarray, start: int, stop: int, key: WatermarkKey, signs: np.ndarray,
                config: WatermarkConfig) -> _Span:
    spectra, weights, _, _ = _pattern_spectra(key, config)
    period = _period(config)
    folded = np.fft.rfft(fold(feat, start, stop, period), axis=1)
    corr, corr_z = _group_z(folded, spectra, period)
    coherent = (weights * signs) @ corr_z / np.sqrt(np.sum(weights**2))
    best = int(np.argmax(coherent))
    blind = _robust_z(weights[0] * corr_z[0] + np.abs(corr_z[1:]).T @ weights[1:])
    blind_best = int(np.argmax(blind))
    return _Span(z=float(coherent[best]), offset=best, bits=tuple(int(v > 0) for v in corr[1:, best]),
                 blind=float(blind[blind_best]), blind_bits=tuple(int(v > 0) for v in corr[1:, blind_best]),
                 folded=folded)


def _null_spread(span: _Span, key: WatermarkKey, signs: np.ndarray, config: WatermarkConfig,
                 detection: DetectionConfig) -> float:
    """RMS of the coherent statistic over wrong keys and all alignments, in this span (1 for pure noise)."""
    spectra = _null_spectra(key, config, detection.null_keys)
    _, weights, _, _ = _pattern_spectra(key, config)
    _, corr_z = _group_z(span.folded, spectra, _period(config))
    corr_z = corr_z.reshape(detection.null_keys, PAYLOAD_BITS + 1, -1)
    coherent = np.einsum("g,mgo->mo", weights * signs, corr_z) / np.sqrt(np.sum(weights**2))
    return float(np.sqrt(np.mean(coherent**2)))


def _repeats(feat: np.ndarray, start: int, stop: int, offset: int, key: WatermarkKey, signs: np.ndarray,
             config: WatermarkConfig) -> tuple[int, int]:
    """(whole one-second periods in the span, how many correlate positively with the signed pattern)."""
    _, _, chips, groups = _pattern_spectra(key, config)
    period = _period(config)
    signed = chips * signs[groups]  # (bins, period): the expected sign of every cell
    aligned = np.roll(signed, offset, axis=1)  # frame r of a period meets pattern phase r - offset
    n = (stop - start) // period
    if n == 0:
        return 0, 0
    block = feat[start : start + n * period].reshape(n, period, -1)
    per_period = np.einsum("npb,bp->n", block, aligned)
    return n, int(np.sum(per_period > 0))


def spans(n_frames: int, config: WatermarkConfig = CONFIG) -> list[tuple[int, int]]:
    """The whole signal, plus 3 s windows every second when it is longer than a window."""
    frames_per_s = config.sample_rate / config.detect_hop
    out = [(0, n_frames)]
    window = int(config.window_s * frames_per_s)
    step = int(config.window_hop_s * frames_per_s)
    if n_frames > window + step // 2:
        out += [(s, s + window) for s in range(0, n_frames - window + 1, step)]
        if out[-1][1] < n_frames:
            out.append((n_frames - window, n_frames))
    return out


def adjust_for_spans(z: float, n_spans: int) -> float:
    """The z whose one-sided tail is ``n_spans`` times that of ``z`` (Bonferroni over spans), never above ``z``."""
    if n_spans <= 1:
        return z
    log_p = min(float(log_ndtr(-z)) + float(np.log(n_spans)), np.log(0.5))
    return float(-ndtri_exp(log_p))


def gather_evidence(audio: np.ndarray, sample_rate: int, key: WatermarkKey = DEFAULT_KEY,
                    expected_word: int | None = None, config: WatermarkConfig = CONFIG,
                    detection: DetectionConfig = DETECTION) -> Evidence:
    """The evidence for ``key``'s mark anywhere in ``audio`` (by default expecting the key's standard payload)."""
    signal = check_input(audio, sample_rate)
    word = make_payload(key.key_id) if expected_word is None else expected_word
    signs = _signs(word)
    feat = features(signal, sample_rate, config)
    ranges = spans(len(feat), config)
    scored = [_score_span(feat, a, b, key, signs, config) for a, b in ranges]
    best = max(range(len(scored)), key=lambda i: scored[i].z)
    span = scored[best]
    z = span.z / max(_null_spread(span, key, signs, config, detection), detection.min_null_spread)
    repeats, agreeing = _repeats(feat, *ranges[best], span.offset, key, signs, config)
    blind = max(scored, key=lambda s: s.blind)
    return Evidence(score=adjust_for_spans(z, len(ranges)), blind_score=blind.blind, bits=span.bits,
                    blind_bits=blind.blind_bits, expected_word=word, repeats=repeats, repeats_agreeing=agreeing,
                    spans=len(ranges))


def decide(evidence: Evidence, detection: DetectionConfig = DETECTION) -> str:
    """``watermarked``, ``inconclusive`` or ``not watermarked`` (thresholds: :class:`DetectionConfig`)."""
    repeats_ok = evidence.repeats_agreeing * 2 >= evidence.repeats
    blind_payload = decode_bits(list(evidence.blind_bits))
    if repeats_ok and (
        evidence.score >= detection.score_alone
        or (evidence.score >= detection.score_with_payload and evidence.payload_expected)
        or (evidence.blind_score >= detection.blind_with_crc and blind_payload is not None)
    ):
        return WATERMARKED
    if evidence.score >= detection.score_inconclusive or evidence.blind_score >= detection.blind_inconclusive:
        return INCONCLUSIVE
    return NOT_WATERMARKED


def detect_watermark(
    audio: np.ndarray, sample_rate: int, key: WatermarkKey = DEFAULT_KEY, config: WatermarkConfig = CONFIG,
    detection: DetectionConfig = DETECTION, expected_word: int | None = None,
) -> Detection:
    """Look for ``key``'s mark anywhere in ``audio`` (whole signal, and 3 s windows of longer ones)."""
    evidence = gather_evidence(audio, sample_rate, key, expected_word, config, detection)
    state = decide(evidence, detection)
    return Detection(watermarked=state == WATERMARKED, score=evidence.score,
                     payload=evidence.payload if state == WATERMARKED else None, state=state,
                     blind_score=evidence.blind_score, payload_expected=evidence.payload_expected,
                     repeats=evidence.repeats, repeats_agreeing=evidence.repeats_agreeing)
