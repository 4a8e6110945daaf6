"""The ``spec-kitty`` typer application.

Commands here are thin signatures: each imports its implementation (and the mission
packages behind it) only when it runs, so ``--version`` and ``--help`` import none of them.
Exit codes: 0 success, 1 a refused or failed operation, 2 bad usage, 3 something not found.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Concatenate, NoReturn, ParamSpec

import typer

from .__about__ import __version__
from ._compat3 import ROOTS
from ._output import run

if TYPE_CHECKING:
    from ._output import Report

_P = ParamSpec("_P")

app = typer.Typer(
    name="spec-kitty",
    help="spec-kitty: spec-driven missions for teams of people and agents.\n\n"
    "spec-kitty 3.x command lines (agent ..., mission list, spec-commit, session-start, "
    "merge-driver-*) run too: see `spec-kitty agent --help` and docs/compat.md.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: typer's rich help renderer costs ~100 ms of imports on every --help.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"spec-kitty {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """spec-kitty: spec-driven missions for teams of people and agents."""


MissionOption = Annotated[
    str | None,
    typer.Option(
        "--mission",
        "-m",
        help="The mission: directory name, slug, mission id, its first 8 characters, or number.",
        show_default=False,
        metavar="HANDLE",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")
]


def _run(
    as_json: bool,
    command: Callable[Concatenate[Path, _P], Report],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> NoReturn:
    """Run ``command`` from the current directory and exit with its status."""
    raise typer.Exit(run(as_json, command, Path.cwd(), *args, **kwargs))


@app.command("init", short_help="Prepare a repository for missions.")
def init(
    path: Annotated[
        Path, typer.Argument(help="The repository (created and `git init`-ed when missing).")
    ] = Path("."),
    ai: Annotated[
        str | None,
        typer.Option(
            "--ai",
            help="Also write these agents' command files (comma-separated, e.g. claude,codex).",
            show_default=False,
            metavar="KEY[,KEY...]",
        ),
    ] = None,
    remove_3x_home: Annotated[
        bool,
        typer.Option(
            "--remove-3x-home",
            help="Also delete the command files spec-kitty 3.x installed under $HOME.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Prepare a repository: .kittify/config.yaml, the event-log merge driver, ignored worktrees.

    Idempotent: a second run changes nothing. With --ai, also the command files of those
    agents, as `spec-kitty agents add` writes them (not committed). A repository set up by
    spec-kitty 3.x is adopted: its merge drivers run ours, its agents get our files, and the
    command files 3.x left under $HOME are listed (--remove-3x-home deletes them).

    Example: spec-kitty init my-project --ai claude,codex
    """
    from .commands.init import init as command

    raise typer.Exit(run(as_json, command, path, ai=ai, remove_3x_home=remove_3x_home))


