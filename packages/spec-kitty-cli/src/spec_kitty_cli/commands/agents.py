"""``spec-kitty agents add|remove|list``: the command files of agent harnesses, in the project."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from spec_kitty_cli._agents import HARNESSES, AgentsResult, add, listing, remove, resolve_keys
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import check_action, repository_root

_ACTIONS = ("add", "remove", "list")
_SAY = {
    "created": "wrote",
    "updated": "updated",
    "removed": "removed",
    "missing": "already gone",
}


def agents(cwd: Path, action: str, keys: Sequence[str] | None, *, force: bool = False) -> Report:
    """Add, remove or list agent harnesses' files in the repository holding ``cwd``.

    Every key is checked before anything is read or written (``UNKNOWN_AGENT``, exit 2);
    ``add`` and ``remove`` need at least one.
    """
    check_action("agents", action, _ACTIONS)
    names = list(keys or ())
    if action != "list" and not "".join(names).replace(",", "").strip():
        raise CliError(
            f"agents {action} needs at least one agent key",
            code="INVALID_ARGUMENTS",
            next_step=f"e.g. `spec-kitty agents {action} claude`; "
            "`spec-kitty agents list` shows every agent",
        )
    harnesses = resolve_keys(names) or HARNESSES
    root = repository_root(cwd)
    if action == "list":
        document = listing(root, harnesses)
        return Report(document, list_lines(document))
    done = (add if action == "add" else remove)(root, harnesses, force=force)
    return Report(done.to_dict(), result_lines(done))


def result_lines(done: AgentsResult, *, next_line: bool = True) -> list[str]:
    """What people read about an ``add`` or ``remove``: each change, each kept file, next."""
    lines = []
    if done.action == "remove" and done.not_installed:
        lines.append(f"Not installed (nothing to remove): {', '.join(done.not_installed)}")
    if done.agents:
        verb = "Agents" if done.action == "add" else "Removed agents"
        lines.append(f"{verb}: {', '.join(done.agents)} (in {done.root})")
    unchanged = sum(file.status == "unchanged" for file in done.files)
    groups: dict[tuple[str | None, str], list[str]] = {}
    for file in done.files:
        if file.status == "kept":
            lines.append(f"  kept {file.path} (modified by you; --force overwrites)")
        elif file.status != "unchanged":
            groups.setdefault((file.agent, file.status), []).append(file.path)
    for (agent, status), paths in groups.items():
        if len(paths) == 1:
            lines.append(f"  {_SAY[status]} {paths[0]}")
        else:
            where = ", ".join(_folders(paths))
            lines.append(f"  {_SAY[status]} {len(paths)} files of {agent} in {where}")
    if unchanged:
        lines.append(f"  {unchanged} file(s) already up to date")
    if done.manifest_changed:
        lines.append(f"  recorded in {done.root / '.kittify' / 'agents.json'}")
    if done.action == "add" and done.changed:
        lines.append("  not committed: commit these files or ignore them, as you prefer")
    if next_line:
        lines.append(_next(done))
    return lines


def _folders(paths: list[str]) -> list[str]:
    """The folders ``paths`` are in (three or more siblings: their parent, ``.agents/skills/``)."""
    folders = list(dict.fromkeys(PurePosixPath(path).parent for path in paths))
    parents = {folder.parent for folder in folders}
    if len(folders) >= 3 and len(parents) == 1:
        return [f"{parents.pop()}/"]
    return [f"{folder}/" for folder in folders]


def _next(done: AgentsResult) -> str:
    if done.action == "add" and done.agents:
        return f"Next: spec-kitty next --agent {done.agents[0]}"
    return "Next: spec-kitty agents list"


def list_lines(document: dict[str, Any]) -> list[str]:
    """``agents list`` for people: one line per harness, then AGENTS.md."""
    lines = []
    installed = []
    for agent in document["agents"]:
        files = agent["files"]
        if agent["installed"]:
            installed.append(agent["key"])
            modified = sum(f["modified"] for f in files)
            missing = sum(not f["present"] for f in files)
            outdated = sum(f["present"] and not f["modified"] and not f["current"] for f in files)
            state = f"installed, {len(files)} file(s)"
            for count, what in ((modified, "modified"), (missing, "missing"), (outdated, "old")):
                if count:
                    state += f", {count} {what}"
        else:
            state = "-"
        aliases = f" (alias {', '.join(agent['aliases'])})" if agent["aliases"] else ""
        lines.append(f"  {agent['key']:<12} {state}   {agent['title']}{aliases}")
    section = document["agents_md"]
    if section["installed"] or section["present"]:
        modified = " (modified)" if section["modified"] else ""
        lines.append(f"  {section['path']} section: present{modified}")
    if installed:
        lines.append(f"Next: spec-kitty next --agent {installed[0]}")
    else:
        lines.append("Next: spec-kitty agents add claude")
    return ["Agents (installed from .kittify/agents.json):", *lines]
