"""What every benchmark shares: options, the reference interpreter, fresh processes and workers,
the interleaved timing loop, statistics, provenance, scratch git repositories and tables."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from _worker import LOG_NAME
from reference_env import ReferenceEnvError, ensure_reference_python

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parents[1]
WORKER = BENCH_DIR / "_worker.py"
CORPUS_ENV, DEFAULT_CORPUS = "SPEC_KITTY_COMPAT_MISSIONS", "/work/shared/compat/spec-kitty-missions"
MISSION_FILES = ("meta.json", "lanes.json", LOG_NAME)
# Variables that would point git or spec-kitty at another repository than the benchmark's.
SCRUBBED_ENV = (
    *("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"),
    *("GIT_CEILING_DIRECTORIES", "SPECIFY_REPO_ROOT"),
)
_options = argparse.Namespace(quiet=False)


class BenchError(RuntimeError):
    """No trustworthy figure: a child failed, or the two implementations disagree."""


# --- options and running --------------------------------------------------------------------


def count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive count: {text}")
    return int(text)


def parser(
    doc: str, *, corpus: bool = False, workdir: bool = False, reference: bool = True, **counts: Any
) -> argparse.ArgumentParser:
    """The shared options, and ``--NAME N`` for each ``NAME=(default, help)`` of ``counts``."""
    p = argparse.ArgumentParser(description=doc.strip().split("\n\n")[0])
    for name, (default, text) in counts.items():
        flag = "--" + name.replace("_", "-")
        p.add_argument(flag, type=count, default=default, help=f"{text} (default {default})")
    if corpus:
        default = Path(os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)
        p.add_argument("--corpus", type=Path, default=default, help=f"compat corpus ({default})")
    if workdir:
        p.add_argument("--tmpdir", help="where to build the temporary files (default: system)")
        p.add_argument("--keep", action="store_true", help="keep the temporary files")
    if reference:
        p.add_argument(
            "--reference-python", help="spec-kitty-cli 3.2.7's interpreter ($SK327_PYTHON)"
        )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the full results as JSON")
    p.add_argument("--save", metavar="PATH", help="also write the JSON results to PATH")
    return p


def main(p: argparse.ArgumentParser, run: Callable[[Any], dict[str, Any]], render: Any) -> int:
    """Parse, run, save and print; 1 if a check failed or the result carries warnings."""
    args = p.parse_args()
    _options.quiet = args.quiet
    try:
        result = run(args)
    except (BenchError, ReferenceEnvError) as exc:
        print(f"{p.prog}: FAILED: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    if args.save:
        Path(args.save).write_text(text + "\n", encoding="utf-8")
    print(text if args.json else render(result))
    for warning in result.get("warnings", []):
        print(f"{p.prog}: WARNING: {warning}", file=sys.stderr)
    return 1 if result.get("warnings") else 0


def reference_python(args: argparse.Namespace) -> Path:
    return ensure_reference_python(args.reference_python)


def progress(message: str) -> None:
    if not _options.quiet:
        print(f"[{Path(sys.argv[0]).stem}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def workdir(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """A temporary directory, removed afterwards unless ``--keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=args.tmpdir)).resolve()
    try:
        yield path
    finally:
        if args.keep:
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


# --- child processes ------------------------------------------------------------------------


def _tail(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")[-4000:]


def fresh(argv: Sequence[Any], **kwargs: Any) -> tuple[float, float, str]:
    """Wall and CPU seconds (it and its children) and stdout of a fresh process; it must exit 0.

    ``kwargs`` go to ``subprocess.run`` (``cwd``, ``env``)."""
    argv = [str(word) for word in argv]
    with tempfile.TemporaryFile() as stderr:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=stderr, timeout=1800, check=False, **kwargs,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(argv)} failed (exit {done.returncode}):\n{_tail(stderr)}")
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return wall, cpu, done.stdout.decode("utf-8", "replace")


def child(python: Path, mode: str, request: dict[str, Any], *options: Any) -> dict[str, Any]:
    """One request to ``_worker.py MODE`` in a fresh process: its result, hello and ``wall_s``."""
    wall, _, out = fresh([python, WORKER, mode, *options, json.dumps(request)])
    hello, reply = (json.loads(line) for line in out.splitlines()[-2:])
    if "error" in reply:
        raise BenchError(f"{python} {WORKER.name} {mode} {request}: {reply['error']}")
    return {**hello, **reply, "wall_s": wall}


class Worker:
    """A long-lived ``_worker.py MODE``: imported once, then one JSON request per line."""

    def __init__(self, python: Path, mode: str, *options: Any) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.command = [str(word) for word in (python, WORKER, mode, *options)]
        self._proc = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, encoding="utf-8",
        )  # fmt: skip
        self.hello = self._read()

    def _read(self) -> Any:
        line = self._proc.stdout.readline()
        if not line:
            line = json.dumps({"error": f"exited ({self._proc.wait(30)}):\n{_tail(self._stderr)}"})
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise BenchError(f"{' '.join(self.command)}: {reply['error']}")
        return reply

    def request(self, cmd: str, **options: Any) -> Any:
        self._proc.stdin.write(json.dumps({"cmd": cmd, **options}) + "\n")
        self._proc.stdin.flush()
        return self._read()["result"]

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.stdin.close()  # ends the worker's loop
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._stderr.close()


# --- timing and statistics ------------------------------------------------------------------


