"""Two machines: one mission, two clones, a bare remote, and both ways of pulling.

Clone A ran ``spec-kitty init``, created and finalized the mission and pushed it.
Clone B is a plain ``git clone`` of the remote: ``.gitattributes`` came with the
repository, but the merge drivers it names are local git config, which a clone does
not copy. Each clone moves its own work packages (the commands commit themselves),
so the two clones append to the same ``status.events.jsonl`` and rewrite the same
``status.json``: a line merge of either file conflicts on every such pair. The
clones then exchange their work through the remote, A first, with ``git pull
--no-rebase`` and with ``git pull --rebase``, each clone pulling onto commits of
its own that the remote does not have.

What a user must see: every pull exits 0 and leaves no conflict in the files the
tool owns (no markers, no unmerged path, ``git status`` clean in every checkout);
both clones end with the same board and the same committed log, which holds every
event either clone wrote, each once; the committed ``status.json`` is exactly what
``spec-kitty materialize`` would write; and clone B gained the merge drivers from
its first status write, without ever running ``init``.

For the coord topologies the status lives on the coordination branch, so that is
the branch pushed and pulled (in the coordination worktree); B makes its local
branch from the remote one, as a user would, and its first write creates the
worktree.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import git, make_repo, ok_json, run_git

from mission_status import materialize_snapshot, render_status_json

TOPOLOGIES = ["single_branch", "lanes", "coord", "lanes_with_coord"]
PULLS = ["--no-rebase", "--rebase"]

#: Three independent work packages, each owning its own file.
TASKS = "".join(
    f"## Work Package WP0{n}: Part {n}\n\n**Owned Files**: src/part{n}.py\n\n- [ ] T00{n} do it\n\n"
    for n in (1, 2, 3)
)

DRIVERS = {
    "merge.spec-kitty-events.driver": "mission_status.merge_driver",
    "merge.spec-kitty-status.driver": "mission_context.status_merge_driver",
}
MARKERS = ("<<<<<<<", "=======", ">>>>>>>")


@dataclass
class Clone:
    """One machine's clone of the mission.

    ``branch`` is the status branch (the target, or the coordination branch), and
    ``written`` every event id this clone's own commands committed there.
    """

    name: str
    root: Path
    mission: str
    mid8: str
    branch: str
    coordinated: bool
    written: set[str] = field(default_factory=set)

    @property
    def status_checkout(self) -> Path:
        """The checkout that has the status branch out."""
        if self.coordinated:
            return self.root / ".worktrees" / f"{self.mission}-coord"
        return self.root

    def write(self, *args: str) -> dict[str, Any]:
        """A status-writing command; remembers the event ids it committed."""
        before = {row["event_id"] for row in committed_rows(self)}
        document = ok_json(self.root, *args, "--mission", self.mid8)
        assert document["warning"] is None, document
        assert document["commit"], document
        new = {row["event_id"] for row in committed_rows(self)} - before
        assert new, f"{self.name}: {args} committed no event"
        self.written |= new
        return document

    def push(self) -> None:
        git(self.root, "push", "-q", "origin", self.branch)

    def pull(self, style: str) -> subprocess.CompletedProcess[str]:
        """``git pull STYLE origin <status branch>`` where that branch is checked out."""
        edit = ["--no-edit"] if style == "--no-rebase" else []
        return run_git(self.status_checkout, "pull", style, *edit, "origin", self.branch)

    def board(self) -> dict[str, Any]:
        return ok_json(self.root, "status", "--mission", self.mid8)


def committed_text(clone: Clone, name: str) -> str:
    """A status file as the clone's status branch has it committed."""
    return git(clone.root, "show", f"{clone.branch}:kitty-specs/{clone.mission}/{name}")


def committed_rows(clone: Clone) -> list[dict[str, Any]]:
    rows = committed_text(clone, "status.events.jsonl").splitlines()
    return [json.loads(line) for line in rows if line.strip()]


def reduction_of_committed_log(clone: Clone, scratch: Path) -> str:
    """What ``materialize`` writes for the committed log (and the committed meta.json)."""
    directory = scratch / clone.mission
    directory.mkdir(parents=True)
    for name in ("status.events.jsonl", "meta.json"):
        (directory / name).write_text(committed_text(clone, name) + "\n")
    return render_status_json(materialize_snapshot(directory))


def checkouts(clone: Clone) -> list[Path]:
    """Every checkout of the clone: the primary, lane and coordination worktrees."""
    listing = git(clone.root, "worktree", "list", "--porcelain").splitlines()
    return [Path(line.split(" ", 1)[1]) for line in listing if line.startswith("worktree ")]


