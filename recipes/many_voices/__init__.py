"""Recipes for a corpus of many voices: Whisper transcripts of untranscribed clips, and synthetic voices."""
