#!/usr/bin/env python3
"""Developer entry point for a fresh machine (needs only python3 >= 3.11 and git).

    python3 tools/dev.py demo     # set up .venv, then run the demo
    python3 tools/dev.py test     # set up .venv, then ruff, mypy, import contracts, pytest -n auto
    python3 tools/dev.py setup    # only (re)create .venv with every package editable
    python3 tools/dev.py help     # regenerate the --help texts the console script prints

Setup is idempotent: it re-installs only when a pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PACKAGES = ["mission-status", "mission-context", "occurrence-map", "sync-daemon", "spec-kitty-cli"]


def _run(*args: str | Path) -> int:
    print("+", " ".join(str(arg) for arg in args), flush=True)
    return subprocess.call([str(arg) for arg in args], cwd=ROOT)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    # __about__.py too: a version bump must reinstall the editable packages' metadata.
    manifests = ["pyproject.toml", "packages/*/pyproject.toml", "packages/*/src/*/__about__.py"]
    for path in [path for pattern in manifests for path in sorted(ROOT.glob(pattern))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def setup() -> None:
    stamp = VENV / ".spec-kitty-setup"
    if stamp.exists() and stamp.read_text() == _fingerprint():
        return
    if not (BIN / "python").exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dev_deps = config["tool"]["hatch"]["envs"]["default"]["dependencies"]
    editable = [arg for name in PACKAGES for arg in ("-e", f"packages/{name}")]
    command = [BIN / "python", "-m", "pip", "install", "--quiet", *editable, *dev_deps]
    if _run(*command) != 0:
        sys.exit("setup failed: see the pip output above")
    stamp.write_text(_fingerprint())


def test(pytest_args: list[str]) -> int:
    setup()
    failures = []
    for name, command in [
        ("ruff", [BIN / "ruff", "check", "packages", "tests", "tools"]),
        ("mypy", [BIN / "mypy"]),
        ("import contracts", [BIN / "lint-imports"]),
        ("pytest", [BIN / "python", "-m", "pytest", "-n", "auto", *pytest_args]),
    ]:
        if _run(*command) != 0:
            failures.append(name)
    if failures:
        print(f"FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "setup":
        setup()
        return 0
    if command == "test":
        return test(rest)
    if command == "help":
        setup()
        return _run(BIN / "python", ROOT / "tools" / "gen_help.py")
    if command == "demo":
        setup()
        return _run(BIN / "python", ROOT / "tools" / "demo.py", *rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
