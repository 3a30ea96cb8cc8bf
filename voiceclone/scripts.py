"""What the recipe and benchmark scripts share: one-line errors and checked numeric arguments.

The `voiceclone` command handles its own errors (cli.main); these scripts are run as
`python -m recipes...` or `python -m benchmarks...` and report errors and warnings the same way.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable

from voiceclone.errors import VoiceCloneError, show_warning_line


def run_main(main: Callable[[], None]) -> None:
    """Run a script's ``main``: a VoiceCloneError, or a file that is missing, unreadable or in the way,
    ends it with one ``error:`` line and exit code 1 instead of a traceback; warnings (a short reference,
    say) show as one ``warning:`` line each, as the `voiceclone` command shows them."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning_line
            main()
    except VoiceCloneError as exc:
        sys.exit(f"error: {exc}")
    except OSError as exc:
        if exc.filename is None:
            raise
        sys.exit(f"error: {exc.filename}: {exc.strerror}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


def _checked(cast: Callable[[str], float], test: Callable[[float], bool], what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text} must be {what}")
        return value

    return parse


positive_int = _checked(int, lambda v: v >= 1, "at least 1")
"""argparse type: an int of at least 1 (steps, threads, repeats, counts)."""
non_negative_int = _checked(int, lambda v: v >= 0, "0 or more")
"""argparse type: an int of 0 or more (where 0 means 'all' or 'none')."""
positive_float = _checked(float, lambda v: 0 < v < float("inf"), "above 0")
"""argparse type: a finite float above 0 (rates, durations)."""
non_negative_float = _checked(float, lambda v: v >= 0 and v != float("inf"), "0 or more")
"""argparse type: a finite float of 0 or more."""
