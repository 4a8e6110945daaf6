"""Structural validation and admissibility of an occurrence map.

Every error names its key path (``target.term``, ``categories.code_symbols.action``,
``moves[1].from``) and all errors are collected at once. Structural validity and
admissibility follow spec-kitty 3.2.7 so that the same maps pass and fail; on top of
that, ``moves`` paths must be relative and a path may not be both a source and a
destination; the one absolute path taken is a destination of ``/dev/null``, git's name for
the absent side of a diff, which declares a deletion (as 3.2.7's real maps do). A map
without ``moves`` validates exactly as it would if ``moves`` did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import OccurrenceMapError
from ._model import DELETED, OccurrenceMap, build_map
from ._parse import Parsed, parse_map_text, read_map_text
from ._paths import is_narrow, is_relative_clean, normalize
from ._vocabulary import ACTIONS, STANDARD_CATEGORIES

OPERATIONS: tuple[str, ...] = ("rename", "remove", "deprecate")
PLACEHOLDER_TERMS: frozenset[str] = frozenset({"TODO", "TBD", "FIXME", "XXX", "PLACEHOLDER", ""})
KNOWN_TOP_LEVEL_KEYS: tuple[str, ...] = (
    "target",
    "categories",
    "exceptions",
    "moves",
    "structural_targets",
    "status",
)
_ACTION_LIST = ", ".join(ACTIONS)
_MISSING: Any = object()


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on one map: structural validity, then (when valid) admissibility."""

    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    admissible: bool | None = None
    admissibility_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the report in the shape of spec-kitty's ``expected-validation.json``."""
        return {
            "valid": self.valid,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "admissible": self.admissible,
            "admissibility_errors": list(self.admissibility_errors),
        }


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_action(label: str, action: Any) -> list[str]:
    if action is None:
        return [f"{label}: missing required key 'action'"]
    if action not in ACTIONS:
        return [f"{label}: invalid action {action!r}; must be one of {_ACTION_LIST}"]
    return []


def _validate_target(target: Any) -> list[str]:
    if target is _MISSING:
        return ["target: missing required section (a mapping with at least 'term')"]
    if not isinstance(target, Mapping):
        return ["target: must be a mapping with at least 'term'"]
    problem = _required_text("target.term", target.get("term"))
    errors = [problem] if problem else []
    operation = target.get("operation")
    if operation is not None and operation not in OPERATIONS:
        errors.append(
            f"target.operation: invalid operation {operation!r}; must be one of "
            + ", ".join(OPERATIONS)
        )
    return errors


def _validate_categories(categories: Any) -> list[str]:
    if categories is _MISSING:
        return ["categories: missing required section (a mapping of category -> {action})"]
    if not isinstance(categories, Mapping) or not categories:
        return ["categories: must be a non-empty mapping of category -> {action: ...}"]
    errors: list[str] = []
    for name, value in categories.items():
        label = f"categories.{name}"
        if not isinstance(value, Mapping):
            errors.append(f"{label}: must be a mapping with an 'action' key")
            continue
        errors.extend(_check_action(f"{label}.action", value.get("action")))
    return errors


def _validate_list(key: str, raw: Any, check_entry: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [f"{key}: must be a list when present"]
    errors: list[str] = []
    for index, entry in enumerate(raw):
        errors.extend(check_entry(f"{key}[{index}]", entry))
    return errors


def _required_text(label: str, value: Any) -> str | None:
    """The error of a required non-empty string field, or None when it is one."""
    if value is None:
        return f"{label}: missing required key"
    if not _non_empty_str(value):
        return f"{label}: must be a non-empty string"
    return None


def _validate_exception(label: str, entry: Any) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"{label}: must be a mapping with 'path' and 'action'"]
    problem = _required_text(f"{label}.path", entry.get("path"))
    errors = [problem] if problem else []
    errors.extend(_check_action(f"{label}.action", entry.get("action")))
    field_path = entry.get("field_path")
    if field_path is not None and not _non_empty_str(field_path):
        errors.append(f"{label}.field_path: must be a non-empty string when present")
    return errors


def _check_move_path(label: str, value: Any, *, destination: bool = False) -> list[str]:
    if not _non_empty_str(value):
        return [f"{label}: must be a non-empty path string"]
    if value.strip() == DELETED:
        if destination:
            return []  # a deletion
        return [
            f"{label}: {DELETED!r} as a source would declare a creation; a new file needs "
            f"no move (only `to: {DELETED}` is taken, for a deletion)"
        ]
    if not is_relative_clean(value):
        return [
            f"{label}: {value!r} must be relative to the repository root (no leading /, "
            f"no ..; the one absolute path taken is `to: {DELETED}`, a deletion)"
        ]
    return []


def _validate_move(label: str, entry: Any) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"{label}: must be a mapping with 'from' and 'to'"]
    errors: list[str] = []
    sources = entry.get("from")
    if sources is None:
        errors.append(f"{label}.from: missing required key (a non-empty list of paths)")
    elif not isinstance(sources, list) or not sources:
        errors.append(f"{label}.from: must be a non-empty list of paths")
    else:
        for index, source in enumerate(sources):
            errors.extend(_check_move_path(f"{label}.from[{index}]", source))
    destination = entry.get("to")
    if destination is None:
        errors.append(f"{label}.to: missing required key (a path)")
    else:
        errors.extend(_check_move_path(f"{label}.to", destination, destination=True))
    reason = entry.get("reason")
    if reason is not None and not isinstance(reason, str):
        errors.append(f"{label}.reason: must be a string when present")
    return errors


