"""mission-context vs spec-kitty-cli 3.2.7: the cost of resolving a mission's execution context.

Everything runs on one synthetic git repository built in a temporary directory:
a ``lanes`` mission with a lane worktree, a ``coord`` mission with its
coordination worktree, two real missions of the compat corpus copied as they
are (a lanes one, and a coord one with its coordination branch and worktree),
and ``--extra-missions`` more corpus missions so that handle lookup has
directories to scan.

1. In-process, per resolve: ours is ``resolve_action_context(cwd=..., action=...,
   mission=...)`` in this process; 3.2.7 is what ``spec-kitty agent context
   resolve`` does (``locate_project_root``, ``resolve_mission_operation_context``,
   ``resolve_mission_handle``, ``mission_runtime.resolve_action_context``) in a
   long-lived worker under 3.2.7's interpreter (``_context_worker.py``). Cases:
   each mission x {primary checkout, a subdirectory, the lane worktree, the
   coordination worktree} x {directory name, mid8}, ``implement WP01`` on the
   lanes mission from each directory, and the two real missions from the
   primary checkout. Rounds alternate ours and 3.2.7; reported: median and p90
   per call, the ratio of medians (3.2.7 / ours) and the subprocesses spawned
   per resolve (``subprocess.Popen`` is wrapped on both sides).
2. Before any timing both sides resolve every case once and must agree on the
   mission (id, mid8, slug, directory), the target and coordination branches,
   the destination ref and, for ``implement``, the lane, the execution
   workspace and the work package's status lane. Paths that depend on where
   each implementation anchors (status read dir and whether it exists, primary
   root, placement ref) are compared and reported, not enforced.
3. Fresh processes: ``python -c pass`` of both interpreters, ours as
   ``python -c "from mission_context import resolve_action_context; ..."``,
   3.2.7's four functions in a fresh process and the real CLI
   ``spec-kitty agent context resolve --action status --mission M --json``;
   medians after one discarded warm-up run, interleaved.

    python tools/bench/bench_context.py [--reps 1000] [--reference-reps 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    BenchError,
    Worker,
    _git,
    _tail_of,
    add_common_arguments,
    add_corpus_argument,
    describe_provenance,
    emit,
    ms,
    provenance,
    summarize,
    table,
)
from _context_worker import SpawnCounter
from reference_env import ensure_reference_python

CONTEXT_WORKER = BENCH_DIR / "_context_worker.py"

#: The two synthetic missions (directory name = slug, ``<slug>-<mid8>``).
LANES = ("context-unification-01KTPKST", "01KTPKSTQ3N6Y2W8R4V7B9C0DE", "Context unification")
COORD = ("status-handoff-01KTPKSV", "01KTPKSVM5H8X3Z9A2B6C4D7EF", "Status handoff")
#: Real missions of the compat corpus, copied as they are (target branch main).
REAL_LANES = "cli-interview-decision-moments-01KPWT8P"
REAL_COORD = "up-org-doctrine-consumers-01M05YAB"
#: Where the synthetic missions' event log comes from (it has a WP01).
LOG_SOURCE = "cli-autocompletion-01KW6N5G"
LOG_NAME = "status.events.jsonl"
MISSION_FILES = ("meta.json", "lanes.json", LOG_NAME)

#: Must be equal on both sides, or the run fails.
STRICT_FIELDS = (
    "mission_id",
    "mid8",
    "mission_slug",
    "mission_dir",
    "target_branch",
    "coordination_branch",
    "destination_ref",
    "lane",
    "execution_workspace",
    "wp_status_lane",
)
#: Compared and reported only: they depend on where each implementation anchors.
INFO_FIELDS = ("status_read_dir", "status_read_dir_exists", "primary_root", "placement_ref")

CWD_LABELS = {
    "primary": "primary",
    "subdir": "subdir",
    "lane-wt": "lane worktree",
    "coord-wt": "coord worktree",
}
# Variables that would point git or spec-kitty somewhere else than the synthetic repository.
SCRUBBED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CEILING_DIRECTORIES",
    "SPECIFY_REPO_ROOT",
)


# --- the synthetic repository -------------------------------------------------------------


@dataclass(frozen=True)
class Repository:
    root: Path
    cwds: dict[str, Path]
    missions: dict[str, dict[str, str]]  # kind -> {"dir", "mid8", "topology"}
    mission_count: int
    extra: list[str]
    worktrees: list[str]


def _run_git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if result.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed in {root}: {result.stderr.strip()}")
    return result.stdout.strip()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _synthetic_mission(
    specs: Path, corpus: Path, spec: tuple[str, str, str], topology: str
) -> None:
    slug, mission_id, friendly = spec
    mission = specs / slug
    (mission / "tasks").mkdir(parents=True)
    meta: dict[str, Any] = {
        "mission_id": mission_id,
        "mission_slug": slug,
        "slug": slug,
        "mission_number": None,
        "mission_type": "software-dev",
        "friendly_name": friendly,
        "target_branch": "main",
        "created_at": "2026-11-01T00:00:00+00:00",
        "flattened": topology == "lanes",
        "topology": topology,
    }
    if topology == "coord":
        meta["coordination_branch"] = f"kitty/mission-{slug}"
    _write_json(mission / "meta.json", meta)
    if topology == "lanes":
        # The fields 3.2.7's LanesManifest.from_dict requires (mission_slug, mission_branch,
        # target_branch, computed_at, computed_from), as spec-kitty finalize-tasks writes them.
        lane = {
            "lane_id": "lane-a",
            "wp_ids": ["WP01"],
            "write_scope": [],
            "predicted_surfaces": [],
            "depends_on_lanes": [],
            "parallel_group": 0,
        }
        lanes = {
            "version": 1,
            "mission_slug": slug,
            "mission_id": mission_id,
            "mission_branch": f"kitty/mission-{slug}",
            "target_branch": "main",
            "lanes": [lane],
            "computed_at": "2026-11-01T00:00:00+00:00",
            "computed_from": "dependency_graph+ownership",
            "planning_artifact_wps": [],
        }
        _write_json(mission / "lanes.json", lanes)
    (mission / "tasks" / "WP01-core.md").write_text(
        "---\nwork_package_id: WP01\n---\n\n# WP01: core\n", encoding="utf-8"
    )
    (mission / "spec.md").write_text(f"# {friendly}\n", encoding="utf-8")
    shutil.copyfile(corpus / LOG_SOURCE / LOG_NAME, mission / LOG_NAME)


def _copy_mission(corpus: Path, specs: Path, name: str) -> None:
    (specs / name).mkdir()
    for filename in MISSION_FILES:
        source = corpus / name / filename
        if source.is_file():
            shutil.copyfile(source, specs / name / filename)


def _extra_missions(corpus: Path, count: int) -> list[str]:
    """``count`` corpus missions spread over the sorted corpus (legacy NNN- and mid8 names)."""
    taken = {REAL_LANES, REAL_COORD, LOG_SOURCE}
    names = [
        path.name
        for path in sorted(corpus.iterdir())
        if path.name not in taken and (path / "meta.json").is_file()
    ]
    if count <= 0 or not names:
        return []
    step = max(1, len(names) // count)
    return names[::step][:count]


def build_repository(root: Path, corpus: Path, extra_count: int) -> Repository:
    """The synthetic repository: missions committed on main, then the worktrees."""
    for name in (REAL_LANES, REAL_COORD, LOG_SOURCE):
        if not (corpus / name / "meta.json").is_file():
            raise BenchError(f"corpus mission {name} not found under {corpus}")
    root.mkdir(parents=True)
    _run_git(root, "init", "-q", "-b", "main")
    _run_git(root, "config", "user.name", "bench-context")
    _run_git(root, "config", "user.email", "bench-context@example.invalid")
    _run_git(root, "config", "commit.gpgsign", "false")
    (root / ".gitignore").write_text(".worktrees/\n", encoding="utf-8")
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("", encoding="utf-8")
    specs = root / "kitty-specs"
    specs.mkdir()
    _synthetic_mission(specs, corpus, LANES, "lanes")
    _synthetic_mission(specs, corpus, COORD, "coord")
    extra = _extra_missions(corpus, extra_count)
    for name in (REAL_LANES, REAL_COORD, *extra):
        _copy_mission(corpus, specs, name)
    _run_git(root, "add", "-A")
    _run_git(root, "commit", "-q", "-m", "missions")

    worktrees = root / ".worktrees"
    coord_branches = {
        COORD[0]: f"kitty/mission-{COORD[0]}",
        REAL_COORD: json.loads((specs / REAL_COORD / "meta.json").read_text())[
            "coordination_branch"
        ],
    }
    for name, branch in coord_branches.items():
        _run_git(root, "branch", branch)
        _run_git(root, "worktree", "add", "-q", str(worktrees / f"{name}-coord"), branch)
    lane_branch = f"kitty/mission-{LANES[0]}-lane-a"
    lane_worktree = worktrees / f"{LANES[0]}-lane-a"
    _run_git(root, "worktree", "add", "-q", "-b", lane_branch, str(lane_worktree))

    mission_ids = [json.loads(meta.read_text())["mission_id"] for meta in specs.glob("*/meta.json")]
    missions: dict[str, dict[str, str]] = {}
    for kind, name, topology in (
        ("lanes", LANES[0], "lanes"),
        ("coord", COORD[0], "coord"),
        ("real lanes", REAL_LANES, "lanes"),
        ("real coord", REAL_COORD, "coord"),
    ):
        mid8 = json.loads((specs / name / "meta.json").read_text())["mission_id"][:8]
        if sum(mission_id.startswith(mid8) for mission_id in mission_ids) != 1:
            raise BenchError(f"mid8 {mid8} of {name} is not unique in the synthetic repository")
        missions[kind] = {"dir": name, "mid8": mid8, "topology": topology}
    return Repository(
        root=root,
        cwds={
            "primary": root,
            "subdir": root / "src" / "app",
            "lane-wt": lane_worktree,
            "coord-wt": worktrees / f"{COORD[0]}-coord",
        },
        missions=missions,
        mission_count=len(mission_ids),
        extra=extra,
        worktrees=[str(p.relative_to(root)) for p in sorted(worktrees.iterdir())],
    )


def make_cases(repo: Repository) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The timed cases, and the probe-only ones (resolved once, never timed)."""

    def case(kind: str, where: str, form: str, action: str = "status", wp: str | None = None):
        mission = repo.missions[kind]
        label = f"{kind} {action}{' ' + wp if wp else ''} / {CWD_LABELS[where]} / {form}"
        return {
            "id": label,
            "mission_kind": kind,
            "cwd_kind": where,
            "handle_form": form,
            "cwd": str(repo.cwds[where]),
            "mission": mission[form],
            "action": action,
            "wp": wp,
        }

    timed = [
        case(kind, where, form)
        for kind in ("lanes", "coord")
        for where in CWD_LABELS
        for form in ("dir", "mid8")
    ]
    timed += [case("lanes", where, "dir", "implement", "WP01") for where in CWD_LABELS]
    timed += [
        case(kind, "primary", form)
        for kind in ("real lanes", "real coord")
        for form in ("dir", "mid8")
    ]
    probe_only = [case("coord", "primary", "dir", "implement", "WP01")]
    return timed, probe_only


