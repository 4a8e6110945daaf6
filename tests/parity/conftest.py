"""The parity suite drives the CLI with the spec-kitty-cli tests' helpers (cli_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "packages" / "spec-kitty-cli" / "tests"))
