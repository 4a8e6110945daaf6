"""Concurrent writers: many ``spec-kitty`` processes change one mission's status at once.

Eight agents work on eight independent work packages of one mission and each runs
its next command at the same moment, round after round, mixing ``implement``,
``move-task`` and ``review --reject``. Every one of those commands appends to the
same ``status.events.jsonl``, rewrites the same ``status.json`` and commits both to
the status branch (the target under ``lanes``, the coordination branch under
``coord``). After every round: every process succeeded, the committed log holds
exactly the events the round's commands made (none lost, none twice, nothing
rewritten), the committed ``status.json`` is the reduction of the committed log,
and every checkout is clean.

Then the race the status lock exists for: six agents ``implement`` the same work
package at once. Exactly one gets it; every other one is told that it is claimed
(``WORK_PACKAGE_CLAIMED``), not that a transition is illegal, and the log records
one claim.

The processes start together through a barrier: each one imports the CLI, says
it is ready, and waits for a go file, created once all of them are ready; then
it runs the command line exactly as ``python -m spec_kitty_cli`` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, git, make_repo, ok_json

from mission_status import materialize_snapshot, render_status_json

WPS = [f"WP{n:02d}" for n in range(1, 9)]
#: Eight independent work packages, each owning its own file (so each gets its own lane).
TASKS = "".join(
    f"## Work Package {wp}: Part {wp}\n\n**Owned Files**: src/{wp.lower()}.py\n\n"
    f"- [ ] T{wp[2:]} do it\n\n"
    for wp in WPS
)

#: The barrier: import the CLI, report ready, wait for the go file, run the command line.
_LAUNCHER = """\
import os, sys, time
import spec_kitty_cli.app
from spec_kitty_cli._entry import main
ready, go, *args = sys.argv[1:]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
main(args)
"""
TIMEOUT = 120

Transition = tuple[str, str]
CLAIM = [("planned", "claimed"), ("claimed", "in_progress")]
REJECT = [("for_review", "in_review"), ("in_review", "planned")]


@dataclass(frozen=True)
class Step:
    """One command of one agent: its arguments (after the WP id) and the events it makes."""

    command: str
    args: tuple[str, ...]
    makes: tuple[Transition, ...]


def implement(agent: str, *makes: Transition) -> Step:
    return Step("implement", ("--agent", agent), makes)


def move(to: str, agent: str, made: Transition, *extra: str) -> Step:
    return Step("move-task", ("--to", to, "--actor", agent, *extra), (made,))


def schedule(index: int, feedback: Path) -> list[Step]:
    """The eight commands, one a round, of the agent on WP number ``index``.

    Odd and even agents take different paths, so every round mixes commands.
    """
    agent = f"agent-{index}"
    reject = Step(
        "review",
        ("--reject", "--feedback-file", str(feedback), "--reviewer", "reviewer"),
        tuple(REJECT),
    )
    back = ("--note", "handing it back")
    if index % 2:
        return [
            implement(agent, *CLAIM),
            move("for_review", agent, ("in_progress", "for_review")),
            reject,
            implement(agent, *CLAIM),
            move("blocked", agent, ("in_progress", "blocked")),
            move("in_progress", agent, ("blocked", "in_progress")),
            move("planned", agent, ("in_progress", "planned"), *back),
            implement(agent, *CLAIM),
        ]
    return [
        move("claimed", agent, ("planned", "claimed")),
        move("in_progress", agent, ("claimed", "in_progress")),
        move("planned", agent, ("in_progress", "planned"), *back),
        move("claimed", agent, ("planned", "claimed")),
        implement(agent, ("claimed", "in_progress")),
        move("for_review", agent, ("in_progress", "for_review")),
        reject,
        move("claimed", agent, ("planned", "claimed")),
    ]


@dataclass(frozen=True)
class Finished:
    """What one process of a round did."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"{' '.join(self.argv)} -> {self.returncode}\n{self.stdout}{self.stderr}"

    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