def interleave(
    rounds: int,
    ours: Callable[[], Any],
    reference: Callable[[], Any] | None,
    *,
    warmup: int = 0,
    alternate: bool = False,
    label: str = "",
) -> dict[str, list[Any]]:
    """What ``ours()`` and ``reference()`` return, per round; rounds alternate the two sides
    (with ``alternate``, which goes first alternates too); ``warmup`` rounds are discarded."""
    sides = [("ours", ours)] + ([("reference", reference)] if reference else [])
    out: dict[str, list[Any]] = {name: [] for name, _ in sides}
    for n in range(warmup + rounds):
        order = sides[::-1] if alternate and n % 2 else sides
        if label:
            step = f"warm-up {n + 1}" if n < warmup else f"round {n + 1 - warmup}/{rounds}"
            progress(f"{label}: {step}, {order[0][0]} first")
        for name, fn in order:
            value = fn()
            if n >= warmup:
                out[name].append(value)
    return out


def summarize(values: Sequence[float]) -> dict[str, float]:
    """n, median, min, max, quartiles and 90th percentile of a sample."""
    ordered = sorted(values)
    q1, q3 = ordered[0], ordered[-1]
    if len(ordered) >= 4:
        q1, _, q3 = statistics.quantiles(ordered, n=4)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "p25": q1,
        "p75": q3,
        "p90": statistics.quantiles(ordered, n=10)[8] if len(ordered) >= 2 else ordered[0],
    }


def compare(
    ours: Sequence[Sequence[float]], reference: Sequence[Sequence[float]], *, raw: bool = True
) -> dict[str, Any]:
    """Both sides' samples, per round: summaries, the ratio (reference / ours) of medians and of
    minimums, and the per-round ratios of medians."""
    mine, theirs = [x for r in ours for x in r], [x for r in reference for x in r]
    a, b = summarize(mine), summarize(theirs)
    result = {
        "ours": a,
        "reference": b,
        "ratio": b["median"] / a["median"],
        "min_ratio": b["min"] / a["min"],
        "round_ratios": [
            statistics.median(y) / statistics.median(x)
            for x, y in zip(ours, reference, strict=True)
        ],
    }
    return result | ({"raw_s": {"ours": mine, "reference": theirs}} if raw else {})


def compare_commands(
    reps: Mapping[str, Sequence[Mapping[str, tuple[float, float]]]],
    keys: Iterable[str],
    goals: Mapping[str, float],
) -> dict[str, dict[str, Any]]:
    """Per command key: :func:`compare` of the wall times of ``reps`` (one ``{key: (wall,
    cpu)}`` per repetition and side), the ratio of CPU times, and the command's goal."""

    def samples(key: str, side: str, i: int) -> list[list[float]]:  # i: 0 wall, 1 CPU
        return [[rep[key][i]] for rep in reps[side]]

    results = {}
    for key in keys:
        wall = compare(samples(key, "ours", 0), samples(key, "reference", 0))
        cpu = compare(samples(key, "ours", 1), samples(key, "reference", 1))
        results[key] = {**wall, "cpu_ratio": cpu["ratio"], "goal": goals.get(key)}
    return results


# --- git, corpus, environment ---------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> str | None:
    # Never refresh (write) an index; never read the user's or the system's git config.
    env = {
        **os.environ,
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0 and check:
        raise BenchError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout.strip() if done.returncode == 0 else None


def new_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for key, value in (("user.name", "bench"), ("user.email", "bench@example.invalid")):
        git(root, "config", key, value)
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def copy_mission(source: Path, target: Path) -> Path:
    """meta.json, lanes.json and the event log of a corpus mission."""
    target.mkdir(parents=True)
    for name in MISSION_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
    return target


def clean_env(home: Path | None = None) -> dict[str, str]:
    """This environment minus ``SCRUBBED_ENV``; with ``home``, also minus spec-kitty's variables,
    HOME and the XDG directories in ``home`` and no upgrade check (3.2.7 can query PyPI)."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    if home is None:
        return env
    env = {k: v for k, v in env.items() if not k.startswith(("SPEC_KITTY_", "SPECIFY_"))}
    xdg = {"CACHE": ".cache", "CONFIG": ".config", "DATA": ".local/share", "STATE": ".local/state"}
    env |= {f"XDG_{key}_HOME": str(home / sub) for key, sub in xdg.items()}
    return env | {"HOME": str(home), "SPEC_KITTY_NO_UPGRADE_CHECK": "1"}


# --- reporting ------------------------------------------------------------------------------


def provenance() -> dict[str, Any]:
    status = ("status", "--porcelain", "--untracked-files=no", "--", "packages")
    dirty = git(REPO_ROOT, *status, check=False)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
        "git_commit": git(REPO_ROOT, "rev-parse", "--short=12", "HEAD", check=False),
        "packages_dirty": None if dirty is None else bool(dirty),
    }


def describe(info: dict[str, Any]) -> str:
    dirty = " (packages/ has uncommitted changes)" if info["packages_dirty"] else ""
    return (
        f"{info['date']}  python {info['python']}  {info['platform']}  {info['cpus']} cpus  "
        f"load {info['loadavg_at_start']}\ncommit {info['git_commit']}{dirty}"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else ms(seconds)


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def span(values: Sequence[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f}x .. {max(values):.{digits}f}x"


def table(header: str, rows: Sequence[Sequence[Any]]) -> str:
    """A text table: ``header`` is its column titles separated by ``|``; first column left."""
    titles = header.split("|")
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in [titles, *cells]) for i in range(len(titles))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join([line(titles), "  ".join("-" * w for w in widths), *map(line, cells)])
