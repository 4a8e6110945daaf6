"""Timing child of ``bench_context.py``: spec-kitty-cli 3.2.7's context resolution.

Runs under 3.2.7's interpreter (``tools/bench/reference_env.py``) and needs
only the standard library and 3.2.7 itself. One *resolve* calls, in order, the
functions the body of ``spec-kitty agent context resolve`` calls
(``specify_cli/cli/commands/agent/context.py``, ``resolve_context``):
``locate_project_root``, ``resolve_mission_operation_context``,
``resolve_mission_handle`` and ``mission_runtime.resolve_action_context``, from
the process's working directory (the command reads ``Path.cwd()``), so each
case ``os.chdir``-s to its directory before its calls (not timed).

Every ``subprocess.Popen`` is counted (:class:`SpawnCounter`), so a result says
how many subprocesses (git) a resolve spawned. Results go to stdout as one JSON
object per line; anything 3.2.7 prints goes to stderr.

Modes:

``serve``  import once, then answer JSON commands on stdin, one per line:
           ``{"cmd": "probe", "cases": [...]}`` resolves each case once (the
           fields to compare, or the error, and the commands spawned);
           ``{"cmd": "time", "cases": [...], "n": N}`` times N resolves per case;
           ``quit``.
``once``   import and resolve one case, then exit (fresh-process probe).
``cli``    run the ``spec-kitty`` console script's ``main`` in this process with
           the arguments after ``--``, counting the subprocesses it spawns.

A case is ``{"id", "cwd", "mission", "action", "wp"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _reduce_worker import Output

Resolver = Callable[[dict[str, Any]], Any]


class SpawnCounter:
    """Counts ``subprocess.Popen`` constructions (``run``, ``check_output``, ... included).

    The class's ``__init__`` is wrapped, so modules that imported ``Popen``
    directly are counted too. Keeps the first ``keep`` commands (program and
    first arguments) for the report.
    """

    def __init__(self, keep: int = 64) -> None:
        self.count = 0
        self.commands: list[str] = []
        self._keep = keep
        self._original: Any = None

    def install(self) -> SpawnCounter:
        if self._original is not None:
            return self
        original = subprocess.Popen.__init__
        counter = self

        def counting_init(popen: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
            counter.count += 1
            if len(counter.commands) < counter._keep:
                counter.commands.append(_short_command(args))
            original(popen, args, *rest, **kwargs)

        self._original = original
        subprocess.Popen.__init__ = counting_init  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            subprocess.Popen.__init__ = self._original  # type: ignore[method-assign]
            self._original = None

    def mark(self) -> tuple[int, int]:
        return self.count, len(self.commands)

    def since(self, mark: tuple[int, int]) -> tuple[int, list[str]]:
        return self.count - mark[0], self.commands[mark[1] :]


def _short_command(args: Any) -> str:
    """``git rev-parse --git-common-dir`` style: the program's name and its words, no paths."""
    if isinstance(args, str | bytes):
        words = [os.fsdecode(args)]
    else:
        words = [os.fsdecode(word) for word in args]
    if not words:
        return "?"
    shown = [Path(words[0]).name]
    for word in words[1:]:
        if word == "-C" or "/" in word:
            continue  # the directory it runs in is noise for the report
        shown.append(word)
        if len(shown) >= 5:
            break
    return " ".join(shown)


def load_reference() -> tuple[Resolver, str]:
    """A resolve function doing what ``spec-kitty agent context resolve`` does, and the version."""
    from importlib.metadata import version

    # The same function objects the command module imports (context.py's own imports).
    from mission_runtime import resolve_action_context
    from specify_cli.cli.selector_resolution import resolve_mission_handle
    from specify_cli.core.paths import locate_project_root
    from specify_cli.missions.operation_context import resolve_mission_operation_context

    def resolve(case: dict[str, Any]) -> Any:
        repo_root = locate_project_root()
        if repo_root is None:
            raise RuntimeError("PROJECT_ROOT_UNRESOLVED: could not locate project root")
        handle = case["mission"].strip()
        operation = resolve_mission_operation_context(repo_root, handle, cwd=Path.cwd())
        resolved = resolve_mission_handle(handle, operation.mission_anchor_root, json_mode=True)
        return resolve_action_context(
            repo_root,
            action=case["action"],
            feature=resolved.mission_slug,
            wp_id=case.get("wp"),
            agent=None,
            cwd=Path.cwd(),
            effective_root=operation.mission_anchor_root,
        )

    return resolve, version("spec-kitty-cli")


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def describe(context: Any) -> dict[str, Any]:
    """The fields of a 3.2.7 context that ``bench_context.py`` compares with ours."""
    flat = context.to_dict()
    dir_text = flat.get("feature_dir")  # 3.2.7's key for the mission directory
    read_dir = _get(context, "status_surface", "status_read_dir")
    return {
        "mission_id": _get(context, "identity", "mission_id"),
        "mid8": _get(context, "identity", "mid8"),
        "mission_slug": _get(context, "identity", "mission_slug") or flat.get("mission_slug"),
        "mission_dir": Path(dir_text).name if dir_text else None,
        "feature_dir": dir_text,
        "target_branch": flat.get("target_branch"),
        "coordination_branch": _get(context, "branch_ref", "coordination_branch"),
        "destination_ref": _get(context, "branch_ref", "destination_ref", "ref"),
        "status_read_dir": _text(read_dir),
        "status_read_dir_exists": read_dir is not None and Path(read_dir).is_dir(),
        "primary_root": _text(_get(context, "workspace", "primary_root")),
        "placement_ref": _get(context, "artifact_placement", "placement_ref", "ref"),
        "lane": flat.get("lane_id"),
        "execution_workspace": flat.get("workspace_path"),
        "wp_status_lane": flat.get("lane"),  # the work package's lane in the event log
    }


