"""spec-kitty vs spec-kitty-cli 3.2.7: CLI start-up and ``status --json``, as real processes."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

import _harness as h
from _worker import LOG_NAME

WP_COUNT = 12
GOALS = {"status": 15.0, "help": 10.0}  # ratio of medians (3.2.7 / ours) each should reach
LABELS = {"status": "status --mission M --json", "help": "--help", "pass": "python -c pass"}


def build_scenario(work: Path, corpus: Path) -> dict[str, Any]:
    """The first corpus mission (sorted) with 12 WPs, committed; 3.2.7 also needs task files."""
    for path in sorted(corpus.iterdir()):
        expected = path / "expected-status.json"
        if expected.is_file() and (path / "meta.json").is_file() and (path / LOG_NAME).is_file():
            wps = json.loads(expected.read_text(encoding="utf-8"))["work_packages"]
            if len(wps) == WP_COUNT:
                break
    else:
        raise h.BenchError(f"no mission of {corpus} has {WP_COUNT} work packages")
    root = h.new_repo(work / "repo")
    mission = h.copy_mission(path, root / "kitty-specs" / path.name)
    (mission / "tasks").mkdir()
    for wp in wps:
        (mission / "tasks" / f"{wp}.md").write_text(f"---\nwork_package_id: {wp}\n---\n")
    h.commit(root, f"mission {path.name}")
    (work / "home").mkdir()
    return {
        "root": root,
        "home": work / "home",
        "mission": path.name,
        "expected": {wp: str(state["lane"]) for wp, state in wps.items()},
        "events": sum(1 for line in (mission / LOG_NAME).read_bytes().splitlines() if line),
    }


def lanes_of(side: str, out: str, mission: str) -> dict[str, str]:
    """``{WPxx: lane}``: ours maps work packages to states, 3.2.7 lists rows with an id."""
    try:
        answer = json.loads(out)
        if answer["mission_slug"] != mission:
            raise h.BenchError(f"{side} status answered for {answer['mission_slug']!r}")
        wps = answer["work_packages"]
        if side == "ours":
            return {wp: str(state["lane"]) for wp, state in wps.items()}
        return {str(row["id"]): str(row["lane"]) for row in wps}
    except (ValueError, KeyError, TypeError) as exc:
        raise h.BenchError(
            f"{side} status --json: not the expected JSON ({exc!r}):\n{out[:2000]}"
        ) from exc


def importtime(scenario: dict[str, Any], env: dict[str, str], runs: int = 5) -> dict[str, Any]:
    """Ours under ``-X importtime``: per-module medians of the cumulative time, top 10."""
    profiles = {}
    status = ["status", "--mission", scenario["mission"], "--json"]
    for key, words in (("help", ["--help"]), ("status", status)):
        argv = [sys.executable, "-X", "importtime", "-m", "spec_kitty_cli", *words]
        modules: dict[str, list[int]] = {}
        for _ in range(runs):
            done = subprocess.run(
                argv, cwd=scenario["root"], env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise h.BenchError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
            for line in done.stderr.splitlines():
                fields = line.removeprefix("import time:").split("|")
                if line.startswith("import time:") and fields[0].strip().isdigit():
                    modules.setdefault(fields[2].rstrip(), []).append(int(fields[1]))
        top = sorted(modules.items(), key=lambda item: -statistics.median(item[1]))[:10]
        profiles[key] = {
            "command": " ".join(words),
            "modules": len(modules),
            "top_cumulative_ms": {name: statistics.median(us) / 1000 for name, us in top},
        }
    return profiles


def run(args: Any) -> dict[str, Any]:
    pythons = {"ours": Path(sys.executable), "reference": h.reference_python(args)}
    scripts = {side: python.parent / "spec-kitty" for side, python in pythons.items()}
    if not all(script.is_file() for script in scripts.values()):
        raise h.BenchError(f"no spec-kitty console script next to {list(pythons.values())}")
    info = h.provenance()
    runs = args.runs or (3 if args.quick else 15)
    with h.workdir(args, "bench-cli-") as work:
        scenario = build_scenario(work, args.corpus)
        mission, env = scenario["mission"], h.clean_env(scenario["home"])
        h.progress(f"scenario: kitty-specs/{mission} in {scenario['root']}")
        status = {"ours": ["status"], "reference": ["agent", "tasks", "status"]}
        commands = {
            side: {
                "status": [scripts[side], *status[side], "--mission", mission, "--json"],
                "help": [scripts[side], "--help"],
                "pass": [pythons[side], "-c", "pass"],
            }
            for side in pythons
        }
        boards: dict[str, set[str]] = {side: set() for side in pythons}

        def repetition(side: str) -> dict[str, tuple[float, float]]:
            times = {}
            for key, argv in commands[side].items():
                wall, cpu, out = h.fresh(argv, cwd=scenario["root"], env=env)
                if key == "status":
                    boards[side].add(json.dumps(lanes_of(side, out, mission), sort_keys=True))
                elif key == "help" and "Usage" not in out:
                    raise h.BenchError(f"{side} --help printed no usage:\n{out[:2000]}")
                times[key] = (wall, cpu)
            return times

        reps = h.interleave(
            runs,
            lambda: repetition("ours"),
            lambda: repetition("reference"),
            warmup=1,
            alternate=True,
            label="repetition",
        )
        profile = importtime(scenario, env) if args.importtime else None

    warnings = [
        f"{side} status gave {len(found)} different boards over the runs"
        for side, found in boards.items()
        if len(found) != 1
    ]
    lanes = {side: json.loads(min(found)) for side, found in boards.items()}
    expected = scenario["expected"]
    for wp in sorted(set(expected) | set(lanes["ours"]) | set(lanes["reference"])):
        found = (lanes["ours"].get(wp), lanes["reference"].get(wp), expected.get(wp))
        if len(set(found)) != 1:
            warnings.append(f"{wp}: lane ours {found[0]}, 3.2.7 {found[1]}, expected {found[2]}")

    results = h.compare_commands(reps, LABELS, GOALS)
    return {
        "benchmark": "cli",
        "provenance": info,
        "versions": {"ours": version("spec-kitty-cli"), "reference": "3.2.7"},
        "scripts": {side: str(script) for side, script in scripts.items()},
        "scenario": {
            "mission": mission,
            "work_packages": len(expected),
            "events": scenario["events"],
            "corpus": str(args.corpus),
        },
        "settings": {"runs": runs, "warmup": 1, "quick": args.quick},
        "commands": results,
        "lanes": lanes,
        "lane_counts": dict(sorted(Counter(lanes["ours"].values()).items())),
        "warnings": warnings,
        **({"importtime": profile} if profile else {}),
    }


def render(result: dict[str, Any]) -> str:
    commands, settings, scenario = result["commands"], result["settings"], result["scenario"]
    rows = []
    for key, c in commands.items():
        goal = c["goal"]
        met = "" if goal is None else f">= {goal:.0f}x {'met' if c['ratio'] >= goal else 'NOT met'}"
        rows.append(
            [LABELS[key], h.secs(c["ours"]["median"]), h.secs(c["reference"]["median"]),
             f"{c['ratio']:.1f}x", met, f"{c['cpu_ratio']:.1f}x", f"{c['min_ratio']:.1f}x",
             h.span(c["round_ratios"])]
        )  # fmt: skip
    base = {side: commands["pass"][side]["median"] for side in ("ours", "reference")}
    over_rows = []
    for key in ("status", "help"):
        over = {side: commands[key][side]["median"] - base[side] for side in base}
        ratio = f"{over['reference'] / over['ours']:.1f}x" if over["ours"] > 0 else ""
        over_rows.append(
            [LABELS[key], f"+{h.secs(over['ours'])}", f"+{h.secs(over['reference'])}", ratio,
             f"{commands[key]['ours']['median'] / base['ours']:.1f}x"]
        )  # fmt: skip
    counts = ", ".join(f"{lane} {n}" for lane, n in result["lane_counts"].items())
    lines = [
        f"spec-kitty-cli {result['versions']['ours']} vs spec-kitty-cli 3.2.7: "
        "CLI start-up and status",
        h.describe(result["provenance"]),
        f"scenario: kitty-specs/{scenario['mission']} ({scenario['work_packages']} WPs, "
        f"{scenario['events']} events) committed in a temporary git repository",
        f"{settings['runs']} runs per command and side after 1 warm-up repetition; a fresh "
        "process each; ours/3.2.7 order alternating" + (" (quick)" if settings["quick"] else ""),
        "",
        h.table(
            "command (median wall)|ours|3.2.7|ratio|goal|CPU ratio|min ratio|per-run ratios", rows
        ),
        "",
        f"over python -c pass of the same interpreter (ours {h.ms(base['ours'])}, "
        f"3.2.7 {h.ms(base['reference'])}):",
        h.table("command|ours|3.2.7|ratio|ours / python -c pass", over_rows),
        "",
        *(f"WARNING: {warning}" for warning in result["warnings"]),
    ]
    if not result["warnings"]:
        lines.append(
            f"lanes: ours, 3.2.7 and expected-status.json agree on all "
            f"{scenario['work_packages']} work packages ({counts})"
        )
    for profile in result.get("importtime", {}).values():
        top = profile["top_cumulative_ms"]
        lines += [
            "",
            f"import time of ours, {profile['command']}: {profile['modules']} modules, top 10 by "
            "cumulative ms (median of 5 runs of -X importtime)",
            h.table("module|cumulative ms", [[n, f"{v:.1f}"] for n, v in top.items()]),
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = h.parser(__doc__, corpus=True, workdir=True)
    parser.add_argument("--runs", type=int, help="runs per command and side (default 15)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 runs unless --runs")
    parser.add_argument("--importtime", action="store_true", help="also profile our imports")
    sys.exit(h.main(parser, run, render))
