"""spec-kitty 3.x command lines, as thin aliases over our commands.

A 3.x project's agent files, hooks and merge drivers call command paths we do not have
(``agent tasks move-task``, ``agent mission create``, ``session-start``, ...). Each is one
row of :data:`ALIASES`: the 3.x path, the flags 3.x takes (those we have no use for are
accepted and ignored, so the lines run), and the one of our commands it runs. Nothing
here decides anything about missions: every row ends in a ``commands/`` function.
:func:`dispatch` parses a line against the table; docs/compat.md lists every row.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from spec_kitty_cli._output import Report, run


class Args:
    """A parsed 3.x command line: positionals, option values, flags."""

    def __init__(self, positional: list[str], values: dict[str, list[str]], flags: set[str]):
        self.positional = positional
        self.values = values
        self.flags = flags

    def text(self, option: str, default: str | None = None) -> str | None:
        """The last value of ``option`` (3.x and typer: the last one wins)."""
        given = self.values.get(option)
        return given[-1] if given else default

    def all(self, option: str) -> list[str]:
        return self.values.get(option, [])

    def flag(self, name: str) -> bool:
        return name in self.flags

    def arg(self, index: int) -> str | None:
        return self.positional[index] if index < len(self.positional) else None

    @property
    def mission(self) -> str | None:
        return self.text("--mission")


Runner = Callable[[Path, Args], Report]
#: The merge drivers 3.x configures, ``merge-driver-<name> %O %A %B`` (see ``_drivers3``).
_DRIVER_NAMES = ("event-log", "meta", "traces", "acceptance-matrix", "issue-matrix", "review-cycle")


class Alias(msgspec.Struct, frozen=True):
    """One 3.x command path and what it runs."""

    path: str
    #: Our command line it stands for ("": it is no command of ours, see ``does``).
    maps_to: str
    run: Runner
    #: Positional arguments: their names (``*`` at the end: any number more).
    positional: tuple[str, ...] = ()
    #: Options that take a value, and flags, that we use.
    options: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    #: 3.x options and flags accepted and not used (a dispatch model, a shell pid, ...).
    ignored: tuple[str, ...] = ()
    ignored_flags: tuple[str, ...] = ()
    #: How it differs from 3.x, when it does.
    difference: str = ""
    #: Short options: ``-m`` is ``--mission``, except where 3.x made it something else.
    short: tuple[tuple[str, str], ...] = (("-m", "--mission"),)
    #: What it does, when that is no command line of ours.
    does: str = ""

    @property
    def runs_as(self) -> str:
        """What docs/compat.md and ``--help`` say it runs as."""
        return f"spec-kitty {self.maps_to}" if self.maps_to else self.does


def _parse(alias: Alias, words: Sequence[str]) -> Args:
    from spec_kitty_cli._errors import CliError

    options = {"--mission", *alias.options, *alias.ignored}
    flags = {"--json", *alias.flags, *alias.ignored_flags}
    positional: list[str] = []
    values: dict[str, list[str]] = {}
    given: set[str] = set()
    rest = list(words)
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        name = {"--feature": "--mission", **dict(alias.short)}.get(name, name)
        if word == "--":
            positional += rest
            break
        if name in options:
            if not equals:
                if not rest or (rest[0].startswith("-") and rest[0] != "-"):
                    raise CliError(
                        f"{name} needs a value",
                        code="USAGE_ERROR",
                        next_step=f"see `spec-kitty {alias.path} --help`",
                    )
                value = rest.pop(0)
            values.setdefault(name, []).append(value)
        elif name in flags or (name.startswith("--no-") and f"--{name[5:]}" in flags):
            given.add(name)
        elif word.startswith("-") and word != "-":
            raise CliError(
                f"spec-kitty {alias.path} has no option {name!r}",
                code="USAGE_ERROR",
                next_step=f"see `spec-kitty {alias.path} --help`",
            )
        else:
            positional.append(word)
    names = alias.positional
    if len(positional) > len(names) and not (names and names[-1] == "*"):
        raise CliError(
            f"spec-kitty {alias.path} takes {len(names)} argument(s), got {positional}",
            code="USAGE_ERROR",
            next_step=f"see `spec-kitty {alias.path} --help`",
        )
    return Args(positional, values, given)


def _usage(alias: Alias) -> str:
    words = [f"spec-kitty {alias.path}", *(f"[{name.upper()}]" for name in alias.positional)]
    words += [f"[{option} X]" for option in ("--mission", *alias.options)]
    words += [f"[{flag}]" for flag in (*alias.flags, "--json")]
    lines = [
        "Usage: " + " ".join(words),
        "",
        f"spec-kitty 3.x command line, run as: {alias.runs_as}",
    ]
    if alias.difference:
        lines.append(f"Difference: {alias.difference}")
    if alias.ignored or alias.ignored_flags:
        lines.append("Accepted and ignored: " + ", ".join((*alias.ignored, *alias.ignored_flags)))
    return "\n".join(lines) + "\n"


def find(args: Sequence[str]) -> tuple[Alias, list[str]] | None:
    """The alias whose path begins ``args`` (longest first), and the words after it."""
    for alias in sorted(ALIASES, key=lambda a: -len(a.path.split())):
        path = alias.path.split()
        if list(args[: len(path)]) == path:
            return alias, list(args[len(path) :])
    return None


#: The first words of every alias: a command line starting with one is a 3.x line (checked
#: against the table by a test; a constant, so the entry point needs no table to route).
ROOTS = frozenset(
    {"agent", "mission", "spec-commit", "safe-commit", "session-start", "session-stop"}
    | {"upgrade", "charter", "dispatch", "profile-invocation", "lint", "intake", "research"}
    | {f"merge-driver-{name}" for name in _DRIVER_NAMES}
)

#: 3.x command families we do not carry over: why, and what an agent does instead. A line
#: under one gets ``NOT_CARRIED_OVER`` (exit 2), never "No such command".
NOT_CARRIED: dict[str, str] = {
    "charter": "there is no project charter: skip the charter step and go on with the mission",
    "agent decision": "there is no decision log: write the open question and its answer into "
    "spec.md or plan.md",
    "agent profile": "there are no agent profiles: any agent runs any step",
    "agent config": "there is no agent configuration to set",
    "agent context update": "agent context files are written by `spec-kitty agents add KEY`",
    "dispatch": "there is no request router: run the step's command yourself "
    "(`spec-kitty next --mission M` says which)",
    "profile-invocation": "there are no profile invocations to record",
    "lint": "there is no lint step: `spec-kitty doctor --mission M` checks a mission",
    "intake": "there is no intake step: start with `spec-kitty specify NAME`",
    "research": "research is a mission type: `spec-kitty specify NAME --mission-type research`",
}


def not_carried(args: Sequence[str]) -> tuple[str, str] | None:
    """The family of a 3.x line we do not carry over and what to do instead, or None."""
    words = [word for word in args if not word.startswith("-")]
    for family, instead in NOT_CARRIED.items():
        if words[: len(family.split())] == family.split():
            return family, instead
    return None


def dispatch(args: Sequence[str]) -> int:
    """Run the 3.x command line ``args``; the exit code."""
    found = find(args)
    as_json = "--json" in args
    if found is None and (dropped := not_carried(args)):
        from spec_kitty_cli._errors import CliError
        from spec_kitty_cli._output import report_error

        family, instead = dropped
        error = CliError(
            f"spec-kitty 4 does not carry over 3.x's `spec-kitty {family}`",
            code="NOT_CARRIED_OVER",
            next_step=instead,
        )
        return report_error(error, as_json=as_json)
    if found is None:
        return _group_help(args, as_json)
    alias, words = found
    if "--help" in words or "-h" in words:
        sys.stdout.write(_usage(alias))
        return 0

    def command(cwd: Path) -> Report:
        parsed = _parse(alias, words)
        if parsed.mission is None:  # 3.x finds the mission: we do when there is one only
            from spec_kitty_cli._runtime import only_mission

            parsed.values["--mission"] = list(filter(None, [only_mission(cwd)]))
        return alias.run(cwd, parsed)

    return run(as_json, command, Path.cwd())


def _group_help(args: Sequence[str], as_json: bool) -> int:
    """``spec-kitty agent`` (or an unknown subcommand of it): the commands of that group."""
    prefix = [word for word in args if not word.startswith("-")]
    rows = [alias for alias in ALIASES if alias.path.split()[: len(prefix[:1])] == prefix[:1]]
    known = " ".join(prefix)
    exact = [a for a in rows if a.path.startswith(known)]
    if "--help" in args or "-h" in args or not prefix[1:] or exact:
        listing = "\n".join(f"  spec-kitty {a.path:<40} -> {a.runs_as}" for a in exact)
        sys.stdout.write(f"spec-kitty 3.x command paths under {known!r}:\n{listing}\n")
        return 0
    from spec_kitty_cli._errors import CliError
    from spec_kitty_cli._output import report_error

    return report_error(
        CliError(
            f"no 3.x command `spec-kitty {known}`",
            code="USAGE_ERROR",
            next_step=f"see `spec-kitty {prefix[0]} --help` for the paths it accepts",
        ),
        as_json=as_json,
    )


# -- the rows -------------------------------------------------------------------------------


def _implement(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.implement import implement

    wp = a.arg(0) or _next_wp(cwd, a, ("implement", "address_feedback"))
    return implement(cwd, wp, a.mission, a.text("--agent"))


def _review(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.review import review

    wp = a.arg(0) or _next_wp(cwd, a, ("review",))
    return review(
        cwd,
        wp,
        a.mission,
        approve=False,
        reject=False,
        reviewer=a.text("--agent") or "user",
        reference=None,
        feedback_file=None,
    )


def _next_wp(cwd: Path, a: Args, actions: tuple[str, ...]) -> str:
    """The WP ``next`` gives for one of ``actions`` (3.x picks one when none is named)."""
    from spec_kitty_cli._errors import CliError
    from spec_kitty_cli.commands.next import next_action

    document = next_action(cwd, a.mission, a.text("--agent")).document
    if document.get("action") in actions and document.get("wp_id"):
        return str(document["wp_id"])
    raise CliError(
        f"no work package to {actions[0]}: {document.get('reason', 'nothing to do')}",
        code="WORK_PACKAGE_UNRESOLVED",
        next_step=f"name one, or see `spec-kitty next --mission {document.get('mid8')}`",
    )


def _move(cwd: Path, a: Args) -> Report:
    """3.x's move-task: ours, with the JSON keys 3.x's agents read (``result``, ``task_id``,
    ``old_lane``, ``new_lane``, ...) besides our own."""
    made = _moved(cwd, a)
    document = dict(made.document)
    wp = str(document.get("wp_id", ""))
    document.update(
        {
            "result": "success",
            "transition_applied": bool(document.get("event_id") or document.get("recorded")),
            "task_id": wp,
            "work_package_id": wp,
            "old_lane": document.get("from_lane"),
            "new_lane": document.get("to_lane"),
        }
    )
    return Report(document, made.lines, made.show, made.exit_code)


def _moved(cwd: Path, a: Args) -> Report:
    """3.x's review flow runs through ``review``: approving or rejecting work under review."""
    from mission_status import Lane, parse_lane
    from spec_kitty_cli._runtime import resolve
    from spec_kitty_cli.commands.move_task import move_task
    from spec_kitty_cli.commands.review import review

    wp, to = (a.arg(0) or "").strip().upper(), parse_lane(a.text("--to") or "")
    actor = a.text("--agent") or a.text("--actor") or a.text("--assignee") or "user"
    lane = resolve(cwd, "move-task", a.mission, wp).status().lanes().get(wp)
    reviewing = lane in (Lane.FOR_REVIEW, Lane.IN_REVIEW)
    feedback = a.text("--review-feedback-file")
    if reviewing and to is Lane.APPROVED:
        reference = a.text("--approval-ref") or f"note:{a.text('--note') or 'approved'}"
        return review(
            cwd,
            wp,
            a.mission,
            approve=True,
            reject=False,
            reviewer=a.text("--reviewer") or actor,
            reference=reference,
            feedback_file=None,
        )
    if reviewing and to is Lane.PLANNED and feedback:
        return review(
            cwd,
            wp,
            a.mission,
            approve=False,
            reject=True,
            reviewer=a.text("--reviewer") or actor,
            reference=a.text("--approval-ref"),
            feedback_file=Path(feedback),
        )
    reviewer, approval = a.text("--reviewer"), a.text("--approval-ref")
    if approval and not reviewer:
        reviewer = actor
    return move_task(
        cwd,
        wp,
        to=to.value,
        mission=a.mission,
        actor=actor,
        note=a.text("--note") or a.text("--done-override-reason"),
        reviewer=reviewer if approval else None,
        approval_ref=approval,
        review_ref=feedback and f"feedback:{Path(feedback).name}",
        force=False,
        reason=None,
    )


