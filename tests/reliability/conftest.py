"""The reliability suite drives the CLI with the spec-kitty-cli tests' helpers (cli_support.py).

pytest runs in importlib mode, so this also makes crash_support.py (next to this file)
importable.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "packages" / "spec-kitty-cli" / "tests"))
sys.path.insert(0, str(Path(__file__).parent))
