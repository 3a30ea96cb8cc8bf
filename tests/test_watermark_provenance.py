"""Provenance tags and sidecars, and the `voiceclone detect` command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import make_speechlike
from voiceclone.audio import save_audio
from voiceclone.errors import VoiceCloneError
from voiceclone.watermark import embed_watermark
from voiceclone.watermark.provenance import (
    make_provenance,
    provenance_tags,
    read_provenance,
    write_sidecar,
)

SR = 22050


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_tags_round_trip(tmp_path, suffix):
    prov = make_provenance("acoustic-v1", ["ef" * 32], watermarked=True, key_id=1)
    path = save_audio(tmp_path / f"out{suffix}", make_speechlike(SR, 1.0), SR, metadata=provenance_tags(prov))
    assert read_provenance(path) == prov


def test_turning_the_mark_off_is_recorded(tmp_path):
    prov = make_provenance("acoustic-v1", [], watermarked=False, key_id=1)
    assert prov["watermarked"] is False and prov["watermark_key_id"] is None
    assert "NOT watermarked" in provenance_tags(prov)["software"]


def test_sidecar_round_trip_and_atomic(tmp_path):
    prov = make_provenance("m", ["ab" * 32], watermarked=True, key_id=1, extra={"text_sha256": "cd" * 32})
    path = write_sidecar(tmp_path / "out.json", prov)
    assert read_provenance(path) == prov
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    with pytest.raises(VoiceCloneError, match="does not exist"):
        write_sidecar(tmp_path / "missing" / "out.json", prov)


def test_files_without_record(tmp_path):
    path = save_audio(tmp_path / "plain.wav", make_speechlike(SR, 1.0), SR)
    assert read_provenance(path) is None
    with pytest.raises(VoiceCloneError, match="no such file"):
        read_provenance(tmp_path / "nope.wav")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voiceclone.cli", *args], capture_output=True, text=True, timeout=300)


def test_detect_command(tmp_path):
    audio = make_speechlike(SR, 2.0, seed=3)
    marked = save_audio(tmp_path / "marked.flac", embed_watermark(audio, SR), SR)
    plain = save_audio(tmp_path / "plain.wav", audio, SR)
    result = run("detect", "--json", str(marked), str(plain))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in lines] == [str(marked), str(plain)]
    assert lines[0]["watermarked"] is True and lines[0]["payload"]["key_id"] == 1
    assert lines[0]["state"] == "watermarked" and lines[1]["state"] == "not watermarked"
    assert lines[1]["watermarked"] is False and lines[1]["payload"] is None
    assert lines[0]["score"] > lines[1]["score"]
    text = run("detect", str(marked))
    assert text.returncode == 0 and "watermarked (score" in text.stdout and "key id 1" in text.stdout


def test_detect_keeps_going_past_unreadable_files(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    good = save_audio(tmp_path / "plain.wav", make_speechlike(SR, 1.0), SR)
    result = run("detect", "--json", str(bad), str(good), str(tmp_path / "missing.wav"))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in lines[0] and lines[1]["watermarked"] is False and "no such file" in lines[2]["error"]
    assert result.stderr.strip() == "error: 2 of 3 files could not be checked"
