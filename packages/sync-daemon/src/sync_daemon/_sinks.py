"""Sinks: where the outbox forwards status events.

Contract between the outbox and a sink (at-least-once delivery, idempotent receiver):

* :meth:`Sink.send` either accepts a whole batch (returns) or rejects it (raises
  :class:`SinkError`). A rejected batch is retried later, in full.
* The outbox never re-sends an event its ledger records as delivered, but a crash between a sink
  accepting a batch and the ledger row being written re-sends that batch after restart. A sink
  (or the server behind it) must therefore be idempotent on ``event_id``: an id it already holds
  is accepted again without effect. With that, every event is held exactly once per id, in
  order of first arrival.

Sinks shipped here:

* :class:`JsonlSink` (the default, works with no server): appends each event as one JSON line
  (sorted keys, fsynced) to a local file and skips ids the file already holds. It re-reads the
  lines other writers added since its last look, under a lock file next to the target, so it
  stays idempotent across processes.
* :class:`HttpSink`: POSTs ``{"events": [...]}`` to a URL; any 2xx status is success. The
  receiver is expected to deduplicate by ``event_id``. Redirects are not followed (they would
  turn the POST into a GET). Error messages name the status code or exception type only, never
  the URL or the token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from filelock import FileLock

from ._files import append_json_lines, parse_json_lines

#: Names accepted by :func:`sink_from_config` under the ``"sink"`` key.
SINK_NAMES = ("jsonl", "http")
#: File name used by the default ``jsonl`` sink inside the state directory.
DEFAULT_JSONL_NAME = "delivered.jsonl"


class SinkError(Exception):
    """A sink rejected a batch; the whole batch counts as not delivered."""


@runtime_checkable
class Sink(Protocol):
    """Destination of delivered events. ``send`` accepts a whole batch or raises ``SinkError``."""

    name: str

    def send(self, batch: Sequence[Mapping[str, Any]]) -> None:
        """Deliver ``batch`` in order, or raise :class:`SinkError` leaving it undelivered."""
        ...


# --- sinks ------------------------------------------------------------------------------------


class JsonlSink:
    """Append delivered events to a local JSON-lines file, idempotent on ``event_id``."""

    name = "jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock")
        self._known: set[str] = set()
        self._scanned_bytes = 0

    def __repr__(self) -> str:
        return f"JsonlSink({str(self.path)!r})"

    def send(self, batch: Sequence[Mapping[str, Any]]) -> None:
        """Append the events of ``batch`` whose ids the file does not hold yet, in order."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                self._scan_new_lines()
                fresh = self._unseen(batch)
                append_json_lines(self.path, fresh)
                self._known.update(str(event["event_id"]) for event in fresh)
        except OSError as exc:
            raise SinkError(f"jsonl sink: {type(exc).__name__}") from exc

    def _unseen(self, batch: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        fresh: list[Mapping[str, Any]] = []
        ids = set(self._known)
        for event in batch:
            event_id = event.get("event_id")
            if not isinstance(event_id, str):
                raise SinkError("jsonl sink: event without a string event_id")
            if event_id not in ids:
                ids.add(event_id)
                fresh.append(event)
        return fresh

    def _scan_new_lines(self) -> None:
        """Learn the ids of complete lines appended since the last scan (by any process)."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._scanned_bytes)
                chunk = handle.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._scanned_bytes += len(complete)
        # An unterminated tail is read again next time; it counts now only if it is whole.
        for record in parse_json_lines(chunk):
            event_id = record.get("event_id")
            if isinstance(event_id, str):
                self._known.add(event_id)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would silently re-issue a POST as a bodiless GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpSink:
    """POST batches as ``{"events": [...]}`` JSON to ``url``; any 2xx status means accepted."""

    name = "http"

    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("http sink url must start with http:// or https://")
        self.url = url
        self.timeout = timeout
        self._token = token
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __repr__(self) -> str:
        return "HttpSink(<url>)"

    def send(self, batch: Sequence[Mapping[str, Any]]) -> None:
        """POST ``batch``; raise :class:`SinkError` on a non-2xx status or a transport error."""
        body = json.dumps({"events": [dict(event) for event in batch]}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise SinkError(f"http sink: HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            name = type(reason).__name__ if isinstance(reason, BaseException) else "URLError"
            raise SinkError(f"http sink: {name}") from None
        except (OSError, ValueError) as exc:
            raise SinkError(f"http sink: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise SinkError(f"http sink: HTTP {status}")


def sink_from_config(config: Mapping[str, Any], *, state_dir: Path) -> Sink:
    """Build the sink described by ``config``.

    * ``{"sink": "jsonl", "path": ...}`` (also when ``"sink"`` is absent): ``path`` defaults to
      ``state_dir / "delivered.jsonl"``; a relative path is taken relative to ``state_dir``.
    * ``{"sink": "http", "url": ..., "timeout"?: seconds, "token"?: str}``.

    An unknown sink name, or an http sink without a string url, raises :class:`ValueError`.
    """
    kind = config.get("sink", "jsonl")
    if kind == "jsonl":
        path = Path(str(config.get("path") or DEFAULT_JSONL_NAME)).expanduser()
        return JsonlSink(path if path.is_absolute() else Path(state_dir) / path)
    if kind == "http":
        url = config.get("url")
        if not isinstance(url, str) or not url:
            raise ValueError("the http sink needs a 'url'")
        token = config.get("token")
        return HttpSink(
            url,
            timeout=float(config.get("timeout", 10.0)),
            token=token if isinstance(token, str) else None,
        )
    raise ValueError(f"unknown sink {kind!r}; valid sinks: {', '.join(SINK_NAMES)}")
