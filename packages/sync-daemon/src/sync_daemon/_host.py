"""One background service per scope, the daemon side: serve routes on loopback until retired.

:func:`run_service` is every service daemon's ``main``: it parses the daemon command that
:func:`sync_daemon.daemon_command` built, checks its markers against the scope, lets the service
build what it serves (:class:`Served`) and serves it.

:func:`serve` generates the control token in-process (it never travels on a command line or in
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


class _Activity:
    """Tracks requests in flight and the time of the last one, for idle detection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight = 0
        self._started = time.monotonic()
        self._last: float | None = None

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

    def quiet_for(self, *, count_start: bool) -> float:
        """Seconds since the last request finished (0 while one is in flight). Before the first
        request: seconds since start with ``count_start``, else infinity."""
        with self._lock:
            if self._inflight:
                return 0.0
            if self._last is None:
                return time.monotonic() - self._started if count_start else float("inf")
            return time.monotonic() - self._last


class _Host:
    """State shared by the request handlers, the idle watcher and the signal handler."""

    def __init__(
        self,
        record: OwnerRecord,
        routes: Mapping[tuple[str, str], Route],
        health_extra: Callable[[], dict[str, Any]] | None,
        resolver: Resolver | None = None,
    ) -> None:
        self.record = record
        self.routes = dict(routes)
        self.resolver = resolver
        self.health_extra = health_extra
        self.activity = _Activity()
        self.started = time.monotonic()
        self.server: ThreadingHTTPServer | None = None
        self.stopping = threading.Event()

    def request_shutdown(self) -> None:
        """Stop serving (safe from any thread, including a signal handler)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        server = self.server
        if server is not None:
            threading.Thread(target=server.shutdown, daemon=True).start()

    def extra(self) -> dict[str, Any]:
        if self.health_extra is None:
            return {}
        try:
            return dict(self.health_extra())
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return {"health_extra_error": True}

    def is_idle(self, extra: Mapping[str, Any], window: float, *, count_start: bool) -> bool:
        quiet = self.activity.quiet_for(count_start=count_start)
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
        serve(
            name,
            scope,
            version=served.version,
            protocol=served.protocol,
            routes=served.routes,
            idle_seconds=args.idle_seconds,
            health_extra=served.health,
            resolver=served.resolver,
            port=args.port,
        )
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"port {args.port} is in use", file=sys.stderr, flush=True)
        return PORT_IN_USE_EXIT
    finally:
        if served.close is not None:
            served.close()
    return 0


def serve(
    spec_name: str,
    scope: Scope,
    *,
    version: str,
    protocol: int,
    routes: Mapping[tuple[str, str], Route],
    idle_seconds: float,
    health_extra: Callable[[], dict[str, Any]] | None = None,
    resolver: Resolver | None = None,
    port: int = 0,
) -> None:
    """Run service ``spec_name`` for ``scope`` in the foreground until it is retired.

    Built-in routes: ``GET /health`` (no auth, never the token) and ``POST /shutdown`` (auth).
    ``resolver`` answers paths no fixed route matches; ``port`` 0 picks a free port.
    ``idle_seconds > 0`` retires the daemon once no request other than /health arrived for that
    long and ``health_extra()`` does not report ``"busy": true``.
    """
    service_dir = scope.service_dir(spec_name)
    service_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    record_path = service_dir / "owner.json"
    host = _Host(
        _placeholder_record(spec_name, scope, version, protocol), routes, health_extra, resolver
    )
    server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(host, idle_seconds))
    server.daemon_threads = True
    host.server = server
    host.record = _final_record(host.record, server.server_address[1])
    previous = _install_sigterm(host)
    try:
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


def _placeholder_record(name: str, scope: Scope, version: str, protocol: int) -> OwnerRecord:
    pid = os.getpid()
    start_time = process_start_time(pid)
    if start_time is None:
        raise RuntimeError(f"cannot determine the start time of this process ({pid})")
    return OwnerRecord(
        service=name,
        scope_id=scope.scope_id,
        pid=pid,
        start_time=start_time,
        port=1,
        version=version,
        protocol=protocol,
        executable=sys.executable,
        started_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        token=secrets.token_urlsafe(32),
    )


def _final_record(record: OwnerRecord, port: int) -> OwnerRecord:
    data = {**record.__dict__, "port": port}
    return OwnerRecord(**data)


def _install_sigterm(host: _Host) -> Any:
    """Make SIGTERM a clean shutdown (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda _sig, _frame: host.request_shutdown())


def _watch_idle(host: _Host, idle_seconds: float) -> None:
    interval = min(0.2, idle_seconds / 4)
    while not host.stopping.wait(interval):
        if host.is_idle(host.extra(), idle_seconds, count_start=True):
            print(f"idle for {idle_seconds:g}s, retiring", file=sys.stderr, flush=True)
            host.request_shutdown()
            return


def _make_handler(host: _Host, idle_seconds: float) -> type[BaseHTTPRequestHandler]:
    idle_window = min(idle_seconds, QUIET_SECONDS) if idle_seconds > 0 else QUIET_SECONDS

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

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            if method == "GET" and path == "/health":
                self._send(200, host.health(idle_window))
                return
            with host.activity.working():
                self._answer(method, path)

        def _answer(self, method: str, path: str) -> None:
            builtin = method == "POST" and path == "/shutdown"
            route = None if builtin else host.routes.get((method, path))
            if route is None and not builtin and host.resolver is not None:
                route = host.resolver(method, path)
            if not builtin and route is None:
                self._send(404, {"error": "not found"})
                return
            if (builtin or (route is not None and route.auth)) and not host.authorized(
                self.headers.get("Authorization")
            ):
                self._send(401, {"error": "unauthorized"})
                return
            body = self._read_body()
            if body is None:
                return
            if builtin:
                self._send(200, {"ok": True, "pid": host.record.pid})
                host.request_shutdown()
                return
            assert route is not None
            self._run(route, body)

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