def _move_paths(moves: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Map each normalized source and destination path to the key path declaring it."""
    sources: dict[str, str] = {}
    destinations: dict[str, str] = {}
    for index, entry in enumerate(moves):
        if not isinstance(entry, Mapping):
            continue
        from_list = entry.get("from")
        for pos, source in enumerate(from_list if isinstance(from_list, list) else []):
            if _non_empty_str(source):
                sources.setdefault(normalize(source), f"moves[{index}].from[{pos}]")
        if _non_empty_str(entry.get("to")) and entry["to"].strip() != DELETED:
            destinations.setdefault(normalize(entry["to"]), f"moves[{index}].to")
    return sources, destinations


def _validate_moves(moves: Any) -> list[str]:
    errors = _validate_list("moves", moves, _validate_move)
    if not isinstance(moves, list):
        return errors
    sources, destinations = _move_paths(moves)
    for path in sorted(set(sources) & set(destinations)):
        errors.append(
            f"{sources[path]}: {path!r} is both a move source and a move destination "
            f"(also {destinations[path]}); declare each path on one side only"
        )
    return errors


def _validate_structural_target(label: str, entry: Any) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"{label}: must be a mapping with 'path' and 'reason'"]
    errors: list[str] = []
    path = entry.get("path")
    problem = _required_text(f"{label}.path", path)
    if problem:
        errors.append(problem)
    elif not is_narrow(str(path)):
        errors.append(
            f"{label}.path: {path!r} is too broad; a structural target must name specific "
            "files (a path with a fixed extension such as 'src/cli/main.py', or an "
            "extension-bounded glob such as 'src/cli/*.py'; no bare directories, no '**')"
        )
    problem = _required_text(f"{label}.reason", entry.get("reason"))
    return [*errors, problem] if problem else errors


def structural_errors(raw: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return ``(errors, warnings)`` for a parsed map."""
    errors = [
        *_validate_target(raw.get("target", _MISSING)),
        *_validate_categories(raw.get("categories", _MISSING)),
        *_validate_list("exceptions", raw.get("exceptions"), _validate_exception),
        *_validate_moves(raw.get("moves")),
        *_validate_list(
            "structural_targets", raw.get("structural_targets"), _validate_structural_target
        ),
    ]
    warnings = [
        f"{key}: unknown top-level key (ignored); known keys are " + ", ".join(KNOWN_TOP_LEVEL_KEYS)
        for key in raw
        if key not in KNOWN_TOP_LEVEL_KEYS
    ]
    return errors, warnings


def admissibility_errors(omap: OccurrenceMap) -> list[str]:
    """Return why a structurally valid map may not be executed yet (empty: admissible)."""
    errors: list[str] = []
    term = omap.target.term.strip()
    if term.upper() in PLACEHOLDER_TERMS:
        errors.append(
            f"target.term: {omap.target.term!r} is a placeholder; name the real term "
            "before execution"
        )
    missing = [name for name in STANDARD_CATEGORIES if name not in omap.categories]
    if missing:
        errors.append(
            "categories: missing standard categories "
            + ", ".join(missing)
            + "; every standard category must be classified (use do_not_change for a "
            "surface that must not be modified)"
        )
    return errors


def _report_for(parsed: Parsed, path: Path | None) -> ValidationReport:
    if parsed.data is None:
        return ValidationReport(valid=False, errors=[parsed.error or "invalid map"])
    errors, warnings = structural_errors(parsed.data)
    if errors:
        return ValidationReport(valid=False, errors=errors, warnings=warnings)
    problems = admissibility_errors(build_map(parsed.data, path))
    return ValidationReport(
        valid=True,
        warnings=warnings,
        admissible=not problems,
        admissibility_errors=problems,
    )


def validate_text(text: str, *, source: str = "<occurrence map>") -> ValidationReport:
    """Validate the text of an occurrence map; *source* names it in errors."""
    return _report_for(parse_map_text(text, source), None)


def validate_file(path: str | Path) -> ValidationReport:
    """Validate the occurrence map at *path*; never raises on a bad file."""
    file_path = Path(path)
    text, failure = read_map_text(file_path)
    if failure is not None:
        return _report_for(failure, file_path)
    assert text is not None
    return _report_for(parse_map_text(text, str(file_path)), file_path)


def load(path: str | Path) -> OccurrenceMap:
    """Load and structurally validate the map at *path*.

    Raises :class:`OccurrenceMapError` when the file cannot be read, is not YAML, is
    not a mapping or is structurally invalid. Admissibility is not required here.
    """
    file_path = Path(path)
    text, failure = read_map_text(file_path)
    parsed = failure if failure is not None or text is None else parse_map_text(text, str(path))
    if parsed is None or parsed.data is None:
        code = (parsed.code if parsed else None) or "UNREADABLE"
        message = (parsed.error if parsed else None) or f"{path}: cannot read file"
        raise OccurrenceMapError(message, code=code, next_step=_NEXT_STEPS.get(code, _FIX_FILE))
    errors, _ = structural_errors(parsed.data)
    if errors:
        raise OccurrenceMapError(
            f"{path}: invalid occurrence map: " + "; ".join(errors),
            code="INVALID_MAP",
            next_step=_FIX_FILE,
        )
    return build_map(parsed.data, file_path)


_FIX_FILE = "Fix occurrence_map.yaml and run `spec-kitty occurrence-map validate` again."
_NEXT_STEPS = {
    "UNREADABLE": "Check that the file exists and is readable.",
    "TOO_LARGE": "An occurrence map is a small YAML file; check that the path is right.",
    "NOT_UTF8": "Save the file as UTF-8.",
}
