"""A project laid out as spec-kitty 3.2.7 lays one out, carried by ours from its own files.

The fixture is built from 3.x's documented formats (docs/compat.md), not copied: its
metadata and config under ``.kittify/``, the Claude hooks, ``.gitattributes`` and the six
``spec-kitty merge-driver-*`` drivers in the local git config, and the command files 3.x
writes for three harnesses, each in its own format: Claude's Markdown under
``$HOME/.claude/commands``, Gemini's TOML (``{{args}}``) under ``$HOME/.gemini/commands``,
and Codex's command skills under ``.agents/skills``. Seven commands are 3.x's thin shims
(one line with the harness's argument token); the others are prompts whose command lines
are the ones 3.x's prompts use, each prompt starting with the upgrade check.

Every ``spec-kitty`` line of those files is extracted and run, in lifecycle order, before
and without ``spec-kitty init``: each exits 0, except the lines of 3.x families we do not
carry over, which get ``NOT_CARRIED_OVER`` (and nothing else). A line left unrun fails the
test. The lines 3.x's own output tells an agent to run next (``move-task --to for_review``,
the verdicts) run too. Then the hooks exit 0, ``init`` adopts the project, and two branches'
event logs merge through the adopted drivers without a conflict.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, commit_work, file_lines, git, make_repo

from spec_kitty_cli._compat3 import NOT_CARRIED, not_carried

# -- the 3.x project -------------------------------------------------------------------------

METADATA = "# Spec Kitty Project Metadata\nspec_kitty:\n  schema_version: 3\n  version: 3.2.7\n"
CONFIG = "vcs:\n  type: git\nagents:\n  available:\n  - claude\n  - gemini\n  - codex\n"
HOOKS = {
    "hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": "spec-kitty session-start"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "spec-kitty session-stop"}]}],
    }
}
DRIVERS = {
    "event-log": "status.events.jsonl",
    "meta": "meta.json",
    "traces": "traces/*.md",
    "acceptance-matrix": "acceptance-matrix.json",
    "issue-matrix": "issue-matrix.json",
    "review-cycle": "tasks/*/review-cycle-*.md",
}
#: Harness -> the token its files put where the user's arguments go.
HARNESSES = {"claude": "$ARGUMENTS", "gemini": "{{args}}", "codex": "$ARGUMENTS"}
#: 3.x's thin command files: "Run this exact command" and one line.
SHIMS = {
    "implement": "spec-kitty agent action implement {args} --agent {agent}",
    "review": "spec-kitty agent action review {args} --agent {agent}",
    "accept": "spec-kitty agent mission accept {args}",
    "dashboard": "spec-kitty dashboard {args}",
    "merge": "spec-kitty merge {args}",
    "status": "spec-kitty agent tasks status {args}",
    "tasks-finalize": "spec-kitty agent mission finalize-tasks {args}",
}
UPGRADE_CHECK = (
    "spec-kitty upgrade --agent-check --json",
    "spec-kitty upgrade --agent-choice <upgrade_now|always|not_now|never_ask> "
    "--agent-latest <latest_version> --json",
)
#: 3.x's prompts: the command lines of each, in the order an agent meets them (a line that
#: is too long for one is written over several, ending in ``\``, as 3.x writes them).
PROMPTS: dict[str, tuple[str, ...]] = {
    "specify": (
        "spec-kitty charter context --action specify --json",
        "spec-kitty agent mission branch-context --json",
        "spec-kitty agent mission check-prerequisites --mission <provisional-slug> \\\n"
        "  --resume-probe --json",
        'spec-kitty agent mission create "<slug>" \\\n  --mission-type "<mission-type>" \\\n'
        '  --friendly-name "<title>" \\\n  --purpose-tldr "<purpose_tldr>" \\\n  --json',
        'spec-kitty spec-commit --mission <slug> --message "Add spec for <slug>" \\\n'
        "  <feature_dir>/spec.md <feature_dir>/meta.json",
        "spec-kitty mission list --json",
    ),
    "plan": (
        "spec-kitty agent context resolve --action plan --mission <handle> --json",
        "spec-kitty agent mission setup-plan --mission <handle> --json",
        "spec-kitty agent mission branch-context --json --target-branch <intended-branch>",
        "spec-kitty agent decision verify --mission <slug>",
    ),
    "tasks-outline": (
        "spec-kitty agent context resolve --action tasks_outline --mission <mission-slug> --json",
    ),
    "tasks-packages": (
        "spec-kitty agent context resolve --action tasks_packages --mission <mission-slug> --json",
        "spec-kitty agent tasks map-requirements --batch '{\"WP01\":[\"FR-001\"],"
        "\"WP02\":[\"FR-002\"]}' --mission <mission-slug> --json",
        "spec-kitty agent tasks map-requirements --wp WP03 --refs FR-001,FR-002 "
        "--mission <mission-slug> --json",
        "spec-kitty agent tasks map-requirements --mission <mission-slug> --json",
    ),
    "tasks": (
        "spec-kitty agent context resolve --action tasks --mission <mission-slug> --json",
        "spec-kitty agent mission check-prerequisites --json --paths-only --include-tasks "
        "--mission <mission-slug>",
        "spec-kitty agent mission finalize-tasks --validate-only --mission <mission-slug> --json",
        "spec-kitty agent mission finalize-tasks --mission <mission-slug> --json",
    ),
    "analyze": (
        "spec-kitty agent mission check-prerequisites --json --include-tasks "
        "--mission <mission-slug>",
        "spec-kitty agent mission record-analysis --mission <mission-slug> "
        "--input-file <path-to-temp-report.md> --json",
        "spec-kitty agent mission record-analysis --mission <mission-slug> --input-file - --json",
        "spec-kitty next --agent <agent> --mission <handle> --json",
        "spec-kitty next --agent <agent> --mission <handle> --result success --json",
    ),
    "charter": (
        "spec-kitty charter status --json",
        "spec-kitty charter interview --defaults --profile minimal --json",
        "spec-kitty charter generate --from-interview --json",
        "spec-kitty agent profile list --json",
    ),
}
#: The lines 3.x's own output tells the agent to run next (after implement, after review).
PRINTED = {
    "done": "spec-kitty agent tasks mark-status <Txxx> --status done --mission <slug>",
    "for_review": "spec-kitty agent tasks move-task <WP> --to for_review --mission <slug> "
    '--note "Ready for review"',
    "approve": "spec-kitty agent tasks move-task <WP> --to approved --mission <slug> "
    '--note "Review passed"',
    "reject": "spec-kitty agent tasks move-task <WP> --to planned --review-feedback-file <file> "
    "--mission <slug>",
}
WP_OF = {"claude": "WP01", "codex": "WP02", "gemini": "WP03"}
TASKS = """\
# Tasks

