"""The durable outbox and its sinks: journal, ledger, ordering, backoff, restarts, idempotency.

Includes a local HTTP receiver (ThreadingHTTPServer on 127.0.0.1:0) that fails chosen requests
with 503 and deduplicates by event_id, and a real two-process delivery race.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from receiver_support import Receiver

from sync_daemon._files import read_json_lines
from sync_daemon._outbox import DeliveryReport, Outbox
from sync_daemon._sinks import (
    HttpSink,
    JsonlSink,
    Sink,
    SinkError,
    sink_from_config,
)

T0 = 1_700_000_000.0


# --- helpers --------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: float = T0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance_to(self, when: float | None) -> None:
        assert when is not None
        self.value = max(self.value, when)


class RecordingSink:
    """In-memory sink: fails the calls whose 1-based numbers are in ``fail_calls``."""

    name = "memory"

    def __init__(self, fail_calls: Sequence[int] = ()) -> None:
        self.fail_calls = set(fail_calls)
        self.calls = 0
        self.batches: list[list[str]] = []

    def send(self, batch: Sequence[Mapping[str, Any]]) -> None:
        self.calls += 1
        if self.calls in self.fail_calls:
            raise SinkError(f"boom {self.calls}")
        self.batches.append([str(event["event_id"]) for event in batch])

    @property
    def ids(self) -> list[str]:
        return [event_id for batch in self.batches for event_id in batch]


def events(count: int, prefix: str = "ev") -> list[dict[str, Any]]:
    return [{"event_id": f"{prefix}-{i:03d}", "n": i, "kind": "status"} for i in range(count)]


def ids(count: int, prefix: str = "ev") -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(count)]


def ledger_rows(outbox: Outbox) -> list[dict[str, Any]]:
    return read_json_lines(outbox.ledger_path)


def delivered_ids(outbox: Outbox) -> list[str]:
    return [row["event_id"] for row in ledger_rows(outbox) if row["outcome"] == "delivered"]


# --- enqueue and the journal ----------------------------------------------------------------------


def test_enqueue_skips_ids_already_journaled(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)

    assert outbox.enqueue(events(2)) == 2
    assert outbox.enqueue([*events(3), {"event_id": "ev-002", "n": 99}]) == 1

    rows = read_json_lines(outbox.journal_path)
    assert [(row["seq"], row["event_id"]) for row in rows] == [
        (1, "ev-000"),
        (2, "ev-001"),
        (3, "ev-002"),
    ]
    assert rows[2]["event"] == {"event_id": "ev-002", "n": 2, "kind": "status"}
    assert all(row["queued_at"].endswith("+00:00") for row in rows)
    assert outbox.depth() == 3


@pytest.mark.parametrize("bad", [{"n": 1}, {"event_id": 7}, {"event_id": ""}])
def test_enqueue_rejects_events_without_string_id_and_queues_nothing(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    outbox = Outbox(tmp_path)

    with pytest.raises(ValueError, match="event_id"):
        outbox.enqueue([*events(2), bad])

    assert outbox.depth() == 0
    assert not outbox.journal_path.exists() or outbox.journal_path.read_bytes() == b""


def test_torn_last_line_is_ignored_and_later_appends_still_work(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue(events(2))
    with outbox.journal_path.open("ab") as handle:
        handle.write(b'{"seq": 3, "event_id": "torn", "queued_at": "20')

    assert [entry.event_id for entry in outbox.pending()] == ["ev-000", "ev-001"]
    assert outbox.enqueue([{"event_id": "after"}]) == 1

    assert [(e.seq, e.event_id) for e in outbox.pending()] == [
        (1, "ev-000"),
        (2, "ev-001"),
        (3, "after"),
    ]
    lines = outbox.journal_path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert json.loads(lines[-2])["event_id"] == "after"


def test_torn_ledger_line_is_ignored(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue(events(3))
    sink = RecordingSink()
    outbox.deliver(sink, batch_size=1)
    with outbox.ledger_path.open("ab") as handle:
        handle.write(b'{"event_id": "ev-001", "outcome": "deliv')
    outbox.enqueue(events(4))

    assert Outbox(tmp_path).stats()["delivered"] == 3
    assert Outbox(tmp_path).deliver(sink).delivered == 1
    assert delivered_ids(outbox) == ids(4)


# --- ordering and backoff -------------------------------------------------------------------------


def test_delivers_in_seq_order_in_batches(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue(events(10))
    sink = RecordingSink()

    report = outbox.deliver(sink, batch_size=3)

    assert report == DeliveryReport(10, False, None, None)
    assert sink.batches == [ids(10)[0:3], ids(10)[3:6], ids(10)[6:9], ids(10)[9:]]
    assert outbox.depth() == 0
    assert outbox.journal_path.read_text().count("\n") == 10  # nothing deleted
    assert outbox.deliver(sink) == DeliveryReport(0, False, None, None)
    assert sink.calls == 4


def test_stops_at_first_failed_batch(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue(events(9))
    sink = RecordingSink(fail_calls=[2])
    clock = FakeClock()

    report = outbox.deliver(sink, batch_size=3, now=clock)

    assert report == DeliveryReport(3, True, "boom 2", T0 + 1)
    assert sink.ids == ids(3)
    assert [e.event_id for e in outbox.pending()] == ids(9)[3:]
    failed = [row for row in ledger_rows(outbox) if row["outcome"] == "failed"]
    assert [row["event_id"] for row in failed] == ids(9)[3:6]
    assert {row["attempt"] for row in failed} == {1}
    assert {row["error"] for row in failed} == {"boom 2"}
    assert {row["sink"] for row in failed} == {"memory"}

    clock.advance_to(report.next_attempt_at)
    assert outbox.deliver(sink, batch_size=3, now=clock).delivered == 6
    assert sink.ids == ids(9)
    retried = [row for row in ledger_rows(outbox) if row["event_id"] == "ev-003"]
    assert [(row["outcome"], row["attempt"]) for row in retried] == [
        ("failed", 1),
        ("delivered", 2),
    ]


def test_backoff_is_exponential_and_capped(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, backoff_base=1.0, backoff_cap=8.0)
    outbox.enqueue(events(2))
    sink = RecordingSink(fail_calls=range(1, 100))
    clock = FakeClock()
    delays = []
    for _ in range(6):
        before = sink.calls
        report = outbox.deliver(sink, now=clock)
        assert report.failed and sink.calls == before + 1
        assert report.next_attempt_at is not None
        delays.append(report.next_attempt_at - clock.value)
        # Not due yet: nothing is sent, and the same due time is reported.
        clock.value = report.next_attempt_at - 0.5
        assert outbox.deliver(sink, now=clock) == DeliveryReport(
            0, False, None, report.next_attempt_at
        )
        assert sink.calls == before + 1
        clock.advance_to(report.next_attempt_at)

    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert outbox.backoff_delay(1) == 1.0 and outbox.backoff_delay(10) == 8.0
    assert Outbox(tmp_path).backoff_delay(7) == 60.0  # default cap


def test_success_resets_backoff_for_the_next_event(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.enqueue(events(1))
    sink = RecordingSink(fail_calls=[1, 2, 4])
    clock = FakeClock()
    clock.advance_to(outbox.deliver(sink, now=clock).next_attempt_at)
    clock.advance_to(outbox.deliver(sink, now=clock).next_attempt_at)
    assert outbox.deliver(sink, now=clock).delivered == 1

    outbox.enqueue(events(2))
    report = outbox.deliver(sink, now=clock)

    assert report.failed and report.next_attempt_at == clock.value + 1.0


def test_ledger_and_backoff_state_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    first = Outbox(tmp_path)
    first.enqueue(events(6))
    sink = RecordingSink(fail_calls=[2, 3])
    # ev-000..001 delivered, then a failure; after waiting 1 s a second failure.
    clock.advance_to(first.deliver(sink, batch_size=2, now=clock).next_attempt_at)
    assert first.deliver(sink, batch_size=2, now=clock).failed
    assert sink.calls == 3
    expected_due = clock.value + 2.0
    del first

    second = Outbox(tmp_path)  # simulated restart
    assert second.stats() == {
        "queued": 6,
        "delivered": 2,
        "pending": 4,
        "failed_attempts": 4,
        "last_delivery_at": "2023-11-14T22:13:20+00:00",
        "last_error": "boom 3",
        "last_error_at": "2023-11-14T22:13:21+00:00",
        "next_attempt_at": expected_due,
    }
    assert second.deliver(sink, now=clock) == DeliveryReport(0, False, None, expected_due)
    clock.advance_to(expected_due)
    assert second.deliver(sink, now=clock).delivered == 4
    assert sink.ids == ids(6)
    assert delivered_ids(second) == ids(6)


def test_deliver_rejects_a_zero_batch_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Outbox(tmp_path).deliver(RecordingSink(), batch_size=0)


# --- sinks ----------------------------------------------------------------------------------------


def test_jsonl_sink_is_idempotent_across_instances(tmp_path: Path) -> None:
    target = tmp_path / "out" / "delivered.jsonl"
    sink = JsonlSink(target)
    sink.send(events(2))
    sink.send(events(3))
    with target.open("ab") as handle:  # torn tail from a crash
        handle.write(b'{"event_id": "ev-0')

    JsonlSink(target).send([*events(3), {"event_id": "new", "z": 1, "a": 2}])

    rows = read_json_lines(target)
    assert [row["event_id"] for row in rows] == [*ids(3), "new"]
    assert target.read_text().splitlines()[-1] == '{"a":2,"event_id":"new","z":1}'
    assert isinstance(sink, Sink)


def test_jsonl_sink_sees_lines_written_by_another_instance(tmp_path: Path) -> None:
    target = tmp_path / "delivered.jsonl"
    first, second = JsonlSink(target), JsonlSink(target)
    first.send(events(1))
    second.send(events(2))
    first.send(events(3))

    assert [row["event_id"] for row in read_json_lines(target)] == ids(3)


def test_http_sink_posts_events_with_token(receiver: Receiver) -> None:
    HttpSink(receiver.url, token="s3cret").send(events(2))

    assert receiver.arrivals == ids(2)
    assert receiver.headers_seen[0]["Authorization"] == "Bearer s3cret"
    assert receiver.headers_seen[0]["Content-Type"] == "application/json"


def test_http_sink_errors_are_short_and_never_show_the_token(receiver: Receiver) -> None:
    receiver.fail = {1}
    sink = HttpSink(receiver.url, token="s3cret")

    with pytest.raises(SinkError) as failure:
        sink.send(events(1))

    assert str(failure.value) == "http sink: HTTP 503"
    assert "s3cret" not in repr(sink)


def test_http_sink_connection_error_is_a_sink_error(receiver: Receiver) -> None:
    url = receiver.url
    receiver.shutdown()
    receiver.server_close()

    with pytest.raises(SinkError, match=r"^http sink: \w+$") as failure:
        HttpSink(url, timeout=2.0, token="s3cret").send(events(1))
    assert "s3cret" not in str(failure.value)


def test_sink_from_config(tmp_path: Path) -> None:
    default = sink_from_config({}, state_dir=tmp_path)
    assert isinstance(default, JsonlSink) and default.path == tmp_path / "delivered.jsonl"
    explicit = sink_from_config({"sink": "jsonl", "path": "x/out.jsonl"}, state_dir=tmp_path)
    assert isinstance(explicit, JsonlSink) and explicit.path == tmp_path / "x" / "out.jsonl"
    http = sink_from_config({"sink": "http", "url": "http://127.0.0.1:9/e"}, state_dir=tmp_path)
    assert isinstance(http, HttpSink) and http.name == "http"

    with pytest.raises(ValueError, match="jsonl, http"):
        sink_from_config({"sink": "kafka"}, state_dir=tmp_path)
    with pytest.raises(ValueError, match="url"):
        sink_from_config({"sink": "http"}, state_dir=tmp_path)


# --- the end-to-end reliability scenario ----------------------------------------------------------


def test_http_delivery_survives_failures_kills_and_a_crash_before_the_ledger(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.fail = {1, 2, 3, 6}  # the first 3 requests, then one mid-way
    directory = tmp_path / "outbox"
    clock = FakeClock()
    sink = HttpSink(receiver.url, timeout=5.0)
    outbox = Outbox(directory)
    assert outbox.enqueue(events(50)) == 50

    # Three failures with 1 s, 2 s, 4 s backoff; nothing is sent before it is due.
    for expected_delay in (1.0, 2.0):
        report = outbox.deliver(sink, batch_size=7, now=clock)
        assert report.failed and report.error == "http sink: HTTP 503"
        assert report.next_attempt_at == clock.value + expected_delay
        assert outbox.deliver(sink, batch_size=7, now=clock).delivered == 0
        clock.advance_to(report.next_attempt_at)
    report = outbox.deliver(sink, batch_size=7, now=clock)
    assert report.next_attempt_at == clock.value + 4.0
    assert receiver.requests == 3

    # Kill: a fresh Outbox on the same directory keeps the backoff state.
    del outbox
    outbox = Outbox(directory)
    assert outbox.deliver(sink, batch_size=7, now=clock).next_attempt_at == clock.value + 4.0
    assert receiver.requests == 3
    clock.advance_to(report.next_attempt_at)
    report = outbox.deliver(sink, batch_size=7, now=clock)  # 2 batches, then request 6 fails
    assert (report.delivered, report.failed) == (14, True)
    assert receiver.unique_in_order() == ids(14)

    # Kill again, then crash after the sink accepted a batch but before its ledger rows.
    del outbox
    outbox = Outbox(directory)
    clock.advance_to(report.next_attempt_at)
    original = Outbox._append_ledger
    appends = {"count": 0}

    def crash_on_second_append(self: Outbox, rows: Sequence[Mapping[str, Any]]) -> None:
        appends["count"] += 1
        if appends["count"] == 2:
            raise RuntimeError("simulated crash before the ledger row")
        original(self, rows)

    monkeypatch.setattr(Outbox, "_append_ledger", crash_on_second_append)
    with pytest.raises(RuntimeError, match="simulated crash"):
        outbox.deliver(sink, batch_size=7, now=clock)
    monkeypatch.setattr(Outbox, "_append_ledger", original)
    assert receiver.unique_in_order() == ids(28)  # batch ev-021..027 arrived, unrecorded
    assert outbox.depth() == 29

    del outbox
    outbox = Outbox(directory)
    report = outbox.deliver(sink, batch_size=7, now=clock)
    assert report == DeliveryReport(29, False, None, None)

    # Every event exactly once per id after dedup, in enqueue order; the batch whose
    # ledger rows were lost was sent twice, nothing else was.
    assert receiver.unique_in_order() == ids(50)
    assert len(receiver.arrivals) == 57
    assert delivered_ids(outbox) == ids(50)
    assert len(read_json_lines(outbox.journal_path)) == 50
    requests = receiver.requests
    assert outbox.deliver(sink, batch_size=7, now=clock) == DeliveryReport(0, False, None, None)
    assert receiver.requests == requests
    assert outbox.stats()["pending"] == 0


# --- two processes --------------------------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sync_daemon._outbox import Outbox
    from sync_daemon._sinks import JsonlSink

    directory, target, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    outbox, sink = Outbox(directory), JsonlSink(target)
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    total = 0
    for _ in range(5):
        total += outbox.deliver(sink, batch_size=1).delivered
    print(total)
    """
)


