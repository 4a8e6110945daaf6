"""spec-kitty vs spec-kitty-cli 3.2.7: CLI start-up and ``status --json``, as real processes.

Every sample is a fresh process of a console script, timed from the benchmark
(``subprocess.run``: wall time, and CPU time of the process and its children
from ``RUSAGE_CHILDREN``). Three commands, each on both sides:

1. ``status``: ours ``spec-kitty status --mission M --json``, 3.2.7's
   ``spec-kitty agent tasks status --mission M --json``, on a real 12-work-package
   mission of the compat corpus (the first, sorted by name, whose
   ``expected-status.json`` has 12 work packages) copied into a temporary git
   repository (``kitty-specs/M/``: ``meta.json``, ``lanes.json``,
   ``status.events.jsonl``) and committed. 3.2.7 lists only work packages that
   have a prompt file, so the scenario adds ``tasks/WPnn.md`` stubs (front matter
   ``work_package_id`` only); ours does not read them.
2. ``--help``: ``spec-kitty --help`` on both sides.
3. ``python -c pass`` of each interpreter: how much of a command is interpreter
   start-up.

One repetition runs every command on both sides; which side goes first
alternates from one repetition to the next. The first ``--warmup`` repetitions
are discarded. Reported per command: medians, the **ratio of medians (3.2.7 /
ours)** next to its goal, the CPU-time ratio, the range of per-repetition
ratios, and each side's time over its own ``python -c pass``.

Both status outputs must be JSON; the work packages' lanes of ours, of 3.2.7 and
of ``expected-status.json`` are compared, and a difference is a WARNING row and
exit status 1 (the figures are still printed).

The children run with ``HOME`` (and the XDG directories) in the temporary
directory: 3.2.7 installs its runtime and agent command files into ``~`` on
every invocation (about 7 MB on first use). ``SPEC_KITTY_NO_UPGRADE_CHECK=1``
keeps 3.2.7 off the network (its upgrade check queries PyPI).

``--importtime`` adds the top imports of ours (``python -X importtime -m
spec_kitty_cli ...`` for both commands, per-module medians).

    python tools/bench/bench_cli.py [--runs 15] [--quick] [--importtime] [--json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
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
    BenchError,
    _git,
    _tail_of,
    add_common_arguments,
    add_corpus_argument,
    describe_provenance,
    emit,
    ms,
    provenance,
    secs,
    summarize,
    table,
)
from bench_context import LOG_NAME, SCRUBBED_ENV, _copy_mission, _run_git
from reference_env import REFERENCE_VERSION, ensure_reference_python, probe

#: The scenario's mission: the first corpus mission with this many work packages.
WP_COUNT = 12
#: The ratio (3.2.7 / ours, medians) each command should reach.
GOALS = {"status": 15.0, "help": 10.0}
DEFAULT_RUNS = 15
QUICK_RUNS = 3
SIDES = ("ours", "reference")
SIDE_LABELS = {"ours": "ours", "reference": "3.2.7"}


class Side:
    """The console script and interpreter of one implementation."""

    def __init__(self, python: Path, version: str) -> None:
        self.python = python
        self.script = python.parent / "spec-kitty"
        self.version = version
        if not self.script.is_file():
            raise BenchError(f"no spec-kitty console script next to {python}")


# --- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    root: Path
    home: Path
    mission: str
    expected_lanes: dict[str, str]
    events: int


def pick_mission(corpus: Path) -> tuple[str, dict[str, str]]:
    """The first corpus mission (sorted) whose expected-status.json has ``WP_COUNT`` WPs."""
    if not corpus.is_dir():
        raise BenchError(f"compat corpus {corpus} not found")
    for path in sorted(corpus.iterdir()):
        expected = path / "expected-status.json"
        if not (expected.is_file() and (path / "meta.json").is_file()):
            continue
        if not (path / LOG_NAME).is_file():
            continue
        work_packages = json.loads(expected.read_text(encoding="utf-8"))["work_packages"]
        if len(work_packages) == WP_COUNT:
            return path.name, {wp: str(state["lane"]) for wp, state in work_packages.items()}
    raise BenchError(f"no mission of {corpus} has {WP_COUNT} work packages")


def build_scenario(workdir: Path, corpus: Path) -> Scenario:
    """A git repository with the mission committed on main; an empty HOME next to it."""
    mission, expected = pick_mission(corpus)
    root = workdir / "repo"
    root.mkdir(parents=True)
    _run_git(root, "init", "-q", "-b", "main")
    _run_git(root, "config", "user.name", "bench-cli")
    _run_git(root, "config", "user.email", "bench-cli@example.invalid")
    _run_git(root, "config", "commit.gpgsign", "false")
    specs = root / "kitty-specs"
    specs.mkdir()
    _copy_mission(corpus, specs, mission)
    tasks = specs / mission / "tasks"
    tasks.mkdir()
    for wp in sorted(expected):
        (tasks / f"{wp}.md").write_text(f"---\nwork_package_id: {wp}\n---\n", encoding="utf-8")
    _run_git(root, "add", "-A")
    _run_git(root, "commit", "-q", "-m", f"mission {mission}")
    home = workdir / "home"
    home.mkdir()
    with (specs / mission / LOG_NAME).open("rb") as log:
        events = sum(1 for line in log if line.strip())
    return Scenario(root=root, home=home, mission=mission, expected_lanes=expected, events=events)


def child_environment(home: Path) -> dict[str, str]:
    """This environment minus what points git or spec-kitty elsewhere; HOME (XDG) in ``home``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED_ENV and not name.startswith(("SPEC_KITTY_", "SPECIFY_"))
    }
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        SPEC_KITTY_NO_UPGRADE_CHECK="1",
    )
    return env


