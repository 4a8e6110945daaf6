"""Reading the YAML front matter of WP files and reports: cheap for the board, exact otherwise.

:func:`wp_title` is what ``status`` needs for every WP, so a plain one-line title is
read without importing YAML; :func:`read_front_matter` parses the whole block with
PyYAML and reports a broken one with its file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mission_status import MissionStatusError

__all__ = [
    "TasksError",
    "read_front_matter",
    "replace_front_matter",
    "wp_dependencies",
    "wp_title",
]


class TasksError(MissionStatusError):
    """``tasks.md`` or a WP file cannot be used.

    Stable codes: ``TASKS_INVALID`` (a problem in ``tasks.md``; the message starts with
    ``<source>:<line>:``) and ``WP_FILE_INVALID`` (a WP file's front matter).
    """

    code = "TASKS_INVALID"


def _front_matter_lines(text: str) -> list[str] | None:
    """The lines between the leading ``---`` and the next ``---`` line.

    None without a leading ``---``; raises ``ValueError`` when the block is never closed.
    """
    lines = text.removeprefix("\ufeff").split("\n")
    if lines[0].rstrip() != "---":
        return None
    for end in range(1, len(lines)):
        if lines[end].rstrip() == "---":
            return [line.rstrip("\r") for line in lines[1:end]]
    raise ValueError("the front matter opened on line 1 is never closed by a --- line")


def read_front_matter(text: str, *, source: str) -> dict[str, Any]:
    """The YAML front matter of a WP file as a mapping; ``{}`` when the file has none.

    Raises :class:`TasksError` (``WP_FILE_INVALID``) when the block is unclosed, is not
    valid YAML (the message gives ``source``, line and column), or is not a mapping.
    """
    from spec_kitty_cli import _yaml

    next_step = f"fix the front matter of {source}"
    try:
        lines = _front_matter_lines(text)
    except ValueError as err:
        raise TasksError(
            f"{source}:1: {err}", code="WP_FILE_INVALID", next_step=next_step
        ) from None
    if lines is None:
        return {}
    block = "\n".join(lines)
    try:
        data = _yaml.load(block)
    # Beyond YAMLError: a bad date ("2024-13-45") is a ValueError, deep nesting recursion.
    except _yaml.errors() as err:
        where = _yaml_position(err, source, block)
        raise TasksError(
            f"{where}: front matter is not valid YAML: {_yaml_problem(err)}",
            code="WP_FILE_INVALID",
            next_step=next_step,
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise TasksError(
            f"{source}:2: front matter is not a mapping of names to values",
            code="WP_FILE_INVALID",
            next_step=next_step,
        )
    return data


def _yaml_position(err: Exception, source: str, block: str) -> str:
    """``source:line:column`` in the file (the block starts on line 2) of a YAML error."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None:
        return f"{source}:{mark.line + 2}:{mark.column + 1}"
    position = getattr(err, "position", None)  # a ReaderError: a bad character
    if isinstance(position, int):
        line = block.count("\n", 0, position) + 2
        column = position - block.rfind("\n", 0, position)
        return f"{source}:{line}:{column}"
    return f"{source}:2"


def _yaml_problem(err: Exception) -> str:
    """The first line of what went wrong, without PyYAML's position lines."""
    problem = getattr(err, "problem", None) or str(err) or type(err).__name__
    return str(problem).split("\n")[0]


_PLAIN_TITLE = re.compile(r"^title: (?P<value>\S.*)$")
_TITLE_KEYS = ("title", '"title"', "'title'")


def wp_title(text: str) -> str | None:
    """The ``title`` of a WP file's front matter; None when absent or unreadable. Never raises.

    A plain one-line ``title: text`` is read without YAML; anything else (quoted, folded,
    odd) goes through ``yaml.safe_load`` of the front matter block.
    """
    try:
        lines = _front_matter_lines(text)
    except ValueError:
        return None
    if lines is None:
        return None
    quick = _plain_title(lines)
    if quick is not None:
        return quick
    try:
        data = read_front_matter(text, source="WP file")
    except Exception:  # whatever the file holds, a board cell must not crash the board
        return None
    title = data.get("title")
    return title if isinstance(title, str) and title else None


_DEPENDENCY_ITEM = re.compile(r"^- (WP\d{2})$")


def wp_dependencies(text: str) -> list[str]:
    """The ``dependencies`` of a WP file's front matter ([] when absent or unreadable).

    The block finalize-tasks writes (``dependencies: []`` or one ``- WPxx`` per line) is
    read without YAML; anything else goes through ``yaml.safe_load``. Never raises.
    """
    try:
        lines = _front_matter_lines(text)
    except ValueError:
        return []
    if lines is None:
        return []
    keyed = [index for index, line in enumerate(lines) if line.startswith("dependencies:")]
    if not keyed:
        return []
    index = keyed[0]
    if len(keyed) == 1 and lines[index] == "dependencies: []":
        return []
    if len(keyed) == 1 and lines[index] == "dependencies:":
        items = []
        for line in lines[index + 1 :]:
            match = _DEPENDENCY_ITEM.match(line)
            if match is None:
                break
            items.append(match[1])
        rest = lines[index + 1 + len(items) : index + 2 + len(items)]
        if not rest or rest[0][:1] not in (" ", "\t", "-"):
            return items
    try:
        value = read_front_matter(text, source="WP file").get("dependencies")
    except Exception:  # whatever the file holds, a board cell must not crash the board
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def _plain_title(lines: Sequence[str]) -> str | None:
    """The title when it is one plain YAML scalar that can only be a string, else None."""
    titled = [index for index, line in enumerate(lines) if line.startswith(_TITLE_KEYS)]
    if len(titled) != 1:
        return None
    index = titled[0]
    match = _PLAIN_TITLE.match(lines[index])
    if match is None:
        return None
    if index + 1 < len(lines) and lines[index + 1][:1] in (" ", "\t"):
        return None  # the value goes on over the next line
    value = match["value"].rstrip(" ")
    return value if _is_plain_string(value) else None


# Values a plain YAML scalar resolves to something other than a string (YAML 1.1, PyYAML).
_YAML_WORDS = frozenset(
    case(word)
    for word in ("yes", "no", "true", "false", "on", "off", "null")
    for case in (str.lower, str.capitalize, str.upper)
)


def _is_plain_string(value: str) -> bool:
    """A conservative test that YAML reads ``value`` back as exactly this string."""
    return (
        value[:1].isalpha()
        and value.isprintable()
        and value not in _YAML_WORDS
        and ": " not in value
        and not value.endswith(":")
        and " #" not in value
    )


def replace_front_matter(text: str, fields: dict[str, Any]) -> str:
    """``text`` with its front matter block replaced by ``fields`` (the body kept as is)."""
    from spec_kitty_cli import _yaml

    body = text
    if text.startswith("---\n"):
        end = text.find("\n---", 3)
        if end != -1:
            closing = text.find("\n", end + 4)
            body = text[closing + 1 :] if closing != -1 else ""
    header = _yaml.dump(fields, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{header}---\n{body}"
