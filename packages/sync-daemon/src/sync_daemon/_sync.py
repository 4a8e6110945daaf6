"""The sync service: an outbox, a sink, and a delivery loop behind the generic service host.

``python -m sync_daemon serve --service sync --scope-id ID --state-root R --endpoint E
--identity I [--sink jsonl|http] [--url U] [--idle-seconds N]`` runs it in the foreground
(:func:`main`, through the generic :func:`run_service`); :func:`sync_spec` builds the
:class:`ServiceSpec` that starts it in the background (``ensure_running``). Events reach the
outbox's journal before anything is sent: the CLI appends them itself (``POST /events`` does the
same for other clients), and the loop delivers whatever is pending, with the outbox's backoff.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .__about__ import __version__
from ._host import Route, Served, run_service
from ._outbox import Outbox
from ._service import Scope, ServiceSpec, daemon_command
from ._sinks import sink_from_config

SERVICE = "sync"
#: Bumped when the control plane changes incompatibly: older daemons are then replaced.
PROTOCOL = 1
DEFAULT_IDLE_SECONDS = 600.0
#: How often the loop looks for pending events when nobody nudges it.
_POLL_SECONDS = 1.0


def outbox_dir(scope: Scope) -> Path:
    """Where the sync service of ``scope`` keeps its journal and ledger."""
    return scope.service_dir(SERVICE) / "outbox"


def sink_config(sink: str, url: str | None) -> dict[str, Any]:
    return {"sink": sink, "url": url} if sink == "http" else {"sink": sink}


def sync_spec(
    scope: Scope,
    *,
    sink: str = "jsonl",
    url: str | None = None,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
) -> ServiceSpec:
    """The spec that runs this service for ``scope`` (the markers let the reaper find it)."""
    extra = ["--sink", sink, "--idle-seconds", str(idle_seconds)]
    if url:
        extra += ["--url", url]
    argv = daemon_command((sys.executable, "-m", "sync_daemon"), SERVICE, scope, *extra)
    return ServiceSpec(name=SERVICE, scope=scope, argv=argv, version=__version__, protocol=PROTOCOL)


class _Loop:
    """Delivers pending events until stopped; ``nudge`` wakes it at once."""

    def __init__(self, outbox: Outbox, config: Mapping[str, Any], state_dir: Path) -> None:
        self.outbox = outbox
        self.sink = sink_from_config(config, state_dir=state_dir)
        self._wake = threading.Event()
        self._stop = threading.Event()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stop.is_set():
            self.outbox.deliver(self.sink)
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()


def _events_route(outbox: Outbox, loop: _Loop) -> Route:
    def handle(body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            document = json.loads(body or b"{}")
            events = document["events"]
            queued = outbox.enqueue(events)
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"error": f"expected {{'events': [...]}} with event ids: {exc}"}
        loop.nudge()
        return 202, {"queued": queued, "depth": outbox.depth()}

    return Route(handle)


def _flush_route(outbox: Outbox, loop: _Loop) -> Route:
    def handle(_body: bytes) -> tuple[int, dict[str, Any]]:
        report = outbox.deliver(loop.sink)
        return 200, {
            "delivered": report.delivered,
            "failed": report.failed,
            "error": report.error,
            "depth": outbox.depth(),
        }

    return Route(handle)


def main(argv: Sequence[str]) -> int:
    """``serve``: run the sync service in the foreground until shutdown or idle exit."""
    return run_service(
        argv,
        name=SERVICE,
        start=_start,
        options=(
            ("--sink", {"default": "jsonl", "choices": ("jsonl", "http")}),
            ("--url", {}),
        ),
        idle_seconds=DEFAULT_IDLE_SECONDS,
        prog="python -m sync_daemon",
    )


def _start(scope: Scope, args: argparse.Namespace) -> Served:
    outbox = Outbox(outbox_dir(scope))
    loop = _Loop(outbox, sink_config(args.sink, args.url), scope.service_dir(SERVICE))
    worker = threading.Thread(target=loop.run, name="sync-delivery", daemon=True)
    worker.start()

    def health() -> dict[str, Any]:
        stats = outbox.stats()
        return {
            "queue_depth": stats["pending"],
            "last_delivery_at": stats["last_delivery_at"],
            "last_error": stats["last_error"],
            "busy": stats["pending"] > 0,
        }

    def close() -> None:
        loop.stop()
        worker.join(timeout=5)

    return Served(
        version=__version__,
        protocol=PROTOCOL,
        routes={
            ("POST", "/events"): _events_route(outbox, loop),
            ("POST", "/flush"): _flush_route(outbox, loop),
        },
        health=health,
        close=close,
    )
