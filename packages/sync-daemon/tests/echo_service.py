"""A tiny service for the tests (``run_service()`` with extra routes) and helpers to drive it.

Run as ``python echo_service.py serve --service echo --scope-id ID --state-root R --endpoint E
--identity I [--idle-seconds S] [--version V] [--protocol P] [--busy]``.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync_daemon import Reply, Route, Scope, Served, ServiceSpec, daemon_command, run_service

ECHO_SERVICE = Path(__file__).resolve()

SpecFactory = Callable[..., ServiceSpec]


def echo_spec(
    state_root: Path,
    *,
    endpoint: str = "local",
    identity: str = "tester",
    idle_seconds: float = 0.0,
    version: str = "1.0",
    protocol: int = 1,
    extra: tuple[str, ...] = (),
    start_timeout: float = 15.0,
) -> ServiceSpec:
    """A spec running ``echo_service.py`` with the reaper's marker arguments."""
    scope = Scope(state_root, endpoint, identity)
    argv = daemon_command(
        (sys.executable, str(ECHO_SERVICE)),
        "echo",
        scope,
        "--idle-seconds", str(idle_seconds),
        "--version", version,
        "--protocol", str(protocol),
        *extra,
    )  # fmt: skip
    return ServiceSpec(
        name="echo",
        scope=scope,
        argv=argv,
        version=version,
        protocol=protocol,
        start_timeout=start_timeout,
    )


def pids_mentioning(prefix: str) -> list[int]:
    """Pids of processes (not this one) with an argument starting with ``prefix``."""
    pids = []
    needle = prefix.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.startswith(needle) for arg in args):
            pids.append(int(entry.name))
    return sorted(pids)


def marked_pids(spec: ServiceSpec) -> list[int]:
    """Live (non-zombie) processes carrying the reaper markers of ``spec``."""
    return [
        pid
        for pid in pids_mentioning(spec.scope.scope_id)
        if not gone(pid) and _pairs_in(pid, spec)
    ]


def _pairs_in(pid: int, spec: ServiceSpec) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return False
    pairs = set(itertools.pairwise(args))
    return ("--service", spec.name) in pairs and ("--scope-id", spec.scope.scope_id) in pairs


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout``; return its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (missing or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def _echo(body: bytes) -> tuple[int, dict[str, Any]]:
    return 200, {"echo": json.loads(body or b"null")}


def main(argv: list[str]) -> int:
    return run_service(
        argv,
        name="echo",
        start=_start,
        options=(
            ("--version", {"default": "1.0"}),
            ("--protocol", {"type": int, "default": 1}),
            ("--busy", {"action": "store_true"}),
        ),
        prog="echo_service.py",
    )


def _start(_scope: Scope, args: Any) -> Served:
    return Served(
        version=args.version,
        protocol=args.protocol,
        routes={("POST", "/echo"): Route(_echo), ("POST", "/public"): Route(_echo, auth=False)},
        health=(lambda: {"busy": True}) if args.busy else None,
        resolver=_pages,
    )


def _pages(method: str, path: str) -> Route | None:
    """``GET /page/<name>``: a path-parameter route answering HTML."""
    name = path.removeprefix("/page/")
    if method != "GET" or name == path or not name.isalnum():
        return None
    html = f"<h1>{name}</h1>".encode()
    return Route(lambda _body: Reply(200, html, "text/html; charset=utf-8"), auth=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