# --- the commands -----------------------------------------------------------------------------


def ours_lanes(payload: Any) -> dict[str, str]:
    """``{WPxx: lane}`` of ours: ``{mission_slug, work_packages: {WPxx: {lane, ...}}, ...}``."""
    return {wp: str(state["lane"]) for wp, state in payload["work_packages"].items()}


def reference_lanes(payload: Any) -> dict[str, str]:
    """``{WPxx: lane}`` of 3.2.7: ``{mission_slug, work_packages: [{id, lane, ...}], ...}``."""
    return {str(row["id"]): str(row["lane"]) for row in payload["work_packages"]}


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    argv: dict[str, list[str]]
    #: Checks one stdout; returns what must be equal on every run of a side (or None).
    check: Callable[[str, str], Any]


def make_commands(scenario: Scenario, sides: dict[str, Side]) -> list[Command]:
    mission = scenario.mission

    def check_status(side: str, out: str) -> Any:
        try:
            payload = json.loads(out)
            if payload["mission_slug"] != mission:
                raise BenchError(f"{side} status answered for {payload['mission_slug']!r}")
            return ours_lanes(payload) if side == "ours" else reference_lanes(payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchError(
                f"{SIDE_LABELS[side]} status --json: not the expected JSON ({exc!r}):\n{out[:2000]}"
            ) from exc

    def check_help(side: str, out: str) -> Any:
        if "Usage" not in out:
            raise BenchError(f"{SIDE_LABELS[side]} --help printed no usage:\n{out[:2000]}")
        return None

    ours, theirs = sides["ours"], sides["reference"]
    return [
        Command(
            "status",
            "status --mission M --json",
            {
                "ours": [str(ours.script), "status", "--mission", mission, "--json"],
                "reference": [
                    str(theirs.script),
                    "agent",
                    "tasks",
                    "status",
                    "--mission",
                    mission,
                    "--json",
                ],
            },
            check_status,
        ),
        Command(
            "help",
            "--help",
            {"ours": [str(ours.script), "--help"], "reference": [str(theirs.script), "--help"]},
            check_help,
        ),
        Command(
            "pass",
            "python -c pass",
            {
                "ours": [str(ours.python), "-c", "pass"],
                "reference": [str(theirs.python), "-c", "pass"],
            },
            lambda side, out: None,
        ),
    ]


# --- running ----------------------------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(
    argv: Sequence[str], cwd: Path, env: dict[str, str], *, timeout: float = 300
) -> tuple[float, float, str]:
    """Wall and CPU seconds (the process and its waited-for children) and stdout of one run."""
    with tempfile.TemporaryFile() as stderr:
        cpu_before = _children_cpu()
        started = time.perf_counter()
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=timeout,
            check=False,
        )
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        if result.returncode != 0:
            raise BenchError(
                f"{' '.join(argv)} (in {cwd}) failed (exit {result.returncode}):\n"
                f"{_tail_of(stderr)}"
            )
    return wall, cpu, result.stdout.decode("utf-8", "replace")


