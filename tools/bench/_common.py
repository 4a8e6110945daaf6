"""Shared helpers of the benchmark scripts: children, statistics, provenance, formatting."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from reference_env import ReferenceEnvError

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parents[1]
WORKER = BENCH_DIR / "_reduce_worker.py"
DEFAULT_CORPUS = Path("/work/shared/compat/spec-kitty-missions")
CORPUS_ENV = "SPEC_KITTY_COMPAT_MISSIONS"


class BenchError(RuntimeError):
    """The benchmark cannot produce a trustworthy figure (a child failed, outputs differ)."""


def default_corpus() -> Path:
    return Path(os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)


def _tail_of(handle: IO[bytes], limit: int = 4000) -> str:
    handle.seek(0)
    text = handle.read().decode("utf-8", "replace")
    return text[-limit:]


def run_child(python: Path | str, args: Sequence[str], *, timeout: float = 1800) -> dict[str, Any]:
    """Run the worker in a fresh process; return its JSON result and ``wall_s``."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        result = subprocess.run(
            [str(python), str(WORKER), *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=timeout,
            check=False,
        )
        wall_s = time.perf_counter() - started
        if result.returncode != 0 or not result.stdout.strip():
            raise BenchError(
                f"{python} {WORKER.name} {' '.join(args)} failed "
                f"(exit {result.returncode}):\n{_tail_of(stderr)}"
            )
    payload: dict[str, Any] = json.loads(result.stdout.decode("utf-8").splitlines()[-1])
    payload["wall_s"] = wall_s
    return payload


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--reference-python``, ``--json`` and ``--save``: the options every benchmark has."""
    parser.add_argument(
        "--reference-python",
        help="interpreter with spec-kitty-cli 3.2.7 (default: $SK327_PYTHON or .bench/sk327)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", metavar="PATH", help="also write the JSON results to PATH")


def add_corpus_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--corpus",
        default=str(default_corpus()),
        help=f"{what} (default: ${CORPUS_ENV} or {DEFAULT_CORPUS})",
    )


class Worker:
    """A long-lived worker in ``serve`` mode: import once, then time passes on request."""

    def __init__(self, python: Path | str, args: Sequence[str], *, script: Path = WORKER) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.command = [str(python), str(script), "serve", *args]
        self._proc = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(timeout=30)
            raise BenchError(
                f"worker {' '.join(self.command)} exited ({self._proc.returncode}):\n"
                f"{_tail_of(self._stderr)}"
            )
        payload: dict[str, Any] = json.loads(line)
        if "error" in payload:
            raise BenchError(f"worker error: {payload['error']}")
        return payload

    def request(self, command: str) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write("quit\n")
                self._proc.stdin.close()
                self._proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._stderr.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max and the quartiles of a sample."""
    ordered = sorted(values)
    if len(ordered) >= 4:
        q1, _, q3 = statistics.quantiles(ordered, n=4)
    else:
        q1, q3 = ordered[0], ordered[-1]
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "p25": q1,
        "p75": q3,
    }


def _git(*args: str) -> str | None:
    # GIT_OPTIONAL_LOCKS=0: read only, never refresh (write) the index.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def provenance() -> dict[str, Any]:
    """Where and on what the figures were measured."""
    commit = _git("rev-parse", "--short=12", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "packages/mission-status")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
        "git_commit": commit,
        "mission_status_dirty": bool(dirty) if dirty is not None else None,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else ms(seconds)


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def table(rows: Sequence[Sequence[str]], *, header: Sequence[str]) -> str:
    """A plain left/right aligned text table (first column left, others right)."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def describe_provenance(info: dict[str, Any]) -> str:
    dirty = " (mission-status has uncommitted changes)" if info.get("mission_status_dirty") else ""
    return (
        f"{info['date']}  python {info['python']}  {info['platform']}  "
        f"{info['cpus']} cpus  load {info['loadavg_at_start']}\n"
        f"commit {info['git_commit']}{dirty}"
    )


def emit(
    name: str,
    produce: Callable[[], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
    *,
    save: str | None,
    as_json: bool,
) -> int:
    """Run a benchmark, save its JSON if asked, print the report; 1 on a failed check."""

    try:
        result = produce()
    except (BenchError, ReferenceEnvError) as exc:
        print(f"{name}: FAILED: {exc}", file=sys.stderr)
        return 1
    if save:
        Path(save).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2) if as_json else render(result))
    return 0