def _error(exc: BaseException) -> dict[str, Any]:
    code = getattr(exc, "code", None) or getattr(exc, "error_code", None)
    return {
        "type": type(exc).__name__,
        "code": code if isinstance(code, str | int) else None,
        "message": str(exc)[:600],
    }


def probe(resolve: Resolver, case: dict[str, Any], counter: SpawnCounter) -> dict[str, Any]:
    """Resolve ``case`` once: its fields (or error) and what it spawned."""
    os.chdir(case["cwd"])
    mark = counter.mark()
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"ok": True, "fields": describe(resolve(case))}
    except (Exception, SystemExit) as exc:  # SystemExit: resolve_mission_handle exits on errors
        result = {"ok": False, "error": _error(exc)}
    result["seconds"] = time.perf_counter() - started
    result["spawned"], result["commands"] = counter.since(mark)
    return result


def time_case(
    resolve: Resolver, case: dict[str, Any], count: int, counter: SpawnCounter
) -> dict[str, Any]:
    """``count`` timed resolves of ``case``: seconds per call and subprocesses spawned."""
    os.chdir(case["cwd"])
    mark = counter.mark()
    times: list[float] = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        resolve(case)
        times.append(clock() - started)
    spawned, _ = counter.since(mark)
    return {"times": times, "spawned": spawned}


def _serve(out: Output) -> None:
    counter = SpawnCounter().install()
    started = time.perf_counter()
    resolve, version = load_reference()
    import_s = time.perf_counter() - started
    out.send(
        {
            "ready": True,
            "version": version,
            "python": sys.version.split()[0],
            "import_s": import_s,
            "spawned_at_import": counter.count,
        }
    )
    for line in sys.stdin:
        text = line.strip()
        if not text or text == "quit":
            return
        try:
            request = json.loads(text)
            command = request["cmd"]
        except (ValueError, KeyError, TypeError):
            out.send({"error": f"bad request {text[:200]!r}"})
            continue
        if command == "probe":
            out.send({"results": [probe(resolve, case, counter) for case in request["cases"]]})
        elif command == "time":
            try:
                results = [
                    time_case(resolve, case, int(request["n"]), counter)
                    for case in request["cases"]
                ]
            except (Exception, SystemExit) as exc:
                out.send({"error": f"a timed resolve failed: {_error(exc)}"})
                continue
            out.send({"results": results})
        else:
            out.send({"error": f"unknown command {command!r}"})


def _once(args: argparse.Namespace, out: Output) -> None:
    started = time.perf_counter()
    resolve, version = load_reference()
    import_s = time.perf_counter() - started
    case = {"cwd": args.cwd, "mission": args.mission, "action": args.action, "wp": args.wp}
    counter = SpawnCounter().install()
    result = probe(resolve, case, counter)
    if not result["ok"]:
        raise SystemExit(f"3.2.7 could not resolve {case}: {result['error']}")
    out.send({"version": version, "import_s": import_s, **result})


def _cli(args: argparse.Namespace, out: Output) -> None:
    counter = SpawnCounter().install()
    os.chdir(args.cwd)
    from specify_cli import main

    sys.argv = ["spec-kitty", *args.cli_args]
    started = time.perf_counter()
    try:
        main()
        exit_code: Any = 0
    except SystemExit as exc:
        exit_code = exc.code
    out.send(
        {
            "exit_code": exit_code,
            "seconds": time.perf_counter() - started,
            "spawned": counter.count,
            "commands": counter.commands,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="3.2.7 context-resolution child of bench_context")
    parser.add_argument("mode", choices=["serve", "once", "cli"])
    parser.add_argument("--cwd", help="once, cli: the directory to resolve from")
    parser.add_argument("--mission", help="once: the mission handle")
    parser.add_argument("--action", default="status", help="once: the action (status)")
    parser.add_argument("--wp", help="once: the work package, for WP actions")
    argv = sys.argv[1:] if argv is None else argv
    cli_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: len(argv) - len(cli_args) - (1 if cli_args else 0)])
    args.cli_args = cli_args
    out = Output()
    if args.mode == "serve":
        _serve(out)
    elif args.mode == "once":
        _once(args, out)
    else:
        _cli(args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