## Work Package WP01: Cart

**Owned Files**: src/cart.py

- [ ] T001 the cart

## Work Package WP02: Payment

**Owned Files**: src/pay.py

- [ ] T002 the payment

## Work Package WP03: Receipt

**Owned Files**: src/receipt.py

- [ ] T003 the receipt
"""
SPEC = "# Checkout\n\n- FR-001: a shopper pays in one step\n- FR-002: a receipt is sent\n"


def _body(command: str, args: str, agent: str) -> str:
    check = "\n".join(UPGRADE_CHECK)
    if command in SHIMS:
        line = SHIMS[command].format(args=args, agent=agent)
        return f"Run this exact command and show its output:\n\n`{line}`\n"
    blocks = "\n\n".join(f"```bash\n{line}\n```" for line in PROMPTS[command])
    return f"## Startup Upgrade Check\n\n```bash\n{check}\n```\n\n## Steps\n\n{blocks}\n"


def command_files(root: Path, home: Path) -> dict[Path, tuple[str, str]]:
    """Write each harness's 3.x command files; ``{path: (harness, command)}``."""
    written: dict[Path, tuple[str, str]] = {}
    for command in (*SHIMS, *PROMPTS):
        for agent, args in HARNESSES.items():
            body = _body(command, args, agent)
            description = f"spec-kitty {command}"
            if agent == "claude":
                path = home / ".claude" / "commands" / f"spec-kitty.{command}.md"
                text = (f"---\ndescription: {description}\n---\n"
                        f"<!-- spec-kitty-command-version: 3.2.7 -->\n{body}")  # fmt: skip
            elif agent == "gemini":
                path = home / ".gemini" / "commands" / f"spec-kitty.{command}.toml"
                text = f'description = "{description}"\nprompt = """\n{body}"""\n'
            else:
                path = root / ".agents" / "skills" / f"spec-kitty.{command}" / "SKILL.md"
                text = (f"---\nname: spec-kitty.{command}\ndescription: {description}\n"
                        f"user-invocable: true\n---\n{body}")  # fmt: skip
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written[path] = (agent, command)
    return written


