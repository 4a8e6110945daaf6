"""mission-context vs spec-kitty-cli 3.2.7: the cost of resolving a mission's execution context."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import _harness as h
from _worker import LOG_NAME, Context

#: The synthetic missions: directory name (= slug), mission id, friendly name.
LANES = ("context-unification-01KTPKST", "01KTPKSTQ3N6Y2W8R4V7B9C0DE", "Context unification")
COORD = ("status-handoff-01KTPKSV", "01KTPKSVM5H8X3Z9A2B6C4D7EF", "Status handoff")
#: Real corpus missions copied as they are, and the event log the synthetic ones get.
REAL_LANES = "cli-interview-decision-moments-01KPWT8P"
REAL_COORD = "up-org-doctrine-consumers-01M05YAB"
LOG_SOURCE = "cli-autocompletion-01KW6N5G"
#: Must be equal on both sides, or the run fails.
STRICT_FIELDS = (
    *("mission_id", "mid8", "mission_slug", "mission_dir", "target_branch"),
    *("coordination_branch", "destination_ref", "lane", "execution_workspace", "wp_status_lane"),
)
#: Reported only: they depend on where each implementation anchors.
INFO_FIELDS = ("status_read_dir", "status_read_dir_exists", "primary_root", "placement_ref")
CWDS = dict(primary="primary", subdir="subdir", lane="lane worktree", coord="coord worktree")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _synthetic(specs: Path, corpus: Path, spec: tuple[str, str, str], topology: str) -> None:
    slug, mission_id, friendly = spec
    mission = specs / slug
    (mission / "tasks").mkdir(parents=True)
    meta = {
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
    if topology == "lanes":  # with the fields 3.2.7's LanesManifest requires
        lane = {"lane_id": "lane-a", "wp_ids": ["WP01"], "write_scope": [],
                "predicted_surfaces": [], "depends_on_lanes": [], "parallel_group": 0}  # fmt: skip
        _write_json(
            mission / "lanes.json",
            {"version": 1, "mission_slug": slug, "mission_id": mission_id,
             "mission_branch": f"kitty/mission-{slug}", "target_branch": "main",
             "lanes": [lane], "computed_at": "2026-11-01T00:00:00+00:00",
             "computed_from": "dependency_graph+ownership", "planning_artifact_wps": []},
        )  # fmt: skip
    (mission / "tasks" / "WP01-core.md").write_text(
        "---\nwork_package_id: WP01\n---\n\n# WP01: core\n", encoding="utf-8"
    )
    (mission / "spec.md").write_text(f"# {friendly}\n", encoding="utf-8")
    shutil.copyfile(corpus / LOG_SOURCE / LOG_NAME, mission / LOG_NAME)


def build_repository(root: Path, corpus: Path, extra_count: int) -> dict[str, Any]:
    """The missions committed on main, then the coordination and lane worktrees."""
    for name in (REAL_LANES, REAL_COORD, LOG_SOURCE):
        if not (corpus / name / "meta.json").is_file():
            raise h.BenchError(f"corpus mission {name} not found under {corpus}")
    h.new_repo(root)
    (root / ".gitignore").write_text(".worktrees/\n")
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("")
    specs = root / "kitty-specs"
    _synthetic(specs, corpus, LANES, "lanes")
    _synthetic(specs, corpus, COORD, "coord")
    taken = {REAL_LANES, REAL_COORD, LOG_SOURCE}
    names = [p.name for p in sorted(corpus.iterdir()) if (p / "meta.json").is_file()]
    names = [name for name in names if name not in taken]
    extra = names[:: max(1, len(names) // extra_count)][:extra_count] if extra_count > 0 else []
    for name in (REAL_LANES, REAL_COORD, *extra):
        h.copy_mission(corpus / name, specs / name)
    h.commit(root, "missions")

    def meta(name: str) -> dict[str, Any]:
        return json.loads((specs / name / "meta.json").read_text())

    worktrees = root / ".worktrees"
    for name in (COORD[0], REAL_COORD):
        branch = meta(name)["coordination_branch"]
        h.git(root, "branch", branch)
        h.git(root, "worktree", "add", "-q", str(worktrees / f"{name}-coord"), branch)
    lane_worktree = worktrees / f"{LANES[0]}-lane-a"
    lane_branch = f"kitty/mission-{LANES[0]}-lane-a"
    h.git(root, "worktree", "add", "-q", "-b", lane_branch, str(lane_worktree))
    ids = [json.loads(path.read_text())["mission_id"] for path in specs.glob("*/meta.json")]
    missions = {}
    for kind, name in (("lanes", LANES[0]), ("coord", COORD[0]), ("real lanes", REAL_LANES),
                       ("real coord", REAL_COORD)):  # fmt: skip
        mid8 = meta(name)["mission_id"][:8]
        if sum(mission_id.startswith(mid8) for mission_id in ids) != 1:
            raise h.BenchError(f"mid8 {mid8} of {name} is not unique in the synthetic repository")
        missions[kind] = {"dir": name, "mid8": mid8}
    cwds = {"primary": root, "subdir": root / "src" / "app", "lane": lane_worktree,
            "coord": worktrees / f"{COORD[0]}-coord"}  # fmt: skip
    return {
        "root": str(root),
        "cwds": {k: str(v) for k, v in cwds.items()},
        "missions": missions,
        "count": len(ids),
        "extra": extra,
        "worktrees": [str(p.relative_to(root)) for p in sorted(worktrees.iterdir())],
    }


def make_cases(repo: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The timed cases, and those resolved once but never timed."""

    def case(kind: str, where: str, form: str, action: str = "status", wp: str | None = None):
        label = f"{kind} {action}{' ' + wp if wp else ''} / {CWDS[where]} / {form}"
        return {"id": label, "form": form, "cwd": repo["cwds"][where],
                "mission": repo["missions"][kind][form], "action": action, "wp": wp}  # fmt: skip

    timed = [case(kind, where, form) for kind in ("lanes", "coord") for where in CWDS
             for form in ("dir", "mid8")]  # fmt: skip
    timed += [case("lanes", where, "dir", "implement", "WP01") for where in CWDS]
    timed += [case(kind, "primary", form) for kind in ("real lanes", "real coord")
              for form in ("dir", "mid8")]  # fmt: skip
    return timed, [case("coord", "primary", "dir", "implement", "WP01")]


