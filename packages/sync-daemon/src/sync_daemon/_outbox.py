"""The durable outbox: a journal of queued events and a ledger of delivery outcomes.

Files in the outbox directory (both append-only JSON lines, see :mod:`sync_daemon._files`):

* ``journal.jsonl``: one ``{"seq", "event_id", "queued_at", "event"}`` object per queued event.
  An event is journaled (and fsynced) before anything is sent. ``seq`` is 1, 2, 3, ... in
  queue order; an ``event_id`` already journaled is never queued again.
* ``ledger.jsonl``: one ``{"event_id", "seq", "outcome", "at", "attempt", "sink", "error"?}``
  object per event per delivery attempt; ``outcome`` is ``"delivered"`` or ``"failed"`` and
  ``attempt`` counts the attempts for that event (1 for the first).
* ``outbox.lock``: a cross-process lock held around every append and every delivery run, so
  the daemon and a ``sync now`` in another process never send the same event concurrently.

Guarantees:

* Nothing is deleted or rewritten. An event is *delivered* when the ledger holds a
  ``"delivered"`` row for its id; it stays in the journal for ever.
* Order: pending events go out in ``seq`` order, in batches; a run stops at the first failed
  batch, so a later event is never delivered before an earlier one.
* Backoff: after ``n`` consecutive failed attempts of the oldest pending event, the next attempt
  is not before ``min(cap, base * 2 ** (n - 1))`` seconds after the last one. The state is read
  from the ledger, so it survives restarts.
* Crash safety: a torn last line (crash mid-append) is ignored on read and never breaks a later
  append.
* Delivery is at-least-once: a crash after the sink accepted a batch but before its ledger rows
  were written re-sends that batch after restart. Ids the ledger records as delivered are
  never re-sent. Sinks must be idempotent on ``event_id`` (the receiver deduplicates); together
  this yields exactly-once per id at the receiver, in order of first arrival.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from ._files import append_json_lines, held, read_json_lines
from ._sinks import Sink, SinkError

JOURNAL_NAME = "journal.jsonl"
LEDGER_NAME = "ledger.jsonl"
LOCK_NAME = "outbox.lock"
DELIVERED = "delivered"
FAILED = "failed"
#: Tolerance when comparing a clock against a due time read back from an ISO timestamp.
_CLOCK_SLACK = 1e-6


@dataclass(frozen=True)
class JournalEntry:
    """One queued event as recorded in the journal."""

    seq: int
    event_id: str
    queued_at: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class DeliveryReport:
    """Outcome of one :meth:`Outbox.deliver` run.

    ``failed`` is true when a batch was attempted in this run and rejected (``error`` then
    holds the sink's message). ``next_attempt_at`` (epoch seconds) is set when pending events
    must wait for their backoff, either after this run's failure or because an earlier failure
    has not cooled down yet (then nothing was sent).
    """

    delivered: int
    failed: bool
    error: str | None
    next_attempt_at: float | None


@dataclass
class _LedgerState:
    """What the ledger says: delivered ids and the failed rows per undelivered id."""

    delivered: set[str] = field(default_factory=set)
    failures: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    failed_rows: int = 0
    last_delivery_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None


class Outbox:
    """Durable outbox in ``directory`` (created if missing); see the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        lock_timeout: float = 60.0,
    ) -> None:
        if backoff_base <= 0 or backoff_cap < backoff_base:
            raise ValueError("need 0 < backoff_base <= backoff_cap")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.journal_path = self.directory / JOURNAL_NAME
        self.ledger_path = self.directory / LEDGER_NAME
        self._lock = FileLock(str(self.directory / LOCK_NAME), timeout=lock_timeout)

    def __repr__(self) -> str:
        return f"Outbox({str(self.directory)!r})"

    def _held(self) -> contextlib.AbstractContextManager[None]:
        return held(
            self._lock,
            code="OUTBOX_LOCK_TIMEOUT",
            next_step="Another process is delivering this outbox; retry in a moment.",
        )

    # --- queueing -----------------------------------------------------------------------------

    def enqueue(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Journal ``events`` (in order) and return how many were newly queued.

        Ids already in the journal (or repeated within ``events``) are skipped. Every event must
        carry a non-empty string ``event_id``, else :class:`ValueError` is raised and nothing is
        queued.
        """
        batch = [_checked_event(event) for event in events]
        with self._held():
            entries = self._journal()
            known = {entry.event_id for entry in entries}
            next_seq = max((entry.seq for entry in entries), default=0) + 1
            queued_at = _iso(time.time())
            rows: list[dict[str, Any]] = []
            for event in batch:
                if event["event_id"] in known:
                    continue
                known.add(event["event_id"])
                rows.append(_journal_row(next_seq + len(rows), queued_at, event))
            append_json_lines(self.journal_path, rows)
        return len(rows)

    # --- inspection ---------------------------------------------------------------------------

    def pending(self) -> list[JournalEntry]:
        """Queued events without a ``"delivered"`` ledger row, in ``seq`` order."""
        delivered = self._ledger_state().delivered
        return [entry for entry in self._journal() if entry.event_id not in delivered]

    def depth(self) -> int:
        """How many queued events are not delivered yet."""
        return len(self.pending())

    def stats(self) -> dict[str, Any]:
        """Counters for status displays.

        ``queued`` (journal entries), ``delivered``, ``pending``, ``failed_attempts`` (failed
        ledger rows, one per event per failed attempt), ``last_delivery_at`` and
        ``last_error``/``last_error_at`` (ISO, most recent failed row, or ``None``), and
        ``next_attempt_at`` (epoch seconds the oldest pending event waits for, or ``None``).
        """
        entries = self._journal()
        state = self._ledger_state()
        pending = [entry for entry in entries if entry.event_id not in state.delivered]
        return {
            "queued": len(entries),
            "delivered": len(entries) - len(pending),
            "pending": len(pending),
            "failed_attempts": state.failed_rows,
            "last_delivery_at": state.last_delivery_at,
            "last_error": state.last_error,
            "last_error_at": state.last_error_at,
            "next_attempt_at": self._due_at(pending[0], state) if pending else None,
        }

    # --- delivery -----------------------------------------------------------------------------

    def deliver(
        self,
        sink: Sink,
        *,
        batch_size: int = 100,
        now: Callable[[], float] = time.time,
    ) -> DeliveryReport:
        """Send the due pending events to ``sink`` in ``seq`` order, ``batch_size`` at a time.

        Each accepted batch gets ``"delivered"`` ledger rows; the first rejected batch gets
        ``"failed"`` rows and ends the run. Nothing is sent while the oldest pending event is
        still backing off. Holds the outbox lock throughout, so concurrent runs (threads or
        processes) deliver one after the other; waiting longer than ``lock_timeout`` raises
        :class:`ServiceError` (``OUTBOX_LOCK_TIMEOUT``). Exceptions other than
        :class:`SinkError` propagate with the current batch left undelivered.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        with self._held():
            state = self._ledger_state()
            pending = [e for e in self._journal() if e.event_id not in state.delivered]
            if not pending:
                return DeliveryReport(0, False, None, None)
            due_at = self._due_at(pending[0], state)
            if due_at is not None and now() + _CLOCK_SLACK < due_at:
                return DeliveryReport(0, False, None, due_at)
            delivered = 0
            for start in range(0, len(pending), batch_size):
                batch = pending[start : start + batch_size]
                try:
                    sink.send([entry.event for entry in batch])
                except SinkError as exc:
                    failed_at = now()
                    error = str(exc) or type(exc).__name__
                    self._append_ledger(
                        _ledger_rows(batch, state, sink, outcome=FAILED, at=failed_at, error=error)
                    )
                    attempts = len(state.failures.get(batch[0].event_id, ())) + 1
                    next_at = failed_at + self.backoff_delay(attempts)
                    return DeliveryReport(delivered, True, error, next_at)
                self._append_ledger(
                    _ledger_rows(batch, state, sink, outcome=DELIVERED, at=now(), error=None)
                )
                delivered += len(batch)
            return DeliveryReport(delivered, False, None, None)

    # --- backoff ------------------------------------------------------------------------------

    def backoff_delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures: ``min(cap, base*2**(n-1))``."""
        if failures <= 0:
            return 0.0
        exponent = min(failures - 1, 64)
        return float(min(self.backoff_cap, self.backoff_base * 2**exponent))

    def _due_at(self, head: JournalEntry, state: _LedgerState) -> float | None:
        """When ``head`` (the oldest pending event) may be attempted again; ``None``: now."""
        failures = state.failures.get(head.event_id)
        if not failures:
            return None
        last = max(_epoch(str(row["at"])) for row in failures)
        return last + self.backoff_delay(len(failures))

    # --- file access --------------------------------------------------------------------------

    def _append_ledger(self, rows: Sequence[Mapping[str, Any]]) -> None:
        append_json_lines(self.ledger_path, rows)

    def _journal(self) -> list[JournalEntry]:
        entries: dict[str, JournalEntry] = {}
        for row in read_json_lines(self.journal_path):
            entry = _entry_from_row(row)
            if entry is not None and entry.event_id not in entries:
                entries[entry.event_id] = entry
        return sorted(entries.values(), key=lambda entry: entry.seq)

    def _ledger_state(self) -> _LedgerState:
        state = _LedgerState()
        for row in read_json_lines(self.ledger_path):
            event_id, outcome, at = row.get("event_id"), row.get("outcome"), row.get("at")
            if not isinstance(event_id, str) or not isinstance(at, str) or not _valid_iso(at):
                continue
            if outcome == DELIVERED:
                state.delivered.add(event_id)
                state.last_delivery_at = at
            elif outcome == FAILED:
                state.failures.setdefault(event_id, []).append(row)
                state.failed_rows += 1
                state.last_error = str(row.get("error", "")) or None
                state.last_error_at = at
        for event_id in state.delivered:
            state.failures.pop(event_id, None)
        return state


# --- row helpers ------------------------------------------------------------------------------


def _checked_event(event: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise ValueError("events must be JSON objects (mappings)")
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise ValueError("every event needs a non-empty string 'event_id'")
    return dict(event)


def _journal_row(seq: int, queued_at: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "event_id": event["event_id"], "queued_at": queued_at, "event": event}


def _entry_from_row(row: Mapping[str, Any]) -> JournalEntry | None:
    seq, event_id, event = row.get("seq"), row.get("event_id"), row.get("event")
    if not isinstance(seq, int) or not isinstance(event_id, str) or not isinstance(event, dict):
        return None
    return JournalEntry(seq, event_id, str(row.get("queued_at", "")), event)


def _ledger_rows(
    batch: Sequence[JournalEntry],
    state: _LedgerState,
    sink: Sink,
    *,
    outcome: str,
    at: float,
    error: str | None,
) -> list[dict[str, Any]]:
    rows = []
    for entry in batch:
        row: dict[str, Any] = {
            "event_id": entry.event_id,
            "seq": entry.seq,
            "outcome": outcome,
            "at": _iso(at),
            "attempt": len(state.failures.get(entry.event_id, ())) + 1,
            "sink": sink.name,
        }
        if error is not None:
            row["error"] = error
        rows.append(row)
    return rows


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _valid_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
