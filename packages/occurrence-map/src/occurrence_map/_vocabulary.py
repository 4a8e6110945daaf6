"""The controlled vocabulary of an occurrence map: categories and the actions they may take."""

from __future__ import annotations

#: What may be done to the occurrences of a category, in documentation order.
ACTIONS: tuple[str, ...] = (
    "rename",
    "manual_review",
    "do_not_change",
    "rename_if_user_visible",
)

#: The categories every occurrence map classifies occurrences into, in documentation order.
STANDARD_CATEGORIES: tuple[str, ...] = (
    "code_symbols",
    "import_paths",
    "filesystem_paths",
    "serialized_keys",
    "cli_commands",
    "user_facing_strings",
    "tests_fixtures",
    "logs_telemetry",
)
