"""Timing child of the benchmarks. Runs under our venv (``--impl ours``) or 3.2.7's (``ref``).

It needs only the standard library and the implementation being timed, so the
reference interpreter can run it. Results go to stdout as one JSON object per
line; anything the implementation prints is sent to stderr instead.

Modes:

``serve``   import once, then answer commands on stdin: ``pass N`` (time N
            passes over the corpus), ``texts`` (the status.json text of every
            mission), ``quit``. The timing loop runs here, so start-up and
            import are excluded from pass times (``import_s`` reports them).
``cold``    import and one pass over the corpus, then exit (cold-start probe).
``reduce``  one ``materialize_snapshot`` of one mission, with peak RSS.
``idset``   control for ``reduce``: only collect the log's event ids in a set.
``tail``    (ours) a ``LiveView`` following appends to one mission's log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

Snapshotter = Callable[[Path], Any]
Renderer = Callable[[Any], str]

LOG_NAME = "status.events.jsonl"


def corpus_missions(corpus: Path) -> list[Path]:
    """The mission directories of a corpus (those holding an event log), sorted by name."""
    return sorted(path for path in corpus.iterdir() if (path / LOG_NAME).is_file())


def load(impl: str) -> tuple[Snapshotter, Renderer, str]:
    """``(materialize_snapshot, render, version)`` of an implementation."""
    if impl == "ours":
        import mission_status

        return (
            mission_status.materialize_snapshot,
            mission_status.render_status_json,
            mission_status.__version__,
        )
    if impl == "ref":
        from importlib.metadata import version

        from specify_cli.status.reducer import materialize_snapshot, materialize_to_json

        return materialize_snapshot, materialize_to_json, version("spec-kitty-cli")
    raise SystemExit(f"unknown implementation {impl!r}")


def one_pass(snapshot: Snapshotter, render: Renderer, missions: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds to reduce and render every mission once."""
    cpu = time.process_time()
    start = time.perf_counter()
    for mission in missions:
        render(snapshot(mission))
    return time.perf_counter() - start, time.process_time() - cpu


def memory_kib() -> dict[str, int]:
    """This process's resident set now and at its peak (KiB)."""
    found: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0])
    except OSError:
        pass
    if "VmHWM" not in found:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found["VmHWM"] = peak // 1024 if sys.platform == "darwin" else peak
    return {"rss_kib": found.get("VmRSS", 0), "peak_kib": found["VmHWM"]}


