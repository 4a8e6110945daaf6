"""Mission types and the planning templates each starts from.

A template's first line is :data:`TEMPLATE_MARKER`: a file that still begins with it is
unwritten, which is how ``next`` tells a scaffold from an artifact. Writers replace
the text and delete that line (the prompts and briefs say so). Files without the marker
(written by hand, or by spec-kitty 3.x) count as written.
"""

from __future__ import annotations

import msgspec

from spec_kitty_cli._errors import CliError

TEMPLATE_MARKER = "<!-- spec-kitty:template: replace this text, then delete this line -->"
DEFAULT_TYPE = "software-dev"


class MissionType(msgspec.Struct, frozen=True):
    """What a mission type writes first, and what its work packages deliver."""

    name: str
    summary: str
    spec: str
    plan: str
    tasks: str
    #: What a work package of this type hands to review (for the briefs).
    deliverable: str
    #: What a good spec, plan and tasks of this type say (``next`` prints it with the step).
    guides: dict[str, str]


_TASKS_FORMAT = """
One section per work package. `spec-kitty finalize-tasks` reads the headings and the
`Depends on`, `Requirement Refs` and `Owned Files` lines below. Work packages owning the
same files share a lane; `Depends on` names work packages approved first.

## Work Package WP01: {first}

**Depends on**: none
**Requirement Refs**: {ref}
**Owned Files**: {owned}

What this work package delivers, and how a reviewer will know it is done.

- [ ] T001 ...
- [ ] T002 ...

## Work Package WP02: {second}

**Depends on**: WP01
**Requirement Refs**: {ref2}
**Owned Files**: {owned2}

- [ ] T003 ...
"""

_SOFTWARE = MissionType(
    name="software-dev",
    summary="build or change software: spec, plan, work packages of code, review, merge",
    spec="""# {name}

## Problem

What is wrong or missing today, and for whom.

## User scenarios

1. As a ..., I want ... so that ...
   - Edge case: ...

## Requirements

- FR-001: The system MUST ...
- NFR-001: ... (speed, limits, security; measurable)
- C-001: ... (constraints: compatibility, dependencies)

## Success criteria

- SC-001: ... (a measurable outcome, not an implementation detail)

## Out of scope

- ...

## Assumptions

- ...
""",
    plan="""# Plan: {name}

## Approach

How the spec will be met, the alternatives considered, and why this one.

## Architecture

The parts, what each owns, and how they talk.

## Data model

Entities, their fields, states and transitions.

## Contracts

Commands, APIs, file formats and error codes other parts rely on.

## Testing strategy

How each requirement (FR-001, ...) will be shown to hold.

## Risks

- ...
""",
    tasks="# Tasks: {name}\n"
    + _TASKS_FORMAT.format(
        first="Core model",
        ref="FR-001",
        owned="src/...",
        second="Command line",
        ref2="FR-002",
        owned2="src/cli/...",
    ),
    deliverable="code and tests committed in the workspace",
    guides={
        "spec": "Say what and why, never how: the problem, user scenarios, requirements with "
        "ids (FR-001, NFR-001, C-001; testable, MUST or SHOULD), measurable success criteria "
        "(SC-001), what is out of scope, the assumptions.",
        "plan": "Say how the spec will be met: the approach and the alternatives rejected, the "
        "architecture (parts and what each owns), the data model, the contracts (commands, "
        "APIs, formats, errors), the testing strategy per requirement, the risks.",
        "tasks": "Split the plan into work packages of code and tests, one "
        "`## Work Package WP01: Title` section each, with `**Depends on**:`, "
        "`**Requirement Refs**:` and `**Owned Files**:` lines and `- [ ] T001` subtasks; "
        "every requirement id in some work package.",
    },
)