def outcome(result: dict[str, Any]) -> str:
    if result["ok"]:
        return f"resolved {result['fields']['mission_dir']}"
    error = result["error"]
    code = f" {error['code']}" if error["code"] else ""
    return f"{error['type']}{code}: {error['message'][:200]}"


def check_agreement(cases: list[dict], ours: list[dict], ref: list[dict]) -> list[dict[str, Any]]:
    """Each case's reported (informational) differences; BenchError on a strict one."""
    failures, info = [], []
    for case, a, b in zip(cases, ours, ref, strict=False):
        if not (a["ok"] and b["ok"]):
            failures.append(f"{case['id']}: ours {outcome(a)}; 3.2.7 {outcome(b)}")
            continue
        x, y = a["fields"], b["fields"]
        for f in (f for f in STRICT_FIELDS if x[f] != y[f]):
            failures.append(f"{case['id']}: {f}: ours {x[f]!r} != 3.2.7 {y[f]!r}")
        info.append({f: [x[f], y[f]] for f in INFO_FIELDS if x[f] != y[f]})
    if failures:
        raise h.BenchError("the two implementations disagree:\n" + "\n".join(failures))
    return info


def fresh_processes(args: Any, repo: dict[str, Any], ref_python: Path) -> dict[str, Any]:
    """Interleaved fresh processes, median after one discarded warm-up run of each."""
    mission, primary = repo["missions"]["lanes"]["dir"], repo["root"]
    case = {"cwd": primary, "mission": mission, "action": "status", "wp": None}
    ours_code = (
        "from mission_context import resolve_action_context; "
        f"ctx = resolve_action_context(cwd={primary!r}, action='status', mission={mission!r}); "
        "print(ctx.mission_dir_name, ctx.branch_ref.target_branch)"
    )
    cli = [ref_python.parent / "spec-kitty", "agent", "context", "resolve", "--action", "status",
           "--mission", mission, "--json"]  # fmt: skip

    request = json.dumps({"cmd": "probe", "cases": [case]})
    once = [ref_python, h.WORKER, "context", "--impl", "ref", request]

    def ours_ok(out: str) -> bool:
        return out.split() == [mission, "main"]

    def cli_ok(out: str) -> bool:
        with contextlib.suppress(ValueError):
            answer = json.loads(out)
            dir_name = Path(answer.get("feature_dir", "")).name
            found = (answer.get("success"), dir_name, answer.get("target_branch"))
            return found == (True, mission, "main")
        return False

    def once_ok(out: str) -> bool:
        hello, reply = (json.loads(line) for line in out.splitlines()[-2:])
        imports.append(hello["import_s"])
        found = reply["result"][0]
        return found["ok"] and found["fields"]["mission_dir"] == mission

    probes = {
        "dev_pass": ([sys.executable, "-c", "pass"], args.runs, None),
        "ours_resolve": ([sys.executable, "-c", ours_code], args.runs, ours_ok),
        "reference_pass": ([ref_python, "-c", "pass"], args.runs, None),
        "reference_resolve": (once, args.reference_runs, once_ok),
        "reference_cli": (cli, args.reference_runs, cli_ok),
    }
    samples: dict[str, list[float]] = {name: [] for name in probes}
    imports: list[float] = []
    for sample in range(max(args.runs, args.reference_runs) + 1):
        for name, (argv, runs, check) in probes.items():
            if sample <= runs:
                wall, _, out = h.fresh(argv, cwd=primary)
                if check and not check(out):
                    raise h.BenchError(f"{argv} printed an unexpected result:\n{out[-2000:]}")
                if sample:
                    samples[name].append(wall)
    med = {name: statistics.median(values) for name, values in samples.items()}
    over = {
        "ours": med["ours_resolve"] - med["dev_pass"],
        "reference_resolve": med["reference_resolve"] - med["reference_pass"],
        "reference_cli": med["reference_cli"] - med["reference_pass"],
    }
    return {
        "case": case,
        "runs": args.runs,
        "reference_runs": args.reference_runs,
        "summaries": {name: h.summarize(values) for name, values in samples.items()},
        "raw_s": samples,
        "reference_resolve_import_s": statistics.median(imports[1:]),  # [0]: the warm-up
        "over_pass_s": over,
        "cli_vs_ours_ratio": med["reference_cli"] / med["ours_resolve"],
        "cli_overhead_ratio": over["reference_cli"] / over["ours"] if over["ours"] else math.inf,
    }