@app.command("agents", short_help="Add, remove or list agents' command files.")
def agents(
    action: Annotated[
        str, typer.Argument(help="add, remove or list.", metavar="ACTION", show_default=False)
    ] = "list",
    keys: Annotated[
        list[str] | None,
        typer.Argument(
            help="Agent keys, comma-separated (claude, codex, gemini, copilot, cursor, ...).",
            metavar="[KEY[,KEY...]]",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite or delete files you edited.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write (add), delete (remove) or show (list) agents' command files in this repository.

    The files go into the repository (never your home directory) and are recorded with
    their sha256 in .kittify/agents.json: a file you edited is kept unless --force. All
    agents share the spec-kitty section of AGENTS.md. Nothing is committed.

    Example: spec-kitty agents add claude,codex
    """
    from .commands.agents import agents as command

    _run(as_json, command, action, keys, force=force)


@app.command("specify", short_help="Create a mission (meta.json, spec.md).")
def specify(
    name: Annotated[
        str,
        typer.Argument(help="The mission's name, in words.", show_default=False, metavar="NAME"),
    ],
    topology: Annotated[
        str,
        typer.Option("--topology", help="single_branch, lanes, coord or lanes_with_coord."),
    ] = "lanes",
    target_branch: Annotated[
        str | None,
        typer.Option(
            "--target-branch",
            help="Where the mission lands (default: the branch the primary checkout has out).",
            show_default=False,
        ),
    ] = None,
    mission_type: Annotated[
        str, typer.Option("--mission-type", help="The mission type.")
    ] = "software-dev",
    as_json: JsonOption = False,
) -> None:
    """Create a mission: kitty-specs/<slug>-<mid8> with meta.json and spec.md, committed.

    Example: spec-kitty specify "Checkout flow" --topology coord --json
    """
    from .commands.specify import specify as command

    _run(
        as_json,
        command,
        name,
        topology=topology,
        target_branch=target_branch,
        mission_type=mission_type,
    )


@app.command("plan", short_help="Scaffold and commit plan.md.")
def plan(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Scaffold plan.md (when missing) and commit the planning artifacts to the target.

    Example: spec-kitty plan --mission 01KTPKST
    """
    from .commands.plan import plan as command

    _run(as_json, command, mission)


@app.command("tasks", short_help="Scaffold and commit tasks.md.")
def tasks(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Scaffold tasks.md (when missing) and commit the planning artifacts to the target.

    Example: spec-kitty tasks --mission 01KTPKST
    """
    from .commands.tasks import tasks as command

    _run(as_json, command, mission)


@app.command("finalize-tasks", short_help="tasks.md -> WP files, lanes, seeded WPs.")
def finalize_tasks(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Turn tasks.md into tasks/WPxx-*.md and lanes.json, commit, seed every WP as planned.

    Example: spec-kitty finalize-tasks --mission 01KTPKST --json
    """
    from .commands.finalize_tasks import finalize_tasks as command

    _run(as_json, command, mission)


@app.command("record-analysis", short_help="Record the analysis report.")
def record_analysis(
    input_file: Annotated[
        str, typer.Option("--input-file", help="The analysis report file, or - for stdin.")
    ],
    mission: MissionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record analysis-report.md, keyed to the sha256 of spec.md, plan.md and tasks.md.

    Example: spec-kitty record-analysis --mission 01KTPKST --input-file report.md
    """
    from .commands.record_analysis import record_analysis as command

    _run(as_json, command, mission, input_file)


@app.command("analyze", short_help="Is the recorded analysis stale?")
def analyze(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Say whether the recorded analysis is stale (spec, plan or tasks changed since).

    Example: spec-kitty analyze --mission 01KTPKST --json
    """
    from .commands.analyze import analyze as command

    _run(as_json, command, mission)


@app.command("implement", short_help="Start a work package in its workspace.")
def implement(
    wp: Annotated[
        str, typer.Argument(help="The work package, e.g. WP01.", show_default=False, metavar="WP")
    ],
    mission: MissionOption = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            envvar="SPEC_KITTY_ACTOR",
            help="Who implements it (required: the claim is theirs).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Start a work package: planning committed, lane worktree ready, claimed, in progress.

    Prints the work package's brief: its text, requirements, plan sections, owned files,
    dependencies, the feedback of a rejected review, and the commands to run when done.

    Example: spec-kitty implement WP01 --mission 01KTPKST --agent claude
    """
    from .commands.implement import implement as command

    _run(as_json, command, wp, mission, agent)


@app.command("move-task", short_help="Move a work package to another lane.")
def move_task(  # noqa: PLR0917 (typer: one parameter per option)
    wp: Annotated[
        str, typer.Argument(help="The work package, e.g. WP01.", show_default=False, metavar="WP")
    ],
    to: Annotated[str, typer.Option("--to", help="The lane to move to ('doing' = in_progress).")],
    mission: MissionOption = None,
    actor: Annotated[
        str,
        typer.Option("--actor", envvar="SPEC_KITTY_ACTOR", help="Who makes the move."),
    ] = "user",
    note: Annotated[str | None, typer.Option("--note", help="Why, recorded with the move.")] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Reviewer (to approve or finish).")
    ] = None,
    approval_ref: Annotated[
        str | None, typer.Option("--approval-ref", help="Where the review lives, e.g. PR#12.")
    ] = None,
    review_ref: Annotated[
        str | None,
        typer.Option("--review-ref", help="The review that reopens approved work (to reopen it)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a move the lane rules refuse (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the move is forced.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a work package to another lane, from any directory of the repository.

    Example: spec-kitty move-task WP01 --to for_review --mission 01KTPKST
    """
    from .commands.move_task import move_task as command

    _run(
        as_json,
        command,
        wp,
        to=to,
        mission=mission,
        actor=actor,
        note=note,
        reviewer=reviewer,
        approval_ref=approval_ref,
        review_ref=review_ref,
        force=force,
        reason=reason,
    )


@app.command("review", short_help="Approve or reject a work package.")
def review(  # noqa: PLR0917 (typer: one parameter per option)
    wp: Annotated[
        str, typer.Argument(help="The work package, e.g. WP01.", show_default=False, metavar="WP")
    ],
    mission: MissionOption = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the work.")] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="Send it back to planned with feedback.")
    ] = False,
    reviewer: Annotated[
        str, typer.Option("--reviewer", envvar="SPEC_KITTY_ACTOR", help="Who reviews.")
    ] = "user",
    reference: Annotated[
        str | None, typer.Option("--reference", help="Where the review lives, e.g. PR#12.")
    ] = None,
    feedback_file: Annotated[
        Path | None, typer.Option("--feedback-file", help="What must change (with --reject).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Review a work package: for_review -> in_review -> approved, or back to planned.

    Without --approve or --reject: print the review brief (the diff command, the
    acceptance criteria, both verdict lines) and change nothing.

    Example: spec-kitty review WP01 --mission 01KTPKST --approve --reviewer alice --reference PR#12
    """
    from .commands.review import review as command

    _run(
        as_json,
        command,
        wp,
        mission,
        approve=approve,
        reject=reject,
        reviewer=reviewer,
        reference=reference,
        feedback_file=feedback_file,
    )


@app.command("status", short_help="The board (or every mission).")
def status(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Show a mission's board (or, without --mission, every mission's progress).

    The same answer from the primary checkout, a lane worktree or the
    coordination worktree. Writes nothing.

    Example: spec-kitty status --mission 01KTPKST --json
    """
    from .commands.status import status as command

    _run(as_json, command, mission)


@app.command("next", short_help="The one next action, with its brief and commands.")
def next_(
    mission: MissionOption = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent", envvar="SPEC_KITTY_ACTOR", help="Who asks (their own work comes first)."
        ),
    ] = None,
    result: Annotated[
        str | None,
        typer.Option(
            "--result",
            help="3.x: how the last step went. Accepted; the state alone decides.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Decide the next action from the mission's state alone and print its brief and steps.

    Write the spec, plan or tasks; analyse; finalize; implement or fix a work package;
    review one; merge; accept; or wait, blocked, done. Reads only; the same answer from
    any directory. Without --mission: the first mission with something to do.

    Example: spec-kitty next --mission 01KTPKST --agent claude --json
    """
    from .commands.next import next_action as command

    del result  # 3.x reports how a step went; here the mission's state alone decides
    _run(as_json, command, mission, agent)


@app.command("context", short_help="The resolved execution context.")
def context(
    mission: MissionOption = None,
    action: Annotated[
        str, typer.Option("--action", help="The action to resolve the context for.")
    ] = "context",
    wp: Annotated[
        str | None,
        typer.Option("--wp", help="The work package (for implement, move-task, review)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the resolved execution context: identity, branches, workspace, status surface.

    Example: spec-kitty context --mission 01KTPKST --action implement --wp WP01 --json
    """
    from .commands.context import context as command

    _run(as_json, command, mission, action, wp)


@app.command("merge", short_help="Merge the lanes into the target.")
def merge(  # noqa: PLR0917 (typer: one parameter per option)
    mission: MissionOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a merge that stopped.")
    ] = False,
    abort: Annotated[
        bool, typer.Option("--abort", help="Give up a merge; the target goes back.")
    ] = False,
    push: Annotated[
        bool, typer.Option("--push", help="Then push the target to its remote.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Merge every lane into the target in dependency order; approved work becomes done.

    Example: spec-kitty merge --mission 01KTPKST --dry-run
    """
    from .commands.merge import merge as command

    _run(
        as_json,
        command,
        mission,
        dry_run=dry_run,
        resume=resume,
        abort=abort,
        quiet=as_json,
        push=push,
    )


@app.command("accept", short_help="Is every work package done?")
def accept(
    mission: MissionOption = None,
    actor: Annotated[
        str, typer.Option("--actor", envvar="SPEC_KITTY_ACTOR", help="Who accepts it.")
    ] = "user",
    as_json: JsonOption = False,
) -> None:
    """Check a mission is finished (every WP done, planning committed, no merge under way)
    and, when it is, record the acceptance in meta.json.

    Example: spec-kitty accept --mission 01KTPKST --actor alice
    """
    from .commands.accept import accept as command

    _run(as_json, command, mission, actor)


@app.command("retrospect", short_help="Write the retrospective.yaml.")
def retrospect(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Write and commit the mission's retrospective.yaml (tracked in kitty-specs/).

    Example: spec-kitty retrospect --mission 01KTPKST
    """
    from .commands.retrospect import retrospect as command

    _run(as_json, command, mission)


@app.command("doctor", short_help="Check logs, drift, claims, worktrees.")
def doctor(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Check missions: event logs, status.json drift, stale claims, orphan worktrees.

    Writes nothing. Exits 1 when it finds an error.

    Example: spec-kitty doctor --json
    """
    from .commands.doctor import doctor as command

    _run(as_json, command, mission, quiet=as_json)


@app.command("materialize", short_help="Write status.json from the log.")
def materialize(mission: MissionOption = None, as_json: JsonOption = False) -> None:
    """Write status.json from the event log (refused while a git operation is in progress).

    Example: spec-kitty materialize --mission 01KTPKST
    """
    from .commands.materialize import materialize as command

    _run(as_json, command, mission)


@app.command("sync", short_help="Start, stop, inspect or flush the sync daemon.")
def sync(
    action: Annotated[
        str,
        typer.Argument(help="start, stop, status or now.", metavar="ACTION"),
    ] = "status",
    as_json: JsonOption = False,
) -> None:
    """Manage the sync daemon: one per scope (state root, endpoint, user).

    `now` delivers the queued events here, without the daemon. Sync is on when
    .kittify/config.yaml says `sync: {enabled: true}`.

    Example: spec-kitty sync start --json
    """
    from .commands.sync import sync as command

    _run(as_json, command, action)


@app.command("dashboard", short_help="A read-only local web board of the missions.")
def dashboard(
    action: Annotated[
        str,
        typer.Argument(help="start, stop or status.", metavar="ACTION"),
    ] = "start",
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: a free one).")] = 0,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the browser after start.")
    ] = False,
    kill: Annotated[bool, typer.Option("--kill", help="Stop it (as `stop`; 3.x's flag).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Serve this repository's board and planning artifacts on 127.0.0.1: one per repository.

    Strictly read-only: it renders the event logs and never writes into the repository.
    `start` reuses a running dashboard; `start --json` prints {url, port, pid}.

    Example: spec-kitty dashboard start --port 0 --json
    """
    from .commands.dashboard import dashboard as command

    _run(as_json, command, "stop" if kill else action, port=port, open_browser=open_browser)


@app.command("occurrence-map", short_help="Validate, check or start an occurrence map.")
def occurrence_map(  # noqa: PLR0917 (typer: one parameter per option)
    action: Annotated[
        str, typer.Argument(help="validate, check or init.", metavar="ACTION", show_default=False)
    ],
    wp: Annotated[
        str | None,
        typer.Argument(help="The work package (for check).", metavar="[WP]", show_default=False),
    ] = None,
    mission: MissionOption = None,
    term: Annotated[str | None, typer.Option("--term", help="The term (for init).")] = None,
    replacement: Annotated[
        str | None, typer.Option("--replacement", help="Its replacement (for init).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Move findings are errors, not warnings.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The occurrence map of a bulk-edit mission (change_mode: bulk_edit).

    validate: the map's errors, warnings and admissibility. check WPxx: every file the WP's
    lane changed, classified against the map (exit 1 when one is blocked). init: a starter
    map with all 8 categories.

    Example: spec-kitty occurrence-map check WP01 --mission 01KTPKST --json
    """
    from .commands.occurrence_map import occurrence_map as command

    _run(as_json, command, action, wp, mission, term=term, replacement=replacement, strict=strict)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process.

    With ``--json`` even a command line the parser rejects (a missing option, an unknown
    flag) gives the JSON error object on stdout, so agents always get one JSON document.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ROOTS:  # a spec-kitty 3.x command line
        from ._compat3 import dispatch

        sys.exit(dispatch(args))
    if "--json" not in args:
        app(args=args, prog_name="spec-kitty")
        return
    try:
        code = app(args=args, prog_name="spec-kitty", standalone_mode=False)
    except Exception as err:
        # The parser's usage errors (click's, vendored by newer typer) carry these two.
        if not (hasattr(err, "format_message") and hasattr(err, "exit_code")):
            raise
        from ._output import emit_json

        command = next((arg for arg in args if not arg.startswith("-")), "")
        emit_json(
            {
                "error": {
                    "code": "USAGE_ERROR",
                    "message": err.format_message(),
                    "next_step": f"see `spec-kitty {command} --help`".replace("  ", " "),
                }
            }
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
