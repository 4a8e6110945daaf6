"""Every ``spec-kitty ...`` line of every file we generate for agents runs against our CLI.

``spec-kitty init --ai <all 13 harnesses>`` writes the agents' command files, skills, rules
and the AGENTS.md section. Each ``spec-kitty`` line of them (fenced code blocks and inline
code spans; a TOML file's ``prompt`` string and its comment) is extracted, its placeholders
filled with real values (the harness key already stands for ``$AGENT``) and run, as a
process, in a real repository at the stage of the lifecycle where an agent would run it: it
must exit 0 with no traceback, and a ``--json`` line must print exactly one JSON document.

Every extracted line belongs to exactly one stage and each stage's test runs every distinct
filled line of its stage (the set run equals the set extracted), so nothing is skipped:

- ``lifecycle``: specify, plan, tasks, record-analysis, analyze, finalize-tasks; per harness,
  implement, move-task, the review brief, reject, implement again, approve; merge --dry-run,
  merge; accept by every harness;
- ``recovery``: merge --abort and merge --resume, on a merge stopped by a real conflict;
- ``board``: status and next, before any mission and in the middle of one;
- ``dashboard``: start, status, stop, with a private ``SPEC_KITTY_HOME``;
- ``agents``: the files' own notes (``spec-kitty agents remove KEY``, ``spec-kitty agents``)
  and ``spec-kitty --help``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import (
    commit_work,
    daemons,
    file_lines,
    git,
    make_repo,
    markdown_lines,
    sk,
    sk_json,
)

from spec_kitty_cli._agents import AGENTS_MD, HARNESSES, MANIFEST
from spec_kitty_cli._prompts import COMMANDS
from spec_kitty_cli._templates import TEMPLATE_MARKER

KEYS = tuple(h.key for h in HARNESSES)
#: One work package per harness: the one it implements, reviews, rejects and approves.
WP_OF = {key: f"WP{i:02d}" for i, key in enumerate(KEYS, 1)}
#: The subcommands the files must name, at least (so the test cannot pass vacuously).
REQUIRED = {
    "specify", "plan", "tasks", "finalize-tasks", "record-analysis", "analyze", "implement",
    "move-task", "review", "merge", "accept", "status", "next", "dashboard",
}  # fmt: skip
#: What a command's file must contain, at least (subcommand, flags).
EXPECTED_PER_COMMAND: dict[str, set[tuple[str, frozenset[str]]]] = {
    "specify": {("specify", frozenset({"--mission-type", "--json"})), ("plan", frozenset())},
    "plan": {("plan", frozenset()), ("tasks", frozenset())},
    "tasks": {("tasks", frozenset()), ("finalize-tasks", frozenset({"--json"}))},
    "analyze": {("record-analysis", frozenset({"--input-file"})), ("analyze", frozenset())},
    "implement": {("implement", frozenset({"--agent"})), ("move-task", frozenset({"--to"}))},
    "review": {
        ("review", frozenset({"--json"})),
        ("review", frozenset({"--approve", "--reference"})),
        ("review", frozenset({"--reject", "--feedback-file"})),
    },
    "merge": {
        ("merge", frozenset({"--dry-run"})),
        ("merge", frozenset({"--resume"})),
        ("merge", frozenset({"--abort"})),
    },
    "accept": {("accept", frozenset({"--actor"}))},
    "status": {("status", frozenset()), ("status", frozenset({"--json"}))},
    "next": {("next", frozenset({"--agent", "--json"}))},
    "dashboard": {("dashboard", frozenset({"--json"}))},
}
PLACEHOLDERS = {"<mission>", "<WP>", "<name>", "<file>", "<reference>", "<summary>", "<agent>"}
_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z_-]*>")

SPEC_MD = """\
# Checkout flow

## Problem

Shoppers cannot pay for the items in their basket.

## Requirements

- FR-001: A shopper MUST be able to pay for the basket in one step.
- NFR-001: Paying SHOULD take under two seconds.

## Success criteria

- SC-001: 95% of shoppers who start paying finish.
"""
PLAN_MD = """\
# Plan: checkout flow

## Approach

One module per part (`src/pNN.py`), each owned by one work package.

## Testing strategy

FR-001 is shown by a test per part.
"""
ANALYSIS = """\
# Analysis

