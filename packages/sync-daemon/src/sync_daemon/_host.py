"""One background service per scope, the daemon side: serve routes on loopback until retired.

:func:`run_service` is every service daemon's ``main``: it parses the daemon command that
:func:`sync_daemon.daemon_command` built, checks its markers against the scope, lets the service
build what it serves (:class:`Served`) and serves it.

:func:`_serve` generates the control token in-process (it never travels on a command line or in
the environment), binds ``127.0.0.1`` on a free port, writes the owner record (mode 0600), and
serves until ``POST /shutdown``, SIGTERM, or idle retirement; on the way out it removes the owner
record if it still names this process.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hmac
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ._owner import OwnerRecord, remove_record, write_record
from ._processes import process_start_time
from ._service import PORT_IN_USE_EXIT, SCOPE_FLAGS, Scope

#: Largest request body accepted; bigger ones get 413.
MAX_BODY = 8 * 1024 * 1024
#: A request other than /health within this many seconds makes the service not idle.
QUIET_SECONDS = 2.0


@dataclass(frozen=True)
class Reply:
    """A non-JSON answer (a page, a text file): status, bytes and their content type."""

    status: int
    body: bytes
    content_type: str


Handler = Callable[[bytes], "tuple[int, dict[str, Any]] | Reply"]
#: Finds the route of a (method, path) that no fixed route matches (paths with parameters).
Resolver = Callable[[str, str], "Route | None"]


@dataclass(frozen=True)
class Route:
    """A handler for one (method, path): gets the raw body, returns (status, JSON object)
    or a :class:`Reply`."""

    handler: Handler
    auth: bool = True


@dataclass(frozen=True)
class Served:
    """What a service daemon serves, as its ``start`` function builds it from the scope.

    ``routes`` by (method, path), ``resolver`` for paths with parameters, ``health`` for extra
    ``/health`` fields (``"busy": true`` keeps the daemon from retiring), and ``close`` to run
    on the way out. ``version`` and ``protocol`` are what the owner record reports.
    """

    version: str
    protocol: int
    routes: Mapping[tuple[str, str], Route]
    resolver: Resolver | None = None
    health: Callable[[], dict[str, Any]] | None = None
    close: Callable[[], None] | None = None


class _Host:
    """State shared by the request handlers, the idle watcher and the signal handler.

    It tracks the requests in flight and the time of the last one, for idle detection.
    """

    #: Set once the server is bound (the record carries its port), before any request is served.
    record: OwnerRecord

    def __init__(self, served: Served) -> None:
        self.served = served
        self.started = time.monotonic()
        self.server: ThreadingHTTPServer | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._inflight = 0
        self._last: float | None = None

    def request_shutdown(self) -> None:
        """Stop serving (safe from any thread, including a signal handler)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        server = self.server
        if server is not None:
            threading.Thread(target=server.shutdown, daemon=True).start()

    def route(self, method: str, path: str) -> Route | None:
        """The fixed route of (method, path), else the resolver's; None when there is none."""
        route = self.served.routes.get((method, path))
        if route is None and self.served.resolver is not None:
            route = self.served.resolver(method, path)
        return route

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        with self._lock:
            self._inflight += 1
        try:
            yield
        finally:
            with self._lock:
                self._inflight -= 1
                self._last = time.monotonic()

    def extra(self) -> dict[str, Any]:
        if self.served.health is None:
            return {}
        try:
            return dict(self.served.health())
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return {"health_extra_error": True}

    def is_idle(self, extra: Mapping[str, Any], window: float, *, count_start: bool) -> bool:
        """Not ``busy``, and no request in flight nor finished for ``window`` seconds. Before the
        first request, the time since start counts with ``count_start``, else it is idle."""
        with self._lock:
            if self._inflight:
                quiet = 0.0
            elif self._last is None:
                quiet = time.monotonic() - self.started if count_start else float("inf")
            else:
                quiet = time.monotonic() - self._last
        return extra.get("busy") is not True and quiet >= window

    def health(self, idle_window: float) -> dict[str, Any]:
        extra = self.extra()
        rec = self.record
        core = {
            "service": rec.service,
            "scope_id": rec.scope_id,
            "pid": rec.pid,
            "version": rec.version,
            "protocol": rec.protocol,
            "started_at": rec.started_at,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "idle": self.is_idle(extra, idle_window, count_start=False),
        }
        extra.pop("token", None)
        return {**extra, **core}

    def authorized(self, header: str | None) -> bool:
        expected = f"Bearer {self.record.token}".encode()
        return header is not None and hmac.compare_digest(header.encode("utf-8"), expected)


#: An extra option of a daemon command: the flag and its ``argparse`` keyword arguments.
Option = tuple[str, Mapping[str, Any]]


