"""spec-kitty vs spec-kitty-cli 3.2.7: issue 17's speed goals in one run, as real processes.

The agent-facing reads (``status --json``, ``next --json``, ``--help``) next to the interpreter's
floor (``python -c pass``), ours with a warm read cache and uncached (``SPEC_KITTY_READ_CACHE=0``);
the write commands ``move-task``, ``implement`` and ``review --approve``; ``finalize-tasks`` (a
re-run and a first run) and ``merge``. Each side builds its missions with its own commands
(bench_agent.py's 8-WP mission, and a 2-WP one for merge) and brings each write case's template
to the state the command needs with its own commands; every write sample runs in its own copy
of that template, made before the timing, and its effect is checked afterwards."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import _harness as h
import bench_agent as agent
import bench_cli as cli
from _worker import LOG_NAME

WP, AGENT = agent.WP, agent.AGENT
REVIEWER, REFERENCE, NOTE = "bench-reviewer", "PR#1", "Review passed"
MERGE_WPS = 2  # 3.2.7 takes ~20 s to bring one WP to approved: merge gets a 2-WP mission
READ_CACHE, TRACE = "SPEC_KITTY_READ_CACHE", "SPEC_KITTY_READ_CACHE_TRACE"
Sample = tuple[float, float, str]  # wall and CPU seconds, the read cache's trace ("-": none)
READS = ("pass", "status", "next", "help")
WRITES = ("move-task", "implement", "review", "finalize-tasks", "finalize-first", "merge")
CACHED = ("status", "next", "help")  # ours also runs these uncached: KEY/uncached
#: Table rows: label, our sample key, 3.2.7's, and the goal: (ratio, x) = 3.2.7 / ours >= x;
#: (pass, x) = ours / our python -c pass <= x.
ROWS: tuple[tuple[str, str, str, tuple[str, float] | None], ...] = (
    ("status --json, warm cache", "status", "status", ("pass", 2.0)),
    ("status --json, uncached", "status/uncached", "status", None),
    ("next --json, warm cache", "next", "next", ("pass", 2.0)),
    ("next --json, uncached", "next/uncached", "next", None),
    ("--help, warm cache", "help", "help", ("ratio", 50.0)),
    ("--help, uncached", "help/uncached", "help", ("ratio", 50.0)),
    ("move-task WP01 --to claimed", "move-task", "move-task", ("ratio", 20.0)),
    ("implement WP01", "implement", "implement", ("ratio", 20.0)),
    ("review WP01 --approve", "review", "review", ("ratio", 20.0)),
    ("finalize-tasks, re-run", "finalize-tasks", "finalize-tasks", ("ratio", 15.0)),
    ("finalize-tasks, first run", "finalize-first", "finalize-first", ("ratio", 15.0)),
    (f"merge ({MERGE_WPS}-WP mission)", "merge", "merge", ("ratio", 15.0)),
    ("python -c pass (each venv's)", "pass", "pass", None),
)


@dataclass
class Side:
    name: str  # "ours" or "reference"
    python: Path
    script: Path
    env: dict[str, str]

    def run(self, root: Path, *words: Any) -> str:
        return h.fresh([self.script, *words], cwd=root, env=self.env)[2]


# --- building the templates -----------------------------------------------------------------


@contextlib.contextmanager
def copy_before_finalize(target: Path) -> Iterator[None]:
    """While a bench_agent builder runs: ``target`` becomes a copy of its repository as it is
    just before its finalize-tasks (``h.fresh`` is wrapped for the duration)."""
    real = h.fresh

    def fresh(argv: Sequence[Any], **kwargs: Any) -> tuple[float, float, str]:
        if "finalize-tasks" in map(str, argv) and not target.exists():
            shutil.copytree(kwargs["cwd"], target, symlinks=True)
        return real(argv, **kwargs)

    h.fresh = fresh
    try:
        yield
    finally:
        h.fresh = real


@contextlib.contextmanager
def work_packages(count: int) -> Iterator[None]:
    """bench_agent's builders with ``count`` WPs (WP02.. depend on WP01)."""
    saved, agent.WP_COUNT = agent.WP_COUNT, count
    try:
        yield
    finally:
        agent.WP_COUNT = saved


def build(side: Side, root: Path) -> str:
    builder = agent.build_ours if side.name == "ours" else agent.build_reference
    return builder(root, side.script, side.env)