- Coverage: FR-001 is covered by every work package.
- Conflicts: none. Ownership: each file has one owner. Verdict: ready to implement.
"""
FEEDBACK = "Add a test for the empty basket.\n"


# -- extraction -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One ``spec-kitty`` line as written in one file (AGENTS.md: once per harness)."""

    path: str
    agent: str  # the harness whose file it is (AGENTS.md is every harness's)
    line: str

    @property
    def words(self) -> list[str]:
        return shlex.split(self.line)

    @property
    def sub(self) -> str:
        return self.words[1]

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(word for word in self.words if word.startswith("--"))


@dataclass(frozen=True)
class Generated:
    """What ``init --ai <all>`` wrote: each file's text and every ``spec-kitty`` line in it."""

    files: dict[str, str]  # path -> text
    owner: dict[str, str | None]  # path -> harness key (None: AGENTS.md)
    lines: dict[str, list[str]]  # path -> its lines as written
    occurrences: tuple[Occurrence, ...]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    base = tmp_path_factory.mktemp("generated")
    root = make_repo(base / "repo")
    listed = sk_json(root, base / "home", "agents", "list")
    assert tuple(entry["key"] for entry in listed["agents"]) == KEYS
    made = sk_json(root, base / "home", "init", "--ai", ",".join(KEYS))
    owner: dict[str, str | None] = {f["path"]: f["agent"] for f in made["agents"]["files"]}
    assert all(f["status"] == "created" for f in made["agents"]["files"])
    manifest = json.loads((root / MANIFEST).read_text())
    recorded = {path: key for key, entry in manifest["agents"].items() for path in entry["files"]}
    assert recorded == {path: key for path, key in owner.items() if key is not None}
    assert owner[AGENTS_MD] is None
    files = {path: (root / path).read_text() for path in owner}
    lines = {path: file_lines(path, text) for path, text in files.items()}
    occurrences = tuple(
        Occurrence(path, agent, line)
        for path, key in owner.items()
        for agent in ((key,) if key is not None else KEYS)
        for line in lines[path]
    )
    return Generated(files, owner, lines, occurrences)


# -- stages ---------------------------------------------------------------------------------

_LIFECYCLE = {
    "specify", "plan", "tasks", "finalize-tasks", "record-analysis", "analyze",
    "implement", "move-task", "review", "accept",
}  # fmt: skip


def stage_of(occ: Occurrence) -> str | None:
    """The stage whose test runs ``occ``'s line; None: no test runs it (a failure)."""
    if occ.words[0] != "spec-kitty":
        return None
    if occ.sub == "merge":
        return "recovery" if occ.flags & {"--resume", "--abort"} else "lifecycle"
    if occ.sub in _LIFECYCLE:
        return "lifecycle"
    if occ.sub in {"status", "next"}:
        return "board"
    if occ.sub == "dashboard":
        return "dashboard"
    if occ.sub in {"agents", "--help"}:
        return "agents"
    return None


# -- filling and running --------------------------------------------------------------------


def fill(occ: Occurrence, values: dict[str, str]) -> str:
    """``occ``'s line with every placeholder replaced; a value not known yet is a KeyError."""
    text = occ.line
    for option, key in (("--input-file", "report"), ("--feedback-file", "fb")):
        if f"{option} <file>" in text:  # the analysis report, the review's feedback
            text = text.replace(f"{option} <file>", f"{option} {shlex.quote(values[key])}")
    for placeholder, value in (
        ("<mission>", lambda: values["mission"]),
        ("<name>", lambda: values["name"]),
        ("<reference>", lambda: values["reference"]),
        ("<summary>", lambda: values["summary"]),
        ("<WP>", lambda: WP_OF[occ.agent]),
        ("<agent>", lambda: occ.agent),
    ):
        if placeholder in text:
            text = text.replace(placeholder, value())
    left = _PLACEHOLDER.findall(text)
    assert not left, f"{occ.path}: no value for {left} in {occ.line!r}"
    return text


VALUES = {
    "name": "Checkout flow",
    "reference": "PR-12",
    "summary": "Implemented the part, with its tests",
}