def _progress(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(f"[bench_cli] {message}", file=sys.stderr, flush=True)


def measure(
    args: argparse.Namespace, scenario: Scenario, commands: list[Command]
) -> dict[str, Any]:
    """Repetitions of every command on both sides, the side that goes first alternating."""
    env = child_environment(scenario.home)
    wall: dict[str, dict[str, list[float]]] = {c.key: {s: [] for s in SIDES} for c in commands}
    cpu: dict[str, dict[str, list[float]]] = {c.key: {s: [] for s in SIDES} for c in commands}
    seen: dict[str, dict[str, list[Any]]] = {c.key: {s: [] for s in SIDES} for c in commands}
    total = args.warmup + args.runs
    for rep in range(total):
        order = SIDES if rep % 2 == 0 else SIDES[::-1]
        warm = rep < args.warmup
        step = (
            f"warm-up {rep + 1}/{args.warmup}"
            if warm
            else f"run {rep + 1 - args.warmup}/{args.runs}"
        )
        _progress(args, f"{step} ({SIDE_LABELS[order[0]]} first)")
        for command in commands:
            for side in order:
                seconds, cpu_seconds, out = run_once(command.argv[side], scenario.root, env)
                answer = command.check(side, out)
                if answer not in seen[command.key][side]:
                    seen[command.key][side].append(answer)
                if not warm:
                    wall[command.key][side].append(seconds)
                    cpu[command.key][side].append(cpu_seconds)
    return {"wall": wall, "cpu": cpu, "answers": seen}


def compare_lanes(scenario: Scenario, answers: dict[str, list[Any]]) -> dict[str, Any]:
    """Ours, 3.2.7 and expected-status.json, per work package; warnings for any difference."""
    warnings: list[str] = []
    for side in SIDES:
        if len(answers[side]) != 1:
            warnings.append(
                f"{SIDE_LABELS[side]} status gave {len(answers[side])} different boards "
                "over the runs"
            )
    ours: dict[str, str] = answers["ours"][0]
    theirs: dict[str, str] = answers["reference"][0]
    expected = scenario.expected_lanes
    differences = []
    for wp in sorted(set(ours) | set(theirs) | set(expected)):
        row = {
            "wp": wp,
            "ours": ours.get(wp),
            "reference": theirs.get(wp),
            "expected": expected.get(wp),
        }
        if len({row["ours"], row["reference"], row["expected"]}) != 1:
            differences.append(row)
            warnings.append(
                f"{wp}: lane ours {row['ours']}, 3.2.7 {row['reference']}, "
                f"expected-status.json {row['expected']}"
            )
    counts: dict[str, int] = {}
    for lane in ours.values():
        counts[lane] = counts.get(lane, 0) + 1
    return {
        "agree": not warnings,
        "work_packages": len(ours),
        "lane_counts": dict(sorted(counts.items())),
        "ours": ours,
        "reference": theirs,
        "expected": expected,
        "differences": differences,
        "warnings": warnings,
    }


def summarize_command(
    command: Command, wall: dict[str, list[float]], cpu: dict[str, list[float]]
) -> dict[str, Any]:
    med = {side: statistics.median(wall[side]) for side in SIDES}
    cpu_med = {side: statistics.median(cpu[side]) for side in SIDES}
    per_run = [b / a for a, b in zip(wall["ours"], wall["reference"], strict=True)]
    goal = GOALS.get(command.key)
    ratio = med["reference"] / med["ours"]
    return {
        "label": command.label,
        "argv": {
            side: [Path(command.argv[side][0]).name, *command.argv[side][1:]] for side in SIDES
        },
        "ours": {"wall": summarize(wall["ours"]), "cpu": summarize(cpu["ours"])},
        "reference": {"wall": summarize(wall["reference"]), "cpu": summarize(cpu["reference"])},
        "ratio": ratio,
        "ratio_of_minimums": min(wall["reference"]) / min(wall["ours"]),
        "cpu_ratio": cpu_med["reference"] / cpu_med["ours"],
        "per_run_ratios": per_run,
        "goal": goal,
        "goal_met": None if goal is None else ratio >= goal,
        "raw_s": {"wall": wall, "cpu": cpu},
    }


def startup_view(commands: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each command's median over its own interpreter's ``python -c pass``."""
    base = {side: commands["pass"][side]["wall"]["median"] for side in SIDES}
    out: dict[str, Any] = {"python_pass_s": base}
    for key in ("status", "help"):
        over = {side: commands[key][side]["wall"]["median"] - base[side] for side in SIDES}
        out[key] = {
            "over_pass_s": over,
            "ratio_over_pass": over["reference"] / over["ours"] if over["ours"] > 0 else None,
            "ours_in_pass_units": commands[key]["ours"]["wall"]["median"] / base["ours"],
        }
    return out


# --- import-time profile ----------------------------------------------------------------------


def parse_importtime(text: str) -> list[tuple[str, int, int, int]]:
    """``(module, depth, self_us, cumulative_us)`` per line of ``-X importtime`` output."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2][1:]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((name.strip(), depth, int(fields[0]), int(fields[1])))
    return rows


def importtime_profile(
    args: argparse.Namespace, scenario: Scenario, top: int = 10
) -> dict[str, Any]:
    """Per-module medians over ``--importtime-runs`` runs of ours under ``-X importtime``."""
    env = child_environment(scenario.home)
    profiles: dict[str, Any] = {}
    for key, words in (
        ("help", ["--help"]),
        ("status", ["status", "--mission", scenario.mission, "--json"]),
    ):
        argv = [sys.executable, "-X", "importtime", "-m", "spec_kitty_cli", *words]
        per_module: dict[str, dict[str, Any]] = {}
        totals: list[int] = []
        for _ in range(args.importtime_runs):
            result = subprocess.run(
                argv, cwd=scenario.root, env=env, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise BenchError(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")
            rows = parse_importtime(result.stderr)
            totals.append(sum(cumulative for _, depth, _, cumulative in rows if depth == 0))
            for name, depth, self_us, cumulative in rows:
                entry = per_module.setdefault(name, {"depth": depth, "self": [], "cum": []})
                entry["self"].append(self_us)
                entry["cum"].append(cumulative)
        modules = [
            {
                "module": name,
                "depth": entry["depth"],
                "self_ms": statistics.median(entry["self"]) / 1000,
                "cumulative_ms": statistics.median(entry["cum"]) / 1000,
            }
            for name, entry in per_module.items()
        ]
        modules.sort(key=lambda m: m["cumulative_ms"], reverse=True)
        profiles[key] = {
            "argv": ["python", *argv[1:]],
            "runs": args.importtime_runs,
            "modules_imported": len(per_module),
            "total_ms": statistics.median(totals) / 1000,
            "top_cumulative": modules[:top],
            "top_self": sorted(modules, key=lambda m: m["self_ms"], reverse=True)[:top],
        }
    return profiles


# --- the benchmark ----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus = Path(args.corpus)
    if args.reference_python:
        reference_python = Path(args.reference_python)
        reference_version = probe(reference_python)
        if reference_version is None:
            raise BenchError(f"{reference_python} cannot import spec-kitty-cli's specify_cli")
    else:
        reference_python = ensure_reference_python()
        reference_version = REFERENCE_VERSION
    sides = {
        "ours": Side(Path(sys.executable), importlib.metadata.version("spec-kitty-cli")),
        "reference": Side(reference_python, reference_version),
    }
    info = provenance()
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "packages")
    info["packages_dirty"] = bool(dirty) if dirty is not None else None
    workdir = Path(tempfile.mkdtemp(prefix="bench-cli-", dir=args.tmpdir)).resolve()
    try:
        scenario = build_scenario(workdir, corpus)
        _progress(args, f"scenario: kitty-specs/{scenario.mission} in {scenario.root}")
        commands = make_commands(scenario, sides)
        measured = measure(args, scenario, commands)
        lanes = compare_lanes(scenario, measured["answers"]["status"])
        profile = importtime_profile(args, scenario) if args.importtime else None
    finally:
        if args.keep:
            print(f"[bench_cli] kept the scenario: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summaries = {
        c.key: summarize_command(c, measured["wall"][c.key], measured["cpu"][c.key])
        for c in commands
    }
    result: dict[str, Any] = {
        "benchmark": "cli",
        "provenance": info,
        "ours": {
            "version": sides["ours"].version,
            "python": str(sides["ours"].python),
            "spec_kitty": str(sides["ours"].script),
        },
        "reference": {
            "version": sides["reference"].version,
            "python": str(sides["reference"].python),
            "spec_kitty": str(sides["reference"].script),
        },
        "scenario": {
            "mission": scenario.mission,
            "work_packages": len(scenario.expected_lanes),
            "events": scenario.events,
            "corpus": str(corpus),
            "root": str(scenario.root),
            "kept": bool(args.keep),
        },
        "settings": {"runs": args.runs, "warmup": args.warmup, "quick": args.quick},
        "commands": summaries,
        "startup": startup_view(summaries),
        "lanes": lanes,
        "warnings": lanes["warnings"],
    }
    if profile is not None:
        result["importtime"] = profile
    return result


# --- report -----------------------------------------------------------------------------------


def _range(values: Sequence[float]) -> str:
    return f"{min(values):.1f}..{max(values):.1f}"


def render_report(result: dict[str, Any]) -> str:
    info = result["provenance"]
    scenario = result["scenario"]
    settings = result["settings"]
    commands = result["commands"]
    lines = [
        f"spec-kitty-cli {result['ours']['version']} vs spec-kitty-cli "
        f"{result['reference']['version']}: CLI start-up and status",
        describe_provenance(info)
        + (" (packages/ has uncommitted changes)" if info.get("packages_dirty") else ""),
        f"scenario: kitty-specs/{scenario['mission']} ({scenario['work_packages']} WPs, "
        f"{scenario['events']} events) committed in a temporary git repository",
        f"{settings['runs']} runs per command and side after {settings['warmup']} warm-up "
        f"repetition(s); a fresh process each; ours/3.2.7 order alternating"
        + (" (quick mode)" if settings["quick"] else ""),
        "",
    ]
    rows = []
    for key, stats in commands.items():
        goal = stats["goal"]
        goal_text = (
            "" if goal is None else f">= {goal:.0f}x " + ("met" if stats["goal_met"] else "NOT met")
        )
        rows.append(
            [
                stats["label"],
                secs(stats["ours"]["wall"]["median"]),
                secs(stats["reference"]["wall"]["median"]),
                f"{stats['ratio']:.1f}x",
                goal_text,
                f"{stats['cpu_ratio']:.1f}x",
                f"{stats['ratio_of_minimums']:.1f}x",
                _range(stats["per_run_ratios"]),
            ]
        )
        if key == "status" and not result["lanes"]["agree"]:
            rows.append(["  WARNING: boards differ", "", "", "", "", "", "", ""])
    lines.append(
        table(
            rows,
            header=[
                "command (median wall)",
                "ours",
                "3.2.7",
                "ratio",
                "goal",
                "CPU ratio",
                "min ratio",
                "per-run ratios",
            ],
        )
    )
    startup = result["startup"]
    base = startup["python_pass_s"]
    rows = []
    for key in ("status", "help"):
        view = startup[key]
        over = view["over_pass_s"]
        ratio = view["ratio_over_pass"]
        rows.append(
            [
                commands[key]["label"],
                f"+{secs(over['ours'])}",
                f"+{secs(over['reference'])}",
                "" if ratio is None else f"{ratio:.1f}x",
                f"{view['ours_in_pass_units']:.1f}x",
            ]
        )
    lines += [
        "",
        f"over python -c pass of the same interpreter (ours {ms(base['ours'])}, "
        f"3.2.7 {ms(base['reference'])}):",
        table(rows, header=["command", "ours", "3.2.7", "ratio", "ours / python -c pass"]),
    ]
    lanes = result["lanes"]
    lines.append("")
    if lanes["agree"]:
        counts = ", ".join(f"{lane} {n}" for lane, n in lanes["lane_counts"].items())
        lines.append(
            f"lanes: ours, 3.2.7 and expected-status.json agree on all "
            f"{lanes['work_packages']} work packages ({counts})"
        )
    else:
        lines += [f"WARNING: {warning}" for warning in lanes["warnings"]]
    for profile in result.get("importtime", {}).values():
        lines += [
            "",
            f"import time of ours, {' '.join(profile['argv'][3:])}: "
            f"{profile['total_ms']:.0f} ms in {profile['modules_imported']} modules "
            f"(median of {profile['runs']} runs of -X importtime)",
            table(
                [
                    [
                        "  " * m["depth"] + m["module"],
                        f"{m['cumulative_ms']:.1f}",
                        f"{m['self_ms']:.1f}",
                    ]
                    for m in profile["top_cumulative"]
                ],
                header=["module (by cumulative)", "cumulative ms", "self ms"],
            ),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="spec-kitty vs spec-kitty-cli 3.2.7: CLI start-up and status, "
        "as real processes."
    )
    add_corpus_argument(parser, "compat corpus to take the 12-WP mission from")
    parser.add_argument(
        "--runs", type=int, help=f"runs per command and side (default {DEFAULT_RUNS})"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smoke run: --runs {QUICK_RUNS} unless given"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="discarded repetitions first (default 1)"
    )
    parser.add_argument(
        "--importtime", action="store_true", help="also profile our imports (-X importtime)"
    )
    parser.add_argument(
        "--importtime-runs", type=int, default=5, help="-X importtime runs per command (5)"
    )
    parser.add_argument("--tmpdir", help="where to build the scenario")
    parser.add_argument("--keep", action="store_true", help="keep the scenario directory")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = QUICK_RUNS if args.quick else DEFAULT_RUNS
    if args.runs < 1 or args.warmup < 0 or args.importtime_runs < 1:
        parser.error("--runs and --importtime-runs must be >= 1, --warmup >= 0")
    produced: dict[str, Any] = {}

    def produce() -> dict[str, Any]:
        produced.update(run(args))
        return produced

    code = emit("bench_cli", produce, render_report, save=args.save, as_json=args.json)
    if code == 0 and produced["warnings"]:
        print(
            f"bench_cli: the status boards differ ({len(produced['warnings'])} warnings)",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
