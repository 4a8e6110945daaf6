"""The command lines the console script runs without typer: the common ones, well formed.

Typer (and the click it carries) costs more to import than most commands take to run, so a
line of one of the commands below, made only of its own arguments, options and flags, is
parsed here and its command function called directly, the way the typer application calls
it. Anything else (``--help``, an unknown or misspelt option, a missing argument, an option
value that starts with ``-``, ``--``, an attached short option) returns None and goes to
typer, which parses, documents and rejects as usual. :data:`COMMANDS` states each command's
parameters as the typer application declares them (names, option strings, defaults,
environment variables); a test compares the two, so they cannot drift apart, and another
runs lines both ways and compares the bytes.

Plain tuples and dicts only: importing ``typing`` would cost more than the parse.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

#: Parameter kinds: a positional argument, an option with a value (a path: converted to a
#: ``Path``, as typer does), a flag.
ARG, OPTION, PATH, FLAG = "arg", "option", "path", "flag"
#: ``(name, kind, option strings, default, environment variable, required)``.
Param = tuple[str, str, tuple[str, ...], object, "str | None", bool]

MISSION: Param = ("mission", OPTION, ("--mission", "-m"), None, None, False)
_ACTOR = "SPEC_KITTY_ACTOR"


def _wp() -> Param:
    return ("wp", ARG, (), None, None, True)


def _option(name: str, default: object = None, envvar: str | None = None) -> Param:
    return (name, OPTION, ("--" + name.replace("_", "-"),), default, envvar, False)


def _flag(name: str) -> Param:
    return (name, FLAG, ("--" + name.replace("_", "-"),), False, None, False)


#: Command -> (module, function, its parameters, keyword arguments taken from ``as_json``,
#: parameters typer takes and the function does not).
COMMANDS: dict[str, tuple[str, str, tuple[Param, ...], tuple[str, ...], tuple[str, ...]]] = {
    "status": ("status", "status", (MISSION,), (), ()),
    "next": (
        "next", "next_action",
        (MISSION, _option("agent", envvar=_ACTOR), _option("result")), (), ("result",),
    ),
    "implement": ("implement", "implement", (_wp(), MISSION, _option("agent", envvar=_ACTOR)),
                  (), ()),
    "move-task": (
        "move_task", "move_task",
        (
            _wp(), ("to", OPTION, ("--to",), None, None, True), MISSION,
            _option("actor", "user", _ACTOR), _option("note"), _option("reviewer"),
            _option("approval_ref"), _option("review_ref"), _flag("force"), _option("reason"),
        ),
        (), (),
    ),
    "review": (
        "review", "review",
        (
            _wp(), MISSION, _flag("approve"), _flag("reject"),
            _option("reviewer", "user", _ACTOR), _option("reference"),
            ("feedback_file", PATH, ("--feedback-file",), None, None, False),
        ),
        (), (),
    ),
    "merge": (
        "merge", "merge",
        (MISSION, _flag("dry_run"), _flag("resume"), _flag("abort"), _flag("push")),
        ("quiet",), (),
    ),
    "finalize-tasks": ("finalize_tasks", "finalize_tasks", (MISSION,), (), ()),
    "accept": ("accept", "accept", (MISSION, _option("actor", "user", _ACTOR)), (), ()),
    "plan": ("plan", "plan", (MISSION,), (), ()),
    "tasks": ("tasks", "tasks", (MISSION,), (), ()),
    "analyze": ("analyze", "analyze", (MISSION,), (), ()),
    "record-analysis": (
        "record_analysis", "record_analysis",
        (("input_file", OPTION, ("--input-file",), None, None, True), MISSION), (), (),
    ),
    "context": (
        "context", "context", (MISSION, _option("action", "context"), _option("wp")), (), (),
    ),
    "retrospect": ("retrospect", "retrospect", (MISSION,), (), ()),
    "materialize": ("materialize", "materialize", (MISSION,), (), ()),
    "specify": (
        "specify", "specify",
        (
            ("name", ARG, (), None, None, True), _option("topology", "lanes"),
            _option("target_branch"), _option("mission_type", "software-dev"),
        ),
        (), (),
    ),
}  # fmt: skip


def parse(args: Sequence[str]) -> tuple[str, dict[str, Any], bool] | None:
    """``(command, keyword arguments, as_json)`` for a well-formed line, else None (typer's).

    The last of a repeated option wins and an absent one takes its environment variable
    (when set and not empty) or its default, as in click.
    """
    if not args or args[0] not in COMMANDS:
        return None
    params = COMMANDS[args[0]][2]
    by_option = {option: param for param in params for option in param[2]}
    values: dict[str, Any] = {}
    positional: list[str] = []
    as_json = False
    rest = list(args[1:])
    while rest:
        token = rest.pop(0)
        if token == "--json":
            as_json = True
            continue
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, equals, value = token.partition("=")
        param = by_option.get(name)
        if param is None:
            return None
        if param[1] == FLAG:
            if equals:
                return None
            values[param[0]] = True
            continue
        if not equals:
            if not rest or (rest[0].startswith("-") and rest[0] != "-"):
                return None
            value = rest.pop(0)
        values[param[0]] = value
    arguments = [param for param in params if param[1] == ARG]
    if len(positional) > len(arguments):
        return None
    values.update((param[0], word) for param, word in zip(arguments, positional, strict=False))
    for name, _kind, _options, default, envvar, required in params:
        if name in values:
            continue
        from_env = os.environ.get(envvar) if envvar else None
        if from_env:
            values[name] = from_env
        elif required:
            return None
        else:
            values[name] = default
    return args[0], values, as_json


def run(command: str, values: dict[str, Any], as_json: bool) -> int:
    """Call the command function as the typer application does; the exit code."""
    from importlib import import_module
    from pathlib import Path

    from ._output import run as run_report

    module, function, params, from_json, dropped = COMMANDS[command]
    for name, kind, *_ in params:
        if kind == PATH and values.get(name) is not None:
            values[name] = Path(values[name])
    for name in dropped:
        values.pop(name, None)
    values.update(dict.fromkeys(from_json, as_json))
    target = getattr(import_module(f"spec_kitty_cli.commands.{module}"), function)
    return run_report(as_json, target, Path.cwd(), **values)
