"""spec-kitty-cli 3.2.7, the benchmarks' reference, in its own venv at .bench/sk327 (gitignored).

    python tools/bench/reference_env.py                 # create if needed, describe it
    python tools/bench/reference_env.py --python-path   # print only the interpreter path
    python tools/bench/reference_env.py --recreate      # delete and rebuild .bench/sk327

``SK327_PYTHON`` (or a benchmark's ``--reference-python``) names an existing interpreter instead;
it must import ``specify_cli.status.reducer`` and report spec-kitty-cli 3.2.7.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

DIST, VERSION, ENV_VAR = "spec-kitty-cli", "3.2.7", "SK327_PYTHON"
VENV_DIR = Path(__file__).resolve().parents[2] / ".bench" / "sk327"
PYTHON = VENV_DIR / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
READY = VENV_DIR / ".sk327-ready"  # written last: a venv without it is incomplete
_PROBE = f"import importlib.metadata as m, specify_cli.status.reducer; print(m.version({DIST!r}))"


class ReferenceEnvError(RuntimeError):
    """The reference environment is missing, broken or could not be built."""


def probe(python: Path | str) -> str | None:
    """The spec-kitty-cli version of ``python`` if it can import 3.2.7's reducer, else None."""
    try:
        done = subprocess.run(
            [str(python), "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _checked(python: Path | str, source: str) -> Path:
    version = probe(python)
    if version != VERSION:
        found = "cannot import specify_cli.status.reducer" if version is None else f"has {version}"
        raise ReferenceEnvError(f"{source} {python} is not {DIST} {VERSION}: it {found}")
    return Path(python)


def ensure_reference_python(explicit: str | None = None, *, recreate: bool = False) -> Path:
    """``explicit``, else ``$SK327_PYTHON``, else .bench/sk327 (built when missing or broken)."""
    if explicit:
        return _checked(explicit, "--reference-python")
    if os.environ.get(ENV_VAR) and not recreate:
        return _checked(os.environ[ENV_VAR], ENV_VAR)
    if not recreate and READY.is_file() and probe(PYTHON) == VERSION:
        return PYTHON
    print(f"[reference-env] building {VENV_DIR} ({DIST}=={VERSION})", file=sys.stderr, flush=True)
    shutil.rmtree(VENV_DIR, ignore_errors=True)
    VENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    if subprocess.run([*pip, f"{DIST}=={VERSION}"], check=False).returncode != 0:
        raise ReferenceEnvError(f"pip install {DIST}=={VERSION} into {VENV_DIR} failed")
    _checked(PYTHON, "after installing,")
    READY.write_text(f"{DIST}=={VERSION}\n")
    return PYTHON


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-path", action="store_true", help="print only the interpreter")
    parser.add_argument("--recreate", action="store_true", help=f"rebuild (ignores {ENV_VAR})")
    args = parser.parse_args()
    try:
        python = ensure_reference_python(recreate=args.recreate)
    except ReferenceEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.python_path:
        source = f"${ENV_VAR}" if os.environ.get(ENV_VAR) and not args.recreate else VENV_DIR
        print(f"{DIST} {VERSION} ready ({source})\npython: ", end="")
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
