"""The agent harnesses: one registry, the files each gets in a project, and their manifest.

Every harness is one row of :data:`HARNESSES`: where its command files go, in which format,
how it spells the user's input, and its overview file (a skill or a rule). There is one
renderer per *format* (plain Markdown, Markdown with YAML front matter, TOML) and none per
harness. Every harness also shares the AGENTS.md section (the cross-agent convention).

What was written is recorded in ``.kittify/agents.json`` with the sha256 of each file, so
``remove`` deletes only what is still ours and ``add`` never overwrites a file someone
edited (unless forced). Nothing is committed: the user decides whether to commit or ignore
the files. Every path is checked before anything is written: no symlink is followed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import msgspec

from mission_status import write_atomic
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._prompts import (
    AGENTS_MD_BEGIN,
    AGENTS_MD_END,
    AGENTS_MD_SECTION,
    COMMANDS,
    SKILL_BODY,
    SKILL_DESCRIPTION,
    SKILL_NAME,
)

__all__ = [
    "AGENTS_MD",
    "HARNESSES",
    "MANIFEST",
    "SECTION",
    "AgentsResult",
    "FileKind",
    "FileResult",
    "Harness",
    "add",
    "files_for",
    "listing",
    "remove",
    "resolve_keys",
]

Format = Literal["markdown", "front-matter", "toml"]
#: The manifest of what ``spec-kitty agents`` wrote, relative to the repository root.
MANIFEST = ".kittify/agents.json"
#: The file holding the shared section, relative to the repository root.
AGENTS_MD = "AGENTS.md"
_MANIFEST_VERSION = 1
_DESCRIBED = (("description", "{description}"),)
_SKILL = (("name", SKILL_NAME), ("description", "{description}"))


class FileKind(msgspec.Struct, frozen=True):
    """One kind of file a harness gets: its path, its format and its front matter.

    ``path`` and the string values of ``fields`` are templates: ``{name}`` is the command's
    name and ``{description}`` its description (for an overview file, the skill's).
    ``fields`` are the front matter of ``front-matter`` files and the keys before ``prompt``
    of ``toml`` ones; plain ``markdown`` has none.
    """

    path: str
    format: Format
    fields: tuple[tuple[str, str | bool], ...] = _DESCRIBED


class Harness(msgspec.Struct, frozen=True):
    """An agent harness: its key (as spec-kitty 3.x spells it), and the files it reads."""

    key: str
    title: str
    #: What stands for the user's input in its command files.
    arguments: str
    commands: FileKind | None = None
    overview: FileKind | None = None
    aliases: tuple[str, ...] = ()


def _markdown(path: str) -> FileKind:
    return FileKind(path, "markdown", ())


def _described(path: str) -> FileKind:
    return FileKind(path, "front-matter")


def _toml(path: str) -> FileKind:
    return FileKind(path, "toml")


_ARGS = "$ARGUMENTS"

#: Every harness spec-kitty writes command files for.
HARNESSES: tuple[Harness, ...] = (
    Harness(
        "claude",
        "Claude Code",
        _ARGS,
        _described(".claude/commands/spec-kitty.{name}.md"),
        FileKind(".claude/skills/spec-kitty/SKILL.md", "front-matter", _SKILL),
    ),
    Harness(
        "codex",
        "Codex CLI",
        "the user's request (their message)",
        FileKind(
            ".agents/skills/spec-kitty-{name}/SKILL.md",
            "front-matter",
            (("name", "spec-kitty-{name}"), ("description", "{description}")),
        ),
        FileKind(".agents/skills/spec-kitty/SKILL.md", "front-matter", _SKILL),
    ),
    Harness("gemini", "Gemini CLI", "{{args}}", _toml(".gemini/commands/spec-kitty.{name}.toml")),
    Harness(
        "copilot",
        "GitHub Copilot",
        _ARGS,
        FileKind(
            ".github/prompts/spec-kitty.{name}.prompt.md",
            "front-matter",
            (("description", "{description}"), ("agent", "agent")),
        ),
    ),
    Harness(
        "cursor",
        "Cursor",
        _ARGS,
        _markdown(".cursor/commands/spec-kitty.{name}.md"),
        FileKind(
            ".cursor/rules/spec-kitty.mdc",
            "front-matter",
            (("description", "{description}"), ("alwaysApply", False)),
        ),
    ),
    Harness("qwen", "Qwen Code", "{{args}}", _toml(".qwen/commands/spec-kitty.{name}.toml")),
    Harness("opencode", "opencode", _ARGS, _described(".opencode/command/spec-kitty.{name}.md")),
    Harness("windsurf", "Windsurf", _ARGS, _described(".windsurf/workflows/spec-kitty.{name}.md")),
    Harness("kilocode", "Kilo Code", _ARGS, _markdown(".kilocode/workflows/spec-kitty.{name}.md")),
    Harness(
        "auggie",
        "Auggie CLI",
        _ARGS,
        _described(".augment/commands/spec-kitty.{name}.md"),
        aliases=("augment",),
    ),
    Harness(
        "q",
        "Amazon Q Developer CLI",
        _ARGS,
        _markdown(".amazonq/prompts/spec-kitty.{name}.md"),
        aliases=("amazonq",),
    ),
    Harness("kiro", "Kiro", _ARGS, _markdown(".kiro/prompts/spec-kitty.{name}.md")),
    Harness(
        "antigravity",
        "Google Antigravity",
        _ARGS,
        _described(".agent/workflows/spec-kitty.{name}.md"),
    ),
)
_BY_NAME = {name: h for h in HARNESSES for name in (h.key, *h.aliases)}


def resolve_keys(keys: Iterable[str]) -> tuple[Harness, ...]:
    """The harnesses ``keys`` name (each item may hold several, comma-separated), in order.

    Aliases (``augment``, ``amazonq``) and any case are accepted; a key named twice counts
    once. ``UNKNOWN_AGENT`` (exit 2) names every key that is none, before anything is done.
    """
    names = [part.strip().lower() for item in keys for part in item.split(",") if part.strip()]
    unknown = [name for name in names if name not in _BY_NAME]
    if unknown:
        valid = ", ".join(h.key for h in HARNESSES)
        raise CliError(
            f"unknown agent {', '.join(repr(name) for name in unknown)}; the agents are: {valid}",
            code="UNKNOWN_AGENT",
            next_step=f"name one or more of: {valid} (comma-separated, e.g. claude,codex); "
            "`spec-kitty agents list` shows each one",
        )
    return tuple(dict.fromkeys(_BY_NAME[name] for name in names))


# --- rendering ----------------------------------------------------------------------------

_YAML_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'()/_-]*")
_YAML_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_TOML_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _yaml_value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    plain = _YAML_PLAIN.fullmatch(value) and value == value.strip()
    if plain and value.lower() not in _YAML_RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _toml_escape(text: str, *, keep_newlines: bool) -> str:
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char == "\n" and keep_newlines:
            return char
        return {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n"}.get(char, f"\\u{ord(char):04X}")

    return re.sub(r'[\\"\x00-\x1f\x7f]', escape, text)


def _toml_value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{_toml_escape(value, keep_newlines=False)}"'


def _toml_text(text: str) -> str:
    """``text`` as a TOML multi-line string: literal (as written) unless it cannot be one."""
    if "'''" not in text and not _TOML_CONTROL.search(text):
        return f"'''\n{text}'''"  # the newline after the opening quotes is not part of it
    return f'"""\n{_toml_escape(text, keep_newlines=True)}"""'


def _render(harness: Harness, kind: FileKind, name: str, description: str, body: str) -> bytes:
    """One file of ``harness`` in the format of ``kind``."""
    fields = [
        (key, value.format(name=name, description=description) if isinstance(value, str) else value)
        for key, value in kind.fields
    ]
    text = body.replace("$ARGUMENTS", harness.arguments).replace("$AGENT", harness.key)
    note = f"written by spec-kitty agents; `spec-kitty agents remove {harness.key}` deletes it"
    if kind.format == "toml":
        keys = "".join(f"{key} = {_toml_value(value)}\n" for key, value in fields)
        return f"# {note}\n{keys}prompt = {_toml_text(text)}\n".encode()
    front = ""
    if kind.format == "front-matter":
        front = "---\n" + "".join(f"{k}: {_yaml_value(v)}\n" for k, v in fields) + "---\n"
    return f"{front}<!-- {note} -->\n\n{text}".encode()


def files_for(harness: Harness) -> dict[str, bytes]:
    """Every file ``harness`` gets (relative posix path -> content), AGENTS.md aside."""
    files: dict[str, bytes] = {}
    if harness.commands is not None:
        kind = harness.commands
        for command in COMMANDS:
            path = kind.path.format(name=command.name)
            files[path] = _render(harness, kind, command.name, command.description, command.body)
    if harness.overview is not None:
        kind = harness.overview
        files[kind.path] = _render(harness, kind, SKILL_NAME, SKILL_DESCRIPTION, SKILL_BODY)
    return files


#: The AGENTS.md section, markers included: the same for every harness.
SECTION = f"{AGENTS_MD_BEGIN}\n{AGENTS_MD_SECTION.rstrip(chr(10))}\n{AGENTS_MD_END}\n"


# --- the filesystem -----------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _target(root: Path, relative: str) -> Path:
    """``root/relative``, refused (``AGENT_PATH_UNSAFE``) when anything on the way is a link
    or the file is not a regular file: nothing is ever written or deleted through a link."""
    current = root
    for part in PurePosixPath(relative).parts:
        current = current / part
        if current.is_symlink():
            raise CliError(
                f"{current.relative_to(root)} is a symbolic link: spec-kitty does not write "
                f"{relative} through it",
                code="AGENT_PATH_UNSAFE",
                next_step="replace the link by a real directory or file (or remove it), "
                "then run the command again",
            )
    if current.exists() and not current.is_file():
        raise CliError(
            f"{relative} exists and is not a regular file",
            code="AGENT_PATH_UNSAFE",
            next_step=f"move {relative} away, then run the command again",
        )
    return current


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def _delete(root: Path, path: Path) -> None:
    """Delete ``path``, then each directory it leaves empty, up to (not including) ``root``."""
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:  # not empty (or not ours to remove): stop here
            return
        parent = parent.parent


# --- the manifest -------------------------------------------------------------------------


class _Manifest(msgspec.Struct):
    """``.kittify/agents.json``: per harness, each file written and the sha256 written."""

    agents: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    agents_md: str | None = None
    agents_md_created: bool = False

    def dump(self) -> bytes | None:
        """The file's bytes; None when it records nothing (then it should not exist)."""
        if not self.agents and self.agents_md is None:
            return None
        document: dict[str, Any] = {
            "version": _MANIFEST_VERSION,
            "agents": {key: {"files": files} for key, files in self.agents.items()},
        }
        if self.agents_md is not None:
            document["agents_md"] = self.agents_md
            if self.agents_md_created:
                document["agents_md_created"] = True
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _safe_relative(path: object) -> bool:
    if not isinstance(path, str) or not path or "\\" in path:
        return False
    parts = PurePosixPath(path).parts
    return not PurePosixPath(path).is_absolute() and all(p not in {".", ".."} for p in parts)


def _invalid(root: Path, why: str) -> CliError:
    return CliError(
        f"{MANIFEST} in {root} {why}",
        code="AGENTS_MANIFEST_INVALID",
        next_step=f"fix or delete {MANIFEST}; `spec-kitty agents add KEY` records the files again",
    )


def _load(root: Path) -> tuple[_Manifest, bytes | None]:
    """The manifest and its current bytes (None when there is none)."""
    raw = _read(_target(root, MANIFEST))
    if raw is None:
        return _Manifest(), None
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as err:
        raise _invalid(root, f"is not JSON ({err})") from None
    if not isinstance(document, dict) or document.get("version") != _MANIFEST_VERSION:
        raise _invalid(root, f"is not a version-{_MANIFEST_VERSION} manifest")
    manifest = _Manifest()
    agents = document.get("agents", {})
    if not isinstance(agents, dict):
        raise _invalid(root, "has no `agents` object")
    for key, entry in agents.items():
        files = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(files, dict) or not all(
            _safe_relative(path) and isinstance(sha, str) and _SHA256.fullmatch(sha)
            for path, sha in files.items()
        ):
            raise _invalid(root, f"has an unreadable entry for {key!r}")
        manifest.agents[key] = dict(files)
    agents_md = document.get("agents_md")
    if agents_md is not None and not (isinstance(agents_md, str) and _SHA256.fullmatch(agents_md)):
        raise _invalid(root, "has an unreadable `agents_md`")
    manifest.agents_md = agents_md
    manifest.agents_md_created = document.get("agents_md_created") is True
    return manifest, raw


def _save(root: Path, manifest: _Manifest, before: bytes | None) -> bool:
    """Write (or delete) the manifest when it changed; whether it did."""
    data = manifest.dump()
    if data == before:
        return False
    path = root / MANIFEST
    if data is None:
        _delete(root, path)
    else:
        _write(path, data)
    return True


# --- the AGENTS.md section ----------------------------------------------------------------


def _find_section(text: str) -> tuple[int, int] | None:
    """The character span of the section (its marker lines included), if the file has one."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    stripped = [line.rstrip("\r\n") for line in lines]
    if AGENTS_MD_BEGIN not in stripped:
        return None
    begin = stripped.index(AGENTS_MD_BEGIN)
    if AGENTS_MD_END not in stripped[begin:]:
        return (offsets[begin], len(text))  # no end marker: everything after is the section
    end = stripped.index(AGENTS_MD_END, begin)
    return (offsets[begin], offsets[end + 1])


def _without_section(text: str, span: tuple[int, int]) -> str:
    """``text`` without the section and the blank line :func:`_with_section` put before it."""
    before, after = text[: span[0]], text[span[1] :]
    if before.endswith("\n\n"):
        before = before[:-1]
    return before + after


def _with_section(text: str) -> str:
    """``text`` with the section appended, after a blank line."""
    if not text:
        return SECTION
    return text + ("\n" if text.endswith("\n") else "\n\n") + SECTION


# --- results ------------------------------------------------------------------------------

#: What happened to a file: add gives created, updated, unchanged or kept; remove gives
#: removed, kept or missing (already gone).
Status = Literal["created", "updated", "unchanged", "kept", "removed", "missing"]
_CHANGES = frozenset({"created", "updated", "removed"})


class FileResult(msgspec.Struct, frozen=True):
    """One file and what happened to it; ``agent`` is None for the shared AGENTS.md."""

    agent: str | None
    path: str
    status: Status

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this file."""
        return {"agent": self.agent, "path": self.path, "status": self.status}


class AgentsResult(msgspec.Struct, frozen=True):
    """What ``add`` or ``remove`` did in ``root``."""

    action: str
    root: Path
    agents: tuple[str, ...]
    files: tuple[FileResult, ...]
    manifest_changed: bool
    not_installed: tuple[str, ...] = ()

    @property
    def changed(self) -> list[str]:
        """The files written or deleted, the manifest included, sorted."""
        paths = {f.path for f in self.files if f.status in _CHANGES}
        return sorted(paths | ({MANIFEST} if self.manifest_changed else set()))

    @property
    def kept(self) -> list[str]:
        """The files left as they are because someone edited them."""
        return sorted({f.path for f in self.files if f.status == "kept"})

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``spec-kitty agents add|remove`` (and init's ``agents``)."""
        document: dict[str, Any] = {
            "action": self.action,
            "root": str(self.root),
            "agents": list(self.agents),
            "files": [f.to_dict() for f in self.files],
            "changed": self.changed,
            "kept": self.kept,
            "manifest": MANIFEST,
        }
        if self.action == "remove":
            document["not_installed"] = list(self.not_installed)
        return document


# --- add, remove, list --------------------------------------------------------------------


def add(root: Path, harnesses: Sequence[Harness], *, force: bool = False) -> AgentsResult:
    """Write the files of ``harnesses`` into ``root`` and record them in the manifest.

    A missing file is created; one with our content is left alone; one we wrote whose
    template changed is rewritten; one someone edited (or that was there before us) is kept
    unless ``force``. Files of these harnesses the manifest lists but the templates no longer
    have are deleted when still ours. A second run writes nothing.
    """
    manifest, before = _load(root)
    planned = {h.key: files_for(h) for h in harnesses}
    stale = {
        h.key: sorted(set(manifest.agents.get(h.key, {})) - set(planned[h.key])) for h in harnesses
    }
    targets = {
        rel: _target(root, rel)
        for rel in [
            *(r for f in planned.values() for r in f),
            *(r for s in stale.values() for r in s),
        ]
    }
    agents_md = _target(root, AGENTS_MD)
    results: list[FileResult] = []
    for harness in harnesses:
        recorded = manifest.agents.get(harness.key, {})
        mine: dict[str, str] = {}
        for rel, data in planned[harness.key].items():
            current = _read(targets[rel])
            status: Status
            if current is None:
                status = "created"
            elif current == data:
                status = "unchanged"
            elif force or _sha(current) == recorded.get(rel):
                status = "updated"
            else:
                status = "kept"
                if rel in recorded:
                    mine[rel] = recorded[rel]
            if status != "kept":
                if status != "unchanged":
                    _write(targets[rel], data)
                mine[rel] = _sha(data)
            results.append(FileResult(harness.key, rel, status))
        for rel in stale[harness.key]:
            status = _remove_file(root, targets[rel], recorded[rel], force=force)
            if status == "kept":
                mine[rel] = recorded[rel]
            results.append(FileResult(harness.key, rel, status))
        if mine:
            manifest.agents[harness.key] = mine
    if harnesses:
        results.append(_add_section(agents_md, manifest, force=force))
    changed = _save(root, manifest, before)
    return AgentsResult("add", root, tuple(h.key for h in harnesses), tuple(results), changed)


def _add_section(path: Path, manifest: _Manifest, *, force: bool) -> FileResult:
    raw = _read(path)
    text = "" if raw is None else raw.decode("utf-8", errors="surrogateescape")
    span = _find_section(text)
    status: Status
    if span is None:
        status, new = ("created" if raw is None else "updated"), _with_section(text)
        manifest.agents_md_created = raw is None or manifest.agents_md_created
    else:
        current = text[span[0] : span[1]]
        if current == SECTION:
            status, new = "unchanged", text
        elif force or _sha(current.encode()) == manifest.agents_md:
            status, new = "updated", text[: span[0]] + SECTION + text[span[1] :]
        else:
            return FileResult(None, AGENTS_MD, "kept")
    if new != text:
        _write(path, new.encode("utf-8", errors="surrogateescape"))
    manifest.agents_md = _sha(SECTION.encode())
    return FileResult(None, AGENTS_MD, status)


def _remove_file(root: Path, path: Path, recorded: str, *, force: bool) -> Status:
    current = _read(path)
    if current is None:
        return "missing"
    if not force and _sha(current) != recorded:
        return "kept"
    _delete(root, path)
    return "removed"


def remove(root: Path, harnesses: Sequence[Harness], *, force: bool = False) -> AgentsResult:
    """Delete the files the manifest lists for ``harnesses``, when still as we wrote them.

    A file someone edited is kept (and stays in the manifest) unless ``force``; directories
    left empty are removed. When no harness remains, the AGENTS.md section goes too (and the
    file, when we created it and nothing else is left), and so does the manifest.
    """
    manifest, before = _load(root)
    installed = [h for h in harnesses if h.key in manifest.agents]
    not_installed = tuple(h.key for h in harnesses if h not in installed)
    targets = {rel: _target(root, rel) for h in installed for rel in manifest.agents[h.key]}
    agents_md = _target(root, AGENTS_MD)
    results: list[FileResult] = []
    for harness in installed:
        kept: dict[str, str] = {}
        for rel, recorded in sorted(manifest.agents[harness.key].items()):
            status = _remove_file(root, targets[rel], recorded, force=force)
            if status == "kept":
                kept[rel] = recorded
            results.append(FileResult(harness.key, rel, status))
        if kept:
            manifest.agents[harness.key] = kept
        else:
            del manifest.agents[harness.key]
    if not manifest.agents and manifest.agents_md is not None:
        results.append(_remove_section(root, agents_md, manifest, force=force))
    changed = _save(root, manifest, before)
    return AgentsResult(
        "remove",
        root,
        tuple(h.key for h in installed),
        tuple(results),
        changed,
        not_installed,
    )


def _remove_section(root: Path, path: Path, manifest: _Manifest, *, force: bool) -> FileResult:
    raw = _read(path)
    text = "" if raw is None else raw.decode("utf-8", errors="surrogateescape")
    span = _find_section(text)
    if span is None:
        status: Status = "missing"
    elif not force and _sha(text[span[0] : span[1]].encode()) != manifest.agents_md:
        return FileResult(None, AGENTS_MD, "kept")
    else:
        status = "removed"
        rest = _without_section(text, span)
        if not rest.strip() and manifest.agents_md_created:
            _delete(root, path)
        else:
            _write(path, rest.encode("utf-8", errors="surrogateescape"))
    manifest.agents_md = None
    manifest.agents_md_created = False
    return FileResult(None, AGENTS_MD, status)


def listing(root: Path, harnesses: Sequence[Harness] = HARNESSES) -> dict[str, Any]:
    """The JSON document of ``spec-kitty agents list``: each harness and its files' state.

    An installed harness lists the files the manifest records (``modified``: changed since
    written); another lists the files ``add`` would write (``modified``: present with other
    content). ``current`` says whether a file holds what ``add`` would write now.
    """
    manifest, _ = _load(root)
    agents = []
    for harness in harnesses:
        planned = files_for(harness)
        recorded = manifest.agents.get(harness.key)
        files = []
        for rel in sorted(recorded if recorded is not None else planned):
            current = _peek(root, rel)
            expected = _sha(planned[rel]) if rel in planned else None
            reference = recorded[rel] if recorded is not None else expected
            digest = None if current is None else _sha(current)
            files.append(
                {
                    "path": rel,
                    "present": current is not None,
                    "modified": digest is not None and digest != reference,
                    "current": digest is not None and digest == expected,
                }
            )
        agents.append(
            {
                "key": harness.key,
                "title": harness.title,
                "aliases": list(harness.aliases),
                "installed": recorded is not None,
                "files": files,
            }
        )
    raw = _peek(root, AGENTS_MD)
    text = "" if raw is None else raw.decode("utf-8", errors="surrogateescape")
    span = _find_section(text)
    section = None if span is None else text[span[0] : span[1]]
    return {
        "root": str(root),
        "manifest": MANIFEST,
        "agents": agents,
        "agents_md": {
            "path": AGENTS_MD,
            "installed": manifest.agents_md is not None,
            "present": section is not None,
            "modified": section is not None
            and _sha(section.encode()) != (manifest.agents_md or _sha(SECTION.encode())),
        },
    }


def _peek(root: Path, relative: str) -> bytes | None:
    """The bytes of ``root/relative``; a link (never followed) reads as empty."""
    try:
        return _read(_target(root, relative))
    except CliError:
        return b""