def assert_settled(clone: Clone, pulled: subprocess.CompletedProcess[str]) -> None:
    """The pull succeeded and left nothing half-merged anywhere in the clone."""
    shown = f"{clone.name}: {pulled.args}\n{pulled.stdout}{pulled.stderr}"
    assert pulled.returncode == 0, shown
    assert "CONFLICT" not in pulled.stdout + pulled.stderr, shown
    for checkout in checkouts(clone):
        assert git(checkout, "status", "--porcelain") == "", f"{checkout}\n{shown}"
        assert git(checkout, "ls-files", "--unmerged") == "", f"{checkout}\n{shown}"
    mission_dir = clone.status_checkout / "kitty-specs" / clone.mission
    for name in ("status.events.jsonl", "status.json"):
        for text in (committed_text(clone, name), (mission_dir / name).read_text()):
            marked = [line for line in text.splitlines() if line.startswith(MARKERS)]
            assert marked == [], f"{name} in {clone.name}: {marked}\n{shown}"


def local_driver(root: Path, key: str) -> subprocess.CompletedProcess[str]:
    return run_git(root, "config", "--local", "--get", key)


def machine_a(tmp_path: Path, topology: str) -> Clone:
    """Clone A: init, a finalized mission, everything pushed to a new bare remote."""
    remote = tmp_path / "remote.git"
    remote.mkdir()
    git(remote, "init", "-q", "--bare", "-b", "main")
    root = make_repo(tmp_path / "a")
    ok_json(root, "init")
    made = ok_json(root, "specify", "Two machines", "--topology", topology)
    mid8, mission_dir = str(made["mid8"]), Path(str(made["feature_dir"]))
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    coordination = made["coordination_branch"]
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "-u", "origin", "main")
    if coordination:
        git(root, "push", "-q", "-u", "origin", str(coordination))
    clone = Clone(
        name="A",
        root=root,
        mission=mission_dir.name,
        mid8=mid8,
        branch=str(coordination or "main"),
        coordinated=bool(coordination),
    )
    clone.written = {row["event_id"] for row in committed_rows(clone)}
    return clone


def machine_b(tmp_path: Path, a: Clone) -> Clone:
    """Clone B: a plain ``git clone`` (plus the coordination branch, made from the remote's)."""
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), "b")
    root = tmp_path / "b"
    if a.coordinated:
        git(root, "branch", "--track", a.branch, f"origin/{a.branch}")
    return Clone("B", root, a.mission, a.mid8, a.branch, a.coordinated)


@pytest.mark.parametrize("pull", PULLS)
@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_two_clones_exchange_status_through_a_remote(
    tmp_path: Path, topology: str, pull: str
) -> None:
    a = machine_a(tmp_path, topology)
    b = machine_b(tmp_path, a)

    attributes = (b.root / ".gitattributes").read_text()
    assert "status.events.jsonl merge=spec-kitty-events" in attributes
    assert "status.json merge=spec-kitty-status" in attributes
    for key in DRIVERS:
        assert local_driver(b.root, key).returncode == 1, f"a fresh clone has no {key}"

    a.write("implement", "WP01", "--agent", "alice")
    b.write("move-task", "WP02", "--to", "claimed", "--actor", "bob")
    for key, module in DRIVERS.items():  # from B's first write command, not from init
        configured = local_driver(b.root, key)
        assert configured.returncode == 0, f"{key} not set by B's first status write"
        assert module in configured.stdout, configured.stdout
    b.write("move-task", "WP02", "--to", "in_progress", "--actor", "bob")

    # A pushes first, then moves on; B pulls onto its own two commits and pushes.
    a.push()
    a.write("move-task", "WP01", "--to", "for_review", "--actor", "alice")
    assert_settled(b, b.pull(pull))
    b.push()
    # B moves on; A pulls onto its own commit and pushes; B pulls onto its own commit.
    b.write("move-task", "WP03", "--to", "claimed", "--actor", "bob")
    assert_settled(a, a.pull(pull))
    a.push()
    assert_settled(b, b.pull(pull))
    b.push()
    assert_settled(a, a.pull(pull))  # a fast-forward: A has nothing new

    board = a.board()
    assert b.board() == board
    lanes = {wp: entry["lane"] for wp, entry in board["work_packages"].items()}
    assert lanes == {"WP01": "for_review", "WP02": "in_progress", "WP03": "claimed"}

    log = committed_text(a, "status.events.jsonl")
    assert committed_text(b, "status.events.jsonl") == log
    ids = [row["event_id"] for row in committed_rows(a)]
    assert len(ids) == len(set(ids)), f"an event appears twice:\n{log}"
    assert set(ids) == a.written | b.written, f"events lost or invented:\n{log}"

    view = committed_text(a, "status.json") + "\n"
    assert committed_text(b, "status.json") + "\n" == view
    assert view == reduction_of_committed_log(a, tmp_path / "reduced")
    for clone in (a, b):
        health = ok_json(clone.root, "doctor", "--mission", clone.mid8)
        codes = [finding["code"] for entry in health["missions"] for finding in entry["findings"]]
        assert "STATUS_JSON_DRIFT" not in codes, health
        assert ok_json(clone.root, "materialize", "--mission", clone.mid8)["written"] is False
