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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .__about__ import __version__
from ._host import Route, Served, run_service
from ._outbox import Outbox
from ._service import Scope, ServiceSpec, daemon_command
from ._sinks import SINK_NAMES, Sink, sink_from_config

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
    """The :func:`sink_from_config` configuration of sink ``sink`` (``url`` for ``http`` only)."""
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


class _Sync:
    """The running service: a delivery loop (started at once, ended by ``close``) and its routes.

    ``POST /events`` journals events and wakes the loop at once; ``POST /flush`` delivers now.
    """

    def __init__(self, outbox: Outbox, sink: Sink) -> None:
        self.outbox = outbox
        self.sink = sink
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="sync-delivery", daemon=True)
        self._worker.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._worker.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.outbox.deliver(self.sink)
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()

    def post_events(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            document = json.loads(body or b"{}")
            events = document["events"]
            queued = self.outbox.enqueue(events)
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"error": f"expected {{'events': [...]}} with event ids: {exc}"}
        self._wake.set()
        return 202, {"queued": queued, "depth": self.outbox.depth()}

    def flush(self, _body: bytes) -> tuple[int, dict[str, Any]]:
        report = self.outbox.deliver(self.sink)
        return 200, {
            "delivered": report.delivered,
            "failed": report.failed,
            "error": report.error,
            "depth": self.outbox.depth(),
        }

    def health(self) -> dict[str, Any]:
        stats = self.outbox.stats()
        return {
            "queue_depth": stats["pending"],
            "last_delivery_at": stats["last_delivery_at"],
            "last_error": stats["last_error"],
            "busy": stats["pending"] > 0,
        }


def main(argv: Sequence[str]) -> int:
    """``serve``: run the sync service in the foreground until shutdown or idle exit."""
    return run_service(
        argv,
        name=SERVICE,
        start=_start,
        options=(
            ("--sink", {"default": "jsonl", "choices": SINK_NAMES}),
            ("--url", {}),
        ),
        idle_seconds=DEFAULT_IDLE_SECONDS,
        prog="python -m sync_daemon",
    )


def _start(scope: Scope, args: argparse.Namespace) -> Served:
    outbox = Outbox(outbox_dir(scope))
    config = sink_config(args.sink, args.url)
    sync = _Sync(outbox, sink_from_config(config, state_dir=scope.service_dir(SERVICE)))
    return Served(
        version=__version__,
        protocol=PROTOCOL,
        routes={
            ("POST", "/events"): Route(sync.post_events),
            ("POST", "/flush"): Route(sync.flush),
        },
        health=sync.health,
        close=sync.close,
    )