@dataclass
class Runner:
    """Runs the distinct filled lines of one stage, remembering what ran and from where."""

    stage: str
    generated: Generated
    home: Path
    values: dict[str, str] = field(default_factory=lambda: dict(VALUES))
    ran: dict[str, int] = field(default_factory=dict)  # filled line -> times run
    sources: dict[str, set[str]] = field(default_factory=dict)  # filled line -> paths

    @property
    def mine(self) -> list[Occurrence]:
        return [o for o in self.generated.occurrences if stage_of(o) == self.stage]

    def pick(
        self,
        sub: str,
        *,
        has: Iterable[str] = (),
        lacks: Iterable[str] = (),
        agent: str | None = None,
        where: Callable[[Occurrence], bool] = lambda _: True,
    ) -> list[Occurrence]:
        """This stage's occurrences of ``sub`` with all of ``has``, none of ``lacks``."""
        has, lacks = set(has), set(lacks)
        picked = [
            o
            for o in self.mine
            if o.sub == sub
            and has <= o.flags
            and not (lacks & o.flags)
            and (agent is None or o.agent == agent)
            and where(o)
        ]
        assert picked, f"no {sub} line with {sorted(has)} (not {sorted(lacks)}) for {agent}"
        return picked

    def run(self, cwd: Path, occurrences: list[Occurrence]) -> list[dict[str, Any] | None]:
        """Run each distinct filled line of ``occurrences`` once, in order; each must succeed.

        Returns each line's JSON document (None for a line without ``--json``).
        """
        distinct: dict[str, set[str]] = {}
        for occ in occurrences:
            distinct.setdefault(fill(occ, self.values), set()).add(occ.path)
        return [self._run_line(cwd, line, paths) for line, paths in distinct.items()]

    def run_one(self, cwd: Path, occurrences: list[Occurrence]) -> dict[str, Any] | None:
        """:meth:`run` for occurrences that fill to exactly one line."""
        results = self.run(cwd, occurrences)
        assert len(results) == 1, [fill(o, self.values) for o in occurrences]
        return results[0]

    def _run_line(self, cwd: Path, line: str, paths: set[str]) -> dict[str, Any] | None:
        self.ran[line] = self.ran.get(line, 0) + 1
        self.sources.setdefault(line, set()).update(paths)
        argv = shlex.split(line)
        assert argv[0] == "spec-kitty"
        done = sk(cwd, self.home, *argv[1:])
        origin = ", ".join(sorted(paths)[:3]) + (f" (+{len(paths) - 3})" if len(paths) > 3 else "")
        detail = f"{line}\n  from {origin}\n  in {cwd}\n{done.stdout}{done.stderr}"
        assert done.returncode == 0, f"exit {done.returncode}: {detail}"
        assert "Traceback" not in done.stderr, detail
        if "--json" not in argv:
            return None
        try:
            document: dict[str, Any] = json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"not one JSON document: {detail}")
        return document

    def expected(self) -> dict[str, set[str]]:
        """Every distinct filled line of this stage -> the harnesses whose files have it."""
        lines: dict[str, set[str]] = {}
        for occ in self.mine:
            lines.setdefault(fill(occ, self.values), set()).add(occ.agent)
        return lines

    def assert_ran_everything(self) -> None:
        expected = self.expected()
        missing = sorted(set(expected) - set(self.ran))
        extra = sorted(set(self.ran) - set(expected))
        assert not missing, f"{self.stage}: lines never run: {missing}"
        assert not extra, f"{self.stage}: lines run that no file has: {extra}"
        for key in KEYS:  # every harness's lines of this stage were run
            theirs = {line for line, agents in expected.items() if key in agents}
            assert theirs, f"{self.stage}: {key} has no line"
            assert theirs <= set(self.ran), key


def project(tmp_path: Path) -> Path:
    """A repository as an agent finds it: initialised, with every harness's files."""
    root = make_repo(tmp_path / "repo")
    sk_json(root, tmp_path / "home", "init", "--ai", ",".join(KEYS))
    return root