def run_service(
    argv: Sequence[str],
    *,
    name: str,
    start: Callable[[Scope, argparse.Namespace], Served],
    options: Sequence[Option] = (),
    idle_seconds: float = 0.0,
    prog: str | None = None,
) -> int:
    """Run service ``name`` in the foreground: ``serve --service NAME --scope-id ID ...``.

    Every daemon command takes the scope flags, ``--idle-seconds`` (default ``idle_seconds``)
    and ``--port`` (default 0, a free port), plus ``options``. Exits 0 once retired, and
    :data:`PORT_IN_USE_EXIT` (with a line on stderr) when the port asked for is taken.
    """
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("serve", help=f"run the {name} service in the foreground")
    for flag in SCOPE_FLAGS:
        command.add_argument(flag, required=True)
    command.add_argument("--idle-seconds", type=float, default=idle_seconds)
    command.add_argument("--port", type=int, default=0)
    for flag, settings in options:
        command.add_argument(flag, **settings)
    args = parser.parse_args(argv)
    scope = Scope(Path(args.state_root), args.endpoint, args.identity)
    if scope.scope_id != args.scope_id or args.service != name:
        parser.error("--scope-id / --service do not match the scope given")
    served = start(scope, args)
    try:
        _serve(name, scope, served, idle_seconds=args.idle_seconds, port=args.port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"port {args.port} is in use", file=sys.stderr, flush=True)
        return PORT_IN_USE_EXIT
    finally:
        if served.close is not None:
            served.close()
    return 0


def _serve(name: str, scope: Scope, served: Served, *, idle_seconds: float, port: int) -> None:
    """Serve ``served`` as service ``name`` of ``scope`` in the foreground until it is retired.

    Built-in routes: ``GET /health`` (no auth, never the token) and ``POST /shutdown`` (auth).
    ``served.resolver`` answers paths no fixed route matches; ``port`` 0 picks a free port.
    ``idle_seconds > 0`` retires the daemon once no request other than /health arrived for that
    long and ``served.health()`` does not report ``"busy": true``.
    """
    record_path = scope.service_dir(name) / "owner.json"
    record_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    host = _Host(served)
    server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(host, idle_seconds))
    server.daemon_threads = True
    host.server = server
    # SIGTERM is a clean shutdown; a signal handler can only be installed from the main thread.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: host.request_shutdown())
    try:
        host.record = _own_record(name, scope, served, server.server_address[1])
        write_record(record_path, host.record)
        if idle_seconds > 0:
            threading.Thread(
                target=_watch_idle, args=(host, idle_seconds), daemon=True, name="idle-watcher"
            ).start()
        if not host.stopping.is_set():
            server.serve_forever(poll_interval=0.1)
    finally:
        host.stopping.set()
        server.server_close()
        remove_record(record_path, pid=os.getpid())
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _own_record(name: str, scope: Scope, served: Served, port: int) -> OwnerRecord:
    """The owner record of this process, listening on ``port``, with a fresh control token."""
    pid = os.getpid()
    start_time = process_start_time(pid)
    if start_time is None:
        raise RuntimeError(f"cannot determine the start time of this process ({pid})")
    return OwnerRecord(
        service=name,
        scope_id=scope.scope_id,
        pid=pid,
        start_time=start_time,
        port=port,
        version=served.version,
        protocol=served.protocol,
        executable=sys.executable,
        started_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        token=secrets.token_urlsafe(32),
    )


def _watch_idle(host: _Host, idle_seconds: float) -> None:
    interval = min(0.2, idle_seconds / 4)
    while not host.stopping.wait(interval):
        if host.is_idle(host.extra(), idle_seconds, count_start=True):
            print(f"idle for {idle_seconds:g}s, retiring", file=sys.stderr, flush=True)
            host.request_shutdown()
            return


def _make_handler(host: _Host, idle_seconds: float) -> type[BaseHTTPRequestHandler]:
    idle_window = min(idle_seconds, QUIET_SECONDS) if idle_seconds > 0 else QUIET_SECONDS
    shutdown_route = Route(lambda _body: (200, {"ok": True, "pid": host.record.pid}))

    class _Handler(BaseHTTPRequestHandler):
        server_version = "spec-kitty-service"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the daemon log for errors only."""

        def setup(self) -> None:
            super().setup()
            # Headers and body go out as two writes; without this, Nagle's algorithm meets the
            # client's delayed ACK and every keep-alive request waits ~40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _dispatch(self) -> None:
            method = self.command
            path = self.path.split("?", 1)[0]
            if method == "GET" and path == "/health":
                self._send(200, host.health(idle_window))
                return
            with host.working():
                self._answer(method, path)

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

        def _answer(self, method: str, path: str) -> None:
            shutdown = method == "POST" and path == "/shutdown"
            route = shutdown_route if shutdown else host.route(method, path)
            if route is None:
                self._send(404, {"error": "not found"})
                return
            if route.auth and not host.authorized(self.headers.get("Authorization")):
                self._send(401, {"error": "unauthorized"})
                return
            body = self._read_body()
            if body is None:
                return
            self._run(route, body)
            if shutdown:
                host.request_shutdown()  # after the answer went out

        def _read_body(self) -> bytes | None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self._send(400, {"error": "bad Content-Length"})
                return None
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                self._send(413, {"error": "request body too large"})
                return None
            return self.rfile.read(length) if length else b""

        def _run(self, route: Route, body: bytes) -> None:
            try:
                answer = route.handler(body)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                self._send(500, {"error": "internal error"})
                return
            if isinstance(answer, Reply):
                self._write(answer.status, answer.body, answer.content_type)
            else:
                self._send(*answer)

        def _send(self, code: int, payload: Mapping[str, Any]) -> None:
            data = json.dumps(payload, sort_keys=True).encode("utf-8")
            self._write(code, data, "application/json")

        def _write(self, code: int, data: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

    return _Handler