def workspace_of(root: Path, mission: str, wp: str) -> Path:
    folder = root / "kitty-specs" / mission
    lanes = json.loads((folder / "lanes.json").read_text(encoding="utf-8"))["lanes"]
    lane_id = next(str(lane["lane_id"]) for lane in lanes if wp in lane["wp_ids"])
    return root / ".worktrees" / f"{mission}-{lane_id}"


def implement_line(side: Side, mission: str, wp: str) -> list[Any]:
    """bench_agent's implement line (``agent.agent_commands``), for any WP."""
    line = agent.agent_commands(side.name, side.script, mission)["implement"]
    return [wp if word == WP else word for word in line]


def review_line(side: Side, mission: str, wp: str) -> list[Any]:
    """Approve: ours ``review --approve``; 3.2.7 ``agent tasks move-task --to approved``, its
    review prompt's verdict line, with the reviewer and the reference ours gets."""
    if side.name == "ours":
        return [side.script, "review", wp, "--mission", mission, "--approve",
                "--reviewer", REVIEWER, "--reference", REFERENCE]  # fmt: skip
    return [side.script, "agent", "tasks", "move-task", wp, "--to", "approved",
            "--mission", mission, "--note", NOTE, "--reviewer", REVIEWER,
            "--approval-ref", REFERENCE]  # fmt: skip


def submit(side: Side, root: Path, mission: str, wp: str) -> None:
    """Implement ``wp``, commit its file in the lane worktree and move it to for_review (3.2.7
    first needs its subtask checked, as its implement prompt says)."""
    h.fresh(implement_line(side, mission, wp), cwd=root, env=side.env)
    workspace, i = workspace_of(root, mission, wp), int(wp[2:])
    source = workspace / "src" / "widgets" / f"w{i}.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(f"WIDGET = {i}\n", encoding="utf-8")
    h.git(workspace, "add", str(source.relative_to(workspace)))
    h.git(workspace, "commit", "-q", "-m", f"{wp}: widget {i}")
    if side.name == "ours":
        side.run(root, "move-task", wp, "--to", "for_review", "--mission", mission,
                 "--actor", AGENT)  # fmt: skip
    else:
        side.run(root, "agent", "tasks", "mark-status", f"T{i:03d}", "--status", "done",
                 "--mission", mission)  # fmt: skip
        side.run(root, "agent", "tasks", "move-task", wp, "--to", "for_review", "--mission",
                 mission, "--agent", AGENT, "--note", "Ready for review")  # fmt: skip