# --- ours -----------------------------------------------------------------------------------


def load_ours() -> tuple[Callable[[dict[str, Any]], Any], str]:
    import mission_context

    def resolve(case: dict[str, Any]) -> Any:
        return mission_context.resolve_action_context(
            cwd=case["cwd"], action=case["action"], mission=case["mission"], wp=case["wp"]
        )

    return resolve, mission_context.__version__


def describe_ours(context: Any) -> dict[str, Any]:
    wp_lane = None
    if context.wp is not None:
        state = context.status().wp(context.wp)
        wp_lane = str(getattr(state.lane, "value", state.lane))
    return {
        "mission_id": context.identity.mission_id,
        "mid8": context.identity.mid8,
        "mission_slug": context.identity.mission_slug,
        "mission_dir": context.mission_dir_name,
        "feature_dir": str(context.primary_mission_dir),
        "target_branch": context.branch_ref.target_branch,
        "coordination_branch": context.branch_ref.coordination_branch,
        "destination_ref": context.branch_ref.destination_ref.branch,
        "status_read_dir": str(context.status_surface.read_dir),
        "status_read_dir_exists": context.status_surface.read_dir.is_dir(),
        "primary_root": str(context.workspace.primary_root),
        "placement_ref": context.artifact_placement.placement_ref.branch,
        "lane": context.lane,
        "execution_workspace": (
            str(context.workspace.execution_workspace) if context.wp is not None else None
        ),
        "wp_status_lane": wp_lane,
    }