def mission_with(root: Path, home: Path, tasks_md: str) -> tuple[str, Path]:
    """A finalized lanes mission with ``tasks_md``, made with the CLI (not a stage's lines)."""
    made = sk_json(root, home, "specify", "Checkout flow", "--mission-type", "software-dev")
    mission_dir = Path(str(made["feature_dir"]))
    (mission_dir / "spec.md").write_text(SPEC_MD)
    sk_json(root, home, "plan", "--mission", str(made["mid8"]))
    (mission_dir / "plan.md").write_text(PLAN_MD)
    sk_json(root, home, "tasks", "--mission", str(made["mid8"]))
    (mission_dir / "tasks.md").write_text(tasks_md)
    sk_json(root, home, "finalize-tasks", "--mission", str(made["mid8"]))
    return str(made["mid8"]), mission_dir


def tasks_md(wps: Iterable[str]) -> str:
    """A written tasks.md: one work package per name, each owning its part and its test."""
    sections = [
        f"## Work Package {wp}: Part {i}\n\n**Depends on**: none\n"
        f"**Requirement Refs**: FR-001\n**Owned Files**: src/p{i}.py, tests/test_p{i}.py\n\n"
        f"Delivers part {i}; a reviewer runs its test.\n\n"
        f"- [ ] T{i:03d} Write part {i}\n- [ ] T{i + 100:03d} Test part {i}\n"
        for i, wp in enumerate(wps, 1)
    ]
    return "# Tasks\n\n" + "\n".join(sections)


def board(root: Path, home: Path, mid8: str) -> dict[str, str]:
    document = sk_json(root, home, "status", "--mission", mid8)
    return {wp: entry["lane"] for wp, entry in document["work_packages"].items()}


# -- the extraction -------------------------------------------------------------------------


def test_every_generated_file_is_read_and_has_its_command_lines(generated: Generated) -> None:
    per_harness = {h.key: (0 if h.commands is None else len(COMMANDS)) for h in HARNESSES}
    for h in HARNESSES:
        per_harness[h.key] += h.overview is not None
    assert len(generated.files) == sum(per_harness.values()) + 1  # + AGENTS.md
    for key, count in per_harness.items():
        assert sum(1 for k in generated.owner.values() if k == key) == count, key
    for path, lines in generated.lines.items():
        assert lines, f"{path}: no spec-kitty line found"
        for line in lines:
            assert "$" not in line and "{{" not in line, f"{path}: unrendered {line!r}"
            assert set(_PLACEHOLDER.findall(line)) <= PLACEHOLDERS, f"{path}: {line!r}"
    # Each command file has the lines of its command, in every harness and format.
    for h in HARNESSES:
        if h.commands is None:
            continue
        for command in COMMANDS:
            path = h.commands.path.format(name=command.name)
            have = [Occurrence(path, h.key, line) for line in generated.lines[path]]
            for sub, flags in EXPECTED_PER_COMMAND[command.name]:
                assert any(o.sub == sub and flags <= o.flags for o in have), (path, sub, flags)
            assert any(h.key in o.words for o in have), f"{path}: {h.key} is not in its lines"
    subs = {o.sub for o in generated.occurrences}
    assert subs >= REQUIRED, REQUIRED - subs


def test_every_line_belongs_to_a_tested_stage(generated: Generated) -> None:
    unstaged = sorted({(o.line, o.path) for o in generated.occurrences if stage_of(o) is None})
    assert not unstaged, f"lines no test runs: {unstaged}"
    stages = {stage_of(o) for o in generated.occurrences}
    assert stages == {"lifecycle", "recovery", "board", "dashboard", "agents"}


def test_the_extractor_reads_fences_spans_and_toml() -> None:
    text = (
        "Run `spec-kitty status` or `spec-kitty:template` (not a line); `spec-kitty`.\n"
        "```bash\nspec-kitty next --agent x --json\n  spec-kitty plan --mission M\n"
        "echo spec-kitty no\n```\n"
        "~~~text\nspec-kitty review WP01 --json\n~~~\n"
        "```bash\nspec-kitty agent mission create \"x\" \\\n  --json\n```\n"
    )
    assert markdown_lines(text) == [
        "spec-kitty status",
        "spec-kitty next --agent x --json",
        "spec-kitty plan --mission M",
        "spec-kitty review WP01 --json",
        'spec-kitty agent mission create "x" --json',
    ]
    toml = (
        "# see `spec-kitty agents remove x`\nprompt = '''\n```bash\nspec-kitty status\n```\n'''\n"
    )
    assert file_lines("a.toml", toml) == ["spec-kitty agents remove x", "spec-kitty status"]


