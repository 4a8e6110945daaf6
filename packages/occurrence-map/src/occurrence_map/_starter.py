"""The starter ``occurrence_map.yaml`` written by ``spec-kitty occurrence-map init``."""

from __future__ import annotations

import json

from ._vocabulary import ACTIONS

_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("code_symbols", "manual_review", "identifiers: functions, classes, constants"),
    ("import_paths", "manual_review", "module and package import paths"),
    ("filesystem_paths", "manual_review", "file and directory names, path literals"),
    ("serialized_keys", "do_not_change", "keys in JSON/YAML/TOML stored by users"),
    ("cli_commands", "do_not_change", "command, subcommand and flag names"),
    ("user_facing_strings", "rename_if_user_visible", "docs, help text, messages"),
    ("tests_fixtures", "manual_review", "tests, fixtures and snapshots"),
    ("logs_telemetry", "do_not_change", "log keys, metric and event names"),
)


def _scalar(value: str) -> str:
    """Quote *value* as a YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def starter_map(term: str, replacement: str) -> str:
    """Return the text of a starter map renaming *term* to *replacement*.

    All eight standard categories are present with conservative default actions;
    the comments list the alternatives. It validates; it is admissible when *term*
    is a real term (not TODO, TBD, FIXME, XXX, PLACEHOLDER or empty).
    """
    width = max(len(name) for name, _, _ in _DEFAULTS) + 1
    lines = [
        "# Occurrence map: how each kind of occurrence of the term is treated.",
        f"# Actions: {', '.join(ACTIONS)}.",
        "# Every standard category must stay classified before execution.",
        "",
        "target:",
        f"  term: {_scalar(term)}",
        f"  replacement: {_scalar(replacement)}",
        "  operation: rename  # rename | remove | deprecate",
        "",
        "categories:",
    ]
    for name, action, note in _DEFAULTS:
        lines.append(f"  {name + ':':<{width}} {{ action: {action} }}  # {note}")
    lines += [
        "",
        "# Whole-file exceptions (glob paths); add field_path to pin one field only.",
        "exceptions: []",
        "#  - path: CHANGELOG.md",
        "#    action: do_not_change",
        "#    reason: history names the old term on purpose",
        "",
        "# Declared relocations: paths relative to the repository root; `to: /dev/null` deletes.",
        "moves: []",
        "#  - from: [old/dir/file.py]",
        "#    to: new/dir/file.py",
        "#    reason: why it moves",
        "",
        "# Files whose change is a genuine structural edit (fixed extension, no '**').",
        "structural_targets: []",
        "#  - path: src/pkg/module.py",
        "#    reason: new function, not a rename",
        "",
    ]
    return "\n".join(lines)
