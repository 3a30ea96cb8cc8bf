"""Write a reference recording for the demo with hibari-tts's bundled voice (offline).

The demo needs a voice to clone on a machine that has no recordings; hibari ships one
synthetic American English voice inside its wheel.

    python scripts/make_reference.py OUT.wav
"""

from __future__ import annotations

import sys

from voiceclone.audio import save_audio

TEXT = ("The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
        "It is easy to tell the depth of a well. These days a chicken leg is a rare dish.")


def main() -> None:
    from hibari import Hibari

    tts = Hibari()
    save_audio(sys.argv[1], tts(TEXT), tts.sample_rate)
    print(f"{sys.argv[1]}: reference voice written")


if __name__ == "__main__":
    main()
