"""The review-time diff gate: classify each changed file against the map.

For each changed path (relative to the repository root) the first matching rule
decides, in this order: a whole-file exception, a declared move (source or
destination), a structural target, the mission's own bookkeeping files (under
``mission_dir``), then the category the path falls in and that category's action.
``do_not_change``, a category missing from the map, or a path in no category blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ._model import OccurrenceMap
from ._paths import covers, glob_match, glob_match_segments, is_narrow, normalize

Source = Literal["exception", "move", "structural_target", "bookkeeping", "category", "none"]
Verdict = Literal["allowed", "blocked"]

#: Path heuristics, in order; the first category with a matching pattern wins.
_CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "tests_fixtures",
        (
            r"(^|/)tests?/",
            r"(^|/)fixtures?/",
            r"(^|/)__snapshots__/",
            r"(^|/)conftest\.py$",
            r"(^|/)test_[^/]+$",
            r"_test\.py$",
        ),
    ),
    ("cli_commands", (r"(^|/)cli/", r"(^|/)commands/")),
    (
        "user_facing_strings",
        (r"\.(md|rst|txt)$", r"(^|/)docs?/", r"(^|/)(README|CHANGELOG|LICENSE)(\.[^/]+)?$"),
    ),
    ("serialized_keys", (r"\.(json|ya?ml|toml|ini|cfg)$",)),
    (
        "code_symbols",
        (
            r"\.(py|pyi|ts|tsx|js|jsx|mjs|cjs|go|rs|java|rb|kt|swift|c|cc|cpp|h|hpp|sh|cs"
            r"|php|scala)$",
        ),
    ),
)
_COMPILED = tuple(
    (name, tuple(re.compile(pattern) for pattern in patterns)) for name, patterns in _CATEGORY_RULES
)


def classify_path(path: str) -> str | None:
    """Return the standard category a repository path falls in, or ``None``."""
    posix = normalize(path)
    for name, patterns in _COMPILED:
        if any(pattern.search(posix) for pattern in patterns):
            return name
    return None


@dataclass(frozen=True)
class DiffEntry:
    """The verdict on one changed file and the rule that produced it."""

    path: str
    category: str | None
    source: Source
    action: str | None
    verdict: Verdict
    reason: str

    @property
    def blocked(self) -> bool:
        """``True`` when this file blocks the review."""
        return self.verdict == "blocked"


@dataclass(frozen=True)
class DiffReport:
    """The verdicts on every changed file, in the order given."""

    entries: list[DiffEntry] = field(default_factory=list)

    @property
    def blocked(self) -> list[DiffEntry]:
        """The entries that block the review."""
        return [entry for entry in self.entries if entry.blocked]

    @property
    def ok(self) -> bool:
        """``True`` when no changed file is blocked."""
        return not self.blocked


def _verdict(action: str | None) -> Verdict:
    return "blocked" if action in (None, "do_not_change") else "allowed"


def _by_exception(path: str, omap: OccurrenceMap) -> DiffEntry | None:
    for exc in omap.exceptions:
        if exc.field_path is None and glob_match(path, normalize(exc.path)):
            why = f": {exc.reason.strip()}" if exc.reason else ""
            return DiffEntry(
                path, None, "exception", exc.action, _verdict(exc.action),
                f"exception {exc.path!r} gives action {exc.action}{why}",
            )  # fmt: skip
    return None


def _by_move(path: str, omap: OccurrenceMap) -> DiffEntry | None:
    for index, move in enumerate(omap.moves):
        role = None
        if any(covers(path, source) for source in move.sources):
            role = "deletion" if move.deletes else "move source"
        elif not move.deletes and covers(path, move.destination):
            role = "move destination"
        if role is not None:
            why = f": {move.reason}" if move.reason else ""
            return DiffEntry(
                path, None, "move", "delete" if move.deletes else "move", "allowed",
                f"declared {role} moves[{index}]{why}",
            )  # fmt: skip
    return None


def _by_structural_target(path: str, omap: OccurrenceMap) -> DiffEntry | None:
    for target in omap.structural_targets:
        # Re-checked here so a broad entry can never exempt anything.
        if is_narrow(target.path) and glob_match_segments(path, normalize(target.path)):
            return DiffEntry(
                path, None, "structural_target", "structural_edit", "allowed",
                f"structural target {target.path!r}: {target.reason}",
            )  # fmt: skip
    return None


def _by_bookkeeping(path: str, mission_dir: str | None) -> DiffEntry | None:
    if mission_dir and covers(path, mission_dir):
        return DiffEntry(
            path, None, "bookkeeping", None, "allowed",
            f"the mission's own file under {normalize(mission_dir)}/",
        )  # fmt: skip
    return None


def _by_category(path: str, omap: OccurrenceMap) -> DiffEntry:
    category = classify_path(path)
    if category is None:
        return DiffEntry(
            path, None, "none", None, "blocked",
            "the path is in no occurrence category; add an exception, move or "
            "structural target for it",
        )  # fmt: skip
    action = omap.categories.get(category)
    if action is None:
        reason = f"category {category} is missing from the map"
    elif action == "do_not_change":
        reason = f"category {category} is do_not_change"
    else:
        reason = f"category {category} allows {action}"
    return DiffEntry(path, category, "category", action, _verdict(action), reason)


def check_entry(omap: OccurrenceMap, path: str, mission_dir: str | None = None) -> DiffEntry:
    """Return the verdict on one changed path."""
    posix = normalize(path)
    return (
        _by_exception(posix, omap)
        or _by_move(posix, omap)
        or _by_structural_target(posix, omap)
        or _by_bookkeeping(posix, mission_dir)
        or _by_category(posix, omap)
    )


def check_diff(
    omap: OccurrenceMap, changed_paths: Iterable[str], *, mission_dir: str | None = None
) -> DiffReport:
    """Classify every changed path; see the module docstring for the rule order."""
    return DiffReport(entries=[check_entry(omap, path, mission_dir) for path in changed_paths])
