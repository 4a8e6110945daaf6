"""``spec-kitty init``: prepare a repository (config, merge drivers, ignored worktrees)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import init_repository
from spec_kitty_cli._output import Report


def init(path: Path, ai: str | None = None, *, remove_3x_home: bool = False) -> Report:
    """``git init`` when needed, then the files and local config missions need. Idempotent.

    ``ai`` (comma-separated agent keys) also writes those agents' command files, as
    ``spec-kitty agents add`` does; every key is checked before anything is written. A
    repository spec-kitty 3.x set up is adopted (``_adopt3``); ``remove_3x_home`` also
    removes the command files 3.x installed under ``$HOME``.
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
    from spec_kitty_cli._adopt3 import adopt

    adopted = adopt(done.root, Path.home(), remove_home=remove_3x_home)
    document["adopted"] = adopted.to_dict() if adopted else None
    if adopted:
        lines += _adoption_lines(adopted)
    lines.append('Next: spec-kitty specify "What you want to build"')
    return Report(document, lines)


def _adoption_lines(adopted: Any) -> list[str]:
    lines = [f"Adopted a spec-kitty {adopted.version} repository (kitty-specs/ unchanged):"]
    if adopted.drivers:
        lines.append(f"  merge drivers now run ours: {', '.join(adopted.drivers)}")
    if adopted.agents:
        lines.append(f"  agent files written for {', '.join(adopted.agents)}")
    lines.append("  hooks (spec-kitty session-start / session-stop) run ours as they are")
    if adopted.removed:
        lines.append(f"  removed {len(adopted.removed)} 3.x command files from $HOME")
    elif adopted.home_files:
        lines.append(
            f"  3.x left {len(adopted.home_files)} command files under $HOME "
            f"(e.g. {adopted.home_files[0]}); remove them: spec-kitty init --remove-3x-home"
        )
    return lines
