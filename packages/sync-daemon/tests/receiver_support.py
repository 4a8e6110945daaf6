"""A local HTTP sink for the outbox and service tests: fails on demand, records every event."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver(ThreadingHTTPServer):
    """Local HTTP sink: 503 for the requests numbered in ``fail``; records every event."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.fail: set[int] = set()
        self.requests = 0
        self.arrivals: list[str] = []
        self.headers_seen: list[dict[str, str]] = []
        self.mutex = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/events"

    def unique_in_order(self) -> list[str]:
        seen: dict[str, None] = {}
        for event_id in self.arrivals:
            seen.setdefault(event_id, None)
        return list(seen)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.mutex:
            self.server.requests += 1
            self.server.headers_seen.append(dict(self.headers))
            failing = self.server.requests in self.server.fail
            if not failing:
                payload = json.loads(body)
                self.server.arrivals.extend(e["event_id"] for e in payload["events"])
        self.send_response(503 if failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass
