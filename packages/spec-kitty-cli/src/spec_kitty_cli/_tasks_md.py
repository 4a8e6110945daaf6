"""``tasks.md`` to work packages, lanes and WP files: pure text in, values and text out.

:func:`parse_tasks_md` reads the WP sections of a mission's ``tasks.md``;
:func:`compute_lanes` groups the WPs whose owned files overlap into lanes and orders the
lanes by dependency (``mission_context.lanes_document`` is the ``lanes.json`` document);
:func:`render_wp_file` the text of ``tasks/WPxx-<slug>.md`` (``_frontmatter`` reads it
back). Nothing here touches git or the filesystem: the caller
passes the text and writes the result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any

import msgspec

from mission_context import LanePlan

from ._frontmatter import TasksError

CODE_CHANGE = "code_change"
PLANNING_ARTIFACT = "planning_artifact"
EXECUTION_MODES = (CODE_CHANGE, PLANNING_ARTIFACT)

_WP_HEADING = re.compile(r"^#{2,4}\s+(?:(?i:work\s+package)\s+)?(WP\d{2})(?:\b|:)")
_ANY_HEADING = re.compile(r"^(#{1,6})(?:\s|$)")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_WP_ID = re.compile(r"\bWP\d{2}\b")
_SUBTASK = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(T\d+)\b\s*[:.\-\u2013\u2014]?\s*(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_BOLD = r"(?:\*\*|__)?"
_LABEL = re.compile(
    rf"^{_BOLD}(?P<label>depends\s+on|dependencies|requirements?\s+ref(?:erence)?s?"
    rf"|owned\s+files?|execution\s+mode){_BOLD}"
    rf"(?P<sep>\s*:\s*{_BOLD}|\s+|$)\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = ":-\u2013\u2014"
_NONE_VALUES = frozenset({"", "none", "-", "\u2013", "\u2014", "n/a"})
_THEMATIC_BREAK = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_SLUG_MAX = 48
_GLOB_CHARS = frozenset("*?[")

_HEADING_EXAMPLE = 'e.g. "## Work Package WP01: Core model" followed by its subtasks'


# -- values ---------------------------------------------------------------------------


class Subtask(msgspec.Struct, frozen=True):
    """One checklist line of a WP section: ``- [x] T002: text``."""

    id: str
    title: str
    done: bool


class WorkPackageSpec(msgspec.Struct, frozen=True):
    """One WP section of ``tasks.md``, as parsed; ``body`` is the section's markdown."""

    wp_id: str
    title: str
    slug: str
    dependencies: tuple[str, ...]
    requirement_refs: tuple[str, ...]
    subtasks: tuple[Subtask, ...]
    owned_files: tuple[str, ...]
    execution_mode: str
    body: str
    line: int

    @property
    def filename(self) -> str:
        """The WP file's name: ``WP01-core-model.md``."""
        return f"{self.wp_id}-{self.slug}.md"


# -- parsing tasks.md -------------------------------------------------------------------


class _Section(msgspec.Struct):
    """A WP section while it is read; keeps the line of each dependency for messages."""

    wp_id: str
    title: str
    line: int
    level: int
    lines: list[str] = msgspec.field(default_factory=list)
    dependencies: dict[str, int] = msgspec.field(default_factory=dict)  # WP id -> line of mention
    requirement_refs: list[str] = msgspec.field(default_factory=list)
    subtasks: list[Subtask] = msgspec.field(default_factory=list)
    owned_files: list[str] = msgspec.field(default_factory=list)
    execution_mode: str = CODE_CHANGE


class _Issue(msgspec.Struct, frozen=True):
    line: int
    message: str
    next_step: str


def parse_tasks_md(text: str, *, source: str = "tasks.md") -> list[WorkPackageSpec]:
    """The WP sections of ``text`` in file order.

    Raises :class:`TasksError` (``TASKS_INVALID``, message ``"{source}:{line}: ..."``) for
    the first problem in file order: no WP heading, a WP defined twice, an unknown execution
    mode, a dependency on an undefined WP or on itself; dependency cycles are checked last.
    """
    sections = _split_sections(text.split("\n"))
    if not sections:
        raise TasksError(
            f"{source}:1: no work package heading found",
            next_step=f"add a heading per work package to {source}, {_HEADING_EXAMPLE}",
        )
    issues: list[_Issue] = []
    for section in sections:
        issues.extend(_read_section(section, source))
    issues.extend(_duplicate_issues(sections, source))
    issues.extend(_dependency_issues(sections, source))
    if issues:
        first = min(issues, key=lambda issue: issue.line)
        raise TasksError(first.message, next_step=first.next_step)
    _check_cycles(sections, source)
    return [_spec(section) for section in sections]