class Output:
    """JSON lines to the real stdout; fd 1 itself is pointed at stderr."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self._stream: TextIO = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, payload: dict[str, Any]) -> None:
        self._stream.write(json.dumps(payload) + "\n")
        self._stream.flush()


def _serve(args: argparse.Namespace, out: Output) -> None:
    started = time.perf_counter()
    snapshot, render, version = load(args.impl)
    import_s = time.perf_counter() - started
    missions = corpus_missions(Path(args.corpus))
    out.send(
        {
            "ready": True,
            "import_s": import_s,
            "version": version,
            "python": sys.version.split()[0],
            "missions": len(missions),
        }
    )
    for command in sys.stdin:
        words = command.split()
        if not words or words[0] == "quit":
            return
        if words[0] == "pass":
            count = int(words[1]) if len(words) > 1 else 1
            samples = [one_pass(snapshot, render, missions) for _ in range(count)]
            out.send({"times": [w for w, _ in samples], "cpu_times": [c for _, c in samples]})
        elif words[0] == "texts":
            out.send({"texts": {m.name: render(snapshot(m)) for m in missions}})
        else:
            out.send({"error": f"unknown command {command.strip()!r}"})


def _cold(args: argparse.Namespace, out: Output) -> None:
    started = time.perf_counter()
    snapshot, render, version = load(args.impl)
    import_s = time.perf_counter() - started
    missions = corpus_missions(Path(args.corpus))
    pass_s, pass_cpu_s = one_pass(snapshot, render, missions)
    out.send(
        {
            "version": version,
            "import_s": import_s,
            "pass_s": pass_s,
            "pass_cpu_s": pass_cpu_s,
        }
    )


def _reduce(args: argparse.Namespace, out: Output) -> None:
    snapshot, render, version = load(args.impl)
    mission = Path(args.mission)
    before = memory_kib()
    cpu = time.process_time()
    started = time.perf_counter()
    result = snapshot(mission)
    reduce_s = time.perf_counter() - started
    reduce_cpu_s = time.process_time() - cpu
    after = memory_kib()
    started = time.perf_counter()
    text = render(result)
    render_s = time.perf_counter() - started
    out.send(
        {
            "version": version,
            "reduce_s": reduce_s,
            "reduce_cpu_s": reduce_cpu_s,
            "render_s": render_s,
            "baseline_kib": before["peak_kib"],
            "peak_kib": after["peak_kib"],
            "event_count": json.loads(text)["event_count"],
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
    )


def _idset(args: argparse.Namespace, out: Output) -> None:
    """What remembering every event id costs, with no reducer around it."""
    marker = b'"event_id": "'
    before = memory_kib()
    seen: set[str] = set()
    with open(Path(args.mission) / LOG_NAME, "rb") as log:
        for line in log:
            start = line.index(marker) + len(marker)
            seen.add(line[start : line.index(b'"', start)].decode("ascii"))
    after = memory_kib()
    out.send(
        {
            "ids": len(seen),
            "baseline_kib": before["peak_kib"],
            "peak_kib": after["peak_kib"],
        }
    )


def _tail(args: argparse.Namespace, out: Output) -> None:
    import _synth

    from mission_status import (
        EventLog,
        Lane,
        LiveView,
        StatusEvent,
        materialize_snapshot,
        render_status_json,
    )

    mission = Path(args.mission)
    log = EventLog(mission)
    view = LiveView(mission)
    started = time.perf_counter()
    current = view.snapshot()
    first_s = time.perf_counter() - started
    append_times: list[float] = []
    refresh_times: list[float] = []
    for step in range(args.appends):
        index = args.next_index + step
        lane = current.work_packages[args.wp].lane
        event = StatusEvent(
            event_id=_synth.event_id(index),
            mission_slug=_synth.MISSION_SLUG,
            mission_id=_synth.MISSION_ID,
            wp_id=args.wp,
            from_lane=lane,
            to_lane=Lane(_synth.NEXT_LANE.get(lane.value, "planned")),
            at=_synth.timestamp(index),
            actor="bench-tail",
            force=True,
            execution_mode="worktree",
            reason="benchmark tail append",
        )
        started = time.perf_counter()
        log.append(event)
        append_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        current = view.snapshot()
        refresh_times.append(time.perf_counter() - started)
    started = time.perf_counter()
    full = materialize_snapshot(mission)
    full_s = time.perf_counter() - started
    identical = render_status_json(full) == render_status_json(current)
    out.send(
        {
            "first_snapshot_s": first_s,
            "full_reduce_s": full_s,
            "tail_refresh_s": refresh_times,
            "tail_refresh_median_s": statistics.median(refresh_times),
            "append_median_s": statistics.median(append_times),
            "full_reduces": view.full_reduces,
            "tail_refreshes": view.tail_refreshes,
            "identical_to_full": identical,
            "event_count": full.event_count,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="timing child of tools/bench")
    parser.add_argument("mode", choices=["serve", "cold", "reduce", "idset", "tail"])
    parser.add_argument("--impl", choices=["ours", "ref"], default="ours")
    parser.add_argument("--corpus", help="directory of mission directories (serve, cold)")
    parser.add_argument("--mission", help="one mission directory (reduce, idset, tail)")
    parser.add_argument("--appends", type=int, default=15, help="tail: appends to time")
    parser.add_argument("--next-index", type=int, default=0, help="tail: row index to append")
    parser.add_argument("--wp", default="WP01", help="tail: work package to move")
    args = parser.parse_args(argv)
    out = Output()
    modes = {"serve": _serve, "cold": _cold, "reduce": _reduce, "idset": _idset, "tail": _tail}
    modes[args.mode](args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
