"""What an agent reads: the text of every command file, skill and the AGENTS.md section.

One harness-neutral body per command. ``$ARGUMENTS`` stands where the harness puts
the user's words and ``$AGENT`` for the harness's key; :mod:`._agents` renders both
into each harness's own format. Command lines use ``<mission>``, ``<WP>``, ``<name>``,
``<file>``, ``<reference>`` and ``<summary>`` for the values an agent fills in: a test
fills them and runs every ``spec-kitty`` line of every generated file.
"""

from __future__ import annotations

import msgspec


class CommandPrompt(msgspec.Struct, frozen=True):
    """One agent command: ``/spec-kitty.<name>`` in harnesses with slash commands."""

    name: str
    description: str
    body: str


_INPUT = """\
## User input

```text
$ARGUMENTS
```

If the input names a mission (a handle such as `01KTPKST` or a directory name) use it as
`<mission>`; if it names a work package (`WP01`) use it as `<WP>`. Otherwise ask
`spec-kitty next --agent $AGENT --json`, which names both.
"""

_LOOP = """\
`spec-kitty next` decides the single next step from the mission's state alone (its files,
the board, dependencies and reviews) and prints a brief with the exact command lines to
run. It writes nothing, so ask it as often as you like:

```bash
spec-kitty next --agent $AGENT --json
spec-kitty next --mission <mission> --agent $AGENT --json
```

Its JSON: `action` (what to do), `wp_id`, `reason`, `brief` (Markdown to read) and
`steps`: in order, `{"write": path, "what": ...}` (write that file) or
`{"run": command}` (run it as printed). A review also has `approve` and `reject` steps:
follow one. After the last step, ask `next` again.
"""

_SPECIFY = f"""\
# Specify: turn an intent into a mission and its spec

{_INPUT}
## Steps

1. Create the mission (skip when the input names one). The name is the intent in a few
   words; `--mission-type` is `software-dev`, `research` or `documentation`:

   ```bash
   spec-kitty specify "<name>" --mission-type software-dev --json
   ```

   Keep `mid8` from the JSON: it is `<mission>` from now on. `feature_dir` is the
   mission's directory.
2. Write `spec.md` in that directory, replacing the template (and its first line, the
   `spec-kitty:template` marker). A good spec says *what* and *why*, never *how*:
   - **Problem**: what is wrong or missing today, and for whom.
   - **User scenarios**: who does what, step by step, and what they see; edge cases.
   - **Requirements**, each with an id: `FR-001` (functional), `NFR-001`
     (non-functional: speed, limits, security), `C-001` (constraints). Each is
     testable and says MUST or SHOULD.
   - **Success criteria** `SC-001`: measurable outcomes, not implementation details.
   - **Out of scope** and **assumptions**.
   Mark an open question `[NEEDS CLARIFICATION: ...]` rather than guessing; ask the user.
   A `research` mission's spec states the question, the decision it informs and research
   questions `RQ-001`; a `documentation` mission's states the audience and documentation
   requirements `DR-001` ("a reader can ..."). `spec-kitty next --mission <mission> --json`
   gives the guide for the mission's type.
3. Record it and start the plan:

   ```bash
   spec-kitty plan --mission <mission>
   ```
"""

_PLAN = f"""\
# Plan: how the spec will be met

{_INPUT}
## Steps

1. Scaffold `plan.md` (kept when it exists) and commit the spec:

   ```bash
   spec-kitty plan --mission <mission>
   ```
2. Read `spec.md`, then write `plan.md`, replacing the template and its marker line:
   - **Approach** and the alternatives rejected, with why.
   - **Architecture**: the parts, what each owns, how they talk.
   - **Data model**: entities, fields, states and their transitions.
   - **Contracts**: commands, APIs, file formats, error codes; what is stable.
   - **Testing strategy**: how each requirement (`FR-001`, ...) will be shown to hold.
   - **Risks** and how they are contained.
   For `research`: the method per research question, the sources, the evidence standard.
   For `documentation`: the outline of pages, the sources of truth, the style, the
   examples that must run.
3. Commit it and scaffold the tasks:

   ```bash
   spec-kitty tasks --mission <mission>
   ```
"""