_RESEARCH = MissionType(
    name="research",
    summary="answer a question: research questions, method, findings with evidence",
    spec="""# {name}

## Question

What must be found out, for whom, and what decision it informs.

## Research questions

- RQ-001: ...

## Scope

What is in and out; sources allowed.

## Success criteria

- SC-001: ... (what a good enough answer looks like)
""",
    plan="""# Plan: {name}

## Method

How each research question will be answered (sources, experiments, interviews).

## Sources

- ...

## Evidence standard

What counts as an answer, and how confidence is stated.

## Risks

- ...
""",
    tasks="# Tasks: {name}\n"
    + _TASKS_FORMAT.format(
        first="Survey the sources",
        ref="RQ-001",
        owned="research/sources.md",
        second="Findings",
        ref2="RQ-001",
        owned2="research/findings.md",
    ),
    deliverable="findings with their evidence and sources, committed in the workspace",
    guides={
        "spec": "Say what must be found out and why: the question, the decision it informs, "
        "research questions with ids (RQ-001), the scope and the sources allowed, what a good "
        "enough answer looks like (SC-001).",
        "plan": "Say how each research question will be answered: the method (sources, "
        "experiments, interviews), the sources, the evidence standard and how confidence is "
        "stated, the risks.",
        "tasks": "Split the research into work packages that each answer part of a question "
        "and write their findings to their own files, one `## Work Package WP01: Title` section "
        "each with `**Depends on**:`, `**Requirement Refs**:` (RQ ids) and `**Owned Files**:`.",
    },
)

_DOCUMENTATION = MissionType(
    name="documentation",
    summary="write or restructure documentation: audience, outline, pages, review",
    spec="""# {name}

## Audience

Who reads it, what they know already, and what they come to do.

## Documentation requirements

- DR-001: A reader can ...

## Gaps today

What is missing, wrong or hard to find.

## Success criteria

- SC-001: ... (a task a reader completes with these pages alone)
""",
    plan="""# Plan: {name}

## Outline

The pages, their order, and what each answers (tutorial, how-to, reference, explanation).

## Sources of truth

Code, specs and people each page is checked against.

## Style

Voice, terminology, examples that must run.

## Risks

- ...
""",
    tasks="# Tasks: {name}\n"
    + _TASKS_FORMAT.format(
        first="Outline and landing page",
        ref="DR-001",
        owned="docs/index.md",
        second="Reference pages",
        ref2="DR-001",
        owned2="docs/reference/**",
    ),
    deliverable="the pages committed in the workspace, every example checked",
    guides={
        "spec": "Say who reads it and what they come to do: the audience, documentation "
        "requirements with ids (DR-001: a reader can ...), the gaps today, success criteria "
        "as tasks a reader completes with the pages alone (SC-001).",
        "plan": "Say how the pages will be built: the outline (tutorial, how-to, reference, "
        "explanation), the sources of truth each page is checked against, the style and "
        "terminology, the examples that must run, the risks.",
        "tasks": "Split the outline into work packages of pages, one "
        "`## Work Package WP01: Title` section each with `**Depends on**:`, "
        "`**Requirement Refs**:` (DR ids) and `**Owned Files**:` (the pages).",
    },
)

MISSION_TYPES: dict[str, MissionType] = {
    kind.name: kind for kind in (_SOFTWARE, _RESEARCH, _DOCUMENTATION)
}


def mission_type(name: str, *, strict: bool = False) -> MissionType:
    """The type called ``name``. Unknown: refused when ``strict`` (a new mission), else the
    default (a 3.x mission may carry a type we do not know; it is planned as software)."""
    found = MISSION_TYPES.get(name)
    if found is not None:
        return found
    if strict:
        known = ", ".join(MISSION_TYPES)
        raise CliError(
            f"unknown mission type {name!r} (known: {known})",
            code="UNKNOWN_MISSION_TYPE",
            next_step=f"pass --mission-type with one of: {known}",
        )
    return MISSION_TYPES[DEFAULT_TYPE]


def render(template: str, name: str) -> str:
    """``template`` for the mission ``name``, headed by the marker."""
    return f"{TEMPLATE_MARKER}\n{template.replace('{name}', name)}"


def is_unwritten(text: str) -> bool:
    """Whether ``text`` is still a template: its first line is the marker."""
    return text.lstrip().startswith(TEMPLATE_MARKER)