def _split_sections(lines: Sequence[str]) -> list[_Section]:
    """Cut ``lines`` into WP sections; text outside them (and inside code fences) is skipped."""
    sections: list[_Section] = []
    current: _Section | None = None
    in_fence = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            wp_heading = _WP_HEADING.match(line)
            if wp_heading:
                level = len(line) - len(line.lstrip("#"))
                current = _Section(wp_heading.group(1), _title(line, wp_heading), number, level)
                sections.append(current)
            else:
                heading = _ANY_HEADING.match(line)
                if heading and current is not None and len(heading.group(1)) <= current.level:
                    current = None
        if current is not None:
            current.lines.append(line)
    return sections


def with_requirement_refs(text: str, wp_id: str, refs: Sequence[str]) -> str:
    """``text`` (a ``tasks.md``) with ``wp_id``'s requirement refs saying ``refs``.

    The section's first ``Requirement Refs`` line is rewritten (any later one dropped),
    else one is added under its heading. Raises :class:`TasksError` for a WP the text does
    not define.
    """
    lines = text.split("\n")
    section = next((s for s in _split_sections(lines) if s.wp_id == wp_id), None)
    if section is None:
        raise TasksError(
            f"tasks.md has no section for {wp_id}",
            next_step=f"add one ({_HEADING_EXAMPLE}), or name a WP it defines",
        )
    start, end = section.line - 1, section.line - 1 + len(section.lines)
    written = f"**Requirement Refs**: {', '.join(refs) or 'None'}"
    found, in_fence = [], False
    for index in range(start + 1, end):
        if _FENCE.match(lines[index]):
            in_fence = not in_fence
        label = None if in_fence else _LABEL.match(_plain(lines[index]))
        if label and label["label"].lower().startswith("requirement"):
            found.append(index)
    if found:
        lines[found[0]] = written
        for index in reversed(found[1:]):
            del lines[index]
    else:
        after_blank = start + 1 < len(lines) and not lines[start + 1].strip()
        lines[start + 1 : start + 1] = ["", written] if after_blank else ["", written, ""]
    return "\n".join(lines)


def _title(line: str, match: re.Match[str]) -> str:
    """The heading text after the WP id and its separator, on one line."""
    rest = re.sub(r"\s#+\s*$", "", line[match.end(1) :]).strip()
    if rest and rest[0] in _TITLE_SEPARATORS:
        rest = rest[1:]
    # One line of plain spaces: the title goes into YAML front matter and a board cell.
    return " ".join(rest.split())


def _read_section(section: _Section, source: str) -> list[_Issue]:
    """Fill the section's labels and subtasks from its lines; return its problems."""
    issues: list[_Issue] = []
    in_fence = False
    owned_list: list[str] | None = None  # the bullets read so far under an empty "Owned files:"
    for offset, line in enumerate(section.lines[1:], start=1):
        number = section.line + offset
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if owned_list is not None:
            owned_list = _continue_owned_list(owned_list, line)
            if owned_list is not None:
                _extend_unique(section.owned_files, owned_list)
                continue
        subtask = _SUBTASK.match(line)
        if subtask:
            done, sub_id, sub_title = subtask.groups()
            section.subtasks.append(Subtask(sub_id, sub_title.strip(), done != " "))
            continue
        label = _LABEL.match(_plain(line))
        if label is None or (":" not in label["sep"] and not _is_depends_on(label)):
            continue
        value = _strip_value(label["value"])
        kind = " ".join(label["label"].lower().split())
        if kind in ("depends on", "dependencies"):
            for wp_id in _WP_ID.findall(value):
                section.dependencies.setdefault(wp_id, number)
        elif kind.startswith("requirement"):
            _extend_unique(section.requirement_refs, _refs(value))
        elif kind.startswith("owned"):
            _extend_unique(section.owned_files, _paths(label["value"]))
            if not label["value"].strip():
                owned_list = []
        else:
            issue = _set_execution_mode(section, value, number, source)
            if issue is not None:
                issues.append(issue)
    return issues


def _continue_owned_list(items: list[str], line: str) -> list[str] | None:
    """Take ``line`` as an owned-files bullet; None once the list is over."""
    if not line.strip():
        return items if not items else None
    bullet = _BULLET.match(line)
    if bullet is None or _SUBTASK.match(line) or _LABEL.match(_plain(line)):
        return None
    text = bullet.group(1)
    _extend_unique(items, re.findall(r"`([^`]+)`", text) or _paths(text)[:1])
    return items


