"""The evaluation judges on cases with known answers: WER/CER, SECS, speaker ID, pitch, DNSMOS, inputs."""

from __future__ import annotations

import numpy as np
import pytest

from voiceclone.audio import load_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.evaluation.asr import error_counts, normalise_for_scoring
from voiceclone.evaluation.data import read_sentences
from voiceclone.evaluation.pitch import median_f0, semitone_distance, voiced_f0
from voiceclone.evaluation.scoring import Judges
from voiceclone.evaluation.similarity import SpeakerBank, cosine
from voiceclone.references import dev_split, read_references


@pytest.fixture(scope="module")
def judges() -> Judges:
    return Judges("cpu")


def _rows(tts_rows, speaker, n):
    return [row for row in tts_rows if row["speaker"] == speaker][:n]


def harmonic(f0: float, seconds: float = 1.5, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
    return (0.3 * wave / np.max(np.abs(wave))).astype(np.float32)


# --- WER / CER ---------------------------------------------------------------------------------

def test_identical_texts_give_zero_error_whatever_their_written_form():
    counts = error_counts("Dr. Smith paid $12 -- on the 3rd!", "doctor smith paid twelve dollars on the third")
    assert counts.wer == 0.0 and counts.cer == 0.0
    assert error_counts("Hello, World!", "hello world").word_errors == 0


def test_error_counts_known_edits():
    counts = error_counts("the cat sat on the mat", "the cat sat on a mat today")
    assert (counts.word_errors, counts.words) == (2, 6)  # one substitution, one insertion
    assert counts.wer == pytest.approx(2 / 6)
    assert error_counts("the cat", "").wer == 1.0
    assert error_counts("...", "anything") is None  # nothing to score against


def test_normalisation_lowercases_and_strips_punctuation_but_keeps_inner_apostrophes():
    assert normalise_for_scoring("It's 'quoted' -- well-known.") == "it's quoted well known"


def test_recogniser_transcribes_clean_speech(judges, tts_rows):
    row = _rows(tts_rows, "cathy", 1)[0]
    hypothesis = judges.asr.transcribe(load_audio(row["path"], 16000))
    assert error_counts(row["text"], hypothesis).wer < 0.4, hypothesis


# --- speaker similarity ---------------------------------------------------------------------------

def test_file_against_itself_scores_one(judges, tts_rows):
    row = _rows(tts_rows, "vctk_p225", 1)[0]
    audio = load_audio(row["path"], 16000)
    bank = SpeakerBank([row["path"]], ["p225"], judges.speaker.embed([audio]))
    assert bank.secs_reference(judges.speaker.embed([audio])[0], 0) == pytest.approx(1.0, abs=1e-5)


def test_same_speaker_scores_higher_than_other_speakers_on_real_recordings(judges, tts_rows):
    speakers = ["vctk_p225", "vctk_p226", "vctk_p227", "vctk_p228"]
    enrol = [_rows(tts_rows, s, 2)[0] for s in speakers]
    probes = [_rows(tts_rows, s, 2)[1] for s in speakers]
    bank = SpeakerBank([r["path"] for r in enrol], speakers,
                       judges.speaker.embed([load_audio(r["path"], 16000) for r in enrol]))
    probe_emb = judges.speaker.embed([load_audio(r["path"], 16000) for r in probes])
    for i, speaker in enumerate(speakers):
        own = bank.secs_reference(probe_emb[i], i)
        others = [bank.secs_reference(probe_emb[i], j) for j in range(len(speakers)) if j != i]
        assert own > max(others), (speaker, own, others)
        assert bank.identify(probe_emb[i]) == speaker
        assert bank.secs_speaker(probe_emb[i], speaker, exclude=i) is None  # no other utterance of theirs


def test_cosine_and_speaker_centroid_exclusion():
    bank = SpeakerBank(["a1", "a2", "b1"], ["a", "a", "b"], np.array([[1, 0], [0.8, 0.6], [0, 1]], np.float32))
    assert cosine(np.array([1.0, 0.0]), np.array([-2.0, 0.0])) == pytest.approx(-1.0)
    assert bank.secs_speaker(np.array([1.0, 0.0]), "a", exclude=0) == pytest.approx(0.8)
    assert bank.identify(np.array([0.1, 1.0])) == "b"


# --- pitch -------------------------------------------------------------------------------------

def test_pitch_of_harmonic_tones_and_octave_distance():
    low, high = median_f0([voiced_f0(harmonic(110.0))]), median_f0([voiced_f0(harmonic(220.0))])
    assert low == pytest.approx(110.0, rel=0.02) and high == pytest.approx(220.0, rel=0.02)
    assert semitone_distance(high, low) == pytest.approx(12.0, abs=0.35)
    assert semitone_distance(100.0, 200.0) == pytest.approx(12.0)


def test_pitch_ignores_mains_hum_and_silence():
    sr = 16000
    t = np.arange(3 * sr) / sr
    voice = harmonic(200.0, 1.0)
    hum = 0.2 * np.sin(2 * np.pi * 60.0 * t).astype(np.float32)
    signal = hum.copy()
    signal[sr:2 * sr] += voice  # one voiced second between two seconds of hum alone
    assert median_f0([voiced_f0(signal)]) == pytest.approx(200.0, rel=0.03)
    assert median_f0([voiced_f0(np.zeros(sr, np.float32))]) is None


# --- DNSMOS ------------------------------------------------------------------------------------

def test_dnsmos_prefers_clean_speech_to_noisy(judges, tts_rows):
    clean = load_audio(_rows(tts_rows, "cathy", 1)[0]["path"], 16000)
    noise = np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    noisy = 0.5 * clean + 0.5 * noise * np.sqrt(np.mean(clean**2))  # 0 dB SNR
    good, bad = judges.mos.score(clean), judges.mos.score(noisy)
    assert all(1.0 <= good[k] <= 5.0 for k in ("ovrl", "sig", "bak"))
    assert good["bak"] > bad["bak"] + 0.5 and good["ovrl"] > bad["ovrl"]


# --- inputs ------------------------------------------------------------------------------------

def test_dev_split_is_deterministic_and_follows_the_readme(data_dir):
    refs = dev_split(data_dir)
    assert refs == dev_split(data_dir)
    voices = [r for r in refs if r.text is None]
    commonvoice = [r for r in refs if r.text is not None]
    assert len(voices) == 25 and len({r.speaker for r in voices}) == 25
    assert commonvoice and all(r.speaker.startswith("cv_") and int(r.speaker[-1]) % 2 == 0 for r in commonvoice)
    assert all(r.path.is_file() for r in refs)
    assert {r.speaker for r in dev_split(data_dir, seed=1)} != {r.speaker for r in refs}


def test_bad_tables_raise_one_line_errors(tmp_path):
    table = tmp_path / "refs.tsv"
    table.write_text("file\tspeaker\nx.wav\ta\n")
    with pytest.raises(VoiceCloneError, match="missing column"):
        read_references(table)
    table.write_text("path\tspeaker\nmissing.wav\ta\n")
    with pytest.raises(VoiceCloneError, match="not found"):
        read_references(table)
    (tmp_path / "s.txt").write_text("# only a comment\n\n")
    with pytest.raises(VoiceCloneError, match="no sentences"):
        read_sentences(tmp_path / "s.txt")


def test_default_sentences_are_plain():
    sentences = read_sentences()
    assert len(sentences) == 24
    assert all(not any(c.isdigit() for c in s) and 5 <= len(s.split()) <= 16 for s in sentences)
