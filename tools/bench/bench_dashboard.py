"""Dashboard throughput: requests/second of the read-only API on real mission data."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _harness as h

TWELVE_WP = "slice-f-multi-context-extensibility-01KRX5C8"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def add_mission(source: Path, target: Path, mission_id: str | None = None) -> None:
    """A corpus mission, flattened (no coordination worktree to set up), renamed if asked."""
    meta_path = h.copy_mission(source, target) / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("coordination_branch", None)
    if meta.get("topology") in ("coord", "lanes_with_coord"):
        meta["topology"] = "single_branch"
    if mission_id:
        meta |= {"mission_id": mission_id, "mission_slug": target.name, "slug": target.name}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def dashboard(repo: Path, home: Path) -> Iterator[int]:
    """The real dashboard of ``repo``, started and stopped with the CLI: its port."""
    env = {**os.environ, "SPEC_KITTY_HOME": str(home)}

    def cli(*args: str) -> Any:
        command = [sys.executable, "-m", "spec_kitty_cli", "dashboard", *args, "--json"]
        return json.loads(h.fresh(command, cwd=repo, env=env)[2])

    port = int(cli("start", "--port", "0")["port"])
    try:
        yield port
    finally:
        cli("stop")


def _get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise h.BenchError(f"GET {path}: {reply.status} {body[:200]!r}")
    json.loads(body)
    return time.perf_counter() - started


def hammer(port: int, paths: list[str], args: Any) -> dict[str, Any]:
    """Requests/second over ``--seconds`` from ``--threads`` keep-alive clients cycling paths."""
    h.progress(f"{paths[0]}{' ...' if len(paths) > 1 else ''}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cold = _get(conn, paths[0])
    conn.close()
    latencies: list[list[float]] = [[] for _ in range(args.threads)]
    errors: list[BaseException] = []
    deadline = time.perf_counter() + (2.0 if args.quick else args.seconds)

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        index = slot
        try:
            while time.perf_counter() < deadline:
                latencies[slot].append(_get(conn, paths[index % len(paths)]))
                index += args.threads
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(args.threads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise h.BenchError(f"a client failed: {errors[0]!r}")
    every = sorted(value for values in latencies for value in values)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    return {"requests": len(every), "rps": len(every) / elapsed, "p99": p99, "cold": cold,
            "latency": h.summarize(every)}  # fmt: skip


def run(args: Any) -> dict[str, Any]:
    result = {"provenance": h.provenance(), "threads": args.threads, "missions": args.missions}
    result["seconds"] = 2.0 if args.quick else args.seconds
    with h.workdir(args, "bench-dashboard-") as work:
        twelve = h.new_repo(work / "twelve")
        add_mission(args.corpus / TWELVE_WP, twelve / "kitty-specs" / TWELVE_WP)
        h.commit(twelve, "corpus")
        with dashboard(twelve, work / "home") as port:
            result["board_12wp"] = hammer(port, [f"/api/missions/{TWELVE_WP}/board"], args)
        many, rng = h.new_repo(work / "many"), random.Random(7)
        sources = sorted(p for p in args.corpus.iterdir() if (p / "meta.json").is_file())
        names = []
        for index in range(args.missions):
            source = sources[index % len(sources)]
            mission_id = "01KZ" + "".join(rng.choice(_CROCKFORD) for _ in range(22))
            slug = source.name.rsplit("-", 1)[0]
            names.append(f"{slug}-copy{index // len(sources)}-{mission_id[:8]}")
            add_mission(source, many / "kitty-specs" / names[-1], mission_id)
        h.commit(many, "corpus x3")
        with dashboard(many, work / "home") as port:
            result["missions_400"] = hammer(port, ["/api/missions"], args)
            boards = [f"/api/missions/{name}/board" for name in names]
            result["boards_400"] = hammer(port, boards, args)
    return result


def render(result: dict[str, Any]) -> str:
    count = result["missions"]
    rows = [
        [label, f"{r['rps']:.0f}", h.ms(r["latency"]["median"]), h.ms(r["p99"]), h.ms(r["cold"]),
         r["requests"]]
        for label, r in (
            ("board of the 12-WP mission", result["board_12wp"]),
            (f"mission list, {count} missions", result["missions_400"]),
            (f"each board in turn, {count} missions", result["boards_400"]),
        )
    ]  # fmt: skip
    return "\n".join(
        [
            "spec-kitty dashboard: requests/second of the read-only API",
            h.describe(result["provenance"]),
            f"{result['threads']} keep-alive client threads, {result['seconds']:g} s per row",
            "",
            h.table("endpoint|req/s|p50|p99|first (cold)|requests", rows),
        ]
    )


if __name__ == "__main__":
    parser = h.parser(
        __doc__,
        corpus=True,
        workdir=True,
        reference=False,
        threads=(4, "client threads"),
        missions=(400, "missions in the big repository"),
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement (default 8)")
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    sys.exit(h.main(parser, run, render))
