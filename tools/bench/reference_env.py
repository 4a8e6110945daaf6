"""The reference implementation's environment: spec-kitty-cli 3.2.7 in its own venv.

The benchmarks compare ``mission_status`` with spec-kitty-cli 3.2.7 (module
``specify_cli``) in the same run. 3.2.7 is installed from PyPI into a private
virtual environment at ``<repo>/.bench/sk327`` (gitignored), created on first
use and reused afterwards. Set ``SK327_PYTHON`` to the interpreter of an
existing environment that already has spec-kitty-cli 3.2.7 to skip the install.

Usage::

    python tools/bench/reference_env.py                 # create if needed, describe it
    python tools/bench/reference_env.py --python-path   # print only the interpreter path
    python tools/bench/reference_env.py --recreate      # delete and rebuild .bench/sk327
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REFERENCE_DIST = "spec-kitty-cli"
REFERENCE_VERSION = "3.2.7"
ENV_VAR = "SK327_PYTHON"
REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".bench" / "sk327"
# Written last, after a successful install: a venv without it is incomplete.
READY_MARKER = ".sk327-ready"

_PROBE = (
    "import importlib.metadata as m, sys\n"
    f"v = m.version({REFERENCE_DIST!r})\n"
    "import specify_cli.status.reducer\n"
    "print(v)\n"
)


class ReferenceEnvError(RuntimeError):
    """The reference environment is missing, broken or could not be built."""


def _log(message: str) -> None:
    print(f"[reference-env] {message}", file=sys.stderr, flush=True)


def _venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def probe(python: Path) -> str | None:
    """The installed spec-kitty-cli version if ``python`` can import its reducer, else None."""
    try:
        result = subprocess.run(
            [str(python), "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _from_env_var() -> Path | None:
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    python = Path(value)
    version = probe(python)
    if version is None:
        raise ReferenceEnvError(
            f"{ENV_VAR}={value} cannot import specify_cli.status.reducer; "
            f"point it at a python with {REFERENCE_DIST}=={REFERENCE_VERSION}, or unset it"
        )
    if version != REFERENCE_VERSION:
        raise ReferenceEnvError(
            f"{ENV_VAR}={value} has {REFERENCE_DIST} {version}, not {REFERENCE_VERSION}"
        )
    return python


def _build(venv_dir: Path) -> None:
    if venv_dir.exists():
        _log(f"removing incomplete or outdated environment {venv_dir}")
        shutil.rmtree(venv_dir)
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    _log(f"creating {venv_dir} with {sys.executable}")
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    python = _venv_python(venv_dir)
    _log(f"installing {REFERENCE_DIST}=={REFERENCE_VERSION} from PyPI")
    command = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        f"{REFERENCE_DIST}=={REFERENCE_VERSION}",
    ]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise ReferenceEnvError(f"pip install failed (exit {result.returncode}): {command}")
    version = probe(python)
    if version != REFERENCE_VERSION:
        raise ReferenceEnvError(
            f"after installing, {python} reports {REFERENCE_DIST} {version!r}, "
            f"not {REFERENCE_VERSION}"
        )
    (venv_dir / READY_MARKER).write_text(f"{REFERENCE_DIST}=={REFERENCE_VERSION}\n")


def ensure_reference_python(*, recreate: bool = False) -> Path:
    """The interpreter of a spec-kitty-cli 3.2.7 environment, building it if needed.

    ``SK327_PYTHON`` wins when set (and must be valid). Otherwise
    ``<repo>/.bench/sk327`` is reused when complete, else (re)built.
    """
    if not recreate:
        from_env = _from_env_var()
        if from_env is not None:
            return from_env
    python = _venv_python(VENV_DIR)
    if not recreate and (VENV_DIR / READY_MARKER).is_file() and probe(python) == REFERENCE_VERSION:
        return python
    _build(VENV_DIR)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--python-path",
        action="store_true",
        help="print only the reference interpreter's path (building the venv if needed)",
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help=f"delete and rebuild {VENV_DIR.relative_to(REPO_ROOT)} (ignores {ENV_VAR})",
    )
    args = parser.parse_args(argv)
    try:
        python = ensure_reference_python(recreate=args.recreate)
    except ReferenceEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.python_path:
        print(python)
        return 0
    source = f"${ENV_VAR}" if os.environ.get(ENV_VAR) and not args.recreate else str(VENV_DIR)
    print(f"{REFERENCE_DIST} {REFERENCE_VERSION} ready ({source})")
    print(f"python: {python}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
