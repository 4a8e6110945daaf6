#!/usr/bin/env python3
"""Dashboard throughput: requests/second of the read-only API on real mission data.

Two repositories are built from the compat corpus:

- **12-WP**: the corpus's 12-work-package mission alone, committed;
- **400 missions**: the corpus copied three times under new directory names and mission ids
  (coord missions flattened, so no coordination worktrees are needed), 400 kept.

For each, ``spec-kitty dashboard start --port 0 --json`` starts the real server (a separate
process, as users run it), then client threads with persistent HTTP/1.1 connections hammer one
endpoint for a fixed time. Reported: requests/second, median and 99th-percentile latency, and
the first (cold) request. Every answer is checked (status 200, JSON parses) before it counts.

    python tools/bench/bench_dashboard.py            # about a minute
    python tools/bench/bench_dashboard.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import (
    BenchError,
    add_corpus_argument,
    describe_provenance,
    emit,
    ms,
    provenance,
    summarize,
    table,
)

TWELVE_WP = "slice-f-multi-context-extensibility-01KRX5C8"
MISSION_FILES = ("meta.json", "lanes.json", "status.events.jsonl")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {done.stderr.strip()}")


def _repository(root: Path) -> Path:
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "bench")
    _git(root, "config", "user.email", "bench@example.com")
    return root


def _copy(source: Path, target: Path, *, mission_id: str | None = None) -> None:
    target.mkdir(parents=True)
    for name in MISSION_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, target / name)
    meta = json.loads((target / "meta.json").read_text())
    meta.pop("coordination_branch", None)  # flattened: no coordination worktree to set up
    if meta.get("topology") in ("coord", "lanes_with_coord"):
        meta["topology"] = "single_branch"
    if mission_id:
        meta |= {"mission_id": mission_id, "mission_slug": target.name, "slug": target.name}
    (target / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def build_twelve(corpus: Path, root: Path) -> tuple[Path, str]:
    repo = _repository(root)
    _copy(corpus / TWELVE_WP, repo / "kitty-specs" / TWELVE_WP)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "corpus")
    return repo, TWELVE_WP


def build_many(corpus: Path, root: Path, count: int) -> tuple[Path, list[str]]:
    repo = _repository(root)
    rng = random.Random(7)
    sources = sorted(p for p in corpus.iterdir() if (p / "meta.json").is_file())
    names = []
    for index in range(count):
        source = sources[index % len(sources)]
        mission_id = "01KZ" + "".join(rng.choice(_CROCKFORD) for _ in range(22))
        slug = source.name.rsplit("-", 1)[0] if "-" in source.name else source.name
        name = f"{slug}-copy{index // len(sources)}-{mission_id[:8]}"
        _copy(source, repo / "kitty-specs" / name, mission_id=mission_id)
        names.append(name)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "corpus x3")
    return repo, names


class Dashboard:
    """The real dashboard of ``repo``, started and stopped with the CLI."""

    def __init__(self, repo: Path, home: Path) -> None:
        self.repo = repo
        self.env = {**os.environ, "SPEC_KITTY_HOME": str(home)}

    def _cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "spec_kitty_cli", "dashboard", *args, "--json"],
            cwd=self.repo, env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise BenchError(f"dashboard {' '.join(args)}: {done.stdout}{done.stderr}")
        document: dict[str, Any] = json.loads(done.stdout)
        return document

    def __enter__(self) -> int:
        return int(self._cli("start", "--port", "0")["port"])

    def __exit__(self, *exc: object) -> None:
        self._cli("stop")


def _get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise BenchError(f"GET {path}: {reply.status} {body[:200]!r}")
    json.loads(body)
    return time.perf_counter() - started


def hammer(port: int, paths: list[str], *, seconds: float, threads: int) -> dict[str, Any]:
    """Requests/second over ``seconds`` from ``threads`` keep-alive clients cycling ``paths``."""
    cold_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cold = _get(cold_conn, paths[0])
    cold_conn.close()
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        index = slot
        try:
            while time.perf_counter() < deadline:
                latencies[slot].append(_get(conn, paths[index % len(paths)]))
                index += threads
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            conn.close()

    workers = [threading.Thread(target=client, args=(slot,)) for slot in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise BenchError(f"a client failed: {errors[0]!r}")
    every = sorted(value for values in latencies for value in values)
    return {
        "requests": len(every),
        "rps": len(every) / elapsed,
        "p50": every[len(every) // 2],
        "p99": every[min(len(every) - 1, int(len(every) * 0.99))],
        "cold": cold,
        "latency": summarize(every),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    corpus = Path(args.corpus)
    seconds = 2.0 if args.quick else args.seconds
    scratch = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    results: dict[str, Any] = {
        "provenance": provenance(),
        "threads": args.threads,
        "seconds": seconds,
        "missions": args.missions,
    }
    try:
        repo, name = build_twelve(corpus, scratch / "twelve")
        with Dashboard(repo, scratch / "home") as port:
            results["board_12wp"] = hammer(
                port, [f"/api/missions/{name}/board"], seconds=seconds, threads=args.threads
            )
        repo, names = build_many(corpus, scratch / "many", args.missions)
        with Dashboard(repo, scratch / "home") as port:
            results["missions_400"] = hammer(
                port, ["/api/missions"], seconds=seconds, threads=args.threads
            )
            boards = [f"/api/missions/{n}/board" for n in names]
            results["boards_400"] = hammer(port, boards, seconds=seconds, threads=args.threads)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def render(results: dict[str, Any]) -> str:
    count = results["missions"]
    rows = [
        [label, f"{r['rps']:.0f}", ms(r["p50"]), ms(r["p99"]), ms(r["cold"]), str(r["requests"])]
        for label, r in (
            ("board of the 12-WP mission", results["board_12wp"]),
            (f"mission list, {count} missions", results["missions_400"]),
            (f"each board in turn, {count} missions", results["boards_400"]),
        )
    ]
    return "\n".join(
        [
            "spec-kitty dashboard: requests/second of the read-only API",
            describe_provenance(results["provenance"]),
            f"{results['threads']} keep-alive client threads, {results['seconds']:g} s per row",
            "",
            table(rows, header=["endpoint", "req/s", "p50", "p99", "first (cold)", "requests"]),
        ]
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_corpus_argument(parser, "missions to serve")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement (8)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (4)")
    parser.add_argument("--missions", type=int, default=400, help="size of the big repo (400)")
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", metavar="PATH", help="also write the JSON results to PATH")
    args = parser.parse_args(argv)
    return emit("bench_dashboard", lambda: measure(args), render, save=args.save, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
