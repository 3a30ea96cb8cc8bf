"""The acoustic model trained on the shared development data folder (see README.md).

Each step runs as a module from the repository root, e.g. ``python -m recipes.shared_data.prepare``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DATA = Path("../shared/data")
"""The shared data folder's default place, relative to the repository root the recipes run from."""


def add_data_argument(parser: argparse.ArgumentParser, holds: str) -> None:
    """The ``--data`` option every step that reads the shared data folder takes."""
    parser.add_argument("--data", type=Path, default=DATA, help=f"the shared data folder, holding {holds} (default: {DATA})")