# -- the stages -----------------------------------------------------------------------------


def test_lifecycle_lines_run_from_specify_to_accept(tmp_path: Path, generated: Generated) -> None:
    root = project(tmp_path)
    home = tmp_path / "home"
    run = Runner("lifecycle", generated, home)
    run.values["report"] = str(tmp_path / "analysis-report.md")
    run.values["fb"] = str(tmp_path / "feedback.md")
    (tmp_path / "analysis-report.md").write_text(ANALYSIS)
    (tmp_path / "feedback.md").write_text(FEEDBACK)

    made = run.run_one(root, run.pick("specify"))
    assert made is not None
    mid8 = str(made["mid8"])
    run.values["mission"] = mid8
    mission_dir = Path(str(made["feature_dir"]))
    (mission_dir / "spec.md").write_text(SPEC_MD)
    run.run_one(root, run.pick("plan"))
    assert (mission_dir / "plan.md").read_text().startswith(TEMPLATE_MARKER)
    (mission_dir / "plan.md").write_text(PLAN_MD)
    run.run_one(root, run.pick("tasks"))  # scaffolds tasks.md, commits plan.md
    assert (mission_dir / "tasks.md").read_text().startswith(TEMPLATE_MARKER)
    (mission_dir / "tasks.md").write_text(tasks_md(WP_OF.values()))
    run.run_one(root, run.pick("tasks"))  # "3. Commit it"
    assert not (mission_dir / "tasks.md").read_text().lstrip().startswith(TEMPLATE_MARKER)
    run.run_one(root, run.pick("record-analysis"))
    analysis = run.run_one(root, run.pick("analyze"))
    assert analysis is not None
    assert analysis["stale"] is False
    finalized = run.run_one(root, run.pick("finalize-tasks"))
    assert finalized is not None
    assert finalized["seeded"] == list(WP_OF.values())

    for key, wp in WP_OF.items():
        started = run.run_one(root, run.pick("implement", agent=key))
        assert started is not None
        workspace = Path(str(started["workspace_path"]))
        part = int(wp[2:])
        commit_work(workspace, f"src/p{part}.py", f"PART = {part}\n")
        run.run_one(workspace, run.pick("move-task", agent=key))  # from its workspace
        brief = run.run_one(root, run.pick("review", agent=key, lacks={"--approve", "--reject"}))
        assert brief is not None
        assert board(root, home, mid8)[wp] == "for_review"  # the brief changed nothing
        run.run_one(root, run.pick("review", agent=key, has={"--reject"}))  # back to planned
        again = run.run_one(root, run.pick("implement", agent=key))
        assert FEEDBACK.strip() in json.dumps(again), "the feedback is not in the brief"
        assert again is not None
        assert Path(str(again["workspace_path"])) == workspace  # the same lane worktree
        commit_work(workspace, f"tests/test_p{part}.py", "def test_empty_basket(): pass\n")
        run.run_one(workspace, run.pick("move-task", agent=key))
        run.run_one(root, run.pick("review", agent=key, has={"--approve"}))

    run.run_one(root, run.pick("merge", has={"--dry-run"}))
    run.run_one(root, run.pick("merge", lacks={"--dry-run"}))  # refused unless all approved
    assert set(board(root, home, mid8).values()) == {"done"}
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
    accepted = run.run(root, run.pick("accept"))  # every harness accepts (recorded once)
    assert len(accepted) == len(KEYS)
    first = accepted[0]
    assert first is not None
    assert (first["ready"], first["accepted_by"]) == (True, KEYS[0])
    run.assert_ran_everything()


def _conflicting_mission(root: Path, home: Path) -> str:
    """Two approved lanes that both rewrite README.md: the merge stops on a conflict."""
    mid8, _ = mission_with(root, home, tasks_md(["WP01", "WP02"]))
    for wp in ("WP01", "WP02"):
        started = sk_json(root, home, "implement", wp, "--mission", mid8, "--agent", "claude")
        commit_work(Path(started["workspace_path"]), "README.md", f"written by {wp}\n")
        sk_json(root, home, "move-task", wp, "--to", "for_review", "--mission", mid8)
        sk_json(
            root, home, "review", wp, "--mission", mid8, "--approve",
            "--reviewer", "codex", "--reference", "PR-1",
        )  # fmt: skip
    return mid8