def test_two_processes_delivering_at_once_deliver_each_event_once(tmp_path: Path) -> None:
    directory, target, go = tmp_path / "outbox", tmp_path / "delivered.jsonl", tmp_path / "go"
    outbox = Outbox(directory)
    outbox.enqueue(events(120))
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(directory), str(target), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert sum(int(out.strip()) for out, _ in outputs) == 120
    assert sorted(delivered_ids(outbox)) == ids(120)
    assert len(delivered_ids(outbox)) == 120
    assert [row["event_id"] for row in read_json_lines(target)] == ids(120)


_ENQUEUER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sync_daemon._outbox import Outbox

    outbox = Outbox(Path(sys.argv[1]))
    for i in range(60):
        outbox.enqueue([{"event_id": f"{sys.argv[2]}-{i}"}, {"event_id": f"shared-{i}"}])
    """
)


def test_two_processes_enqueueing_at_once_keep_seqs_unique(tmp_path: Path) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", _ENQUEUER, str(tmp_path), name])
        for name in ("a", "b")
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]

    rows = read_json_lines(tmp_path / "journal.jsonl")
    assert [row["seq"] for row in rows] == list(range(1, 181))
    assert len({row["event_id"] for row in rows}) == 180


def test_a_held_outbox_times_out_with_a_code_and_queues_nothing(tmp_path: Path) -> None:
    from sync_daemon import ServiceError

    outbox = Outbox(tmp_path / "outbox", lock_timeout=0.2)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, sys, time; l = filelock.FileLock(sys.argv[1]); l.acquire(); "
            "print('locked', flush=True); time.sleep(30)",
            str(tmp_path / "outbox" / "outbox.lock"),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        sink = JsonlSink(tmp_path / "delivered.jsonl")
        for attempt in (
            lambda: outbox.enqueue([{"event_id": "e1"}]),
            lambda: outbox.deliver(sink),
        ):
            with pytest.raises(ServiceError) as info:
                attempt()
            assert info.value.code == "OUTBOX_LOCK_TIMEOUT"
            assert info.value.next_step
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "outbox" / "journal.jsonl").exists()
    assert outbox.enqueue([{"event_id": "e1"}]) == 1