def run(args: Any) -> dict[str, Any]:
    for name in h.SCRUBBED_ENV:
        os.environ.pop(name, None)
    ref_python = h.reference_python(args)
    info = h.provenance()
    with h.workdir(args, "bench-context-") as work:
        repo = build_repository(work / "repo", args.corpus, args.extra_missions)
        timed, probe_only = make_cases(repo)
        n = len(timed)
        extra = next(case for case in timed if case["action"] == "implement")
        ours = Context("ours")
        ours_n, ref_n = (max(1, reps // args.rounds) for reps in (args.reps, args.reference_reps))
        with h.Worker(ref_python, "context", "--impl", "ref") as ref:
            ours_probe = ours.request("probe", cases=timed + probe_only)
            ref_probe = ref.request("probe", cases=timed + probe_only)
            differences = check_agreement(timed, ours_probe, ref_probe)
            ours.request("time", cases=timed, n=min(ours_n, 20))  # warm-up, not recorded
            ref.request("time", cases=timed, n=min(ref_n, 3))
            rounds = h.interleave(
                args.rounds,
                lambda: (
                    ours.request("time", cases=timed, n=ours_n)
                    + ours.request("time", cases=[extra], n=ours_n, snapshot=True)
                ),
                lambda: ref.request("time", cases=timed, n=ref_n),
            )
            ref_hello = ref.hello
        h.progress("fresh processes")
        fresh = fresh_processes(args, repo, ref_python)
        argv = ["agent", "context", "resolve", "--action", "status", "--mission",
                repo["missions"]["lanes"]["dir"], "--json"]  # fmt: skip
        request = {"cmd": "cli", "cwd": repo["root"], "argv": argv}
        cli = h.child(ref_python, "context", request, "--impl", "ref")["result"]
        if cli["exit_code"] not in (0, None):
            raise h.BenchError(f"3.2.7's CLI exited {cli['exit_code']} under the spawn probe")

    cases = []
    for i, case in enumerate(timed):
        times = {side: [r[i]["times"] for r in rounds[side]] for side in rounds}
        stats = h.compare(times["ours"], times["reference"], raw=False)
        for side, probe in (("ours", ours_probe), ("reference", ref_probe)):
            calls = sum(r[i]["spawned"] for r in rounds[side]) / stats[side]["n"]
            stats[side] |= {"spawned_per_call": calls, "first_call": probe[i]["commands"]}
        resolved = {"ours": ours_probe[i]["fields"], "reference": ref_probe[i]["fields"]}
        cases.append({**case, **stats, "path_differences": differences[i], "resolved": resolved})
    return {
        "benchmark": "context",
        "provenance": info,
        "ours": ours.hello,
        "reference": {**ref_hello, "python": str(ref_python)},
        "repository": repo,
        "rounds": args.rounds,
        "calls_per_case": {"ours": ours_n * args.rounds, "reference": ref_n * args.rounds},
        "cases": cases,
        "not_comparable": [
            {**case, "ours": outcome(a), "reference": outcome(b)}
            for case, a, b in zip(probe_only, ours_probe[n:], ref_probe[n:], strict=True)
        ],
        "ours_implement_with_snapshot": {
            "case": extra["id"],
            **h.summarize([x for r in rounds["ours"] for x in r[-1]["times"]]),
        },
        "fresh": fresh,
        "cli_spawn_probe": cli,
    }


def render(result: dict[str, Any]) -> str:
    repo, calls, cases = result["repository"], result["calls_per_case"], result["cases"]
    root = repo["root"]

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:,.0f}" if seconds >= 1e-4 else f"{seconds * 1e6:.1f}"

    def spawns(stats: dict[str, Any]) -> str:
        steady, first = stats["spawned_per_call"], len(stats["first_call"])
        text = f"{steady:.0f}" if steady == int(steady) else f"{steady:.2f}"
        return text if first == steady else f"{text} (first {first})"

    def rel(value: Any) -> str:
        text = str(value)
        return os.path.relpath(text, root) if text.startswith(root) else text

    rows = [
        [c["id"], us(c["ours"]["median"]), us(c["ours"]["p90"]), us(c["reference"]["median"]),
         us(c["reference"]["p90"]), f"{c['ratio']:.1f}x", h.span(c["round_ratios"]),
         spawns(c["ours"]), spawns(c["reference"])]
        for c in cases
    ]  # fmt: skip
    ratios = [c["ratio"] for c in cases]
    groups: dict[str, list[float]] = {}
    for c in cases:
        label = f"{c['action']}{' ' + c['wp'] if c['wp'] else ''}, {c['form']} handle"
        groups.setdefault(label, []).append(c["ratio"])
    lines = [
        f"mission-context {result['ours']['version']} vs spec-kitty-cli "
        f"{result['reference']['version']}: resolving a mission's context",
        h.describe(result["provenance"]),
        f"synthetic repository: {repo['count']} missions under kitty-specs/, "
        f"worktrees {', '.join(repo['worktrees'])}",
        "",
        f"in-process, one resolve: {result['rounds']} interleaved rounds; "
        f"{calls['ours']} calls per case (ours), {calls['reference']} (3.2.7)",
        h.table(
            "case (mission action / cwd / handle)|ours us|p90|3.2.7 us|p90|ratio|rounds|spawns|"
            "3.2.7 spawns",
            rows,
        ),
        f"RATIO 3.2.7/ours (median per call): median over cases {statistics.median(ratios):.1f}x, "
        f"geometric mean {math.exp(statistics.fmean(math.log(r) for r in ratios)):.1f}x, "
        f"range {h.span(ratios)}",
    ]
    for label, values in groups.items():
        lines.append(
            f"  {label}: median {statistics.median(values):.1f}x, range {h.span(values)} "
            f"({len(values)} cases)"
        )
    spawning = [c for c in cases if c["reference"]["spawned_per_call"] > 0]
    commands = sorted({cmd for c in cases for cmd in c["reference"]["first_call"]})
    ours_timed = sum(c["ours"]["spawned_per_call"] * c["ours"]["n"] for c in cases)
    lines.append(
        f"subprocesses: ours {ours_timed:.0f} in all timed calls "
        f"({sum(len(c['ours']['first_call']) for c in cases)} in first calls); 3.2.7 spawns in "
        f"{len(spawning)} of {len(cases)} cases"
        + (f"\n  3.2.7 commands: {'; '.join(commands)}" if commands else "")
    )
    extra = result["ours_implement_with_snapshot"]
    extra_ref = next(c for c in cases if c["id"] == extra["case"])["reference"]["median"]
    lines.append(
        f"ours {extra['case']} + ctx.status().snapshot(): {us(extra['median'])} us "
        f"(3.2.7's implement also reads the event log: {extra_ref / extra['median']:.1f}x)"
    )
    differences: dict[tuple[str, str, str], list[str]] = {}
    for c in cases:
        for field, (mine, theirs) in c["path_differences"].items():
            differences.setdefault((field, rel(mine), rel(theirs)), []).append(c["id"])
    if differences:
        lines += ["", "where the two differ (reported, not enforced; paths relative to the repo):"]
    for (field, mine, theirs), ids in differences.items():
        lines.append(f"  {field}: ours {mine} | 3.2.7 {theirs}")
        lines.append(f"    in {len(ids)} cases: {', '.join(ids)}")
    for item in result["not_comparable"]:
        reference = item["reference"].replace(root + "/", "")
        lines.append(f"not comparable: {item['id']}: ours {item['ours']}; 3.2.7 {reference}")

    fresh = result["fresh"]
    med = {name: s["median"] for name, s in fresh["summaries"].items()}
    over = fresh["over_pass_s"]
    rows = [
        ["python -c pass (dev)", h.ms(med["dev_pass"]), ""],
        ["ours: -c resolve_action_context", h.ms(med["ours_resolve"]), f"+{h.ms(over['ours'])}"],
        ["python -c pass (3.2.7)", h.ms(med["reference_pass"]), ""],
        ["3.2.7: the four functions", h.ms(med["reference_resolve"]),
         f"+{h.ms(over['reference_resolve'])} "
         f"(import {h.ms(fresh['reference_resolve_import_s'])})"],
        ["3.2.7: spec-kitty agent context resolve", h.ms(med["reference_cli"]),
         f"+{h.ms(over['reference_cli'])}"],
    ]  # fmt: skip
    cli = result["cli_spawn_probe"]["commands"]
    lines += [
        "",
        f"fresh processes (status {fresh['case']['mission']} from the primary checkout): median "
        f"of {fresh['runs']} (3.2.7 resolves: {fresh['reference_runs']}), after a warm-up run",
        h.table("|median wall|over python -c pass", rows),
        f"RATIO CLI / ours fresh: {fresh['cli_vs_ours_ratio']:.1f}x wall, "
        f"{fresh['cli_overhead_ratio']:.1f}x over python -c pass",
        f"3.2.7 CLI subprocesses (one in-process run of its main): {len(cli)}"
        + (f" ({'; '.join(cli)})" if cli else ""),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = h.parser(
        __doc__,
        corpus=True,
        workdir=True,
        reps=(1000, "ours: calls per case"),
        reference_reps=(100, "3.2.7: calls per case"),
        rounds=(5, "interleaved rounds"),
        runs=(30, "fresh-process samples: python -c pass, ours"),
        reference_runs=(7, "fresh-process samples: 3.2.7 resolves"),
    )
    parser.add_argument("--extra-missions", type=int, default=20, help="corpus missions to add")
    sys.exit(h.main(parser, run, render))