def _plain(line: str) -> str:
    """``line`` without indentation and list marker, for matching a label."""
    text = line.strip()
    bullet = _BULLET.match(text)
    return bullet.group(1).strip() if bullet else text


def _is_depends_on(label: re.Match[str]) -> bool:
    # Only "Depends on WP01" reads naturally without a colon; other labels need one.
    return label["label"].lower().startswith("depends")


def _strip_value(value: str) -> str:
    """A label's value without backticks, bold markers and a trailing period."""
    return value.replace("`", "").replace("**", "").strip().rstrip(".").strip()


def _is_none(value: str) -> bool:
    return value.strip().lower() in _NONE_VALUES


def _refs(value: str) -> list[str]:
    """``FR-001, C-001 (partial)`` -> ``["FR-001", "C-001"]``."""
    if _is_none(value):
        return []
    items = (item.strip().rstrip(".") for item in re.split(r"[,;]", value))
    return [item.split()[0] for item in items if item and not _is_none(item)]


def _paths(value: str) -> list[str]:
    """Paths of an owned-files value: per comma-separated item, its backticked spans or
    else its first word (``src/a.py (new)`` -> ``src/a.py``)."""
    paths: list[str] = []
    for item in value.split(","):
        words = re.findall(r"`([^`]+)`", item) or item.split()[:1]
        paths.extend(word.strip().rstrip(".;") for word in words if not _is_none(word))
    return [path for path in paths if path]