def _stop_on_conflict(root: Path, home: Path, mid8: str) -> None:
    stopped = sk(root, home, "merge", "--mission", mid8, "--json")
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert json.loads(stopped.stdout)["error"]["code"] == "MERGE_CONFLICT"


def test_merge_abort_and_resume_lines_run_on_a_stopped_merge(
    tmp_path: Path, generated: Generated
) -> None:
    root = project(tmp_path)
    home = tmp_path / "home"
    run = Runner("recovery", generated, home)
    mid8 = run.values["mission"] = _conflicting_mission(root, home)
    before = git(root, "rev-parse", "main")

    _stop_on_conflict(root, home, mid8)
    run.run_one(root, run.pick("merge", has={"--abort"}))
    assert git(root, "rev-parse", "main") == before
    assert set(board(root, home, mid8).values()) == {"approved"}

    _stop_on_conflict(root, home, mid8)
    (root / "README.md").write_text("written by both\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "--no-edit")
    run.run_one(root, run.pick("merge", has={"--resume"}))
    assert set(board(root, home, mid8).values()) == {"done"}
    run.assert_ran_everything()


def test_board_lines_run_before_any_mission_and_during_one(
    tmp_path: Path, generated: Generated
) -> None:
    root = project(tmp_path)
    home = tmp_path / "home"
    run = Runner("board", generated, home)
    # Entering the loop in a fresh repository (AGENTS.md, the skill): no mission yet.
    fresh = [o for o in run.mine if "<mission>" not in o.line]
    assert {o.sub for o in fresh} == {"status", "next"}
    run.run(root, fresh)

    mid8, _ = mission_with(root, home, tasks_md(["WP01", "WP02", "WP03"]))
    run.values["mission"] = mid8
    started = sk_json(root, home, "implement", "WP01", "--mission", mid8, "--agent", KEYS[0])
    commit_work(Path(started["workspace_path"]), "src/p1.py", "PART = 1\n")
    sk_json(root, home, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    sk_json(root, home, "implement", "WP02", "--mission", mid8, "--agent", KEYS[1])
    run.run(root, run.mine)  # every board line, from the primary checkout
    run.run(Path(started["workspace_path"]), run.pick("status", has={"--mission"}))
    run.assert_ran_everything()


def _dashboards(home: Path) -> list[int]:
    return daemons(home, "spec_kitty_cli._dashboard")


def test_dashboard_lines_start_report_and_stop_it(tmp_path: Path, generated: Generated) -> None:
    root = project(tmp_path)
    home = tmp_path / "sk-home"
    run = Runner("dashboard", generated, home)
    try:
        started = run.run_one(root, run.pick("dashboard", has={"--json"}))
        assert started is not None
        assert started["url"].startswith("http://127.0.0.1:")
        assert _dashboards(home) == [started["pid"]]
        run.run_one(root, run.pick("dashboard", where=lambda o: o.words[2] == "status"))
        run.run_one(root, run.pick("dashboard", where=lambda o: o.words[2] == "stop"))
        deadline = time.monotonic() + 10
        while _dashboards(home) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _dashboards(home) == [], "the dashboard outlived `spec-kitty dashboard stop`"
    finally:
        sk(root, home, "dashboard", "stop")
        for pid in _dashboards(home):
            os.kill(pid, signal.SIGKILL)
    assert _dashboards(home) == []
    run.assert_ran_everything()


def test_agents_lines_and_help_run(tmp_path: Path, generated: Generated) -> None:
    root = project(tmp_path)
    run = Runner("agents", generated, tmp_path / "home")
    run.run(root, run.pick("agents", where=lambda o: o.words == ["spec-kitty", "agents"]))
    run.run(root, run.pick("--help"))
    # Each file's note: `spec-kitty agents remove KEY` deletes that harness's files.
    run.run(root, run.pick("agents", where=lambda o: o.words[2:3] == ["remove"]))
    assert not (root / MANIFEST).exists()
    assert not (root / AGENTS_MD).exists()
    assert git(root, "status", "--porcelain") == ""
    run.assert_ran_everything()
