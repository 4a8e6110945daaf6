"""Adopting a repository spec-kitty 3.x set up: what ``init`` rewires, and what it reports.

3.x marks a project with ``.kittify/metadata.yaml`` (``spec_kitty.version: 3.x``) and lists
its agents in ``.kittify/config.yaml`` (``agents.available``). Adopting it:

- points the merge drivers 3.x configured (``merge.spec-kitty-<name>.driver``) at ours,
  run by this interpreter, so a merge never depends on which ``spec-kitty`` is on the PATH;
- writes our command files for the agents it lists (as ``agents add``: a file someone
  edited, or 3.x's own, is kept);
- reports the command files 3.x installed under ``$HOME`` (each carries the line
  ``<!-- spec-kitty-command-version: 3.x -->``) and, when asked, removes exactly those.

Its hooks (``spec-kitty session-start``/``session-stop``) already run ours, and nothing
under ``kitty-specs/`` changes, so 3.x can still read every mission.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import msgspec

#: The marker 3.x writes in every command file it installs (first lines of the file).
HOME_MARKER = re.compile(r"<!-- spec-kitty-command-version: 3\.[0-9.]+ -->")
#: Where 3.x installs its global command files, relative to ``$HOME``.
HOME_DIRS = (
    ".claude/commands", ".gemini/commands", ".github/prompts", ".cursor/commands",
    ".qwen/commands", ".config/opencode/commands", ".windsurf/workflows",
    ".kilocode/workflows", ".augment/commands", ".amazonq/prompts", ".kiro/prompts",
    ".agent/workflows",
)  # fmt: skip
_DRIVERS = ("event-log", "meta", "traces", "acceptance-matrix", "issue-matrix", "review-cycle")


class Adoption(msgspec.Struct, frozen=True):
    """What adopting a 3.x repository found and did."""

    version: str
    agents: tuple[str, ...]
    drivers: tuple[str, ...]
    home_files: tuple[str, ...]
    removed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_version": self.version,
            "agents": list(self.agents),
            "drivers_rewired": list(self.drivers),
            "home_files": list(self.home_files),
            "home_removed": list(self.removed),
        }


def version_3x(root: Path) -> str | None:
    """The 3.x version that set up ``root`` (from ``.kittify/metadata.yaml``), else None."""
    try:
        text = (root / ".kittify" / "metadata.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.search(r"^\s+version:\s*['\"]?(3\.[0-9][0-9.]*)", text, re.MULTILINE)
    return match.group(1) if match else None


def agents_3x(root: Path) -> list[str]:
    """``agents.available`` of ``.kittify/config.yaml`` ([] when absent or unreadable)."""
    import yaml

    try:
        data = yaml.safe_load((root / ".kittify" / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    agents = data.get("agents") if isinstance(data, dict) else None
    listed = agents.get("available") if isinstance(agents, dict) else None
    return [str(key) for key in listed] if isinstance(listed, list) else []


def home_files(home: Path) -> list[Path]:
    """The command files 3.x installed under ``home`` (the ones carrying its marker)."""
    found = []
    for folder in HOME_DIRS:
        for path in sorted((home / folder).glob("spec-kitty.*")):
            try:
                head = path.read_text(encoding="utf-8", errors="replace")[:4000]
            except OSError:
                continue
            if path.is_file() and not path.is_symlink() and HOME_MARKER.search(head):
                found.append(path)
    return found


def rewire_drivers(root: Path) -> list[str]:
    """Point every 3.x merge driver the local config defines at ours; the ones changed."""
    from mission_context import Git

    git = Git(root)
    ours = shlex.quote(sys.executable)
    changed = []
    for name in _DRIVERS:
        key = f"merge.spec-kitty-{name}.driver"
        current = git.out("config", "--local", "--default", "", key).strip()
        wanted = f"{ours} -m spec_kitty_cli merge-driver-{name} %O %A %B"
        if current and current != wanted:
            git.run("config", "--local", key, wanted)
            changed.append(name)
    return changed


def adopt(root: Path, home: Path, *, remove_home: bool) -> Adoption | None:
    """Adopt ``root`` when 3.x set it up (None otherwise); see the module docstring."""
    version = version_3x(root)
    if version is None:
        return None
    from spec_kitty_cli._agents import HARNESSES, add

    known = {harness.key: harness for harness in HARNESSES}
    harnesses = [known[key] for key in agents_3x(root) if key in known]
    if harnesses:
        add(root, harnesses)
    drivers = rewire_drivers(root)
    files = home_files(home)
    removed = []
    if remove_home:
        for path in files:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    return Adoption(
        version=version,
        agents=tuple(harness.key for harness in harnesses),
        drivers=tuple(drivers),
        home_files=tuple(str(path) for path in files),
        removed=tuple(removed),
    )