_TASKS = f"""\
# Tasks: split the plan into work packages

{_INPUT}
## Steps

1. Scaffold `tasks.md` (kept when it exists):

   ```bash
   spec-kitty tasks --mission <mission>
   ```
2. Write `tasks.md`, replacing the template and its marker line. One section per work
   package, each small enough for one agent session and reviewable on its own:

   ```markdown
   ## Work Package WP01: Core model

   **Depends on**: none
   **Requirement Refs**: FR-001, FR-002
   **Owned Files**: src/model/**, tests/test_model.py

   What this work package delivers, and how a reviewer will know it is done.

   - [ ] T001 Define the model
   - [ ] T002 Test the state transitions
   ```

   `Depends on` lists work packages that must be approved first (`WP01, WP02`).
   `Owned Files` are globs; two work packages owning the same file share a lane.
   Every requirement id of the spec appears in some `Requirement Refs`.
3. Commit it:

   ```bash
   spec-kitty tasks --mission <mission>
   ```
4. Then analyse (`/spec-kitty.analyze`) and finalize:

   ```bash
   spec-kitty finalize-tasks --mission <mission> --json
   ```
"""

_ANALYZE = f"""\
# Analyze: check spec, plan and tasks agree before any code is written

{_INPUT}
## Steps

1. Read `spec.md`, `plan.md` and `tasks.md` and write a report to a file (`<file>`):
   - **Coverage**: each requirement id, and the work packages that cover it; any not
     covered.
   - **Conflicts**: where the plan contradicts the spec, or tasks contradict the plan.
   - **Ownership**: files owned by more than one work package; dependency cycles.
   - **Ambiguity**: requirements a reviewer could not check.
   - **Verdict**: ready to implement, or what to fix first.
2. Record it (keyed to the content of the three files, so it goes stale when they change):

   ```bash
   spec-kitty record-analysis --mission <mission> --input-file <file>
   spec-kitty analyze --mission <mission> --json
   ```
"""

_IMPLEMENT = f"""\
# Implement a work package

{_INPUT}
## Steps

1. Start it. This claims the work package for you (refused when another agent has it),
   prepares its workspace and prints its brief: the work package's text, the requirements
   and plan sections it serves, its owned files, what its dependencies delivered, and the
   feedback of any earlier review:

   ```bash
   spec-kitty implement <WP> --mission <mission> --agent $AGENT --json
   ```
2. Work only in `workspace_path` and only on the owned files. Address every point of
   earlier review feedback. Run the tests. Commit in the workspace.
3. Hand it to review:

   ```bash
   spec-kitty move-task <WP> --to for_review --mission <mission> --actor $AGENT --note "<summary>"
   ```
"""

_REVIEW = f"""\
# Review a work package

{_INPUT}
## Steps

1. Print the review brief: the diff command against the right base, the acceptance
   criteria and the two verdict lines:

   ```bash
   spec-kitty review <WP> --mission <mission> --json
   ```
2. Read the diff. Check every requirement and subtask of the work package, that only its
   owned files changed, and that the tests pass.
3. Approve, naming where the review lives (a PR, a commit, a document):

   ```bash
   spec-kitty review <WP> --mission <mission> --approve --reviewer $AGENT --reference <reference>
   ```

   or reject, with what must change written to a file (`<file>`); the work package goes
   back to planned and its next implementer gets the feedback in the brief:

   ```bash
   spec-kitty review <WP> --mission <mission> --reject --reviewer $AGENT --feedback-file <file>
   ```
"""

_MERGE = f"""\
# Merge a mission's approved work into its target branch

{_INPUT}
## Steps

1. See the plan (lanes in dependency order), then merge; approved work becomes done:

   ```bash
   spec-kitty merge --mission <mission> --dry-run
   spec-kitty merge --mission <mission>
   ```
2. On a conflict the merge stops and says where. Resolve and commit there, then
   continue, or give up (the target goes back to where it was):

   ```bash
   spec-kitty merge --mission <mission> --resume
   spec-kitty merge --mission <mission> --abort
   ```
"""

