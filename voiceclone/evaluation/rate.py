"""The one rate every judge listens at."""

JUDGE_RATE = 16000
"""Pocketsphinx, DNSMOS, the GE2E speaker judge and the pitch judge all take 16 kHz audio."""