def _extend_unique(target: list[str], values: Iterable[str]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def _set_execution_mode(section: _Section, value: str, number: int, source: str) -> _Issue | None:
    mode = value.lower()
    if mode in EXECUTION_MODES:
        section.execution_mode = mode
        return None
    return _Issue(
        number,
        f"{source}:{number}: {section.wp_id} has execution mode {value!r}; "
        f"expected {CODE_CHANGE} or {PLANNING_ARTIFACT}",
        f"set the Execution Mode of {section.wp_id} in {source} to {CODE_CHANGE} "
        f"or {PLANNING_ARTIFACT}",
    )


def _duplicate_issues(sections: Sequence[_Section], source: str) -> list[_Issue]:
    first_line: dict[str, int] = {}
    issues = []
    for section in sections:
        if section.wp_id in first_line:
            earlier = first_line[section.wp_id]
            issues.append(
                _Issue(
                    section.line,
                    f"{source}:{section.line}: {section.wp_id} is defined twice "
                    f"(lines {earlier} and {section.line})",
                    f"rename or merge one of the two {section.wp_id} sections in {source}",
                )
            )
        else:
            first_line[section.wp_id] = section.line
    return issues


def _dependency_issues(sections: Sequence[_Section], source: str) -> list[_Issue]:
    defined = {section.wp_id for section in sections}
    issues = []
    for section in sections:
        for dep, number in section.dependencies.items():
            if dep == section.wp_id:
                issues.append(
                    _Issue(
                        number,
                        f"{source}:{number}: {dep} depends on itself",
                        f"remove {dep} from its own dependencies in {source}",
                    )
                )
            elif dep not in defined:
                issues.append(
                    _Issue(
                        number,
                        f"{source}:{number}: {section.wp_id} depends on {dep}, "
                        f"which {source} does not define",
                        f"define {dep} in {source} or remove it from the dependencies "
                        f"of {section.wp_id}",
                    )
                )
    return issues


def _check_cycles(sections: Sequence[_Section], source: str) -> None:
    """Raise for the first dependency cycle a depth-first walk in file order meets."""
    cycle = find_cycle({section.wp_id: list(section.dependencies) for section in sections})
    if cycle:
        line = next(s for s in sections if s.wp_id == cycle[-2]).dependencies[cycle[-1]]
        raise TasksError(
            f"{source}:{line}: dependency cycle {' -> '.join(cycle)}",
            next_step=f"remove one of these dependencies in {source}",
        )


def find_cycle(needs: dict[str, Sequence[str]]) -> list[str] | None:
    """The first cycle (``[a, b, a]``) a depth-first walk in key order meets, or None.

    Dependencies on ids that are not keys are ignored (the caller reports those).
    """
    finished: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        path.append(node)
        for dep in needs[node]:
            if dep in path:
                return [*path[path.index(dep) :], dep]
            if dep in needs and dep not in finished and (found := visit(dep)):
                return found
        path.pop()
        finished.add(node)
        return None

    for node in needs:
        if node not in finished and (found := visit(node)):
            return found
    return None


def _spec(section: _Section) -> WorkPackageSpec:
    return WorkPackageSpec(
        wp_id=section.wp_id,
        title=section.title,
        slug=slugify(section.title),
        dependencies=tuple(section.dependencies),
        requirement_refs=tuple(section.requirement_refs),
        subtasks=tuple(section.subtasks),
        owned_files=tuple(section.owned_files),
        execution_mode=section.execution_mode,
        body=_body(section.lines),
        line=section.line,
    )


def _body(lines: Sequence[str]) -> str:
    """The section without trailing blank lines or the ``---`` that separates sections."""
    end = len(lines)
    while end > 1 and (not lines[end - 1].strip() or _THEMATIC_BREAK.match(lines[end - 1])):
        end -= 1
    return "\n".join(lines[:end])


def slugify(title: str) -> str:
    """The filename slug of ``title``: ``[a-z0-9-]``, at most 48 characters, ``wp`` if empty."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_SLUG_MAX].rstrip("-") or "wp"


# -- lanes ------------------------------------------------------------------------------


def planning_wps(wps: Sequence[WorkPackageSpec]) -> list[str]:
    """The ids of the planning-artifact WPs (they get no lane), in file order."""
    return [wp.wp_id for wp in wps if wp.execution_mode == PLANNING_ARTIFACT]


def compute_lanes(wps: Sequence[WorkPackageSpec]) -> list[LanePlan]:
    """Lanes for the code-change WPs of ``wps``; planning-artifact WPs get none.

    WPs whose owned files overlap share a lane, and so do lanes whose dependencies would
    otherwise form a cycle. Lanes are ordered (and lettered) by their first WP in ``wps``.
    """
    code_wps = [wp for wp in wps if wp.execution_mode != PLANNING_ARTIFACT]
    needs = _code_dependencies(wps, code_wps)
    groups = _merge_lane_cycles(_ownership_groups(code_wps), needs)
    groups.sort(key=min)
    lane_ids = [_lane_id(position) for position in range(len(groups))]
    lane_of = {member: position for position, group in enumerate(groups) for member in group}
    lane_deps = [
        sorted({lane_of[dep] for member in group for dep in needs[member]} - {position})
        for position, group in enumerate(groups)
    ]
    groups_of = _parallel_groups(lane_deps)
    lanes = []
    for position, group in enumerate(groups):
        scope = sorted({path for member in group for path in code_wps[member].owned_files})
        lanes.append(
            LanePlan(
                lane_id=lane_ids[position],
                wp_ids=tuple(code_wps[member].wp_id for member in sorted(group)),
                write_scope=tuple(scope),
                predicted_surfaces=_surfaces(scope),
                depends_on_lanes=tuple(sorted(lane_ids[dep] for dep in lane_deps[position])),
                parallel_group=groups_of[position],
            )
        )
    return lanes


def _code_dependencies(
    wps: Sequence[WorkPackageSpec], code_wps: Sequence[WorkPackageSpec]
) -> list[set[int]]:
    """For each code WP, the code WPs it needs, looking through planning-artifact WPs.

    A planning-artifact WP has no lane, but what it waits for still has to land first.
    """
    by_id = {wp.wp_id: wp for wp in wps}
    index = {wp.wp_id: position for position, wp in enumerate(code_wps)}

    def reach(wp: WorkPackageSpec) -> set[int]:
        found: set[int] = set()
        seen: set[str] = set()
        pending = list(wp.dependencies)
        while pending:
            dep = pending.pop()
            if dep in seen or dep not in by_id:
                continue
            seen.add(dep)
            if dep in index:
                found.add(index[dep])
            else:
                pending.extend(by_id[dep].dependencies)
        found.discard(index[wp.wp_id])
        return found

    return [reach(wp) for wp in code_wps]


def _ownership_groups(code_wps: Sequence[WorkPackageSpec]) -> list[set[int]]:
    """Union-find over WPs whose owned files overlap; each WP without files stays alone."""
    parent = list(range(len(code_wps)))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for left, left_wp in enumerate(code_wps):
        for right in range(left + 1, len(code_wps)):
            if _files_overlap(left_wp.owned_files, code_wps[right].owned_files):
                parent[root(right)] = root(left)
    groups: dict[int, set[int]] = {}
    for item in range(len(code_wps)):
        groups.setdefault(root(item), set()).add(item)
    return list(groups.values())


def _files_overlap(left: Sequence[str], right: Sequence[str]) -> bool:
    return any(paths_overlap(a, b) for a in left for b in right)


def paths_overlap(left: str, right: str) -> bool:
    """Whether two owned paths can name the same file.

    Identical paths, a glob matching the other path, or a directory prefix
    (``src/pkg/`` and ``src/pkg/a.py``).
    """
    a, b = _normal_path(left), _normal_path(right)
    if a == b or fnmatchcase(a, b) or fnmatchcase(b, a):
        return True
    return b.startswith(a + "/") or a.startswith(b + "/")


def _normal_path(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def _merge_lane_cycles(groups: list[set[int]], needs: Sequence[set[int]]) -> list[set[int]]:
    """Merge groups that depend on each other (a lane cycle) until the lane graph is acyclic."""
    while True:
        owner = {member: position for position, group in enumerate(groups) for member in group}
        edges = [{owner[dep] for member in group for dep in needs[member]} for group in groups]
        reach = [_reachable(start, edges) for start in range(len(groups))]
        merged: list[set[int]] = []
        placed: set[int] = set()
        for position in range(len(groups)):
            if position in placed:
                continue
            component = {other for other in reach[position] if position in reach[other]}
            component.add(position)
            placed |= component
            merged.append({member for other in component for member in groups[other]})
        if len(merged) == len(groups):
            return merged
        groups = merged


def _reachable(start: int, edges: Sequence[set[int]]) -> set[int]:
    """The nodes reachable from ``start`` by one or more edges."""
    found: set[int] = set()
    pending = list(edges[start])
    while pending:
        node = pending.pop()
        if node not in found:
            found.add(node)
            pending.extend(edges[node])
    return found


def _parallel_groups(lane_deps: Sequence[Sequence[int]]) -> list[int]:
    """0 for a lane without dependencies, else one more than its deepest dependency."""
    groups: dict[int, int] = {}

    def group(position: int) -> int:
        if position not in groups:
            deps = lane_deps[position]
            groups[position] = 1 + max(group(dep) for dep in deps) if deps else 0
        return groups[position]

    return [group(position) for position in range(len(lane_deps))]


def _lane_id(position: int) -> str:
    """``lane-a`` .. ``lane-z``, then ``lane-aa``, ``lane-ab``, ... (bijective base 26)."""
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return f"lane-{letters}"


def _surfaces(scope: Iterable[str]) -> tuple[str, ...]:
    """The top-level directories a lane writes to (``src``, ``tests``, ``docs``)."""
    tops = set()
    for path in scope:
        top, sep, _ = path.strip().removeprefix("./").partition("/")
        if sep and top and not _GLOB_CHARS & set(top):
            tops.add(top)
    return tuple(sorted(tops))


# -- WP files ---------------------------------------------------------------------------


def render_wp_file(
    wp: WorkPackageSpec, *, base_branch: str, base_commit: str | None, created_at: str
) -> str:
    """The text of ``tasks/<wp.filename>``: YAML front matter, a blank line, the WP's body.

    The front matter never holds the lane: that lives in the status event log alone.
    """
    from spec_kitty_cli import _yaml

    front = wp_front_matter(
        wp, base_branch=base_branch, base_commit=base_commit, created_at=created_at
    )
    dumped = _dump_yaml(front, allow_unicode=True)
    if _yaml.load(dumped) != front:
        # PyYAML folds a raw NEL (U+0085) into a space; escaped, every string survives.
        dumped = _dump_yaml(front, allow_unicode=False)
    return f"---\n{dumped}---\n\n{wp.body.rstrip()}\n"


def wp_front_matter(
    wp: WorkPackageSpec, *, base_branch: str, base_commit: str | None, created_at: str
) -> dict[str, Any]:
    """The front matter fields of ``tasks/<wp.filename>``, in file order (what
    :func:`render_wp_file` writes, and reads back as)."""
    return {
        **_wp_fields(wp),
        "base_branch": base_branch,
        "base_commit": base_commit,
        "created_at": created_at,
    }


def _dump_yaml(data: dict[str, Any], *, allow_unicode: bool) -> str:
    from spec_kitty_cli import _yaml

    # An unlimited width keeps every value on one line: no folding of long titles.
    return _yaml.dump(
        data,
        sort_keys=False,
        allow_unicode=allow_unicode,
        default_flow_style=False,
        width=float("inf"),
    )


def _wp_fields(wp: WorkPackageSpec) -> dict[str, Any]:
    """The front matter fields that come from the WP itself, in file order."""
    return {
        "work_package_id": wp.wp_id,
        "title": wp.title,
        "dependencies": list(wp.dependencies),
        "requirement_refs": list(wp.requirement_refs),
        "subtasks": [subtask.id for subtask in wp.subtasks],
        "owned_files": list(wp.owned_files),
        "execution_mode": wp.execution_mode,
    }