def probe_ours(
    resolve: Callable[[dict[str, Any]], Any], case: dict[str, Any], counter: SpawnCounter
) -> dict[str, Any]:
    mark = counter.mark()
    started = time.perf_counter()
    try:
        context = resolve(case)
        seconds = time.perf_counter() - started
        spawned, commands = counter.since(mark)
        result: dict[str, Any] = {"ok": True, "fields": describe_ours(context)}
    except Exception as exc:
        seconds = time.perf_counter() - started
        spawned, commands = counter.since(mark)
        code = getattr(exc, "code", None)
        result = {
            "ok": False,
            "error": {"type": type(exc).__name__, "code": code, "message": str(exc)[:600]},
        }
    result.update(seconds=seconds, spawned=spawned, commands=commands)
    return result


def time_ours(
    resolve: Callable[[dict[str, Any]], Any],
    case: dict[str, Any],
    count: int,
    counter: SpawnCounter,
    *,
    then: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    mark = counter.mark()
    times: list[float] = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        context = resolve(case)
        if then is not None:
            then(context)
        times.append(clock() - started)
    spawned, _ = counter.since(mark)
    return {"times": times, "spawned": spawned}


# --- the reference worker -------------------------------------------------------------------


class ContextWorker(Worker):
    """``_context_worker.py serve`` under 3.2.7's interpreter (``Worker``'s protocol)."""

    def __init__(self, python: Path | str) -> None:
        super().__init__(python, [], script=CONTEXT_WORKER)

    def call(self, command: str, cases: list[dict[str, Any]], **extra: Any) -> list[Any]:
        reply = self.request(json.dumps({"cmd": command, "cases": cases, **extra}))
        results: list[Any] = reply["results"]
        return results


# --- comparison -----------------------------------------------------------------------------


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Strict and informational differences between the two sides' fields for one case."""
    if not (ours["ok"] and theirs["ok"]):
        return {"comparable": False, "strict": {}, "info": {}}
    a, b = ours["fields"], theirs["fields"]
    strict = {f: [a.get(f), b.get(f)] for f in STRICT_FIELDS if a.get(f) != b.get(f)}
    info = {f: [a.get(f), b.get(f)] for f in INFO_FIELDS if a.get(f) != b.get(f)}
    return {"comparable": True, "strict": strict, "info": info}


def _describe_outcome(result: dict[str, Any]) -> str:
    if result["ok"]:
        return f"resolved {result['fields']['mission_dir']}"
    error = result["error"]
    code = f" {error['code']}" if error.get("code") else ""
    return f"{error['type']}{code}: {error['message'][:200]}"


# --- fresh processes ------------------------------------------------------------------------


def timed_run(argv: Sequence[str], cwd: Path, *, timeout: float = 300) -> tuple[float, str]:
    """Wall seconds and stdout of one fresh process; BenchError unless it exits 0."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=timeout,
            check=False,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise BenchError(
                f"{' '.join(argv)} (in {cwd}) failed (exit {result.returncode}):\n"
                f"{_tail_of(stderr)}"
            )
    return wall, result.stdout.decode("utf-8", "replace")


def fresh_processes(
    args: argparse.Namespace, repo: Repository, reference_python: Path, spec_kitty: Path
) -> dict[str, Any]:
    mission = repo.missions["lanes"]["dir"]
    primary = repo.root
    ours_code = (
        "from mission_context import resolve_action_context; "
        f"ctx = resolve_action_context(cwd={str(primary)!r}, action='status', "
        f"mission={mission!r}); "
        "print(ctx.mission_dir_name, ctx.branch_ref.target_branch)"
    )
    probes: dict[str, tuple[list[str], int, Callable[[str], bool]]] = {
        "dev_pass": ([sys.executable, "-c", "pass"], args.runs, lambda out: True),
        "ours_resolve": (
            [sys.executable, "-c", ours_code],
            args.runs,
            lambda out: out.split() == [mission, "main"],
        ),
        "reference_pass": ([str(reference_python), "-c", "pass"], args.runs, lambda out: True),
        "reference_resolve": (
            [str(reference_python), str(CONTEXT_WORKER), "once", "--cwd", str(primary),
             "--mission", mission, "--action", "status"],
            args.reference_runs,
            lambda out: json.loads(out.splitlines()[-1])["fields"]["mission_dir"] == mission,
        ),
        "reference_cli": (
            [str(spec_kitty), "agent", "context", "resolve", "--action", "status",
             "--mission", mission, "--json"],
            args.reference_runs,
            lambda out: _cli_ok(out, mission),
        ),
    }  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in probes}
    extras: dict[str, list[float]] = {"reference_resolve_import_s": []}
    for sample in range(max(args.runs, args.reference_runs) + 1):
        for name, (argv, runs, check) in probes.items():
            if sample > runs:
                continue
            wall, out = timed_run(argv, primary)
            if not check(out):
                raise BenchError(f"{' '.join(argv)} printed an unexpected result:\n{out[-2000:]}")
            if sample:  # the first run of each is a warm-up (bytecode, page cache)
                samples[name].append(wall)
                if name == "reference_resolve":
                    extras["reference_resolve_import_s"].append(
                        json.loads(out.splitlines()[-1])["import_s"]
                    )
    summaries = {name: summarize(values) for name, values in samples.items()}
    med = {name: s["median"] for name, s in summaries.items()}
    ours_overhead = med["ours_resolve"] - med["dev_pass"]
    return {
        "case": {"cwd": str(primary), "mission": mission, "action": "status"},
        "runs": args.runs,
        "reference_runs": args.reference_runs,
        "summaries": summaries,
        "raw_s": samples,
        "reference_resolve_import_s": summarize(extras["reference_resolve_import_s"]),
        "ours_overhead_s": ours_overhead,
        "reference_resolve_overhead_s": med["reference_resolve"] - med["reference_pass"],
        "reference_cli_overhead_s": med["reference_cli"] - med["reference_pass"],
        "cli_vs_ours_ratio": med["reference_cli"] / med["ours_resolve"],
        "cli_overhead_ratio": (med["reference_cli"] - med["reference_pass"]) / ours_overhead
        if ours_overhead > 0
        else math.inf,
    }


def _cli_ok(out: str, mission: str) -> bool:
    try:
        payload = json.loads(out)
    except ValueError:
        return False
    return (
        payload.get("success") is True
        and Path(payload.get("feature_dir", "")).name == mission
        and payload.get("target_branch") == "main"
    )


def cli_spawns(reference_python: Path, repo: Repository) -> dict[str, Any]:
    """One in-process run of 3.2.7's CLI ``main`` with ``subprocess.Popen`` counted."""
    mission = repo.missions["lanes"]["dir"]
    argv = [str(reference_python), str(CONTEXT_WORKER), "cli", "--cwd", str(repo.root), "--",
            "agent", "context", "resolve", "--action", "status", "--mission", mission,
            "--json"]  # fmt: skip
    _, out = timed_run(argv, repo.root)
    payload: dict[str, Any] = json.loads(out.splitlines()[-1])
    if payload["exit_code"] not in (0, None):
        raise BenchError(f"3.2.7's CLI exited {payload['exit_code']} under the spawn probe")
    return payload


# --- the benchmark --------------------------------------------------------------------------


def _p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10)[8]


