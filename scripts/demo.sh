#!/usr/bin/env bash
# `make demo`: speak with the built-in voice, clone a voice, and show that outputs are watermarked.
set -euo pipefail
VENV="${1:-.venv}"
VC="$VENV/bin/voiceclone"
PY="$VENV/bin/python"
OUT=demo_out
mkdir -p "$OUT"

echo "== 1. The built-in voice"
"$VC" speak "Hello! I am voiceclone, and this is my built-in voice. Everything you hear was made offline." \
    -o "$OUT/default.wav"

echo "== 2. Cloning a voice from a reference recording"
"$PY" scripts/make_reference.py "$OUT/reference.wav"
"$VC" embed "$OUT/reference.wav" -o "$OUT/reference_voice.npz"
"$VC" speak --voice "$OUT/reference_voice.npz" \
    "This sentence was never recorded. It is spoken in the voice of the reference." -o "$OUT/cloned.wav"

DATA=../shared/data/voices
if [ -f "$DATA/metadata.tsv" ]; then
    REF="$DATA/$(awk -F'\t' 'NR==2 {print $1}' "$DATA/metadata.tsv")"
    echo "== 2b. Cloning a real speaker from the development data: $REF"
    "$VC" speak --ref "$REF" "Now I speak in the voice of a real recording." -o "$OUT/cloned_real.wav"
fi

echo "== 3. Every output carries an inaudible watermark"
"$VC" detect "$OUT"/*.wav
echo "Listen to the files in $OUT/"