def project_3x(base: Path) -> tuple[Path, Path]:
    """A repository set up as 3.2.7 sets one up, and the ``$HOME`` it wrote to."""
    root = make_repo(base / "repo")
    home = base / "home"
    (root / ".kittify").mkdir()
    (root / ".kittify" / "metadata.yaml").write_text(METADATA)
    (root / ".kittify" / "config.yaml").write_text(CONFIG)
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text(json.dumps(HOOKS, indent=2))
    (root / ".gitattributes").write_text(
        "".join(f"kitty-specs/**/{f} merge=spec-kitty-{n}\n" for n, f in DRIVERS.items())
    )
    for name in DRIVERS:
        git(root, "config", f"merge.spec-kitty-{name}.driver",
            f"spec-kitty merge-driver-{name} %O %A %B")  # fmt: skip
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "spec-kitty 3.2.7 init")
    return root, home


# -- running the lines ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One ``spec-kitty`` line as one harness's file writes it."""

    agent: str
    command: str
    text: str


@dataclass
class Agent:
    """Runs 3.x lines as an agent's shell would: ``spec-kitty`` on the PATH is ours."""

    root: Path
    home: Path
    values: dict[str, str] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    #: The file lines that have run (filled, as one of the lines in ``ran``).
    covered: set[Line] = field(default_factory=set)

    def run_line(self, line: Line, args: str = "", **kw: Any) -> Any:
        """Run ``line`` filled (a line filled to one already run counts as run)."""
        text = self.fill(line, args)
        self.covered.add(line)
        return None if text in self.ran else self.run(text, **kw)

    @property
    def env(self) -> dict[str, str]:
        bin_dir = self.home / "bin"
        if not bin_dir.exists():
            bin_dir.mkdir(parents=True)
            shim = bin_dir / "spec-kitty"
            shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m spec_kitty_cli "$@"\n')
            shim.chmod(0o755)
        return {
            **ENV,
            "HOME": str(self.home),
            "SPEC_KITTY_HOME": str(self.home / ".spec-kitty"),
            "PATH": f"{bin_dir}{os.pathsep}{ENV['PATH']}",
        }

    def fill(self, line: Line, args: str = "") -> str:
        text = line.text.replace(HARNESSES[line.agent], args).replace("<agent>", line.agent)
        for placeholder, value in self.values.items():
            text = text.replace(placeholder, value)
        assert "<" not in text.replace("<<", ""), f"unfilled: {text}"
        return text

    def run(self, text: str, *, cwd: Path | None = None, stdin: str | None = None) -> Any:
        """Run one filled line; exit 0 (or NOT_CARRIED_OVER for a family we dropped)."""
        self.ran.append(text)
        done = subprocess.run(
            shlex.split(text), cwd=cwd or self.root, env=self.env, input=stdin,
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        detail = f"{text}\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr, detail
        if not_carried(shlex.split(text)[1:]):
            assert done.returncode == 2, detail
            assert "NOT_CARRIED_OVER" in done.stdout + done.stderr, detail
            return None
        assert done.returncode == 0, detail
        return json.loads(done.stdout) if "--json" in text.split() else done.stdout


def extract(files: dict[Path, tuple[str, str]]) -> list[Line]:
    lines = []
    for path, (agent, command) in files.items():
        lines += [Line(agent, command, text) for text in file_lines(str(path), path.read_text())]
    return lines


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Agent, list[Line]]]:
    root, home = project_3x(tmp_path)
    agent = Agent(root, home)
    yield agent, extract(command_files(root, home))
    subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "dashboard", "--kill"],
        cwd=root, env=agent.env, capture_output=True, check=False,
    )  # fmt: skip


