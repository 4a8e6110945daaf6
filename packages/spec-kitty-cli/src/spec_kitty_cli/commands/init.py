"""``spec-kitty init``: prepare a repository (config, merge drivers, ignored worktrees)."""

from __future__ import annotations

from pathlib import Path

from mission_context import init_repository
from spec_kitty_cli._output import Report


def init(path: Path) -> Report:
    """``git init`` when needed, then the files and local config missions need. Idempotent."""
    done = init_repository(path)
    document = {
        "root": str(done.root),
        "created_repository": done.created_repository,
        "changed": list(done.changed),
        "merge_driver_configured": done.driver_configured,
        "commit": done.commit.sha if done.commit else None,
        "branch": done.branch,
    }
    lines = []
    if done.created_repository:
        lines.append(f"Initialised a git repository in {done.root}")
    if not done.changed and not done.driver_configured:
        lines.append(f"{done.root} is already set up for spec-kitty: nothing to do.")
    lines += [f"  wrote {name}" for name in done.changed]
    if done.driver_configured:
        lines.append("  configured the event-log merge driver (local git config)")
    if done.commit:
        lines.append(f"  committed to {done.branch} ({done.commit.sha[:10]})")
    elif done.changed:
        lines.append("  not committed: HEAD is detached; commit the files yourself")
    lines.append('Next: spec-kitty specify "What you want to build"')
    return Report(document, lines)
