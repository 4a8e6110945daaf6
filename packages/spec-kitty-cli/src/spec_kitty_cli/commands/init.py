"""``spec-kitty init``: prepare a repository (config, merge drivers, ignored worktrees)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import init_repository
from spec_kitty_cli._output import Report


def init(path: Path, ai: str | None = None) -> Report:
    """``git init`` when needed, then the files and local config missions need. Idempotent.

    ``ai`` (comma-separated agent keys) also writes those agents' command files, as
    ``spec-kitty agents add`` does; every key is checked before anything is written.
    """
    harnesses = None
    if ai is not None:
        from spec_kitty_cli._agents import resolve_keys
        from spec_kitty_cli._errors import CliError

        harnesses = resolve_keys([ai])
        if not harnesses:
            raise CliError(
                "--ai needs at least one agent key",
                code="INVALID_ARGUMENTS",
                next_step="e.g. `spec-kitty init --ai claude`; `spec-kitty agents list` shows "
                "every agent",
            )
    done = init_repository(path)
    document: dict[str, Any] = {
        "root": str(done.root),
        "created_repository": done.created_repository,
        "changed": list(done.changed),
        "merge_driver_configured": done.driver_configured,
        "commit": done.commit.sha if done.commit else None,
        "branch": done.branch,
        "agents": None,
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
    if harnesses is not None:
        from spec_kitty_cli._agents import add
        from spec_kitty_cli.commands.agents import result_lines

        added = add(done.root, harnesses)
        document["agents"] = added.to_dict()
        lines += result_lines(added, next_line=False)
    lines.append('Next: spec-kitty specify "What you want to build"')
    return Report(document, lines)
