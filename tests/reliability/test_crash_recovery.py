"""A command killed at any git call converges, when run again, to an uninterrupted run.

For ``finalize-tasks``, ``implement``, ``review --approve``, ``review --reject`` and
``merge`` of a three-lane mission, the command is run once under the counting git wrapper
(see crash_support.py) to learn N, the number of git calls it makes, and what the
repository looks like after an uninterrupted run. Then, for every k in 1..N, a fresh copy
of the starting repository gets the command killed with SIGKILL right before (or right
after) its k-th git call, and the command is run again without the wrapper (a killed
``merge`` is continued with ``merge --resume``, or run plainly when no merge state was
left). The fingerprint of the result must equal the uninterrupted run's, the re-run must
exit 0 with exactly one JSON document, and no run may print a traceback.

A killed merge must also be abortable: ``merge --abort`` (when a merge state was left)
restores exactly what the repository looked like before the merge.

Each starting repository is built once per module (per xdist worker) and copied for every
kill point; one test per (command, when) lets xdist spread the work over the cores.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from crash_support import (
    TRACEBACK,
    InstrumentedRun,
    Mission,
    Run,
    clone_repository,
    fingerprint,
    fingerprint_diff,
    install_git_wrapper,
    processes_under,
    run_cli,
    run_instrumented,
)
from kitty_testing import TASKS_MD, commit_work, make_repo, ok_json

WHEN = ["before", "after"]

#: The command under test -> the stage of the mission it starts from.
COMMANDS = {
    "merge": "approved",  # the longest first, so that xdist balances the cores well
    "implement": "finalized",
    "finalize-tasks": "tasks-written",
    "review-approve": "in-review",
    "review-reject": "in-review",
}


def _command_args(command: str, mid8: str, feedback: Path) -> tuple[str, ...]:
    """The CLI arguments of ``command`` (always with ``--json``)."""
    mission = ("--mission", mid8)
    return {
        "finalize-tasks": ("finalize-tasks", *mission),
        "implement": ("implement", "WP01", *mission, "--agent", "A"),
        "review-approve": (
            "review", "WP01", *mission, "--approve", "--reviewer", "R", "--reference", "X",
        ),
        "review-reject": (
            "review", "WP01", *mission, "--reject", "--feedback-file", str(feedback),
            "--reviewer", "R",
        ),
        "merge": ("merge", *mission),
    }[command] + ("--json",)  # fmt: skip


@dataclass(frozen=True)
class Reference:
    """An uninterrupted run of one command from its starting repository."""

    calls: tuple[tuple[str, ...], ...]  # the argv of each of its git calls; N = len(calls)
    before: dict[str, Any]  # the fingerprint of the starting repository
    after: dict[str, Any]  # the fingerprint once the command finished


@dataclass
class Workbench:
    """The starting repositories and the uninterrupted references, built once and copied."""

    root: Path
    topology: str = "lanes"
    mission: Mission = field(init=False)
    feedback: Path = field(init=False)
    wrapper_dir: Path = field(init=False)
    stages: dict[str, Path] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wrapper_dir = install_git_wrapper(self.root / "bin")
        self.feedback = self.root / "feedback.md"  # outside every repository, shared by all
        self.feedback.write_text("Explain the model.\n")
        self._build_stages()

    def _snapshot(self, repo: Path, stage: str) -> None:
        self.stages[stage] = clone_repository(repo, self.root / "stages" / stage)

    def _build_stages(self) -> None:
        """One mission, driven forward, with a copy taken where each command starts."""
        repo = make_repo(self.root / "build")
        ok_json(repo, "init")
        made = ok_json(repo, "specify", "Checkout flow", "--topology", self.topology)
        mid8, mission_dir = str(made["mid8"]), Path(str(made["feature_dir"]))
        self.mission = Mission(
            mid8=mid8, directory=mission_dir.name, status_branch=made["coordination_branch"]
        )
        ok_json(repo, "tasks", "--mission", mid8)
        (mission_dir / "tasks.md").write_text(TASKS_MD)  # three WPs, disjoint files
        self._snapshot(repo, "tasks-written")

        finalized = ok_json(repo, "finalize-tasks", "--mission", mid8)
        assert len(finalized["lanes"]) == 3, finalized["lanes"]
        self._snapshot(repo, "finalized")

        work = {"WP01": "src/core.py", "WP02": "src/board.py", "WP03": "docs/guide.md"}
        for wp, path in work.items():
            started = ok_json(repo, "implement", wp, "--mission", mid8, "--agent", "A")
            commit_work(Path(started["workspace_path"]), path, f"# {wp}\n")
            ok_json(repo, "move-task", wp, "--to", "for_review", "--mission", mid8)
            if wp == "WP01":
                self._snapshot(repo, "in-review")
            ok_json(
                repo, "review", wp, "--mission", mid8, "--approve",
                "--reviewer", "R", "--reference", f"PR-{wp}",
            )  # fmt: skip
        self._snapshot(repo, "approved")

    def args(self, command: str) -> tuple[str, ...]:
        return _command_args(command, self.mission.mid8, self.feedback)

    def clone(self, command: str, name: str) -> tuple[Path, Path]:
        """A fresh copy of ``command``'s starting repository, and a scratch dir beside it."""
        point = self.root / "points" / name
        repo = clone_repository(self.stages[COMMANDS[command]], point / "repo")
        return repo, point / "calls"

    def discard(self, name: str) -> None:
        shutil.rmtree(self.root / "points" / name)

    def reference(self, command: str) -> Reference:
        """The counting (but uninterrupted) run of ``command``: N, and the fingerprints."""
        if command not in self.references:
            repo, scratch = self.clone(command, f"{command}-reference")
            before = fingerprint(repo, self.mission)
            counted = run_instrumented(repo, self.wrapper_dir, scratch, self.args(command))
            assert_succeeded(counted)
            after = fingerprint(repo, self.mission)
            # The harness's own check: without the wrapper the same run gives the same
            # fingerprint (so the wrapper is transparent and the normalisation suffices).
            plain_repo, _ = self.clone(command, f"{command}-plain")
            assert_succeeded(run_cli(plain_repo, *self.args(command)))
            same = fingerprint_diff(after, fingerprint(plain_repo, self.mission))
            assert not same, f"two uninterrupted runs of {command} differ:\n{same}"
            assert counted.calls, f"{command} made no git call"
            calls = tuple(
                tuple(arg.replace(str(repo), "<repo>") for arg in call) for call in counted.calls
            )
            self.references[command] = Reference(calls, before, after)
        return self.references[command]


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    return Workbench(tmp_path_factory.mktemp("reliability"))