def _per_call(times: list[float], spawned: int) -> dict[str, Any]:
    summary = summarize(times)
    return {
        "n": summary["n"],
        "median_us": summary["median"] * 1e6,
        "p90_us": _p90(times) * 1e6,
        "min_us": summary["min"] * 1e6,
        "p25_us": summary["p25"] * 1e6,
        "p75_us": summary["p75"] * 1e6,
        "spawned_per_call": spawned / len(times) if times else 0.0,
    }


def _scrub_environment() -> None:
    for name in SCRUBBED_ENV:
        os.environ.pop(name, None)


def run(args: argparse.Namespace) -> dict[str, Any]:
    _scrub_environment()
    corpus = Path(args.corpus)
    reference_python = Path(args.reference_python or ensure_reference_python())
    spec_kitty = reference_python.parent / "spec-kitty"
    if not spec_kitty.is_file():
        raise BenchError(f"no spec-kitty script next to {reference_python}")
    info = provenance()
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "packages/mission-context")
    info["mission_context_dirty"] = bool(dirty) if dirty is not None else None
    workdir = Path(tempfile.mkdtemp(prefix="bench-context-", dir=args.tmpdir)).resolve()
    try:
        repo = build_repository(workdir / "repo", corpus, args.extra_missions)
        result = _measure(args, repo, reference_python, spec_kitty, info)
    finally:
        if args.keep:
            print(f"[bench_context] kept the synthetic repository: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _check_agreement(
    timed: list[dict[str, Any]], ours_probe: list[dict[str, Any]], theirs_probe: list[Any]
) -> list[dict[str, Any]]:
    """Each timed case's comparison; BenchError if a side fails or a strict field differs."""
    comparisons = [compare(a, b) for a, b in zip(ours_probe, theirs_probe, strict=False)]
    failures = [
        f"{case['id']}: ours {_describe_outcome(a)}; 3.2.7 {_describe_outcome(b)}"
        for case, a, b in zip(timed, ours_probe, theirs_probe, strict=False)
        if not (a["ok"] and b["ok"])
    ]
    failures += [
        f"{case['id']}: {field}: ours {pair[0]!r} != 3.2.7 {pair[1]!r}"
        for case, comparison in zip(timed, comparisons, strict=False)
        for field, pair in comparison["strict"].items()
    ]
    if failures:
        raise BenchError("the two implementations disagree:\n" + "\n".join(failures))
    return comparisons[: len(timed)]


