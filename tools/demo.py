"""A complete mission lifecycle with the ``spec-kitty`` CLI, in a scratch repository.

Run it with ``python3 tools/dev.py demo``. It creates a temporary git
repository, then runs what a team of agents would: init, specify, plan, tasks,
finalize-tasks, record-analysis, implement (lane worktrees), move-task from
inside a worktree, review (one rejection), merge, accept, and ends with the
board. Nothing to configure; the repository is removed afterwards (``--keep``
keeps it). Any failing step stops the demo with its error and exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TASKS_MD = """# Tasks: Checkout flow

## Work Package WP01: Cart model

**Requirement Refs**: FR-001
**Owned Files**: src/cart.py

- [ ] T001 Cart with line items and totals

## Work Package WP02: Payment step

Depends on WP01
**Requirement Refs**: FR-002
**Owned Files**: src/payment.py

- [ ] T002 Charge the cart total

## Work Package WP03: User guide

**Owned Files**: docs/checkout.md

- [ ] T003 Explain the checkout to users
"""

# A fixed identity and no user/system git config: the demo behaves the same on every machine.
ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Demo",
    "GIT_AUTHOR_EMAIL": "demo@example.com",
    "GIT_COMMITTER_NAME": "Demo",
    "GIT_COMMITTER_EMAIL": "demo@example.com",
}


class Demo:
    def __init__(self, root: Path) -> None:
        self.root = root

    def sk(self, *args: str, cwd: Path | None = None, show: bool = True) -> dict[str, Any]:
        """Run ``spec-kitty ARGS --json``; print the command and a one-line summary."""
        where = cwd or self.root
        shown = " ".join(args)
        if where != self.root:
            shown += f"   (in {where.relative_to(self.root)})"
        done = subprocess.run(
            [sys.executable, "-m", "spec_kitty_cli", *args, "--json"],
            cwd=where,
            env=ENV,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"$ spec-kitty {shown}\n{done.stdout}{done.stderr}", file=sys.stderr)
            raise SystemExit(done.returncode)
        if show:
            print(f"$ spec-kitty {shown}")
        document: dict[str, Any] = json.loads(done.stdout)
        return document

    def next(self, mid8: str, agent: str) -> None:
        """Ask ``next`` what ``agent`` should do; show the action and its first command."""
        document = self.sk("next", "--mission", mid8, "--agent", agent)
        action = " ".join(filter(None, (document["action"], document["wp_id"])))
        print(f"  -> {action}: {document['reason']}")
        feedback = (document.get("implement") or {}).get("feedback")
        if feedback:
            print(f"     feedback in the brief: {feedback}")
        runs = [step["run"] for step in document["steps"] if "run" in step]
        if runs:
            print(f"     first step: {runs[0]}")

    def refused(self, *args: str) -> None:
        """Run a command the tool must refuse; show its one-line error."""
        done = subprocess.run(
            [sys.executable, "-m", "spec_kitty_cli", *args],
            cwd=self.root,
            env=ENV,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            raise SystemExit(f"spec-kitty {' '.join(args)} should have been refused")
        print(f"$ spec-kitty {' '.join(args)}\n  refused (exit {done.returncode}): {done.stderr}")

    def work(self, workspace: Path, name: str, text: str) -> None:
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        for args in (["add", name], ["commit", "-q", "-m", f"{name}: first version"]):
            subprocess.run(["git", *args], cwd=workspace, env=ENV, check=True)
        print(f"  (agent commits {name} in {workspace.relative_to(self.root)})")


def run(root: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=ENV)
    demo = Demo(root)
    installed = demo.sk("init", "--ai", "claude,codex,gemini")
    files = installed["agents"]["files"]
    print(f"  {len(files)} agent files (slash commands, skills, AGENTS.md); the team commits them")
    subprocess.run(["git", "add", "-A"], cwd=root, env=ENV, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "agent commands"], cwd=root, env=ENV, check=True)
    made = demo.sk("specify", "Checkout flow", "--topology", "lanes")
    mid8, mission_dir = made["mid8"], Path(made["feature_dir"])
    print(f"  mission {made['mission_slug']} (mid8 {mid8})")
    demo.sk("plan", "--mission", mid8)
    demo.sk("tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    print("  (the planner writes tasks.md: three work packages, WP02 depends on WP01)")
    final = demo.sk("finalize-tasks", "--mission", mid8)
    for wp in final["work_packages"]:
        print(f"  {wp['wp_id']} {wp['title']!r} -> {wp['lane_id']}")
    analysis = root.parent / "analysis.txt"  # outside the repository, like a report from a tool
    analysis.write_text("Spec, plan and tasks agree; no gaps found.\n")
    demo.sk("record-analysis", "--mission", mid8, "--input-file", str(analysis))
    analysis.unlink()
    print(f"  analysis stale: {demo.sk('analyze', '--mission', mid8, show=False)['stale']}")
    demo.next(mid8, "claude")

    demo.refused("implement", "WP02", "--mission", mid8, "--agent", "codex")
    spaces = {}
    for wp, agent in (("WP01", "claude"), ("WP03", "gemini")):
        started = demo.sk("implement", wp, "--mission", mid8, "--agent", agent)
        spaces[wp] = Path(started["workspace_path"])
        print(f"  {wp} in {spaces[wp].relative_to(root)} on {started['branch_name']}")
    demo.work(spaces["WP01"], "src/cart.py", "class Cart:\n    items: list[str]\n")
    demo.work(spaces["WP03"], "docs/checkout.md", "# Checkout\n")
    for wp in ("WP01", "WP03"):
        demo.sk("move-task", wp, "--to", "for_review", "--mission", mid8, cwd=spaces[wp])
    approve = ("--approve", "--reviewer", "alice", "--reference")
    demo.sk("review", "WP01", "--mission", mid8, *approve, "PR#1")
    feedback = root.parent / "feedback.md"
    feedback.write_text("Add a section on refunds.\n")
    demo.sk("review", "WP03", "--mission", mid8, "--reject", "--feedback-file", str(feedback))
    feedback.unlink()
    demo.next(mid8, "gemini")
    demo.sk("implement", "WP03", "--mission", mid8, "--agent", "gemini")
    demo.work(spaces["WP03"], "docs/refunds.md", "# Refunds\n")
    demo.sk("move-task", "WP03", "--to", "for_review", "--mission", mid8, cwd=spaces["WP03"])
    demo.sk("review", "WP03", "--mission", mid8, *approve, "PR#3")

    started = demo.sk("implement", "WP02", "--mission", mid8, "--agent", "codex")
    spaces["WP02"] = Path(started["workspace_path"])
    demo.work(spaces["WP02"], "src/payment.py", "from cart import Cart\n")
    demo.sk("move-task", "WP02", "--to", "for_review", "--mission", mid8, cwd=spaces["WP02"])
    demo.sk("review", "WP02", "--mission", mid8, *approve, "PR#2")

    demo.next(mid8, "claude")
    plan = demo.sk("merge", "--mission", mid8, "--dry-run")
    print(f"  plan: {', '.join(plan['steps'])}")
    merged = demo.sk("merge", "--mission", mid8)
    print(f"  merged; mission number {merged['mission_number']}; removed {len(merged['removed'])}")
    accepted = demo.sk("accept", "--mission", mid8)
    print(f"  ready: {accepted['ready']}")
    porcelain = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=root,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(f"  primary checkout clean: {porcelain == ''}")
    print(f"\n$ spec-kitty status --mission {mid8}")
    subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "status", "--mission", mid8],
        cwd=root,
        env={**ENV, "COLUMNS": "120"},
        check=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the scratch repository")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="spec-kitty-demo-")) / "shop"
    try:
        run(root)
    finally:
        if args.keep:
            print(f"\nkept {root}")
        else:
            shutil.rmtree(root.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