def test_every_line_of_a_3x_project_runs_on_ours(project: tuple[Agent, list[Line]]) -> None:
    agent, lines = project
    root = agent.root
    assert len({line.command for line in lines}) == len(SHIMS) + len(PROMPTS)

    def of(command: str) -> list[Line]:
        return [line for line in lines if line.command == command]

    def run_all(command: str, args: dict[str, str] | None = None, **kw: Any) -> list[Any]:
        """Each filled line of ``command``'s files not run yet, once, in file order."""
        results = []
        for line in of(command):
            if " mission create " in line.text:  # an agent creates its mission once (above)
                continue
            stdin = "All requirements covered.\n" if "--input-file -" in line.text else None
            given = (args or {}).get(line.agent, "")
            results.append(agent.run_line(line, given, stdin=stdin, **kw))
        return results

    report = root.parent / "analysis.md"
    report.write_text("# Analysis\n\nReady.\n")
    agent.values.update({
        "<upgrade_now|always|not_now|never_ask>": "not_now", "<latest_version>": "4.0.0",
        "<provisional-slug>": "checkout-flow", "<slug>": "checkout-flow",
        "<mission-type>": "software-dev",
        "<title>": "Checkout flow", "<purpose_tldr>": "Shoppers pay",
        "<intended-branch>": "main", "<path-to-temp-report.md>": str(report),
    })  # fmt: skip
    for check in UPGRADE_CHECK:
        assert any(line.text == check for line in of("specify"))

    # specify: create is its sixth line; the slug it returns names the mission from then on
    created: dict[str, Any] = {}
    for name in HARNESSES:  # every harness's copy fills to the same lines: each runs once
        for line in [line for line in of("specify") if line.agent == name][:6]:
            result = agent.run_line(line)
            if " mission create " in line.text and result:
                created = result
    slug, folder = created["mission_slug"], Path(created["feature_dir"])
    assert slug.startswith("checkout-flow-")
    agent.values.update({"<slug>": slug, "<mission-slug>": slug, "<handle>": slug,
                         "<feature_dir>": str(folder)})  # fmt: skip
    (folder / "spec.md").write_text(SPEC)
    run_all("specify")  # the rest, and every harness's copy (the same lines, filled)
    assert git(root, "log", "-1", "--format=%s") == f"Add spec for {slug}"

    run_all("plan")
    (folder / "plan.md").write_text("# Plan\n\nOne module per part.\n")
    (folder / "tasks.md").write_text(TASKS)
    run_all("tasks-outline")
    run_all("tasks-packages")
    run_all("tasks")
    run_all("tasks-finalize", {name: f"--mission {slug} --json" for name in HARNESSES})
    run_all("analyze")
    run_all("charter")
    run_all("status", {name: f"--mission {slug} --json" for name in HARNESSES})

    printed = {key: Line("claude", "printed", text) for key, text in PRINTED.items()}
    feedback = root.parent / "feedback.md"
    feedback.write_text("Handle an empty cart.\n")
    for name, wp in WP_OF.items():
        agent.values.update({"<WP>": wp, "<Txxx>": f"T00{wp[-1]}", "<file>": str(feedback)})
        args = {name: f"{wp} --mission {slug}"}
        started = [line for line in of("implement") if line.agent == name]
        agent.run_line(started[0], args[name])
        workspace = root / ".worktrees" / f"{slug}-lane-{'abc'[int(wp[-1]) - 1]}"
        commit_work(workspace, f"src/{['cart', 'pay', 'receipt'][int(wp[-1]) - 1]}.py", "x\n")
        agent.run(agent.fill(printed["done"]))
        agent.run(agent.fill(printed["for_review"]), cwd=workspace)
        reviewed = [line for line in of("review") if line.agent == name]
        agent.run_line(reviewed[0], args[name])
        if name == "codex":  # one rejection: back to planned with the feedback, then again
            agent.run(agent.fill(printed["reject"]))
            agent.run(agent.fill(started[0], args[name]))
            agent.run(agent.fill(printed["for_review"]), cwd=workspace)
            agent.run(agent.fill(reviewed[0], args[name]))
        agent.run(agent.fill(printed["approve"]))

    # /spec-kitty.merge with and without arguments: 3.x finds the repository's only mission
    run_all("merge", {"claude": f"--mission {slug} --dry-run --json", "gemini": "--json"})
    run_all("accept", {name: f"--mission {slug} --actor {name} --json" for name in HARNESSES})
    run_all("dashboard", {"claude": "--json", "gemini": "--json", "codex": "--kill"})

    board = agent.run(f"spec-kitty agent tasks status --mission {slug} --json")
    assert {row["id"]: row["lane"] for row in board["work_packages"]} == dict.fromkeys(
        ("WP01", "WP02", "WP03"), "done"
    )
    unrun = [line for line in lines if line not in agent.covered]
    assert unrun == [], f"lines no step ran: {unrun}"
    dropped = {text for text in agent.ran if not_carried(shlex.split(text)[1:])}
    assert {not_carried(shlex.split(t)[1:])[0] for t in dropped} <= set(NOT_CARRIED)  # type: ignore[index]
    assert len(dropped) == 6  # charter x4 (context, status, interview, generate), decision, profile