def _interleaved_rounds(
    args: argparse.Namespace,
    resolve: Callable[[dict[str, Any]], Any],
    reference: ContextWorker,
    timed: list[dict[str, Any]],
    extra_case: dict[str, Any],
    counter: SpawnCounter,
) -> dict[str, Any]:
    """Rounds of ours (every case, then ours + snapshot on ``extra_case``), then 3.2.7."""
    ours_n = max(1, args.reps // args.rounds)
    theirs_n = max(1, args.reference_reps // args.rounds)
    for case in timed:  # warm-up, not recorded
        time_ours(resolve, case, min(ours_n, 20), counter)
    reference.call("time", timed, n=min(theirs_n, 3))
    out: dict[str, Any] = {
        "ours_n": ours_n,
        "theirs_n": theirs_n,
        "ours": [{"times": [], "spawned": 0} for _ in timed],
        "theirs": [{"times": [], "spawned": 0} for _ in timed],
        "round_ratios": [[] for _ in timed],
        "extra": {"times": [], "spawned": 0},
    }
    for _ in range(args.rounds):
        ours_round = [time_ours(resolve, case, ours_n, counter) for case in timed]
        ours_round.append(
            time_ours(resolve, extra_case, ours_n, counter, then=lambda c: c.status().snapshot())
        )
        theirs_round = reference.call("time", timed, n=theirs_n)
        for i, (mine, theirs) in enumerate(zip(ours_round, theirs_round, strict=False)):
            out["round_ratios"][i].append(
                statistics.median(theirs["times"]) / statistics.median(mine["times"])
            )
        for totals, fresh in (
            *zip(out["ours"], ours_round, strict=False),
            *zip(out["theirs"], theirs_round, strict=True),
            (out["extra"], ours_round[-1]),
        ):
            totals["times"] += fresh["times"]
            totals["spawned"] += fresh["spawned"]
    return out


def _measure(
    args: argparse.Namespace,
    repo: Repository,
    reference_python: Path,
    spec_kitty: Path,
    info: dict[str, Any],
) -> dict[str, Any]:
    timed, probe_only = make_cases(repo)
    extra_case = next(case for case in timed if case["action"] == "implement")
    resolve, our_version = load_ours()
    counter = SpawnCounter().install()
    try:
        with ContextWorker(reference_python) as reference:
            # Resolve every case once on both sides and compare, before any timing.
            ours_probe = [probe_ours(resolve, case, counter) for case in timed + probe_only]
            theirs_probe = reference.call("probe", timed + probe_only)
            comparisons = _check_agreement(timed, ours_probe, theirs_probe)
            rounds = _interleaved_rounds(args, resolve, reference, timed, extra_case, counter)
            reference_hello = reference.hello
    finally:
        counter.uninstall()

    cases_out: list[dict[str, Any]] = []
    for i, case in enumerate(timed):
        ours_stats = _per_call(**rounds["ours"][i])
        theirs_stats = _per_call(**rounds["theirs"][i])
        for stats, probe in ((ours_stats, ours_probe[i]), (theirs_stats, theirs_probe[i])):
            stats["spawned_first_call"] = probe["spawned"]
            stats["commands_first_call"] = probe["commands"]
            stats["first_call_us"] = probe["seconds"] * 1e6
        cases_out.append(
            {
                **{k: case[k] for k in ("id", "mission_kind", "cwd_kind", "handle_form")},
                **{k: case[k] for k in ("cwd", "mission", "action", "wp")},
                "ours": ours_stats,
                "reference": theirs_stats,
                "ratio": theirs_stats["median_us"] / ours_stats["median_us"],
                "round_ratios": rounds["round_ratios"][i],
                "resolved": {
                    "ours": ours_probe[i]["fields"],
                    "reference": theirs_probe[i]["fields"],
                },
                "path_differences": comparisons[i]["info"],
            }
        )
    not_comparable = [
        {
            "id": case["id"],
            "cwd": case["cwd"],
            "mission": case["mission"],
            "action": case["action"],
            "wp": case["wp"],
            "ours": _describe_outcome(a),
            "reference": _describe_outcome(b),
        }
        for case, a, b in zip(
            probe_only, ours_probe[len(timed) :], theirs_probe[len(timed) :], strict=True
        )
    ]
    ratios = [c["ratio"] for c in cases_out]
    groups: dict[str, list[float]] = {}
    for c in cases_out:
        label = f"{c['action']}{' ' + c['wp'] if c['wp'] else ''}, {c['handle_form']} handle"
        groups.setdefault(label, []).append(c["ratio"])
    extra_stats = _per_call(**rounds["extra"])
    extra_reference = next(c for c in cases_out if c["id"] == extra_case["id"])["reference"]

    fresh = fresh_processes(args, repo, reference_python, spec_kitty)
    cli_probe = cli_spawns(reference_python, repo)
    return {
        "benchmark": "context",
        "provenance": info,
        "ours": {"version": our_version, "python": sys.executable},
        "reference": {
            "version": reference_hello["version"],
            "python": str(reference_python),
            "spec_kitty": str(spec_kitty),
            "import_s": reference_hello["import_s"],
            "spawned_at_import": reference_hello["spawned_at_import"],
        },
        "repository": {
            "root": str(repo.root),
            "missions": repo.mission_count,
            "synthetic": [LANES[0], COORD[0]],
            "real": [REAL_LANES, REAL_COORD],
            "extra": repo.extra,
            "worktrees": repo.worktrees,
            "cwds": {k: str(v.relative_to(repo.root)) or "." for k, v in repo.cwds.items()},
        },
        "settings": {
            "rounds": args.rounds,
            "reps": rounds["ours_n"] * args.rounds,
            "reference_reps": rounds["theirs_n"] * args.rounds,
        },
        "cases": cases_out,
        "not_comparable": not_comparable,
        "summary": {
            "ratio_median": statistics.median(ratios),
            "ratio_geomean": math.exp(statistics.fmean(math.log(r) for r in ratios)),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "by_group": {
                label: {
                    "cases": len(values),
                    "ratio_median": statistics.median(values),
                    "ratio_min": min(values),
                    "ratio_max": max(values),
                }
                for label, values in groups.items()
            },
            "ours_spawned_total": sum(r["spawned"] for r in rounds["ours"]),
            "ours_spawned_first_calls": sum(p["spawned"] for p in ours_probe),
            "reference_cases_spawning": [
                c["id"] for c in cases_out if c["reference"]["spawned_per_call"] > 0
            ],
            "path_difference_cases": [c["id"] for c in cases_out if c["path_differences"]],
        },
        "ours_implement_with_snapshot": {
            "case": extra_case["id"],
            **extra_stats,
            "reference_median_us": extra_reference["median_us"],
            "ratio": extra_reference["median_us"] / extra_stats["median_us"],
        },
        "fresh": fresh,
        "cli_spawn_probe": cli_probe,
    }


# --- report ---------------------------------------------------------------------------------


def _us(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _spawns(stats: dict[str, Any]) -> str:
    per_call = stats["spawned_per_call"]
    steady = f"{per_call:.0f}" if per_call == int(per_call) else f"{per_call:.2f}"
    first = stats["spawned_first_call"]
    return steady if first == per_call else f"{steady} (first {first})"


def render_report(result: dict[str, Any]) -> str:
    ours_v, ref_v = result["ours"]["version"], result["reference"]["version"]
    repo = result["repository"]
    settings = result["settings"]
    summary = result["summary"]
    lines = [
        f"mission-context {ours_v} vs spec-kitty-cli {ref_v}: resolving a mission's context",
        describe_provenance(result["provenance"])
        + (
            " (mission-context has uncommitted changes)"
            if result["provenance"].get("mission_context_dirty")
            else ""
        ),
        f"synthetic repository: {repo['missions']} missions under kitty-specs/, "
        f"worktrees {', '.join(repo['worktrees'])}",
        "",
        f"in-process, one resolve: {settings['rounds']} interleaved rounds; "
        f"{settings['reps']} calls per case (ours), {settings['reference_reps']} (3.2.7)",
    ]
    rows = []
    for case in result["cases"]:
        ours, theirs = case["ours"], case["reference"]
        rows.append(
            [
                case["id"],
                _us(ours["median_us"]),
                _us(ours["p90_us"]),
                _us(theirs["median_us"]),
                _us(theirs["p90_us"]),
                f"{case['ratio']:.1f}x",
                f"{min(case['round_ratios']):.1f}..{max(case['round_ratios']):.1f}",
                _spawns(ours),
                _spawns(theirs),
            ]
        )
    lines.append(
        table(
            rows,
            header=[
                "case (mission action / cwd / handle)",
                "ours us",
                "p90",
                "3.2.7 us",
                "p90",
                "ratio",
                "rounds",
                "spawns",
                "3.2.7 spawns",
            ],
        )
    )
    lines.append(
        f"RATIO 3.2.7/ours (median per call): median over cases {summary['ratio_median']:.1f}x, "
        f"geometric mean {summary['ratio_geomean']:.1f}x, "
        f"range {summary['ratio_min']:.1f}x .. {summary['ratio_max']:.1f}x"
    )
    for label, group in summary["by_group"].items():
        lines.append(
            f"  {label}: median {group['ratio_median']:.1f}x, "
            f"range {group['ratio_min']:.1f}x .. {group['ratio_max']:.1f}x ({group['cases']} cases)"
        )
    spawning = summary["reference_cases_spawning"]
    lines.append(
        f"subprocesses: ours {summary['ours_spawned_total']} in all timed calls "
        f"({summary['ours_spawned_first_calls']} in first calls); 3.2.7 spawns in "
        f"{len(spawning)} of {len(result['cases'])} cases"
    )
    commands = sorted(
        {cmd for c in result["cases"] for cmd in c["reference"]["commands_first_call"]}
    )
    if commands:
        lines.append(f"  3.2.7 commands: {'; '.join(commands)}")
    extra = result["ours_implement_with_snapshot"]
    lines.append(
        f"ours {extra['case']} + ctx.status().snapshot(): {_us(extra['median_us'])} us "
        f"(3.2.7's implement also reads the event log: {extra['ratio']:.1f}x)"
    )
    root = repo["root"]

    def rel(value: Any) -> str:
        if isinstance(value, str) and value.startswith(root):
            return os.path.relpath(value, root)
        return str(value)

    differences: dict[tuple[str, str, str], list[str]] = {}
    for case in result["cases"]:
        for field, (mine, theirs) in case["path_differences"].items():
            differences.setdefault((field, rel(mine), rel(theirs)), []).append(case["id"])
    if differences:
        lines += ["", "where the two differ (reported, not enforced; paths relative to the repo):"]
        for (field, mine, theirs), ids in differences.items():
            lines.append(f"  {field}: ours {mine} | 3.2.7 {theirs}")
            lines.append(f"    in {len(ids)} cases: {', '.join(ids)}")
    for item in result["not_comparable"]:
        lines.append(
            f"not comparable: {item['id']}: ours {item['ours']}; "
            f"3.2.7 {rel(item['reference']).replace(root + '/', '')}"
        )

    fresh = result["fresh"]
    s = fresh["summaries"]
    lines += [
        "",
        f"fresh processes ({fresh['case']['action']} {fresh['case']['mission']} from the primary "
        f"checkout): median of {fresh['runs']} (3.2.7 resolves: {fresh['reference_runs']}), "
        "after a warm-up run",
    ]
    rows = [
        ["python -c pass (dev)", ms(s["dev_pass"]["median"]), ""],
        [
            "ours: -c resolve_action_context",
            ms(s["ours_resolve"]["median"]),
            f"+{ms(fresh['ours_overhead_s'])}",
        ],
        ["python -c pass (3.2.7)", ms(s["reference_pass"]["median"]), ""],
        [
            "3.2.7: the four functions",
            ms(s["reference_resolve"]["median"]),
            f"+{ms(fresh['reference_resolve_overhead_s'])} "
            f"(import {ms(fresh['reference_resolve_import_s']['median'])})",
        ],
        [
            "3.2.7: spec-kitty agent context resolve",
            ms(s["reference_cli"]["median"]),
            f"+{ms(fresh['reference_cli_overhead_s'])}",
        ],
    ]
    lines.append(table(rows, header=["", "median wall", "over python -c pass"]))
    cli = result["cli_spawn_probe"]
    lines += [
        f"RATIO CLI / ours fresh: {fresh['cli_vs_ours_ratio']:.1f}x wall, "
        f"{fresh['cli_overhead_ratio']:.1f}x over python -c pass",
        f"3.2.7 CLI subprocesses (one in-process run of its main): {cli['spawned']}"
        + (f" ({'; '.join(cli['commands'])})" if cli["commands"] else ""),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="mission-context vs spec-kitty-cli 3.2.7: resolving a mission's context."
    )
    add_corpus_argument(parser, "compat corpus to copy missions from")
    parser.add_argument("--reps", type=int, default=1000, help="ours: calls per case (1000)")
    parser.add_argument(
        "--reference-reps", type=int, default=100, help="3.2.7: calls per case (100)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--runs", type=int, default=30, help="fresh-process samples: python -c pass, ours (30)"
    )
    parser.add_argument(
        "--reference-runs", type=int, default=7, help="fresh-process samples: 3.2.7 resolves (7)"
    )
    parser.add_argument(
        "--extra-missions", type=int, default=20, help="corpus missions to add (default 20)"
    )
    parser.add_argument("--tmpdir", help="where to build the synthetic repository")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic repository")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.reps, args.reference_reps, args.rounds, args.runs, args.reference_runs) < 1:
        parser.error("--reps, --reference-reps, --rounds, --runs, --reference-runs must be >= 1")
    return emit(
        "bench_context", lambda: run(args), render_report, save=args.save, as_json=args.json
    )


if __name__ == "__main__":
    sys.exit(main())