def _status(cwd: Path, a: Args) -> Report:
    """Our board, with 3.x's ``work_packages`` rows (``id``, ``lane``, ``title``) as well."""
    from spec_kitty_cli.commands.status import status

    made = status(cwd, a.mission)
    if a.mission is None:
        return made
    document = dict(made.document)
    board = document.pop("work_packages")
    document["work_packages"] = [{"id": wp_id, **row} for wp_id, row in board.items()]
    document["by_id"] = board
    return Report(document, made.lines, made.show, made.exit_code)


def _history(cwd: Path, a: Args) -> Report:
    from mission_context import StatusWrite
    from spec_kitty_cli._runtime import finish_write, resolve

    wp = (a.arg(0) or "").strip().upper()
    ctx = resolve(cwd, "move-task", a.mission, wp)
    note = a.text("--note") or ""
    write = StatusWrite(ctx)
    with write as batch:
        batch.annotate(wp, actor=a.text("--agent") or "user", note=note)
    document = {"wp_id": wp, "note": note, **finish_write(ctx, write)}
    return Report(document, [f"{wp}: noted in its history"])


def _mark_status(cwd: Path, a: Args) -> Report:
    """Tick (or clear) subtasks ``- [ ] T001`` in tasks.md and the WP files, and commit."""
    import re

    from spec_kitty_cli._errors import CliError
    from spec_kitty_cli._planning import commit_planning
    from spec_kitty_cli._runtime import resolve

    ids = [word.upper() for word in a.positional]
    done = (a.text("--status") or "done").lower() == "done"
    if not ids:
        raise CliError(
            "name the subtasks, e.g. T001 T002",
            code="USAGE_ERROR",
            next_step="spec-kitty agent tasks mark-status T001 --status done --mission <mission>",
        )
    ctx = resolve(cwd, "tasks", a.mission)
    folder = ctx.primary_mission_dir
    pattern = re.compile(rf"^(\s*[-*+]\s+\[)[ xX](\]\s+(?:{'|'.join(ids)})\b)", re.MULTILINE)
    changed = []
    for path in [folder / "tasks.md", *sorted((folder / "tasks").glob("WP*.md"))]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        new = pattern.sub(lambda m: f"{m[1]}{'x' if done else ' '}{m[2]}", text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(str(path.relative_to(ctx.workspace.primary_root)))
    commit = commit_planning(ctx, f"mark-status: {' '.join(ids)} {'done' if done else 'open'}")
    document = {
        "subtasks": ids,
        "status": "done" if done else "pending",
        "updated": changed,
        "commit": commit,
    }
    return Report(document, [f"{' '.join(ids)}: {document['status']} in {len(changed)} file(s)"])


def _map_requirements(cwd: Path, a: Args) -> Report:
    """``--wp WP --refs A,B`` or ``--batch '{"WP01": ["FR-001"]}'``; neither: a report."""
    import json

    from spec_kitty_cli._errors import CliError
    from spec_kitty_cli.commands.map_requirements import map_requirements

    mapping: dict[str, list[str]] = {}
    batch = a.text("--batch")
    if batch is not None:
        try:
            loaded = json.loads(batch)
        except json.JSONDecodeError as err:
            loaded = err
        if not isinstance(loaded, dict) or not all(
            isinstance(refs, list) and all(isinstance(ref, str) for ref in refs)
            for refs in loaded.values()
        ):
            raise CliError(
                "--batch is not a JSON object of WP ids to lists of requirement ids",
                code="INVALID_ARGUMENTS",
                next_step='e.g. --batch \'{"WP01": ["FR-001", "FR-002"]}\'',
            )
        mapping.update(loaded)
    wp, refs = a.text("--wp"), a.text("--refs")
    if (wp is None) != (refs is None):
        raise CliError(
            "--wp and --refs go together",
            code="INVALID_ARGUMENTS",
            next_step="e.g. --wp WP01 --refs FR-001,FR-002",
        )
    if wp is not None and refs is not None:
        mapping[wp] = [ref.strip() for ref in refs.split(",") if ref.strip()]
    return map_requirements(cwd, a.mission, mapping, replace=a.flag("--replace"))


def _create(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.specify import specify

    name = a.text("--friendly-name") or " ".join(a.positional) or a.text("--name") or ""
    return specify(
        cwd,
        name,
        topology=a.text("--topology") or "lanes",
        target_branch=a.text("--target-branch"),
        mission_type=a.text("--mission-type") or "software-dev",
    )


def _finalize(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.finalize_tasks import finalize_tasks, validate_tasks

    return (validate_tasks if a.flag("--validate-only") else finalize_tasks)(cwd, a.mission)


def _prerequisites(cwd: Path, a: Args) -> Report:
    """Where a mission's files are, as 3.x reports them (upper-case keys included)."""
    from mission_status import MissionStatusError
    from spec_kitty_cli._planning import PLANNING_DOCS
    from spec_kitty_cli._runtime import resolve

    try:
        ctx = resolve(cwd, "context", a.mission)
    except MissionStatusError as err:
        if not a.flag("--resume-probe") or err.code != "MISSION_NOT_FOUND":
            raise
        # 3.x's specify asks whether a mission of that slug exists before creating it
        return Report({"resumable": False, "mission_slug": a.mission}, [f"no {a.mission} yet"])
    folder = ctx.primary_mission_dir
    docs = [name for name in PLANNING_DOCS if (folder / name).is_file()]
    if a.flag("--include-tasks") and (folder / "tasks").is_dir():
        docs.append("tasks/")
    document = {
        "FEATURE_DIR": str(folder),
        "AVAILABLE_DOCS": docs,
        "feature_dir": str(folder),
        "mission_slug": ctx.identity.mission_slug,
        "target_branch": ctx.branch_ref.target_branch,
        "available_docs": docs,
        "valid": (folder / "spec.md").is_file(),
        "resumable": True,
    }
    return Report(document, [f"{folder}: {', '.join(docs) or 'no documents'}"])


def _branch_context(cwd: Path, a: Args) -> Report:
    from mission_context import Git
    from spec_kitty_cli._runtime import repository_root

    root = repository_root(cwd)
    current = Git(root).out("branch", "--show-current").strip() or None
    target = a.text("--target-branch") or current
    document = {
        "current_branch": current,
        "target_branch": target,
        "planning_base_branch": target,
        "matches_target": current == target,
        "repository": str(root),
    }
    return Report(document, [f"on {current}; missions land on {target}"])


def _spec_commit(cwd: Path, a: Args) -> Report:
    """Commit the named planning files (all of the mission's when none is named) to the
    mission's target; the mission is ``--mission``, else the one the first file is in."""
    from spec_kitty_cli._planning import commit_planning
    from spec_kitty_cli._runtime import commit_files, resolve

    files = [(cwd / name).resolve() for name in a.positional]
    mission = a.mission
    if mission is None and files:
        from mission_context import list_missions

        mission = next((m for m in list_missions(cwd=cwd) if m in files[0].parts), None)
    ctx = resolve(cwd, "plan", mission)
    message = a.text("--message") or f"planning: {ctx.mission_dir_name}"
    if files:
        made = commit_files(ctx, files, message)
        sha = made.sha if made else None
    else:
        sha = commit_planning(ctx, message)
    target = ctx.branch_ref.target_branch
    document = {
        "result": "success",
        "success": True,
        "committed": sha is not None,
        "placement_ref": target,
        "commit_hash": sha,
        "mission": ctx.mission_dir_name,
    }
    return Report(document, [f"committed to {target}" if sha else "nothing new to commit"])


def _session(cwd: Path, a: Args) -> Report:
    """A harness hook: never fails the session; reads (and ignores) the hook's stdin."""
    if not sys.stdin.isatty():
        sys.stdin.read()
    return Report({"ok": True}, [])


def _agent_check(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.__about__ import __version__

    document = {
        "up_to_date": True,
        "version": __version__,
        "needs_upgrade": False,
        "migrations": [],
    }
    return Report(document, [f"spec-kitty {__version__}: nothing to upgrade"])


def _mission_types(cwd: Path, a: Args) -> Report:
    """3.x's ``mission list``: the mission types (a JSON list), with their steps."""
    from spec_kitty_cli._templates import MISSION_TYPES

    steps = ["specify", "plan", "tasks", "analyze", "implement", "review", "merge", "accept"]
    rows = [
        {"id": kind.name, "display_name": kind.name.replace("-", " ").title(),
         "source_layer": "built-in", "activated": True, "action_sequence": steps,
         "summary": kind.summary}
        for kind in MISSION_TYPES.values()
    ]  # fmt: skip
    return Report(rows, [f"{row['id']}: {row['summary']}" for row in rows])


#: 3.x's actions that are steps of one of ours.
_ACTIONS = {"tasks_outline": "tasks", "tasks_packages": "tasks", "tasks_finalize": "finalize-tasks"}


def _context(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.context import context

    action = a.text("--action") or "context"
    return context(cwd, a.mission, _ACTIONS.get(action, action), a.text("--wp"))


def _validate(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.doctor import doctor

    return doctor(cwd, a.mission, quiet=a.flag("--json"))


def _driver(name: str) -> Runner:
    def runner(cwd: Path, a: Args) -> Report:
        from spec_kitty_cli._drivers3 import DriverInputError, run_driver
        from spec_kitty_cli._errors import CliError

        if len(a.positional) != 3:
            raise CliError(
                f"merge-driver-{name} takes three files (git passes %O %A %B)",
                code="USAGE_ERROR",
                next_step=f"git config merge.spec-kitty-{name}.driver "
                f"'spec-kitty merge-driver-{name} %O %A %B'",
            )
        base, ours, theirs = (cwd / path for path in a.positional)
        try:
            run_driver(name, base, ours, theirs)
        except DriverInputError as err:
            raise CliError(
                f"merge-driver-{name}: {err}",
                code="MERGE_DRIVER_CONFLICT",
                next_step="resolve the file by hand, then `git add` it",
            ) from None
        return Report({"merged": str(ours)}, [])

    return runner


def _plan(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.plan import plan

    return plan(cwd, a.mission)


def _record(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.record_analysis import record_analysis

    return record_analysis(cwd, a.mission, a.text("--input-file") or "-")


def _accept(cwd: Path, a: Args) -> Report:
    from spec_kitty_cli.commands.accept import accept

    return accept(cwd, a.mission, a.text("--actor") or a.text("--agent") or "user")


def _commit_alias(path: str, does: str, difference: str) -> Alias:
    """``spec-commit`` and ``safe-commit``: ``FILES... -m MSG``, run by ``_spec_commit``."""
    return Alias(
        path,
        "",
        _spec_commit,
        positional=("files", "*"),
        options=("--message", "--target-branch"),
        ignored=("--owned-checkout",),
        short=(("-m", "--message"),),
        difference=difference,
        does=does,
    )


_DISPATCH = ("--model", "--profile", "--invocation-id", "--shell-pid")
_MOVE_OPTIONS = ("--to", "--agent", "--actor", "--note", "--review-feedback-file")
_REVIEW_OPTIONS = ("--approval-ref", "--reviewer")

#: Every 3.x command path we run, and what it runs.
ALIASES: tuple[Alias, ...] = (
    Alias(
        "agent action implement",
        "implement WP --mission M --agent A",
        _implement,
        positional=("wp",),
        options=("--agent",),
        ignored=(*_DISPATCH, "--base", "--assignee"),
        ignored_flags=("--auto-commit",),
        difference="without WP: the WP `next` gives",
    ),
    Alias(
        "agent action review",
        "review WP --mission M --reviewer A (the review brief)",
        _review,
        positional=("wp",),
        options=("--agent",),
        ignored=(*_DISPATCH, "--mode"),
        ignored_flags=("--auto-commit",),
        difference="prints the brief and leaves the WP where it is; the verdict is "
        "`agent tasks move-task --to approved or planned`",
    ),
    Alias(
        "agent tasks move-task",
        "move-task WP --to L; from review: review --approve / --reject",
        _move,
        positional=("wp",),
        options=(*_MOVE_OPTIONS, *_REVIEW_OPTIONS, "--assignee", "--done-override-reason"),
        ignored=(
            *_DISPATCH,
            "--intended-reviewer",
            "--reviewer-failure-reason",
            "--tracker-ref",
            "--owned-checkout",
        ),
        ignored_flags=(
            "--force",
            "--self-review-fallback",
            "--skip-review-artifact-check",
            "--auto-commit",
            "--skip-pre-review-gate",
        ),
        difference="--to approved from for_review/in_review is `review --approve` (reference: "
        "--approval-ref, else `note:<note>`); --to planned with --review-feedback-file is "
        "`review --reject`; 3.x's --force (unchecked subtasks) is ignored; the JSON has 3.x's "
        "`result`, `task_id`, `old_lane`, `new_lane` besides ours",
    ),
    Alias(
        "agent status emit",
        "move-task WP --to L --actor A",
        _move,
        positional=("wp",),
        options=(*_MOVE_OPTIONS, *_REVIEW_OPTIONS),
        ignored=_DISPATCH,
        ignored_flags=("--force",),
    ),
    Alias(
        "agent tasks status",
        "status --mission M",
        _status,
        difference="`work_packages` is 3.x's list of rows with `id`; `by_id` is our map",
    ),
    Alias("agent tasks list", "status --mission M", _status),
    Alias("agent tasks list-tasks", "status --mission M", _status, ignored=("--lane",)),
    Alias(
        "agent tasks add-history",
        "",
        _history,
        does="an annotation of the WP with the note",
        positional=("wp",),
        options=("--note", "--agent"),
        ignored=("--shell-pid",),
    ),
    Alias(
        "agent tasks mark-status",
        "",
        _mark_status,
        does="ticks `- [ ] Txxx` in tasks.md and the WP files, commits them",
        positional=("ids", "*"),
        options=("--status",),
        ignored_flags=("--auto-commit",),
    ),
    Alias(
        "agent tasks map-requirements",
        "",
        _map_requirements,
        does="sets the `Requirement Refs` line of each WP's tasks.md section (and its WP file)",
        options=("--wp", "--refs", "--batch"),
        flags=("--replace",),
        ignored=("--tracker-ref",),
        ignored_flags=("--auto-commit",),
        difference="refs are checked against the ids spec.md defines; the change is committed",
    ),
    Alias(
        "agent mission create",
        'specify "NAME"',
        _create,
        positional=("name", "*"),
        options=("--mission-type", "--topology", "--target-branch", "--name", "--friendly-name"),
        ignored=("--purpose-tldr", "--purpose-context", "--start-branch"),
        ignored_flags=("--no-commit",),
        difference="the name is --friendly-name when given (the slug is made from it)",
    ),
    Alias("agent mission setup-plan", "plan --mission M", _plan),
    Alias(
        "agent mission finalize-tasks",
        "finalize-tasks --mission M",
        _finalize,
        flags=("--validate-only",),
        ignored_flags=("--auto-commit",),
        difference="--validate-only reads wps.yaml (else tasks.md) and writes nothing",
    ),
    Alias(
        "agent mission record-analysis",
        "record-analysis --mission M --input-file F",
        _record,
        options=("--input-file",),
    ),
    Alias(
        "agent mission accept",
        "accept --mission M --actor A",
        _accept,
        options=("--actor", "--agent"),
        ignored=("--mode",),
    ),
    Alias(
        "agent mission check-prerequisites",
        "",
        _prerequisites,
        does="the mission's directory and documents",
        flags=("--include-tasks", "--resume-probe"),
        ignored=("--action",),
        ignored_flags=("--paths-only",),
        difference="--resume-probe of a mission that does not exist: `resumable: false`, exit 0",
    ),
    Alias(
        "agent mission branch-context",
        "",
        _branch_context,
        does="the branch checked out and the target",
        options=("--target-branch",),
    ),
    Alias(
        "agent context resolve",
        "context --mission M --action A --wp WP",
        _context,
        options=("--action", "--wp"),
        ignored=("--agent",),
        difference="3.x's actions tasks_outline and tasks_packages are tasks, tasks_finalize "
        "is finalize-tasks",
    ),
    Alias("agent status validate", "doctor --mission M", _validate),
    Alias(
        "mission list",
        "",
        _mission_types,
        does="the mission types (software-dev, research, documentation)",
        difference="a JSON list as 3.x prints it; our steps in `action_sequence`",
    ),
    _commit_alias(
        "spec-commit",
        "commits the named planning files (default: all) to the mission's target",
        "without --mission, the mission the first file is in; --target-branch "
        "is accepted: planning always lands on the mission's target",
    ),
    _commit_alias(
        "safe-commit",
        "commits the named files (default: the mission's planning files) to the target",
        "as spec-commit: what 3.x commits to the current branch lands on the mission's target",
    ),
    Alias(
        "session-start",
        "",
        _session,
        does="nothing: a hook that exits 0",
        positional=("*",),
        ignored=("--agent",),
        ignored_flags=("--quiet",),
    ),
    Alias(
        "session-stop",
        "",
        _session,
        does="nothing: a hook that exits 0",
        positional=("*",),
        ignored=("--agent",),
        ignored_flags=("--quiet",),
    ),
    *(
        Alias(
            f"merge-driver-{name}",
            "",
            _driver(name),
            does=f"the {name} merge (git passes %O %A %B)",
            positional=("base", "ours", "theirs"),
        )
        for name in _DRIVER_NAMES
    ),
    Alias(
        "upgrade",
        "",
        _agent_check,
        does="nothing to upgrade: reports the version",
        flags=("--agent-check",),
        ignored=("--agent-choice", "--agent-latest"),
        ignored_flags=("--dry-run", "--yes"),
        difference="--agent-choice (3.x's upgrade prompt answer) is accepted: there is "
        "nothing to upgrade",
    ),
)


def aliases_table() -> list[str]:
    """docs/compat.md's table of the aliases, one Markdown row each (a test compares)."""
    rows = ["| 3.x command path | runs as | difference |", "|---|---|---|"]
    for a in ALIASES:
        runs_as = f"`{a.runs_as}`" if a.maps_to else a.does
        ignored = ", ".join(f"`{name}`" for name in (*a.ignored, *a.ignored_flags))
        notes = [a.difference] if a.difference else []
        notes += [f"accepted and ignored: {ignored}"] if ignored else []
        rows.append(f"| `{a.path}` | {runs_as} | {'; '.join(notes) or 'none'} |")
    return rows


def not_carried_table() -> list[str]:
    """docs/compat.md's table of the 3.x families we do not carry over."""
    rows = ["| 3.x command family | what to do instead |", "|---|---|"]
    rows += [f"| `{family}` | {instead} |" for family, instead in NOT_CARRIED.items()]
    return rows