@contextmanager
def started(processes: list[subprocess.Popen[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """Make sure no process of ``processes`` outlives the block."""
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()


def run_together(cwd: Path, scratch: Path, commands: list[tuple[str, ...]]) -> list[Finished]:
    """Run every command line at once (each with ``--json``) and wait for all of them."""
    scratch.mkdir(parents=True)
    go = scratch / "go"
    readies = [scratch / f"ready-{n}" for n in range(len(commands))]
    processes: list[subprocess.Popen[str]] = []
    with started(processes):
        for ready, argv in zip(readies, commands, strict=True):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", _LAUNCHER, str(ready), str(go), *argv, "--json"],
                    cwd=cwd,
                    env=ENV,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + TIMEOUT
        while not all(ready.exists() for ready in readies):
            assert all(process.poll() is None for process in processes), "a launcher died"
            assert time.monotonic() < deadline, "the launchers never got ready"
            time.sleep(0.005)
        go.touch()
        finished = []
        for argv, process in zip(commands, processes, strict=True):
            out, err = process.communicate(timeout=TIMEOUT)
            finished.append(Finished(argv, process.returncode, out, err))
    return finished


@dataclass(frozen=True)
class Mission:
    """A mission of eight independent WPs, finalized; ``branch`` holds its status."""

    root: Path
    mid8: str
    name: str
    branch: str

    def committed(self, file: str) -> str:
        return git(self.root, "show", f"{self.branch}:kitty-specs/{self.name}/{file}")

    def committed_rows(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.committed("status.events.jsonl").splitlines()]

    def reduction_of_committed_log(self, scratch: Path) -> str:
        """What ``materialize`` writes for the committed log (and committed meta.json)."""
        directory = scratch / self.name
        directory.mkdir(parents=True)
        for file in ("status.events.jsonl", "meta.json"):
            (directory / file).write_text(self.committed(file) + "\n")
        return render_status_json(materialize_snapshot(directory))

    def lanes(self) -> dict[str, str]:
        board = ok_json(self.root, "status", "--mission", self.mid8)
        return {wp: entry["lane"] for wp, entry in board["work_packages"].items()}

    def assert_consistent(self, scratch: Path) -> None:
        """The committed view is the committed log's, and every checkout is clean."""
        view = self.committed("status.json") + "\n"
        assert view == self.reduction_of_committed_log(scratch), view
        listing = git(self.root, "worktree", "list", "--porcelain").splitlines()
        for line in listing:
            if line.startswith("worktree "):
                checkout = Path(line.split(" ", 1)[1])
                assert git(checkout, "status", "--porcelain") == "", checkout


def new_mission(root: Path, topology: str) -> Mission:
    make_repo(root)
    ok_json(root, "init")
    made = ok_json(root, "specify", "Many hands", "--topology", topology)
    mid8, mission_dir = str(made["mid8"]), Path(str(made["feature_dir"]))
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    branch = str(made["coordination_branch"] or "main")
    return Mission(root, mid8, mission_dir.name, branch)


def transitions(rows: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """``(wp, from, to)`` of every transition row (annotations carry no ``to_lane``)."""
    return Counter(
        (row["wp_id"], row["from_lane"], row["to_lane"]) for row in rows if "to_lane" in row
    )


@pytest.mark.parametrize("topology", ["lanes", "coord"])
def test_eight_writers_at_once_lose_nothing(tmp_path: Path, topology: str) -> None:
    mission = new_mission(tmp_path / "repo", topology)
    feedback = tmp_path / "feedback.md"
    feedback.write_text("Needs another pass.\n")
    plans = {wp: schedule(n, feedback) for n, wp in enumerate(WPS, start=1)}
    lanes = dict.fromkeys(WPS, "planned")
    rows = mission.committed_rows()

    for round_no in range(len(plans[WPS[0]])):
        steps = {wp: plans[wp][round_no] for wp in WPS}
        commands = [
            (step.command, wp, "--mission", mission.mid8, *step.args) for wp, step in steps.items()
        ]
        finished = run_together(mission.root, tmp_path / f"round-{round_no}", commands)
        for run in finished:
            assert run.returncode == 0, f"round {round_no}: {run}"
            assert "Traceback" not in run.stderr, f"round {round_no}: {run}"
            assert run.document().get("warning") is None, f"round {round_no}: {run}"

        committed = mission.committed_rows()
        shown = f"round {round_no}, committed log:\n{mission.committed('status.events.jsonl')}"
        assert committed[: len(rows)] == rows, f"a committed row changed or vanished; {shown}"
        new = committed[len(rows) :]
        expected = Counter((wp, old, to) for wp, step in steps.items() for old, to in step.makes)
        assert transitions(new) == expected, shown
        ids = [row["event_id"] for row in committed]
        assert len(ids) == len(set(ids)), f"an event appears twice; {shown}"
        reported = {run.document()["event_id"] for run in finished if run.argv[0] == "move-task"}
        assert reported <= set(ids), f"a reported event is not committed; {shown}"

        mission.assert_consistent(tmp_path / f"reduced-{round_no}")
        lanes.update({wp: step.makes[-1][1] for wp, step in steps.items()})
        assert mission.lanes() == lanes, f"round {round_no}"
        rows = committed


@pytest.mark.parametrize("topology", ["lanes", "coord"])
def test_six_agents_claiming_one_wp_one_wins(tmp_path: Path, topology: str) -> None:
    mission = new_mission(tmp_path / "repo", topology)
    agents = [f"agent-{n}" for n in range(1, 7)]
    commands = [
        ("implement", "WP01", "--mission", mission.mid8, "--agent", agent) for agent in agents
    ]
    finished = run_together(mission.root, tmp_path / "race", commands)
    shown = "\n".join(map(str, finished))

    winners = [run for run in finished if run.returncode == 0]
    assert len(winners) == 1, shown
    winner = winners[0].argv[-1]
    for run in finished:
        if run is winners[0]:
            continue
        assert run.returncode == 1, shown
        error = run.document()["error"]
        assert error["code"] == "WORK_PACKAGE_CLAIMED", shown
        assert winner in error["message"], shown

    claims = transitions(mission.committed_rows())
    wp01 = {edge: count for edge, count in claims.items() if edge[0] == "WP01"}
    assert wp01 == {
        ("WP01", "genesis", "planned"): 1,
        ("WP01", "planned", "claimed"): 1,
        ("WP01", "claimed", "in_progress"): 1,
    }, mission.committed("status.events.jsonl")
    board = ok_json(mission.root, "status", "--mission", mission.mid8)["work_packages"]
    assert (board["WP01"]["lane"], board["WP01"]["actor"]) == ("in_progress", winner)
    mission.assert_consistent(tmp_path / "reduced")