def test_the_hooks_and_adopted_drivers_of_a_3x_project(tmp_path: Path) -> None:
    root, home = project_3x(tmp_path)
    agent = Agent(root, home)
    for event in HOOKS["hooks"].values():
        agent.run(event[0]["hooks"][0]["command"], stdin='{"session_id": "s1"}')
    made = agent.run('spec-kitty agent mission create "Merged logs" --json')
    log = Path(made["feature_dir"]) / "status.events.jsonl"
    adopted = agent.run("spec-kitty init --json")["adopted"]
    assert adopted["drivers_rewired"] == list(DRIVERS)
    driver = git(root, "config", "merge.spec-kitty-event-log.driver")
    assert driver == f"{sys.executable} -m spec_kitty_cli merge-driver-event-log %O %A %B"
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "adopted")

    def event(n: int) -> str:
        row = {
            "actor": "a", "at": f"2026-01-0{n}T00:00:00+00:00",
            "event_id": f"01KTPK{n:02d}" + "0" * 18,
            "evidence": None, "execution_mode": "worktree", "force": False, "from_lane": "planned",
            "mission_slug": made["mission_slug"], "reason": None, "review_ref": None,
            "to_lane": "claimed", "wp_id": f"WP0{n}",
        }  # fmt: skip
        return json.dumps(row, sort_keys=True) + "\n"

    base = log.read_text() if log.exists() else ""
    git(root, "checkout", "-q", "-b", "other")
    log.write_text(base + event(2))
    git(root, "add", str(log))
    git(root, "commit", "-q", "-m", "other: WP02")
    git(root, "checkout", "-q", "main")
    log.write_text(base + event(1))
    git(root, "add", str(log))
    git(root, "commit", "-q", "-m", "main: WP01")
    git(root, "merge", "-q", "--no-edit", "other")  # no conflict: the driver merged them
    merged = [json.loads(row) for row in log.read_text().splitlines() if row]
    assert [row["wp_id"] for row in merged[-2:]] == ["WP01", "WP02"]  # by time, both kept
    assert git(root, "status", "--porcelain") == ""