@pytest.fixture(scope="module")
def coord_workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    """The same mission under ``lanes_with_coord``: status on the coordination branch."""
    return Workbench(tmp_path_factory.mktemp("reliability-coord"), topology="lanes_with_coord")


@pytest.fixture(autouse=True)
def _no_process_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After each test, no process runs in (or below) the session's temporary directories."""
    yield
    root = tmp_path_factory.getbasetemp()
    assert not processes_under(root), processes_under(root)


def tracebacks(*runs: Run) -> list[str]:
    """The runs that printed a Python traceback."""
    return [run.describe() for run in runs if TRACEBACK in run.stdout + run.stderr]


def assert_succeeded(run: Run) -> None:
    """Exit 0, exactly one JSON document on stdout, no traceback."""
    assert run.returncode == 0, run.describe()
    run.document()  # raises on no document or on trailing data
    assert not tracebacks(run), run.describe()


def problems_of_rerun(run: Run) -> list[str]:
    """What is wrong with a re-run that should have succeeded."""
    if run.returncode != 0:
        return [f"the re-run failed: {run.describe()}"]
    try:
        run.document()
    except ValueError as exc:
        return [f"the re-run did not print exactly one JSON document ({exc}): {run.describe()}"]
    return []


def error_code(run: Run) -> str | None:
    """The ``error.code`` of a ``--json`` run that failed, if it printed one."""
    try:
        return str(run.document()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def run_again(workbench: Workbench, command: str, repo: Path) -> list[Run]:
    """Repeat the killed command, as a user would: a merge is resumed when it left a state."""
    if command != "merge":
        return [run_cli(repo, *workbench.args(command))]
    resumed = run_cli(repo, "merge", "--mission", workbench.mission.mid8, "--resume", "--json")
    if resumed.returncode == 3 and error_code(resumed) == "MERGE_STATE_NOT_FOUND":
        return [resumed, run_cli(repo, *workbench.args(command))]
    return [resumed]


def kill(workbench: Workbench, command: str, when: str, k: int) -> tuple[Path, InstrumentedRun]:
    """A fresh copy of the starting repository, with ``command`` killed at git call ``k``."""
    repo, scratch = workbench.clone(command, f"{command}-{when}-{k}")
    killed = run_instrumented(
        repo, workbench.wrapper_dir, scratch, workbench.args(command), crash_at=k, when=when
    )
    return repo, killed


def killed_problems(killed: InstrumentedRun, k: int) -> list[str]:
    if not killed.killed:
        return [f"git call {k} was never reached: {killed.describe()}"]
    return []


def report(command: str, when: str, reference: Reference, failures: dict[int, list[str]]) -> str:
    """The summary line, then each diverging kill point with its git call and what diverged."""
    total = len(reference.calls)
    lines = [
        f"{command} killed {when} a git call: N={total} kill points tried, "
        f"{total - len(failures)} converged, {len(failures)} diverged ({sorted(failures)})"
    ]
    for k, problems in sorted(failures.items()):
        lines.append(f"--- k={k} ({when} `git {' '.join(reference.calls[k - 1])}`):")
        lines.extend(problems)
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_killed_command_run_again_converges(
    workbench: Workbench, command: str, when: str
) -> None:
    """Every kill point, re-run without the wrapper, ends where an uninterrupted run ends."""
    converges(workbench, command, when)


@pytest.mark.slow
@pytest.mark.parametrize("when", WHEN)
def test_a_killed_merge_with_a_coordination_branch_resumes(
    coord_workbench: Workbench, when: str
) -> None:
    """The same for a merge whose status lives on the coordination branch."""
    converges(coord_workbench, "merge", when)


def converges(workbench: Workbench, command: str, when: str) -> None:
    """Kill ``command`` at each git call in turn; each re-run must end as the reference."""
    reference = workbench.reference(command)
    failures: dict[int, list[str]] = {}
    for k in range(1, len(reference.calls) + 1):
        repo, killed = kill(workbench, command, when, k)
        problems = killed_problems(killed, k)
        reruns = run_again(workbench, command, repo)
        problems += problems_of_rerun(reruns[-1])
        problems += [f"a traceback: {text}" for text in tracebacks(killed, *reruns)]
        diff = fingerprint_diff(reference.after, fingerprint(repo, workbench.mission))
        if diff:
            problems.append(f"the fingerprint diverged from the uninterrupted run's:\n{diff}")
        if problems:
            failures[k] = problems
        else:
            workbench.discard(f"{command}-{when}-{k}")
    summary = report(command, when, reference, failures)
    print(summary)
    assert not failures, summary


@pytest.mark.slow
@pytest.mark.parametrize("when", WHEN)
def test_abort_after_a_killed_merge_restores_the_repository(
    workbench: Workbench, when: str
) -> None:
    """``merge --abort`` after a kill at any point gives back the repository from before."""
    aborts(workbench, when)


@pytest.mark.slow
@pytest.mark.parametrize("when", WHEN)
def test_abort_after_a_killed_merge_with_a_coordination_branch(
    coord_workbench: Workbench, when: str
) -> None:
    """The same when ``mark-done`` moved the coordination branch, which abort moves back."""
    aborts(coord_workbench, when)


def aborts(workbench: Workbench, when: str) -> None:
    """Kill a merge at each git call in turn; each ``--abort`` must restore the start.

    When the kill left no merge state, abort has nothing to do (MERGE_STATE_NOT_FOUND,
    exit 3); the merge must then be either not started or finished.
    """
    reference = workbench.reference("merge")
    failures: dict[int, list[str]] = {}
    for k in range(1, len(reference.calls) + 1):
        repo, killed = kill(workbench, "merge", when, k)
        problems = killed_problems(killed, k)
        aborted = run_cli(repo, "merge", "--mission", workbench.mission.mid8, "--abort", "--json")
        problems += [f"a traceback: {text}" for text in tracebacks(killed, aborted)]
        now = fingerprint(repo, workbench.mission)
        if aborted.returncode == 0:
            problems += problems_of_rerun(aborted)
            diff = fingerprint_diff(reference.before, now)
            if diff:
                problems.append(f"abort did not restore the repository from before:\n{diff}")
        elif aborted.returncode == 3 and error_code(aborted) == "MERGE_STATE_NOT_FOUND":
            if fingerprint_diff(reference.after, now):
                diff = fingerprint_diff(reference.before, now)
                if diff:
                    problems.append(
                        "no merge state was left, yet the merge is neither not started "
                        f"nor finished; the difference from before:\n{diff}"
                    )
        else:
            problems.append(f"abort failed: {aborted.describe()}")
        if problems:
            failures[k] = problems
        else:
            workbench.discard(f"merge-{when}-{k}")
    summary = report("merge --abort", when, reference, failures)
    print(summary)
    assert not failures, summary
