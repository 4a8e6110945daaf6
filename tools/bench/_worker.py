"""The benchmarks' child, under our venv (``--impl ours``) or 3.2.7's (``--impl ref``): only the
standard library and the code timed. ``python _worker.py status|context [--impl I] [--corpus DIR]
[REQUEST]`` prints a JSON hello, then answers REQUEST (``{"cmd": "pass", "n": 1}``), or each line
of stdin, with a JSON line; what the timed code prints goes to stderr. The benchmarks call
ours' ``do_*`` methods in their own process."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LOG_NAME = "status.events.jsonl"


def corpus_missions(corpus: Path) -> list[Path]:
    return sorted(path for path in corpus.iterdir() if (path / LOG_NAME).is_file())


def memory_kib() -> int:
    """This process's peak resident set (VmHWM), KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


class SpawnCounter:
    """The commands (program and first words, no paths) of every ``subprocess.Popen``."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        original = subprocess.Popen.__init__

        def counting_init(popen: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
            words = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
            shown = [Path(os.fsdecode(words[0])).name] if words else ["?"]
            shown += [w for w in map(os.fsdecode, words[1:]) if w != "-C" and "/" not in w][:4]
            self.commands.append(" ".join(shown))
            original(popen, args, *rest, **kwargs)

        subprocess.Popen.__init__ = counting_init  # type: ignore[method-assign]


class Side:
    """One implementation, loaded once; its commands are the ``do_*`` methods."""

    def __init__(self, impl: str, corpus: str | None = None) -> None:
        self.impl = impl
        self.missions = corpus_missions(Path(corpus)) if corpus else []
        started = time.perf_counter()
        version = self.load()
        self.hello = {
            "version": version,
            "import_s": time.perf_counter() - started,
            "python": sys.version.split()[0],
        }

    def load(self) -> str:
        raise NotImplementedError

    def request(self, cmd: str, **options: Any) -> Any:
        return getattr(self, f"do_{cmd}")(**options)


class Status(Side):
    """``materialize_snapshot`` + status.json rendering."""

    def load(self) -> str:
        if self.impl == "ours":
            import mission_status

            self.snapshot = mission_status.materialize_snapshot
            self.render = mission_status.render_status_json
            return mission_status.__version__
        from importlib.metadata import version

        from specify_cli.status.reducer import materialize_snapshot, materialize_to_json

        self.snapshot, self.render = materialize_snapshot, materialize_to_json
        return version("spec-kitty-cli")

    def do_pass(self, n: int) -> dict[str, Any]:
        """Wall and CPU seconds of ``n`` passes: reduce and render every mission of the corpus."""
        times, cpu_times = [], []
        for _ in range(n):
            cpu, started = time.process_time(), time.perf_counter()
            for mission in self.missions:
                self.render(self.snapshot(mission))
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        return {"times": times, "cpu_times": cpu_times}

    def do_texts(self) -> dict[str, Any]:
        return {"texts": {m.name: self.render(self.snapshot(m)) for m in self.missions}}

    def do_reduce(self, mission: str) -> dict[str, Any]:
        """One reduce of one mission: time, CPU time, peak RSS before and after."""
        baseline = memory_kib()
        cpu, started = time.process_time(), time.perf_counter()
        result = self.snapshot(Path(mission))
        reduce_s, reduce_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        peak = memory_kib()
        text = self.render(result)
        return {
            "reduce_s": reduce_s,
            "reduce_cpu_s": reduce_cpu_s,
            "baseline_kib": baseline,
            "peak_kib": peak,
            "event_count": json.loads(text)["event_count"],
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }

    def do_idset(self, mission: str) -> dict[str, Any]:
        """The control: what only remembering every event id in a set costs."""
        marker = b'"event_id": "'
        baseline = memory_kib()
        seen: set[str] = set()
        with open(Path(mission) / LOG_NAME, "rb") as log:
            for line in log:
                start = line.index(marker) + len(marker)
                seen.add(line[start : line.index(b'"', start)].decode("ascii"))
        return {"ids": len(seen), "baseline_kib": baseline, "peak_kib": memory_kib()}

    def do_tail(self, mission: str, appends: int, next_index: int) -> dict[str, Any]:
        """(ours) A LiveView after each of ``appends`` EventLog.append, against a full reduce."""
        import _synth

        from mission_status import EventLog, Lane, LiveView, StatusEvent

        path, clock = Path(mission), time.perf_counter
        log, view = EventLog(path), LiveView(path)
        started = clock()
        current = view.snapshot()
        first_s = clock() - started
        append_s, refresh_s = [], []
        for index in range(next_index, next_index + appends):
            lane = current.work_packages["WP01"].lane
            event = StatusEvent(
                event_id=_synth.event_id(index),
                mission_slug=_synth.MISSION_SLUG,
                mission_id=_synth.MISSION_ID,
                wp_id="WP01",
                from_lane=lane,
                to_lane=Lane(_synth.NEXT_LANE.get(lane.value, "planned")),
                at=_synth.timestamp(index),
                actor="bench-tail",
                force=True,
                execution_mode="worktree",
                reason="benchmark tail append",
            )
            started = clock()
            log.append(event)
            append_s.append(clock() - started)
            started = clock()
            current = view.snapshot()
            refresh_s.append(clock() - started)
        started = clock()
        full = self.snapshot(path)
        return {
            "first_snapshot_s": first_s,
            "full_reduce_s": clock() - started,
            "refresh_s": refresh_s,
            "append_median_s": statistics.median(append_s),
            "full_reduces": view.full_reduces,
            "tail_refreshes": view.tail_refreshes,
            "identical_to_full": self.render(full) == self.render(current),
        }


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        obj = getattr(obj, name, None)
    return obj


def _describe_ours(ctx: Any) -> dict[str, Any]:
    wp_lane = None
    if ctx.wp is not None:
        lane = ctx.status().wp(ctx.wp).lane
        wp_lane = str(getattr(lane, "value", lane))
    return {
        "mission_id": ctx.identity.mission_id,
        "mid8": ctx.identity.mid8,
        "mission_slug": ctx.identity.mission_slug,
        "mission_dir": ctx.mission_dir_name,
        "target_branch": ctx.branch_ref.target_branch,
        "coordination_branch": ctx.branch_ref.coordination_branch,
        "destination_ref": ctx.branch_ref.destination_ref.branch,
        "status_read_dir": str(ctx.status_surface.read_dir),
        "status_read_dir_exists": ctx.status_surface.read_dir.is_dir(),
        "primary_root": str(ctx.workspace.primary_root),
        "placement_ref": ctx.artifact_placement.placement_ref.branch,
        "lane": ctx.lane,
        "execution_workspace": str(ctx.workspace.execution_workspace) if ctx.wp else None,
        "wp_status_lane": wp_lane,
    }


def _describe_ref(ctx: Any) -> dict[str, Any]:
    flat = ctx.to_dict()
    read_dir = _get(ctx, "status_surface", "status_read_dir")
    primary_root = _get(ctx, "workspace", "primary_root")
    return {
        "mission_id": _get(ctx, "identity", "mission_id"),
        "mid8": _get(ctx, "identity", "mid8"),
        "mission_slug": _get(ctx, "identity", "mission_slug") or flat.get("mission_slug"),
        "mission_dir": Path(flat["feature_dir"]).name if flat.get("feature_dir") else None,
        "target_branch": flat.get("target_branch"),
        "coordination_branch": _get(ctx, "branch_ref", "coordination_branch"),
        "destination_ref": _get(ctx, "branch_ref", "destination_ref", "ref"),
        "status_read_dir": None if read_dir is None else str(read_dir),
        "status_read_dir_exists": read_dir is not None and Path(read_dir).is_dir(),
        "primary_root": None if primary_root is None else str(primary_root),
        "placement_ref": _get(ctx, "artifact_placement", "placement_ref", "ref"),
        "lane": flat.get("lane_id"),
        "execution_workspace": flat.get("workspace_path"),
        "wp_status_lane": flat.get("lane"),  # the work package's lane in the event log
    }


class Context(Side):
    """Resolving a mission's context. 3.2.7: what ``spec-kitty agent context resolve`` calls,
    from the case's directory (the command reads ``Path.cwd()``; the chdir is not timed)."""

    def load(self) -> str:
        self.counter = SpawnCounter()
        if self.impl == "ours":
            import mission_context

            def resolve(case: dict[str, Any]) -> Any:
                return mission_context.resolve_action_context(
                    cwd=case["cwd"], action=case["action"], mission=case["mission"], wp=case["wp"]
                )

            self.resolve, self.describe = resolve, _describe_ours
            return mission_context.__version__
        from importlib.metadata import version

        from mission_runtime import resolve_action_context
        from specify_cli.cli.selector_resolution import resolve_mission_handle
        from specify_cli.core.paths import locate_project_root
        from specify_cli.missions.operation_context import resolve_mission_operation_context

        def resolve_ref(case: dict[str, Any]) -> Any:
            repo_root = locate_project_root()
            if repo_root is None:
                raise RuntimeError("PROJECT_ROOT_UNRESOLVED: could not locate project root")
            handle = case["mission"].strip()
            operation = resolve_mission_operation_context(repo_root, handle, cwd=Path.cwd())
            anchor = operation.mission_anchor_root
            resolved = resolve_mission_handle(handle, anchor, json_mode=True)
            return resolve_action_context(
                repo_root,
                action=case["action"],
                feature=resolved.mission_slug,
                wp_id=case.get("wp"),
                agent=None,
                cwd=Path.cwd(),
                effective_root=anchor,
            )

        self.resolve, self.describe = resolve_ref, _describe_ref
        return version("spec-kitty-cli")

    def _enter(self, case: dict[str, Any]) -> int:
        if self.impl == "ref":
            os.chdir(case["cwd"])
        return len(self.counter.commands)

    def do_probe(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each case resolved once: the fields to compare (or the error), what it spawned."""
        results = []
        for case in cases:
            mark = self._enter(case)
            started = time.perf_counter()
            try:
                context = self.resolve(case)
                result: dict[str, Any] = {"seconds": time.perf_counter() - started, "ok": True}
                result["fields"] = self.describe(context)
            except (Exception, SystemExit) as exc:  # resolve_mission_handle exits on errors
                code = getattr(exc, "code", None) or getattr(exc, "error_code", None)
                code = code if isinstance(code, str | int) else None
                error = {"type": type(exc).__name__, "code": code, "message": str(exc)[:600]}
                result = {"seconds": time.perf_counter() - started, "ok": False, "error": error}
            results.append({**result, "commands": self.counter.commands[mark:]})
        return results

    def do_time(
        self, cases: list[dict[str, Any]], n: int, snapshot: bool = False
    ) -> list[dict[str, Any]]:
        """``n`` timed resolves per case (ours: ``ctx.status().snapshot()`` too if asked)."""
        results, clock = [], time.perf_counter
        for case in cases:
            mark = self._enter(case)
            times = []
            for _ in range(n):
                started = clock()
                context = self.resolve(case)
                if snapshot:
                    context.status().snapshot()
                times.append(clock() - started)
            results.append({"times": times, "spawned": len(self.counter.commands) - mark})
        return results

    def do_cli(self, cwd: str, argv: list[str]) -> dict[str, Any]:
        """(3.2.7) Its console script's ``main`` in this process; spawns since process start."""
        os.chdir(cwd)
        from specify_cli import main

        sys.argv = ["spec-kitty", *argv]
        try:
            main()
            code: Any = 0
        except SystemExit as exc:
            code = exc.code
        return {"exit_code": code, "commands": self.counter.commands}


def main() -> int:
    parser = argparse.ArgumentParser(description="child process of tools/bench")
    parser.add_argument("mode", choices=["status", "context"])
    parser.add_argument("--impl", choices=["ours", "ref"], default="ours")
    parser.add_argument("--corpus", help="directory of mission directories")
    parser.add_argument("request", nargs="?", help="one JSON request; default: serve stdin")
    args = parser.parse_intermixed_args()
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the timed code prints goes to stderr
    sys.stdout = sys.stderr
    side = {"status": Status, "context": Context}[args.mode](args.impl, args.corpus)

    out.write(json.dumps(side.hello) + "\n")
    out.flush()
    for line in [args.request] if args.request else sys.stdin:  # until stdin is closed
        try:
            request = json.loads(line)
            reply = {"result": side.request(request.pop("cmd"), **request)}
        except (Exception, SystemExit) as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"[:4000]}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