def prepare(side: Side, base: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """The side's missions (``main``: 8 WPs, ``merge``: 2) and the template of each case."""
    templates = {"main": base / "template", "finalize-first": base / "prefinalize-template"}
    h.progress(f"{side.name}: building the {agent.WP_COUNT}-WP mission with its own commands")
    with copy_before_finalize(templates["finalize-first"]):
        missions = {"main": build(side, templates["main"])}
    for case in ("move-task", "implement", "finalize-tasks"):
        templates[case] = templates["main"]  # WP01 planned, no dependencies: ready
    h.progress(f"{side.name}: {WP} to for_review")
    templates["review"] = base / "review-template"
    shutil.copytree(templates["main"], templates["review"], symlinks=True)
    submit(side, templates["review"], missions["main"], WP)
    h.progress(f"{side.name}: building the {MERGE_WPS}-WP mission, every WP approved")
    templates["merge"] = base / "merge-template"
    with work_packages(MERGE_WPS):
        missions["merge"] = build(side, templates["merge"])
    for i in range(1, MERGE_WPS + 1):
        submit(side, templates["merge"], missions["merge"], f"WP{i:02d}")
        h.fresh(review_line(side, missions["merge"], f"WP{i:02d}"), cwd=templates["merge"],
                env=side.env)  # fmt: skip
    return missions, templates


def copies(template: Path, count: int, prefix: str) -> list[Path]:
    """``agent.copies``, then each copy's lane worktrees linked to the copy (a copied worktree's
    ``.git`` still names the template's git directory, which ``git worktree repair`` accepts),
    then ``git worktree repair`` for the way back, and their index refreshed."""
    out = agent.copies(template, count, prefix)
    for copy in out:
        worktrees = sorted(p for p in (copy / ".worktrees").glob("*") if (p / ".git").is_file())
        for worktree in worktrees:
            admin = Path((worktree / ".git").read_text(encoding="utf-8").split(":", 1)[1].strip())
            (worktree / ".git").write_text(
                f"gitdir: {copy / '.git' / 'worktrees' / admin.name}\n", encoding="utf-8"
            )
        if not worktrees:
            continue
        h.git(copy, "worktree", "repair", *map(str, worktrees))
        for worktree in worktrees:
            h.git(worktree, "update-index", "-q", "--refresh", check=False)
            common = Path(h.git(worktree, "rev-parse", "--git-common-dir") or "")
            if (worktree / common).resolve() != (copy / ".git").resolve():
                raise h.BenchError(f"{worktree}: still linked to {common}")
        listed = h.git(copy, "worktree", "list", "--porcelain") or ""
        if str(template) in listed:
            raise h.BenchError(f"{copy}: a worktree of {template} is still listed:\n{listed}")
    return out


# --- checks ---------------------------------------------------------------------------------


def lane_events(folder: Path) -> dict[str, dict[str, Any]]:
    """Per WP, its last lane event: lane, actor (3.2.7 can record a dict: its tool), evidence."""
    out = {}
    for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines():
        event = json.loads(line) if line.strip() else {}
        if "to_lane" in event and "wp_id" in event:
            actor = event.get("actor")
            out[str(event["wp_id"])] = {
                "lane": event["to_lane"],
                "actor": actor.get("tool") if isinstance(actor, dict) else actor,
                "evidence": event.get("evidence") or {},
            }
    return out


def check_write(
    case: str, side: Side, root: Path, mission: str, out: str, head: str | None
) -> None:
    """The effect of one write sample in its copy ``root``; BenchError when it is missing."""
    folder = root / "kitty-specs" / mission
    events = lane_events(folder)
    found: dict[str, Any]
    wanted: dict[str, Any]
    if case == "implement":
        agent.check_implement(side.name, root, mission, out, side.script, side.env)
        return
    if case == "move-task":
        found = {"lane": events[WP]["lane"], "actor": events[WP]["actor"]}
        wanted = {"lane": "claimed", "actor": AGENT}
    elif case == "review":
        review = events[WP]["evidence"].get("review") or {}
        found = {"lane": events[WP]["lane"], "reviewer": review.get("reviewer")}
        wanted = {"lane": "approved", "reviewer": REVIEWER}
    elif case.startswith("finalize"):
        wps = [f"WP{i:02d}" for i in range(1, agent.WP_COUNT + 1)]
        lanes = json.loads((folder / "lanes.json").read_text(encoding="utf-8"))["lanes"]
        found = {
            "lanes.json": sorted(wp for lane in lanes for wp in lane["wp_ids"]),
            "lanes": {wp: events.get(wp, {}).get("lane") for wp in wps},
            "WP files": all(any((folder / "tasks").glob(f"{wp}-*.md")) for wp in wps),
        }
        wanted = {"lanes.json": wps, "lanes": dict.fromkeys(wps, "planned"), "WP files": True}
        if case == "finalize-first":
            found["committed"] = h.git(root, "rev-parse", "HEAD") != head
            wanted["committed"] = True
    elif case == "merge":
        wps = [f"WP{i:02d}" for i in range(1, MERGE_WPS + 1)]
        found = {
            "lanes": {wp: events.get(wp, {}).get("lane") for wp in wps},
            "merged": [
                h.git(root, "cat-file", "-e", f"{agent.BRANCH}:src/widgets/w{i}.py", check=False)
                is not None
                for i in range(1, MERGE_WPS + 1)
            ],
        }
        wanted = {"lanes": dict.fromkeys(wps, "done"), "merged": [True] * MERGE_WPS}
    else:
        raise ValueError(case)
    if found != wanted:
        raise h.BenchError(f"{side.name} {case} in {root}: expected {wanted}, found {found}")


def check_read(key: str, side: Side, mission: str, out: str) -> str:
    """What a read answered, normalized so the runs (and ours warm / uncached) compare."""
    if key == "status":
        return json.dumps(cli.lanes_of(side.name, out, mission), sort_keys=True)
    if key == "next":
        return json.dumps(agent.next_answer(side.name, out), sort_keys=True)
    if key == "help" and "Usage" not in out:
        raise h.BenchError(f"{side.name} --help printed no usage:\n{out[:2000]}")
    return out


def hit(said: str) -> bool:
    """A sample's read-cache trace: ``-`` (not traced) or a hit."""
    return said == "-" or said.startswith("read-cache: hit")


def fresh_traced(argv: Sequence[Any], **kwargs: Any) -> tuple[float, float, str, str]:
    """``h.fresh`` that also returns stderr (where the read cache's trace goes)."""
    words = [str(word) for word in argv]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        words, stdin=subprocess.DEVNULL, capture_output=True, timeout=600, check=False, **kwargs
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise h.BenchError(f"{' '.join(words)} failed (exit {done.returncode}):\n{err[-4000:]}")
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return wall, cpu, done.stdout.decode("utf-8", "replace"), err


def trace(side: Side, argv: Sequence[Any], root: Path) -> str:
    """The read cache's last word on stderr for one run of ``argv`` (untimed)."""
    done = subprocess.run(
        [str(word) for word in argv], cwd=root, env=side.env | {TRACE: "1"},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    said = [line for line in done.stderr.splitlines() if line.startswith("read-cache:")]
    return (said[-1] if said else "no read-cache trace") + f" (exit {done.returncode})"


# --- the run --------------------------------------------------------------------------------


def command_lines(side: Side, missions: dict[str, str]) -> dict[str, list[Any]]:
    main, script = missions["main"], side.script
    lines: dict[str, list[Any]] = {
        "pass": [side.python, "-c", "pass"],
        "next": agent.agent_commands(side.name, script, main)["next"],
        "help": [script, "--help"],
        "implement": implement_line(side, main, WP),
        "review": review_line(side, main, WP),
    }
    claim = [WP, "--to", "claimed", "--mission", main]
    if side.name == "ours":
        return lines | {
            "status": [script, "status", "--mission", main, "--json"],
            "move-task": [script, "move-task", *claim, "--actor", AGENT],
            "finalize-tasks": [script, "finalize-tasks", "--mission", main],
            "finalize-first": [script, "finalize-tasks", "--mission", main],
            "merge": [script, "merge", "--mission", missions["merge"]],
        }
    finalize = [script, "agent", "mission", "finalize-tasks", "--mission", main]
    return lines | {
        "status": [script, "agent", "tasks", "status", "--mission", main, "--json"],
        "move-task": [script, "agent", "tasks", "move-task", *claim, "--agent", AGENT],
        "finalize-tasks": finalize,
        "finalize-first": finalize,
        "merge": [script, "merge", "--mission", missions["merge"]],
    }


def shown(argv: Sequence[Any]) -> str:
    """A command line as a user types it: ``spec-kitty ...``, or the interpreter's path."""
    words = [str(word) for word in argv]
    return shlex.join(words if words[1:2] == ["-c"] else ["spec-kitty", *words[1:]])


def sources() -> list[Path]:
    return sorted((h.REPO_ROOT / "packages").glob("*/src"))


def stamp() -> tuple[int, int]:
    """How many of our source files there are, and the newest one's mtime."""
    times = []
    for path in (path for src in sources() for path in src.rglob("*.py")):
        with contextlib.suppress(OSError):  # removed meanwhile
            times.append(path.stat().st_mtime_ns)
    return len(times), max(times, default=0)


def compile_ours() -> dict[str, Any]:
    """What a wheel install does and an editable one never does (PYTHONDONTWRITEBYTECODE=1 here
    keeps imports from writing .pyc): compile our sources; 3.2.7's venv has its .pyc."""
    dirs = [str(path) for path in sources()]
    wall = h.fresh([sys.executable, "-m", "compileall", "-q", *dirs])[0]
    return {"command": f"{sys.executable} -m compileall -q {' '.join(dirs)}", "wall_s": wall}


def recompile() -> tuple[int, int]:
    """Before each of our repetitions, untimed: sources edited during the run (another checkout
    at work) get their .pyc too; nothing is written when none changed. Returns ``stamp()``."""
    compile_ours()
    return stamp()


def changes(stamps: Sequence[tuple[str, tuple[int, int]]]) -> list[str]:
    """Before which of our repetitions our sources had changed (the reads' 0 is the warm-up)."""
    out, seen = [], {"reads": -1, "writes": 0}
    for (_, before), (phase, after) in itertools.pairwise(stamps):
        seen[phase] += 1
        if after != before:
            out.append(f"{phase} repetition {seen[phase]}")
    return out


def run(args: Any) -> dict[str, Any]:
    pythons = {"ours": Path(sys.executable), "reference": h.reference_python(args)}
    scripts = {side: python.parent / "spec-kitty" for side, python in pythons.items()}
    if not all(script.is_file() for script in scripts.values()):
        raise h.BenchError(f"no spec-kitty console script next to {list(pythons.values())}")
    info = h.provenance()
    runs = args.runs or (2 if args.quick else 5)
    read_runs = args.read_runs or (3 if args.quick else 9)
    started = time.perf_counter()
    h.progress("compiling our sources (python -m compileall)")
    compiled = compile_ours()
    stamps = [("start", stamp())]  # (phase, stamp()) before each of our repetitions
    warnings: list[str] = []
    with h.workdir(args, "bench-speed-") as work:
        sides: dict[str, Side] = {}
        for name, python in pythons.items():
            home, tmp = work / f"home-{name}", work / f"tmp-{name}"  # each side its own HOME
            home.mkdir()
            tmp.mkdir()  # 3.2.7's implement writes its prompt under $TMPDIR
            env = h.clean_env(home) | {"TMPDIR": str(tmp)}
            sides[name] = Side(name, python, scripts[name], env)
        uncached = sides["ours"].env | {READ_CACHE: "0"}
        missions, templates, lines, samples = {}, {}, {}, {}
        for name, side in sides.items():
            missions[name], templates[name] = prepare(side, work / name)
            lines[name] = command_lines(side, missions[name])
            h.progress(f"{name}: {runs} copies per write case, {runs + 1} for merge")
            samples[name] = {
                case: copies(templates[name][case], runs + (case == "merge"), case)
                for case in WRITES
            }
        heads = {
            name: {case: h.git(templates[name][case], "rev-parse", "HEAD") for case in WRITES}
            for name in sides
        }
        prepared_s = time.perf_counter() - started

        # Reads, on each side's finalized 8-WP repository.
        read_root = {name: templates[name]["main"] for name in sides}
        before = {name: agent.snapshot(read_root[name]) for name in sides}
        ours = sides["ours"]
        for key in CACHED:  # the first run records; the loop's warm-up repetition replays
            h.fresh(lines["ours"][key], cwd=read_root["ours"], env=ours.env)
        traces: dict[str, dict[str, str]] = {
            key: {"before": trace(ours, lines["ours"][key], read_root["ours"])} for key in CACHED
        }
        answers: dict[tuple[str, str], set[str]] = {}

        def read_rep(name: str) -> dict[str, Sample]:
            side, times = sides[name], {}
            if name == "ours":
                stamps.append(("reads", recompile()))
            keys = [*READS, *(f"{key}/uncached" for key in CACHED if name == "ours")]
            for key in keys:
                base, _, variant = key.partition("/")
                argv, root = lines[name][base], read_root[name]
                said = ""
                if name == "ours" and base in CACHED and not variant:  # warm: was it a hit?
                    wall, cpu, out, err = fresh_traced(argv, cwd=root, env=side.env | {TRACE: "1"})
                    said = "; ".join(x for x in err.splitlines() if x.startswith("read-cache:"))
                else:
                    wall, cpu, out = h.fresh(argv, cwd=root, env=uncached if variant else side.env)
                if base != "pass":
                    answers.setdefault((name, base), set()).add(
                        check_read(base, side, missions[name]["main"], out)
                    )
                times[key] = (wall, cpu, said or "-")
            return times

        reads = h.interleave(
            read_runs,
            lambda: read_rep("ours"),
            lambda: read_rep("reference"),
            warmup=1,
            alternate=True,
            label="reads",
        )
        for key in CACHED:
            traces[key]["after"] = trace(ours, lines["ours"][key], read_root["ours"])
        for name in sides:
            after = agent.snapshot(read_root[name])
            if after != before[name]:
                warnings.append(
                    f"{name} reads changed their repository: HEAD {before[name][0]} -> "
                    f"{after[0]}, status {before[name][1]!r} -> {after[1]!r}"
                )

        # Writes, each sample in its own copy. No warm-up repetition (3.2.7 takes ~35 s a
        # round): preparing the templates ran every write command of both sides but merge,
        # which runs once here, untimed, on its extra copy.
        for name, side in sides.items():
            root = samples[name]["merge"].pop()
            out = h.fresh(lines[name]["merge"], cwd=root, env=side.env)[2]
            check_write("merge", side, root, missions[name]["merge"], out, heads[name]["merge"])
        used = {name: 0 for name in sides}

        def write_rep(name: str) -> dict[str, Sample]:
            side, n, times = sides[name], used[name], {}
            if name == "ours":
                stamps.append(("writes", recompile()))
            for case in WRITES:
                root = samples[name][case][n]
                mission = missions[name]["merge" if case == "merge" else "main"]
                wall, cpu, out = h.fresh(lines[name][case], cwd=root, env=side.env)
                check_write(case, side, root, mission, out, heads[name][case])
                times[case] = (wall, cpu, "-")
            used[name] += 1
            return times

        writes = h.interleave(
            runs,
            lambda: write_rep("ours"),
            lambda: write_rep("reference"),
            warmup=0,
            alternate=True,
            label="writes",
        )

    for key, said in traces.items():
        for when, line in said.items():
            # --help on a wide terminal prints the generated text: no cache involved
            static = key == "help" and line.startswith("no read-cache trace")
            if not static and not line.startswith("read-cache: hit"):
                warnings.append(f"ours {key} {when} the timing: not a cache hit: {line}")
    for (name, key), found in sorted(answers.items()):
        if len(found) != 1:
            warnings.append(f"{name} {key} gave {len(found)} different answers")
    for key in ("status", "next"):  # the same board and the same next action on both sides
        found_ours, found_reference = answers.get(("ours", key)), answers.get(("reference", key))
        if found_ours != found_reference:
            warnings.append(f"{key}: ours answered {found_ours}, 3.2.7 {found_reference}")
    wanted_next = json.dumps({"action": "implement", "wp_id": WP}, sort_keys=True)
    if answers.get(("ours", "next")) != {wanted_next}:
        warnings.append(f"ours next answered {answers.get(('ours', 'next'))}")

    results = {}
    for label, mine, theirs, goal in ROWS:
        reps = reads if mine.split("/")[0] in READS else writes
        # A warm row keeps the rounds where ours was a cache hit (a miss: an input changed).
        pairs = list(zip(reps["ours"], reps["reference"], strict=True))
        rounds = [(o[mine], r[theirs]) for o, r in pairs if hit(o[mine][2])]
        missed = [o[mine][2] for o, _ in pairs if not hit(o[mine][2])]
        if not rounds:
            raise h.BenchError(f"{label}: not one round where ours was a cache hit: {missed}")
        a, b = [[o[0]] for o, _ in rounds], [[r[0]] for _, r in rounds]
        cpu = h.compare([[o[1]] for o, _ in rounds], [[r[1]] for _, r in rounds], raw=False)
        row = h.compare(a, b) | {"cpu_ratio": cpu["ratio"], "ours_key": mine}
        if mine in CACHED:
            row["cache"] = {"hits": len(rounds), "rounds": len(reps["ours"]), "misses": missed}
        floor = statistics.median(rep["pass"][0] for rep in reads["ours"])
        row["over_pass"] = row["ours"]["median"] / floor
        if goal is not None:
            kind, value = goal
            measured = row["over_pass"] if kind == "pass" else row["ratio"]
            met = measured <= value if kind == "pass" else measured >= value
            row["goal"] = {"kind": kind, "value": value, "met": met}
        results[label] = row
    return {
        "benchmark": "speed",
        "provenance": info | {"loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": {"ours": version("spec-kitty-cli"), "reference": "3.2.7"},
        "scripts": {name: str(script) for name, script in scripts.items()},
        "compiled": compiled,
        "command_lines": {
            name: {key: shown(argv) for key, argv in c.items()} for name, c in lines.items()
        },
        "scenario": {
            "missions": missions,
            "work_packages": {"main": agent.WP_COUNT, "merge": MERGE_WPS},
            "branch": agent.BRANCH,
        },
        "settings": {
            "runs": runs,
            "read_runs": read_runs,
            "warmup": {"reads": 1, "writes": 0, "merge": "1 untimed run"},
            "quick": args.quick,
            "prepare_s": round(prepared_s, 1),
            "total_s": round(time.perf_counter() - started, 1),
        },
        "cache_traces": traces,
        "sources_changed": changes(stamps),
        "commands": results,
        "warnings": warnings,
    }


def render(result: dict[str, Any]) -> str:
    settings, rows = result["settings"], []
    for label, c in result["commands"].items():
        goal, met, over = c.get("goal"), "", ""
        if goal:
            sign = "<=" if goal["kind"] == "pass" else ">="
            what = " pass" if goal["kind"] == "pass" else ""
            met = "met" if goal["met"] else "NOT met"
            goal = f"{sign} {goal['value']:.0f}x{what}"
        if c["ours_key"].split("/")[0] in ("status", "next", "help"):
            over = f"{c['over_pass']:.1f}x"
        rows.append(
            [label, h.secs(c["ours"]["median"]), h.secs(c["reference"]["median"]),
             f"{c['ratio']:.1f}x", goal or "", met, over, f"{c['cpu_ratio']:.1f}x",
             f"{c['min_ratio']:.1f}x", h.span(c["round_ratios"])]
        )  # fmt: skip
    missions, traces = result["scenario"]["missions"], result["cache_traces"]
    info = result["provenance"]
    lines = [
        f"spec-kitty-cli {result['versions']['ours']} vs spec-kitty-cli 3.2.7: issue 17's "
        "speed goals",
        h.describe(info) + f"  load at end {info['loadavg_at_end']}",
        f"ours' sources compiled first ({result['compiled']['command']}, "
        f"{h.secs(result['compiled']['wall_s'])}): PYTHONDONTWRITEBYTECODE is set here and "
        "editable installs are never compiled; 3.2.7's venv has its .pyc",
        f"missions: {result['scenario']['work_packages']['main']} WPs (ours "
        f"{missions['ours']['main']}, 3.2.7 {missions['reference']['main']}) and, for merge, "
        f"{MERGE_WPS} WPs all approved, each built by the side's own commands on branch "
        f"{result['scenario']['branch']}; each side its own HOME",
        f"reads: {settings['read_runs']} runs per line and side after 1 warm-up repetition; "
        f"writes: {settings['runs']}, each in a fresh copy made before the timing, effect checked "
        "(no warm-up: the preparation ran each write command once, merge ran once untimed); "
        "fresh processes, ours/3.2.7 order alternating" + (" (quick)" if settings["quick"] else ""),
        "",
        h.table(
            "case (median wall)|ours|3.2.7|ratio|goal|met?|ours / pass|CPU ratio|min ratio"
            "|per-run ratios",
            rows,
        ),
        "",
        "ratio = 3.2.7 median / ours median; ours / pass = ours median / our python -c pass "
        "median; warm cache: the line ran once before, every later run replays "
        f"({READ_CACHE}=0 for uncached)",
        "read-cache trace before / after the timing: "
        + "; ".join(f"{key}: {t['before']} / {t['after']}" for key, t in traces.items()),
        "warm samples that were hits (the others are left out of the warm rows, with 3.2.7's "
        "sample of the same round): "
        + "; ".join(
            f"{c['ours_key']} {c['cache']['hits']}/{c['cache']['rounds']}"
            + (f" (misses: {' | '.join(c['cache']['misses'])})" if c["cache"]["misses"] else "")
            for c in result["commands"].values()
            if "cache" in c
        ),
        *(
            [
                "NOTE: our sources changed during the run, before ours' "
                + ", ".join(result["sources_changed"])
                + " (they are recompiled before each of our repetitions)"
            ]
            if result["sources_changed"]
            else []
        ),
        f"prepared in {settings['prepare_s']:.0f} s; whole run {settings['total_s']:.0f} s",
        "",
        "3.2.7 command lines:",
        *(f"  {key}: {line}" for key, line in result["command_lines"]["reference"].items()),
        "ours:",
        *(f"  {key}: {line}" for key, line in result["command_lines"]["ours"].items()),
        "",
        *(f"WARNING: {warning}" for warning in result["warnings"]),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = h.parser(__doc__, workdir=True)
    parser.add_argument("--runs", type=h.count, help="runs per write command and side (default 5)")
    parser.add_argument("--read-runs", type=h.count, help="runs per read line and side (default 9)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 / 3 runs")
    sys.exit(h.main(parser, run, render))