_ACCEPT = f"""\
# Accept a finished mission

{_INPUT}
## Steps

Every work package must be done, the planning committed and no merge under way.
Accepting records who accepted it, when, and from which commit, in `meta.json`:

```bash
spec-kitty accept --mission <mission> --actor $AGENT --json
```

When it says what is missing, `spec-kitty next --mission <mission> --json` says what to do.
"""

_STATUS = f"""\
# Status: the board

{_INPUT}
```bash
spec-kitty status
spec-kitty status --mission <mission> --json
```

The first lists every mission; the second is one mission's board: each work package's
lane, who has it, its dependencies, and the feedback of a rejected review. The same
answer from any directory of the repository, and it writes nothing.
"""

_NEXT = f"""\
# Next: the one thing to do now

{_INPUT}
{_LOOP}"""

_DASHBOARD = f"""\
# Dashboard: a local web board

{_INPUT}
```bash
spec-kitty dashboard start --json
spec-kitty dashboard status
spec-kitty dashboard stop
```

`start` prints the URL (on 127.0.0.1). It is read-only: it never writes into the
repository.
"""

#: Every agent command, in lifecycle order.
COMMANDS: tuple[CommandPrompt, ...] = (
    CommandPrompt("specify", "Create a mission and write its spec.", _SPECIFY),
    CommandPrompt("plan", "Write the mission's plan: architecture, data, contracts.", _PLAN),
    CommandPrompt("tasks", "Split the plan into work packages in tasks.md.", _TASKS),
    CommandPrompt("analyze", "Check spec, plan and tasks agree; record the analysis.", _ANALYZE),
    CommandPrompt("implement", "Claim a work package and implement it.", _IMPLEMENT),
    CommandPrompt("review", "Review a work package: approve or reject.", _REVIEW),
    CommandPrompt("merge", "Merge a mission's approved lanes into its target.", _MERGE),
    CommandPrompt("accept", "Accept a finished mission.", _ACCEPT),
    CommandPrompt("status", "Show the board of a mission, or every mission.", _STATUS),
    CommandPrompt("next", "Ask spec-kitty for the one next step, with its commands.", _NEXT),
    CommandPrompt("dashboard", "Start, inspect or stop the local web board.", _DASHBOARD),
)

#: The overview skill: when to use spec-kitty and how to enter the loop.
SKILL_NAME = "spec-kitty"
SKILL_DESCRIPTION = (
    "Spec-driven development with spec-kitty: use when asked to specify, plan, implement, "
    "review or merge a mission or work package, or to find the next step of one."
)
SKILL_BODY = f"""\
# spec-kitty

This repository plans and tracks work as spec-kitty missions: a mission moves through
specify, plan, tasks, analyze, implement, review, merge and accept; its work packages
(WP01, ...) move through lanes on a board kept in git.

{_LOOP}
Never edit `status.events.jsonl` or `status.json` by hand: every lane change goes through
`spec-kitty`. `spec-kitty status --mission <mission>` shows the board.
"""

#: The AGENTS.md section, between these two lines (the rest of the file is the user's).
AGENTS_MD_BEGIN = "<!-- spec-kitty:begin (written by `spec-kitty agents`; edit outside it) -->"
AGENTS_MD_END = "<!-- spec-kitty:end -->"
AGENTS_MD_SECTION = """\
## spec-kitty

This repository plans and tracks its work with spec-kitty, a command-line tool for
spec-driven development: missions under `kitty-specs/`, their work packages on a board
kept in git. Work on a mission through its commands, never by editing its status files.

Enter the loop with your name as the agent (for example `codex`):

```bash
spec-kitty next --agent <agent> --json
```

It names the one next step (write the spec, plan or tasks, implement or review a work
package, merge, accept) with a brief and the exact command lines to run; after them, ask
again. `spec-kitty status` shows every mission; `spec-kitty --help` lists the commands.
"""
