"""tasks.md -> work packages, lanes, lanes.json and WP files; and reading WP files back."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from mission_context import LanePlan, lanes_document
from spec_kitty_cli._frontmatter import TasksError, read_front_matter, wp_title
from spec_kitty_cli._tasks_md import (
    Subtask,
    WorkPackageSpec,
    compute_lanes,
    parse_tasks_md,
    paths_overlap,
    planning_wps,
    render_wp_file,
    slugify,
)

REALISTIC = textwrap.dedent(
    """\
    # Work Packages: Board redesign

    **Inputs**: spec.md, plan.md
    Depends on WP09 (text before the first WP heading is ignored)

    ## Subtask index
    - [ ] T999 not in any work package

    ## Work Package WP01: Core model (Priority: P1)

    **Goal**: lanes as values.
    **Requirement Refs**: FR-001, FR-002, C-001
    **Dependencies**: None
    **Owned Files**: `src/board/model.py`, `tests/test_model.py`

    ### Included Subtasks
    - [ ] T001 Define the lane enum
    - [x] T002: Reducer over events

    ### Implementation notes
    ```bash
    # rebuild the fixtures (a comment, not a heading)
    make fixtures
    ```

    ---

    ## Work Package WP02: Board view

    **Requirement Refs**: FR-003
    Depends on WP01.
    Owned files:

    - `src/board/view.py`
    - `tests/test_view.py`

    - [ ] T003 Render the table
    - [ ] T004 JSON output

    ---

    ### WP03 - Persistence layer
    - **Depends on**: WP01
    - **Owned Files**: src/board/model.py, src/store/*.py
    - [ ] T005 Save snapshots

    ### WP04 \u2013 Docs and quickstart
    **Execution Mode**: planning_artifact
    **Depends on**: WP02 and WP03
    **Owned Files**: docs/quickstart.md
    - [ ] T006 Write the quickstart

    ## WP05: CLI wiring
    **Dependencies**: WP04, WP03
    **Requirement refs**: NFR-001
    **Owned files**: src/cli/
    - [ ] T007 Add the command
    - [x] T008 Help text

    #### WP06: Release notes
    Dependencies: -
    - [ ] T009 Changelog entry

    ## Dependency graph
    WP01 -> WP02 -> WP04 (not part of WP06)
    Depends on WP01
    """
)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line of ``text`` that contains ``needle``."""
    found = [number for number, line in enumerate(text.split("\n"), 1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def one_wp(section: str, *, before: str = "") -> WorkPackageSpec:
    """The last WP of a tasks.md made of ``before`` and ``section``."""
    return parse_tasks_md(before + textwrap.dedent(section))[-1]


def tasks_error(text: str, *, source: str = "tasks.md") -> TasksError:
    with pytest.raises(TasksError) as caught:
        parse_tasks_md(textwrap.dedent(text), source=source)
    return caught.value


def make_wp(
    wp_id: str,
    owned: tuple[str, ...] = (),
    deps: tuple[str, ...] = (),
    mode: str = "code_change",
) -> WorkPackageSpec:
    return WorkPackageSpec(
        wp_id=wp_id,
        title=f"Package {wp_id}",
        slug=f"package-{wp_id.lower()}",
        dependencies=deps,
        requirement_refs=(),
        subtasks=(),
        owned_files=owned,
        execution_mode=mode,
        body=f"## {wp_id}: Package {wp_id}",
        line=1,
    )


# -- parsing: the realistic tasks.md ------------------------------------------------------


def test_realistic_tasks_md_parses_every_section_in_file_order() -> None:
    wps = parse_tasks_md(REALISTIC)

    summary = [
        (wp.wp_id, wp.title, wp.slug, wp.dependencies, wp.owned_files, wp.execution_mode)
        for wp in wps
    ]
    assert summary == [
        (
            "WP01",
            "Core model (Priority: P1)",
            "core-model-priority-p1",
            (),
            ("src/board/model.py", "tests/test_model.py"),
            "code_change",
        ),
        (
            "WP02",
            "Board view",
            "board-view",
            ("WP01",),
            ("src/board/view.py", "tests/test_view.py"),
            "code_change",
        ),
        (
            "WP03",
            "Persistence layer",
            "persistence-layer",
            ("WP01",),
            ("src/board/model.py", "src/store/*.py"),
            "code_change",
        ),
        (
            "WP04",
            "Docs and quickstart",
            "docs-and-quickstart",
            ("WP02", "WP03"),
            ("docs/quickstart.md",),
            "planning_artifact",
        ),
        ("WP05", "CLI wiring", "cli-wiring", ("WP04", "WP03"), ("src/cli/",), "code_change"),
        ("WP06", "Release notes", "release-notes", (), (), "code_change"),
    ]
    assert [wp.requirement_refs for wp in wps] == [
        ("FR-001", "FR-002", "C-001"),
        ("FR-003",),
        (),
        (),
        ("NFR-001",),
        (),
    ]
    assert [wp.line for wp in wps] == [
        line_of(REALISTIC, "## Work Package WP01"),
        line_of(REALISTIC, "## Work Package WP02"),
        line_of(REALISTIC, "### WP03"),
        line_of(REALISTIC, "### WP04"),
        line_of(REALISTIC, "## WP05"),
        line_of(REALISTIC, "#### WP06"),
    ]
    assert [wp.filename for wp in wps] == [
        "WP01-core-model-priority-p1.md",
        "WP02-board-view.md",
        "WP03-persistence-layer.md",
        "WP04-docs-and-quickstart.md",
        "WP05-cli-wiring.md",
        "WP06-release-notes.md",
    ]


def test_realistic_subtasks_keep_ids_titles_and_checkmarks() -> None:
    wps = parse_tasks_md(REALISTIC)

    assert wps[0].subtasks == (
        Subtask("T001", "Define the lane enum", done=False),
        Subtask("T002", "Reducer over events", done=True),
    )
    assert [[s.id for s in wp.subtasks] for wp in wps] == [
        ["T001", "T002"],
        ["T003", "T004"],
        ["T005"],
        ["T006"],
        ["T007", "T008"],
        ["T009"],
    ]
    assert [s.done for s in wps[4].subtasks] == [False, True]


def test_body_is_the_section_without_trailing_blanks_or_separator() -> None:
    wps = parse_tasks_md(REALISTIC)

    # The fenced "# rebuild" comment did not end WP01; the "---" separator is not its body.
    assert wps[0].body.split("\n")[0] == "## Work Package WP01: Core model (Priority: P1)"
    assert wps[0].body.endswith(
        "# rebuild the fixtures (a comment, not a heading)\nmake fixtures\n```"
    )
    assert wps[5].body == "#### WP06: Release notes\nDependencies: -\n- [ ] T009 Changelog entry"
    assert wps[2].body == (
        "### WP03 - Persistence layer\n"
        "- **Depends on**: WP01\n"
        "- **Owned Files**: src/board/model.py, src/store/*.py\n"
        "- [ ] T005 Save snapshots"
    )


def test_parsing_is_deterministic_and_crlf_reads_the_same() -> None:
    assert parse_tasks_md(REALISTIC) == parse_tasks_md(REALISTIC)
    assert parse_tasks_md(REALISTIC.replace("\n", "\r\n")) == parse_tasks_md(REALISTIC)


# -- parsing: headings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "## Work Package WP01: Core model",
        "### WP01 - Core model",
        "## WP01: Core model",
        "#### WP01 \u2013 Core model",
        "## work package WP01 \u2014 Core model",
        "## WP01 Core model",
        "## WP01:Core model",
        "## WP01: Core model ##",
        "##   WP01  :  Core   model",
    ],
)
def test_each_heading_style_starts_a_section(heading: str) -> None:
    wp = one_wp(f"# Tasks\n{heading}\n- [ ] T001 Do it\n")

    assert (wp.wp_id, wp.title, wp.slug, wp.line) == ("WP01", "Core model", "core-model", 2)
    assert wp.subtasks == (Subtask("T001", "Do it", done=False),)


@pytest.mark.parametrize(
    "heading",
    [
        "# WP01: level one",
        "##### WP01: level five",
        "## WP1: one digit",
        "## WP012: three digits",
        "##WP01: no space",
        "## Phase WP01",
        "   ## WP01: indented",
    ],
)
def test_headings_that_are_not_wp_headings(heading: str) -> None:
    err = tasks_error(f"{heading}\nDepends on WP02\n")

    assert err.code == "TASKS_INVALID"
    assert err.message == "tasks.md:1: no work package heading found"


def test_heading_without_title_gets_the_wp_slug() -> None:
    wp = one_wp("## WP07\n")

    assert (wp.wp_id, wp.title, wp.slug, wp.filename) == ("WP07", "", "wp", "WP07-wp.md")


@pytest.mark.parametrize(
    ("heading", "closer", "ends"),
    [
        ("## WP02: Two", "## Notes", True),
        ("## WP02: Two", "# Appendix", True),
        ("## WP02: Two", "### Notes", False),
        ("### WP02: Two", "## Notes", True),
        ("### WP02: Two", "### Notes", True),
        ("### WP02: Two", "#### Notes", False),
        ("#### WP02: Two", "##### Notes", False),
    ],
)
def test_a_section_ends_at_a_heading_of_the_same_or_higher_level(
    heading: str, closer: str, ends: bool
) -> None:
    text = f"## WP01: One\n{heading}\nintro\n{closer}\nDepends on WP01\n- [ ] T001 Later\n"
    wp = parse_tasks_md(text)[-1]

    assert wp.dependencies == (() if ends else ("WP01",))
    assert len(wp.subtasks) == (0 if ends else 1)
    assert wp.body == (
        f"{heading}\nintro"
        if ends
        else f"{heading}\nintro\n{closer}\nDepends on WP01\n- [ ] T001 Later"
    )


def test_headings_and_labels_inside_code_fences_are_ignored() -> None:
    text = textwrap.dedent(
        """\
        ## WP01: One
        ```
        ## WP02: Not a heading
        Depends on WP03
        - [ ] T001 not a subtask
        ```
        ~~~
        # also not a heading
        ~~~
        - [ ] T002 Real
        """
    )
    wps = parse_tasks_md(text)

    assert [wp.wp_id for wp in wps] == ["WP01"]
    assert wps[0].dependencies == ()
    assert wps[0].subtasks == (Subtask("T002", "Real", done=False),)


# -- parsing: labels -----------------------------------------------------------------------

BEFORE = "## WP01: One\n## WP02: Two\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Depends on WP01, WP02", ("WP01", "WP02")),
        ("Depends on: WP01", ("WP01",)),
        ("**Depends on**: WP01 and WP02", ("WP01", "WP02")),
        ("**Depends on:** WP02", ("WP02",)),
        ("- **Depends on**: `WP02`.", ("WP02",)),
        ("**Dependencies**: WP01", ("WP01",)),
        ("Dependencies: WP02, WP01", ("WP02", "WP01")),
        ("DEPENDS ON wp01 and WP02", ("WP02",)),
        ("dependencies: WP01 (the model)", ("WP01",)),
        ("Dependencies: none", ()),
        ("**Dependencies**: None", ()),
        ("Dependencies: -", ()),
        ("Depends on WP1, WP2, WP001", ()),
        ("Depends on WP1 and WP02", ("WP02",)),
        ("This WP depends on WP01", ()),
        ("Dependencies WP01", ()),
    ],
)
def test_dependency_label_styles(line: str, expected: tuple[str, ...]) -> None:
    wp = one_wp(f"## WP03: Three\n{line}\n", before=BEFORE)

    assert wp.dependencies == expected


def test_dependencies_keep_first_mention_order_without_duplicates() -> None:
    wp = one_wp(
        "## WP03: Three\nDepends on WP02, WP01, WP02\n**Dependencies**: WP01, WP02\n",
        before=BEFORE,
    )

    assert wp.dependencies == ("WP02", "WP01")


@pytest.mark.parametrize(
    "line",
    [
        "**Requirement Refs**: FR-001, C-001",
        "Requirement Refs: FR-001, C-001.",
        "requirement refs: FR-001 (partial); C-001",
        "- **Requirement Refs:** `FR-001`, `C-001`",
        "**Requirements Refs**: FR-001, C-001, FR-001",
    ],
)
def test_requirement_ref_label_styles(line: str) -> None:
    assert one_wp(f"## WP01: One\n{line}\n").requirement_refs == ("FR-001", "C-001")


@pytest.mark.parametrize("line", ["Requirement Refs: none", "Requirement Refs FR-001", ""])
def test_no_requirement_refs(line: str) -> None:
    assert one_wp(f"## WP01: One\n{line}\n").requirement_refs == ()


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("**Owned Files**: src/a.py, src/b/*.py", ("src/a.py", "src/b/*.py")),
        ("Owned files: `src/a.py`, `src/b/*.py`.", ("src/a.py", "src/b/*.py")),
        ("OWNED FILES: `src/a.py` `src/b/*.py`", ("src/a.py", "src/b/*.py")),
        ("- **Owned files:** src/a.py (new), src/__init__.py", ("src/a.py", "src/__init__.py")),
        ("**Owned Files**: `src/**/*.py`", ("src/**/*.py",)),
        ("Owned file: docs/", ("docs/",)),
        ("Owned Files: none", ()),
        ("Owned files are listed in plan.md", ()),
        (
            "**Owned Files**:\n- `src/x.py`\n- src/y.py \u2014 the parser\n",
            ("src/x.py", "src/y.py"),
        ),
        (
            "Owned files:\n\n  * `src/x.py`\n  + `src/y.py`, `src/z.py`\n",
            ("src/x.py", "src/y.py", "src/z.py"),
        ),
        ("Owned files:\n- `src/x.py`\n\n- `not/owned.py`\n", ("src/x.py",)),
        ("Owned files:\n- `src/x.py`\nprose\n- `not/owned.py`\n", ("src/x.py",)),
        ("Owned files:\n- `src/x.py`\n- [ ] T001 Task\n", ("src/x.py",)),
        ("Owned files: src/a.py\nOwned files: src/b.py, src/a.py\n", ("src/a.py", "src/b.py")),
    ],
)
def test_owned_file_styles(lines: str, expected: tuple[str, ...]) -> None:
    assert one_wp(f"## WP01: One\n{lines}\n").owned_files == expected


def test_an_owned_files_list_stops_at_the_next_label() -> None:
    wp = one_wp(
        "## WP02: Two\nOwned files:\n- `src/x.py`\n- **Depends on**: WP01\n",
        before="## WP01: One\n",
    )

    assert (wp.owned_files, wp.dependencies) == (("src/x.py",), ("WP01",))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "code_change"),
        ("**Execution Mode**: planning_artifact", "planning_artifact"),
        ("Execution mode: `planning_artifact`.", "planning_artifact"),
        ("- execution mode: code_change", "code_change"),
        ("**Execution Mode:** Planning_Artifact", "planning_artifact"),
    ],
)
def test_execution_mode(line: str, expected: str) -> None:
    assert one_wp(f"## WP01: One\n{line}\n").execution_mode == expected


def test_an_unknown_execution_mode_names_its_line() -> None:
    err = tasks_error("## WP01: One\n\n**Execution Mode**: docs_only\n")

    assert err.code == "TASKS_INVALID"
    assert err.message == (
        "tasks.md:3: WP01 has execution mode 'docs_only'; expected code_change or planning_artifact"
    )
    assert "WP01" in err.next_step and "planning_artifact" in err.next_step


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- [ ] T001 Write it", Subtask("T001", "Write it", done=False)),
        ("- [x] T002: Test it", Subtask("T002", "Test it", done=True)),
        ("* [X] T003 - Ship it", Subtask("T003", "Ship it", done=True)),
        ("  - [ ] T004 [P] Parallel one", Subtask("T004", "[P] Parallel one", done=False)),
        ("+ [ ] T0005 Long id", Subtask("T0005", "Long id", done=False)),
    ],
)
def test_subtask_styles(line: str, expected: Subtask) -> None:
    assert one_wp(f"## WP01: One\n{line}\n").subtasks == (expected,)


@pytest.mark.parametrize(
    "line",
    ["- [ ] Write it without an id", "- [] T001 bad box", "T001 no checkbox", "- [ ] TX01 x"],
)
def test_lines_that_are_not_subtasks(line: str) -> None:
    assert one_wp(f"## WP01: One\n{line}\n").subtasks == ()


# -- parsing: errors -----------------------------------------------------------------------


def test_no_wp_heading_at_all() -> None:
    err = tasks_error("# Tasks\n\nJust prose.\n", source="kitty/tasks.md")

    assert err.code == "TASKS_INVALID"
    assert err.message == "kitty/tasks.md:1: no work package heading found"
    assert "## Work Package WP01: Core model" in err.next_step
    assert str(err) == "TASKS_INVALID: kitty/tasks.md:1: no work package heading found"


def test_empty_text_has_no_wp_heading() -> None:
    assert tasks_error("").message == "tasks.md:1: no work package heading found"


def test_a_wp_defined_twice_names_both_lines() -> None:
    err = tasks_error("# Tasks\n## WP01: One\n\n## WP02: Two\n### WP01: Again\n")

    assert err.code == "TASKS_INVALID"
    assert err.message == "tasks.md:5: WP01 is defined twice (lines 2 and 5)"
    assert "WP01" in err.next_step


def test_a_dependency_on_an_undefined_wp() -> None:
    text = "## WP01: One\n## WP02: Two\n## WP03: Three\nx\n**Depends on**: WP01, WP09\n"
    err = tasks_error(text)

    assert err.code == "TASKS_INVALID"
    assert err.message == "tasks.md:5: WP03 depends on WP09, which tasks.md does not define"
    assert err.next_step == ("define WP09 in tasks.md or remove it from the dependencies of WP03")


def test_a_wp_depending_on_itself() -> None:
    err = tasks_error("## WP01: One\n\n## WP02: Two\nDepends on WP01, WP02\n")

    assert err.message == "tasks.md:4: WP02 depends on itself"
    assert err.code == "TASKS_INVALID"


def test_a_two_wp_cycle_is_named() -> None:
    err = tasks_error("## WP01: One\nDepends on WP02\n## WP02: Two\nDepends on WP01\n")

    assert err.code == "TASKS_INVALID"
    assert err.message == "tasks.md:4: dependency cycle WP01 -> WP02 -> WP01"
    assert "tasks.md" in err.next_step


def test_a_longer_cycle_reached_from_outside_is_named_from_its_entry() -> None:
    text = textwrap.dedent(
        """\
        ## WP01: Entry
        Depends on WP03
        ## WP02: Two
        Depends on WP04
        ## WP03: Three
        Depends on WP02
        ## WP04: Four
        Depends on WP03
        """
    )
    err = tasks_error(text)

    assert err.message == "tasks.md:8: dependency cycle WP03 -> WP02 -> WP04 -> WP03"


def test_the_first_error_in_file_order_wins() -> None:
    text = textwrap.dedent(
        """\
        ## WP01: One
        Depends on WP02
        ## WP02: Two
        Execution Mode: sometimes
        Depends on WP01, WP08
        ## WP01: Again
        """
    )
    err = tasks_error(text)

    # The cycle WP01 <-> WP02 is earlier in the file but is only checked once all else holds.
    assert err.message.startswith("tasks.md:4: WP02 has execution mode 'sometimes'")
    fixed = text.replace("Execution Mode: sometimes", "")
    assert tasks_error(fixed).message == (
        "tasks.md:5: WP02 depends on WP08, which tasks.md does not define"
    )
    fixed = fixed.replace(", WP08", "")
    assert tasks_error(fixed).message == "tasks.md:6: WP01 is defined twice (lines 1 and 6)"
    fixed = fixed.replace("## WP01: Again", "")
    assert tasks_error(fixed).message == "tasks.md:5: dependency cycle WP01 -> WP02 -> WP01"


def test_messages_use_the_source_name() -> None:
    err = tasks_error("## WP01: One\nDepends on WP02\n", source="missions/x/tasks.md")

    assert err.message == (
        "missions/x/tasks.md:2: WP01 depends on WP02, which missions/x/tasks.md does not define"
    )


# -- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Core model", "core-model"),
        ("Ünïcode & Émoji 🚀 board", "unicode-emoji-board"),
        ("  --Trim__me--  ", "trim-me"),
        ("", "wp"),
        ("!!! ???", "wp"),
        ("日本語", "wp"),
        ("CLI: `spec-kitty board --json`", "cli-spec-kitty-board-json"),
        ("a" * 60, "a" * 48),
        ("word " * 12, "word-word-word-word-word-word-word-word-word-wor"),
        ("word " * 9 + "xy z", "word-" * 9 + "xy"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@given(st.text())
def test_slugs_are_always_safe_filenames(title: str) -> None:
    slug = slugify(title)

    assert 1 <= len(slug) <= 48
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug


# -- lanes ------------------------------------------------------------------------------------


def test_realistic_lanes() -> None:
    lanes = compute_lanes(parse_tasks_md(REALISTIC))

    assert lanes == [
        LanePlan(
            lane_id="lane-a",
            wp_ids=("WP01", "WP03"),
            write_scope=("src/board/model.py", "src/store/*.py", "tests/test_model.py"),
            predicted_surfaces=("src", "tests"),
            depends_on_lanes=(),
            parallel_group=0,
        ),
        LanePlan(
            lane_id="lane-b",
            wp_ids=("WP02",),
            write_scope=("src/board/view.py", "tests/test_view.py"),
            predicted_surfaces=("src", "tests"),
            depends_on_lanes=("lane-a",),
            parallel_group=1,
        ),
        # WP05 depends on WP04 (planning, no lane), which depends on WP02 and WP03.
        LanePlan(
            lane_id="lane-c",
            wp_ids=("WP05",),
            write_scope=("src/cli/",),
            predicted_surfaces=("src",),
            depends_on_lanes=("lane-a", "lane-b"),
            parallel_group=2,
        ),
        LanePlan(
            lane_id="lane-d",
            wp_ids=("WP06",),
            write_scope=(),
            predicted_surfaces=(),
            depends_on_lanes=(),
            parallel_group=0,
        ),
    ]


def test_realistic_lanes_document() -> None:
    wps = parse_tasks_md(REALISTIC)
    document = lanes_document(
        compute_lanes(wps),
        mission_slug="board-redesign-01KZZD69",
        mission_id="01KZZD6916PW6XD20W3CMQS3WW",
        mission_branch="kitty/mission-board-redesign-01KZZD69",
        target_branch="main",
        computed_at="2026-08-14T13:05:54.666130+00:00",
        planning_artifact_wps=planning_wps(wps),
    )

    assert json.loads(json.dumps(document)) == document
    assert list(document) == [
        "version",
        "mission_slug",
        "mission_id",
        "mission_branch",
        "target_branch",
        "lanes",
        "computed_at",
        "computed_from",
        "planning_artifact_wps",
    ]
    assert document == {
        "version": 1,
        "mission_slug": "board-redesign-01KZZD69",
        "mission_id": "01KZZD6916PW6XD20W3CMQS3WW",
        "mission_branch": "kitty/mission-board-redesign-01KZZD69",
        "target_branch": "main",
        "lanes": [
            {
                "lane_id": "lane-a",
                "wp_ids": ["WP01", "WP03"],
                "write_scope": ["src/board/model.py", "src/store/*.py", "tests/test_model.py"],
                "predicted_surfaces": ["src", "tests"],
                "depends_on_lanes": [],
                "parallel_group": 0,
            },
            {
                "lane_id": "lane-b",
                "wp_ids": ["WP02"],
                "write_scope": ["src/board/view.py", "tests/test_view.py"],
                "predicted_surfaces": ["src", "tests"],
                "depends_on_lanes": ["lane-a"],
                "parallel_group": 1,
            },
            {
                "lane_id": "lane-c",
                "wp_ids": ["WP05"],
                "write_scope": ["src/cli/"],
                "predicted_surfaces": ["src"],
                "depends_on_lanes": ["lane-a", "lane-b"],
                "parallel_group": 2,
            },
            {
                "lane_id": "lane-d",
                "wp_ids": ["WP06"],
                "write_scope": [],
                "predicted_surfaces": [],
                "depends_on_lanes": [],
                "parallel_group": 0,
            },
        ],
        "computed_at": "2026-08-14T13:05:54.666130+00:00",
        "computed_from": "dependency_graph+ownership",
        "planning_artifact_wps": ["WP04"],
    }


@pytest.mark.parametrize(
    ("left", "right", "overlap"),
    [
        ("src/a.py", "src/a.py", True),
        ("src/a.py", "./src/a.py", True),
        ("src/*.py", "src/a.py", True),
        ("src/a.py", "src/**", True),
        ("src/a*.py", "src/*.py", True),
        ("src/pkg/", "src/pkg/a.py", True),
        ("src/pkg", "src/pkg/sub/a.py", True),
        ("src/pkg/**", "src/pkg/", True),
        ("src/a.py", "src/b.py", False),
        ("src/pkg/", "src/pkg2/a.py", False),
        ("src/pkg", "src/pkgs", False),
        ("src/*.py", "tests/a.py", False),
        ("src/A.py", "src/a.py", False),
    ],
)
def test_paths_overlap(left: str, right: str, overlap: bool) -> None:
    assert paths_overlap(left, right) is overlap
    assert paths_overlap(right, left) is overlap


def test_wps_without_owned_files_each_get_their_own_lane() -> None:
    lanes = compute_lanes([make_wp("WP01"), make_wp("WP02"), make_wp("WP03", ("src/a.py",))])

    assert [(lane.lane_id, lane.wp_ids) for lane in lanes] == [
        ("lane-a", ("WP01",)),
        ("lane-b", ("WP02",)),
        ("lane-c", ("WP03",)),
    ]


def test_planning_artifact_wps_get_no_lane() -> None:
    wps = [
        make_wp("WP01", ("docs/spec.md",), mode="planning_artifact"),
        make_wp("WP02", ("docs/spec.md",)),
    ]
    lanes = compute_lanes(wps)

    assert [(lane.lane_id, lane.wp_ids) for lane in lanes] == [("lane-a", ("WP02",))]
    document = lanes_document(
        lanes,
        mission_slug="m",
        mission_id="id",
        mission_branch="b",
        target_branch="main",
        computed_at="t",
        planning_artifact_wps=planning_wps(wps),
    )
    assert document["planning_artifact_wps"] == ["WP01"]


def test_lanes_are_ordered_by_their_first_wp_and_list_wps_in_file_order() -> None:
    wps = [
        make_wp("WP05", ("src/b.py",)),
        make_wp("WP01", ("src/a.py",)),
        make_wp("WP03", ("src/a.py", "src/b.py")),
        make_wp("WP02", ("docs/x.md",)),
    ]
    lanes = compute_lanes(wps)

    assert [(lane.lane_id, lane.wp_ids) for lane in lanes] == [
        ("lane-a", ("WP05", "WP01", "WP03")),
        ("lane-b", ("WP02",)),
    ]
    assert lanes[0].write_scope == ("src/a.py", "src/b.py")


def test_a_lane_cycle_merges_the_lanes() -> None:
    # WP01 and WP03 share a file; WP02 sits between them: lane a -> lane b -> lane a.
    wps = [
        make_wp("WP01", ("src/a.py",)),
        make_wp("WP02", ("src/b.py",), deps=("WP01",)),
        make_wp("WP03", ("src/a.py",), deps=("WP02",)),
        make_wp("WP04", ("src/c.py",), deps=("WP03",)),
    ]
    lanes = compute_lanes(wps)

    assert lanes == [
        LanePlan("lane-a", ("WP01", "WP02", "WP03"), ("src/a.py", "src/b.py"), ("src",), (), 0),
        LanePlan("lane-b", ("WP04",), ("src/c.py",), ("src",), ("lane-a",), 1),
    ]


def test_merging_one_lane_cycle_can_reveal_another() -> None:
    # Lanes {WP01, WP03} and {WP02} form a cycle; merged, they form one with {WP04, WP05}.
    wps = [
        make_wp("WP01", ("a",)),
        make_wp("WP02", ("b",), deps=("WP01",)),
        make_wp("WP03", ("a",), deps=("WP02",)),
        make_wp("WP04", ("c",), deps=("WP03",)),
        make_wp("WP05", ("a", "c")),
        make_wp("WP06", ("d",), deps=("WP05",)),
    ]
    lanes = compute_lanes(wps)

    # WP05 shares "a" with WP01 and "c" with WP04: one ownership group, no cycle left.
    assert [(lane.wp_ids, lane.depends_on_lanes, lane.parallel_group) for lane in lanes] == [
        (("WP01", "WP02", "WP03", "WP04", "WP05"), (), 0),
        (("WP06",), ("lane-a",), 1),
    ]


def test_a_cycle_through_three_lanes_merges_into_one() -> None:
    wps = [
        make_wp("WP01", ("a", "z")),
        make_wp("WP02", ("b",), deps=("WP01",)),
        make_wp("WP03", ("c",), deps=("WP02",)),
        make_wp("WP04", ("z",), deps=("WP03",)),
        make_wp("WP05", ("e",)),
    ]
    lanes = compute_lanes(wps)

    assert [(lane.lane_id, lane.wp_ids, lane.depends_on_lanes) for lane in lanes] == [
        ("lane-a", ("WP01", "WP02", "WP03", "WP04"), ()),
        ("lane-b", ("WP05",), ()),
    ]


def test_dependencies_through_planning_wps_reach_the_code_lanes() -> None:
    wps = [
        make_wp("WP01", ("src/a.py",)),
        make_wp("WP02", ("docs/plan.md",), deps=("WP01",), mode="planning_artifact"),
        make_wp("WP03", ("docs/more.md",), deps=("WP02",), mode="planning_artifact"),
        make_wp("WP04", ("src/b.py",), deps=("WP03",)),
    ]
    lanes = compute_lanes(wps)

    assert [(lane.wp_ids, lane.depends_on_lanes, lane.parallel_group) for lane in lanes] == [
        (("WP01",), (), 0),
        (("WP04",), ("lane-a",), 1),
    ]


def test_parallel_group_is_one_more_than_the_deepest_dependency() -> None:
    wps = [
        make_wp("WP01", ("a",)),
        make_wp("WP02", ("b",), deps=("WP01",)),
        make_wp("WP03", ("c",), deps=("WP02",)),
        make_wp("WP04", ("d",), deps=("WP01", "WP03")),
        make_wp("WP05", ("e",), deps=("WP01",)),
    ]

    assert [(lane.depends_on_lanes, lane.parallel_group) for lane in compute_lanes(wps)] == [
        ((), 0),
        (("lane-a",), 1),
        (("lane-b",), 2),
        (("lane-a", "lane-c"), 3),
        (("lane-a",), 1),
    ]


def test_lane_ids_go_on_after_z() -> None:
    wps = [make_wp(f"WP{n:02d}", (f"f{n}",)) for n in range(1, 30)]

    ids = [lane.lane_id for lane in compute_lanes(wps)]

    assert ids[:2] == ["lane-a", "lane-b"]
    assert ids[24:] == ["lane-y", "lane-z", "lane-aa", "lane-ab", "lane-ac"]


def test_predicted_surfaces_are_top_level_directories() -> None:
    wps = [make_wp("WP01", ("src/a.py", "README.md", "*/x.py", "docs/", "tests/unit/t.py"))]

    assert compute_lanes(wps)[0].predicted_surfaces == ("docs", "src", "tests")


def test_no_wps_no_lanes() -> None:
    assert compute_lanes([]) == []


@st.composite
def wp_graphs(draw: st.DrawFn) -> list[WorkPackageSpec]:
    """WPs in file order with acyclic dependencies (in a random rank order, not file order)."""
    count = draw(st.integers(min_value=0, max_value=9))
    ids = [f"WP{n:02d}" for n in range(1, count + 1)]
    rank = draw(st.permutations(ids))
    pool = ["src/a.py", "src/b.py", "src/*.py", "src/pkg/", "src/pkg/m.py", "tests/t.py", "docs/d"]
    wps = []
    for wp_id in ids:
        earlier = rank[: rank.index(wp_id)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        owned = draw(st.lists(st.sampled_from(pool), unique=True, max_size=2))
        planning = draw(st.booleans()) and draw(st.booleans())
        mode = "planning_artifact" if planning else "code_change"
        wps.append(make_wp(wp_id, tuple(owned), tuple(deps), mode))
    return wps


def _reaches(lanes: list[LanePlan], start: str) -> set[str]:
    by_id = {lane.lane_id: lane for lane in lanes}
    found: set[str] = set()
    pending = list(by_id[start].depends_on_lanes)
    while pending:
        lane_id = pending.pop()
        if lane_id not in found:
            found.add(lane_id)
            pending.extend(by_id[lane_id].depends_on_lanes)
    return found


@settings(max_examples=300, deadline=None)
@given(wp_graphs())
def test_lane_properties(wps: list[WorkPackageSpec]) -> None:
    lanes = compute_lanes(wps)
    lane_of = {wp_id: lane.lane_id for lane in lanes for wp_id in lane.wp_ids}
    code = [wp for wp in wps if wp.execution_mode == "code_change"]

    # Every code WP in exactly one lane, no planning WP in any; lanes lettered in order.
    assert sorted(wp_id for lane in lanes for wp_id in lane.wp_ids) == sorted(
        wp.wp_id for wp in code
    )
    assert [lane.lane_id for lane in lanes] == [f"lane-{chr(97 + n)}" for n in range(len(lanes))]
    order = [wp.wp_id for wp in wps]
    for lane in lanes:
        assert list(lane.wp_ids) == sorted(lane.wp_ids, key=order.index)
        assert lane.lane_id not in lane.depends_on_lanes
        assert list(lane.depends_on_lanes) == sorted(set(lane.depends_on_lanes))
        # Acyclic, and the parallel group is the longest dependency path.
        assert lane.lane_id not in _reaches(lanes, lane.lane_id)
        groups = {other.lane_id: other.parallel_group for other in lanes}
        expected = (
            1 + max(groups[dep] for dep in lane.depends_on_lanes) if lane.depends_on_lanes else 0
        )
        assert lane.parallel_group == expected
    firsts = [order.index(lane.wp_ids[0]) for lane in lanes]
    assert firsts == sorted(firsts)
    # Overlapping WPs share a lane; a direct code dependency is in the lane or before it.
    for left in code:
        for right in code:
            if any(paths_overlap(a, b) for a in left.owned_files for b in right.owned_files):
                assert lane_of[left.wp_id] == lane_of[right.wp_id]
            if right.wp_id in left.dependencies and lane_of[left.wp_id] != lane_of[right.wp_id]:
                assert lane_of[right.wp_id] in _reaches(lanes, lane_of[left.wp_id])
    # Deterministic, and the same for a copy.
    assert compute_lanes(list(wps)) == lanes


# -- WP files -----------------------------------------------------------------------------------


def test_render_wp_file_exact_text() -> None:
    wp = parse_tasks_md(REALISTIC)[0]

    text = render_wp_file(
        wp, base_branch="main", base_commit=None, created_at="2026-03-31T14:02:05+00:00"
    )

    assert text == (
        "---\n"
        "work_package_id: WP01\n"
        "title: 'Core model (Priority: P1)'\n"
        "dependencies: []\n"
        "requirement_refs:\n"
        "- FR-001\n"
        "- FR-002\n"
        "- C-001\n"
        "subtasks:\n"
        "- T001\n"
        "- T002\n"
        "owned_files:\n"
        "- src/board/model.py\n"
        "- tests/test_model.py\n"
        "execution_mode: code_change\n"
        "base_branch: main\n"
        "base_commit: null\n"
        "created_at: '2026-03-31T14:02:05+00:00'\n"
        "---\n"
        "\n" + wp.body + "\n"
    )


def test_render_then_read_gives_back_every_field_and_no_lane() -> None:
    wps = parse_tasks_md(REALISTIC)
    for wp in wps:
        text = render_wp_file(
            wp, base_branch="kitty/mission-x", base_commit="ab" * 20, created_at="2026-01-02"
        )
        front = read_front_matter(text, source=wp.filename)

        assert front == {
            "work_package_id": wp.wp_id,
            "title": wp.title,
            "dependencies": list(wp.dependencies),
            "requirement_refs": list(wp.requirement_refs),
            "subtasks": [subtask.id for subtask in wp.subtasks],
            "owned_files": list(wp.owned_files),
            "execution_mode": wp.execution_mode,
            "base_branch": "kitty/mission-x",
            "base_commit": "ab" * 20,
            "created_at": "2026-01-02",
        }
        assert "lane" not in front
        assert wp_title(text) == wp.title
        assert text.endswith("\n\n" + wp.body + "\n")


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(),
    refs=st.lists(st.text(), max_size=3),
    owned=st.lists(st.text(), max_size=3),
    base_branch=st.text(),
    base_commit=st.none() | st.text(),
    created_at=st.text(),
    body_tail=st.text(),
)
def test_render_read_round_trip_for_any_text(
    title: str,
    refs: list[str],
    owned: list[str],
    base_branch: str,
    base_commit: str | None,
    created_at: str,
    body_tail: str,
) -> None:
    # Any text at all, even line breaks, NEL and "---" lines, survives the front matter.
    wp = replace(
        make_wp("WP01"),
        title=title,
        requirement_refs=tuple(refs),
        owned_files=tuple(owned),
        body="## WP01: x\n---\n" + body_tail,
    )
    text = render_wp_file(
        wp, base_branch=base_branch, base_commit=base_commit, created_at=created_at
    )
    front = read_front_matter(text, source="WP01-x.md")

    assert front["title"] == title
    assert front["requirement_refs"] == refs
    assert front["owned_files"] == owned
    assert (front["base_branch"], front["base_commit"], front["created_at"]) == (
        base_branch,
        base_commit,
        created_at,
    )
    assert wp_title(text) == (title or None)


@pytest.mark.parametrize(
    "title",
    [
        'it\'s: "quoted"',
        "yes",
        "null",
        "123",
        "- dash",
        "# hash",
        "a #b",
        "Ünï — 🚀",
        "'",
        '"',
        "x" * 200,
    ],
)
def test_tricky_titles_round_trip(title: str) -> None:
    wp = replace(make_wp("WP01"), title=title)
    text = render_wp_file(wp, base_branch="main", base_commit=None, created_at="now")

    assert read_front_matter(text, source="f.md")["title"] == title
    assert wp_title(text) == title
    # Never folded over two lines, whatever its length.
    assert sum(line.startswith("title:") for line in text.split("\n")) == 1


def test_read_front_matter_without_a_block_is_empty() -> None:
    assert read_front_matter("# WP01\n\nno front matter\n", source="WP01-x.md") == {}
    assert read_front_matter("", source="WP01-x.md") == {}
    assert read_front_matter("---\n---\nbody\n", source="WP01-x.md") == {}
    assert read_front_matter("\ufeff---\ntitle: A\n---\n", source="WP01-x.md") == {"title": "A"}


def test_broken_yaml_names_file_line_and_column() -> None:
    text = "---\nwork_package_id: WP01\ntitle: [unclosed\n---\nbody\n"
    with pytest.raises(TasksError) as caught:
        read_front_matter(text, source="tasks/WP01-x.md")

    err = caught.value
    assert err.code == "WP_FILE_INVALID"
    assert err.message.startswith("tasks/WP01-x.md:3:17: front matter is not valid YAML: ")
    assert err.next_step == "fix the front matter of tasks/WP01-x.md"


def test_a_bad_mapping_value_points_at_its_line() -> None:
    text = "---\na: 1\nb: 2\n  c: 3\n---\n"
    with pytest.raises(TasksError) as caught:
        read_front_matter(text, source="WP02-y.md")

    assert caught.value.code == "WP_FILE_INVALID"
    assert caught.value.message.startswith("WP02-y.md:4:4: front matter is not valid YAML: ")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "created_at: 2024-13-45",
            "WP01-x.md:2: front matter is not valid YAML: month must be in 1..12",
        ),
        (
            "a: 1\ntitle: ok \x01",
            "WP01-x.md:3:11: front matter is not valid YAML: unacceptable character #x0001",
        ),
        (
            "x: " + "[" * 3000,
            "WP01-x.md:2: front matter is not valid YAML: maximum recursion depth exceeded",
        ),
    ],
)
def test_front_matter_that_yaml_cannot_construct(block: str, message: str) -> None:
    with pytest.raises(TasksError) as caught:
        read_front_matter(f"---\n{block}\n---\n", source="WP01-x.md")

    assert caught.value.code == "WP_FILE_INVALID"
    assert caught.value.message.startswith(message)
    assert wp_title(f"---\n{block}\ntitle: A: B\n---\n") is None


@pytest.mark.parametrize("block", ["- a\n- b", "just text", "42", "1: one"])
def test_front_matter_that_is_not_a_mapping_of_names(block: str) -> None:
    with pytest.raises(TasksError) as caught:
        read_front_matter(f"---\n{block}\n---\n", source="WP01-x.md")

    assert caught.value.code == "WP_FILE_INVALID"
    assert caught.value.message == "WP01-x.md:2: front matter is not a mapping of names to values"


def test_unclosed_front_matter() -> None:
    with pytest.raises(TasksError) as caught:
        read_front_matter("---\ntitle: A\nbody\n", source="WP01-x.md")

    assert caught.value.code == "WP_FILE_INVALID"
    assert caught.value.message.startswith("WP01-x.md:1: ")
    assert "never closed" in caught.value.message


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("---\ntitle: Core model\n---\n", "Core model"),
        ("---\nwork_package_id: WP01\ntitle: Core model   \nx: 1\n---\n", "Core model"),
        ("---\ntitle: 'It''s: done'\n---\n", "It's: done"),
        ('---\ntitle: "Tab\\there"\n---\n', "Tab\there"),
        ("---\ntitle: >-\n  Folded\n  title\n---\n", "Folded title"),
        ("---\ntitle: Long\n  continued\n---\n", "Long continued"),
        ("---\n{title: Flow}\n---\n", "Flow"),
        ("---\ntitle: A\ntitle: B\n---\n", "B"),
        ("---\ntitle: yes\n---\n", None),
        ("---\ntitle: 12\n---\n", None),
        ("---\ntitle:\n---\n", None),
        ("---\ntitle: ''\n---\n", None),
        ("---\nname: x\n---\n", None),
        ("---\ntitle: [broken\n---\n", None),
        ("---\ntitle: Unclosed\n", None),
        ("title: Not front matter\n", None),
        ("", None),
    ],
)
def test_wp_title(text: str, title: str | None) -> None:
    assert wp_title(text) == title


@settings(max_examples=500, deadline=None)
@given(st.text().filter(lambda value: "\n" not in value and "\r" not in value))
def test_wp_title_fast_path_agrees_with_yaml(value: str) -> None:
    text = f"---\nwork_package_id: WP01\ntitle: {value}\nexecution_mode: code_change\n---\nbody\n"
    try:
        # The block is lines 2-4 (a title of "---" is not a closing line).
        loaded = yaml.safe_load("\n".join(text.split("\n")[1:4]))
        expected = loaded.get("title") if isinstance(loaded, dict) else None
    except yaml.YAMLError:
        expected = None

    assert wp_title(text) == (expected if isinstance(expected, str) and expected else None)


@given(st.text(), st.booleans())
def test_wp_title_never_raises(text: str, wrapped: bool) -> None:
    result = wp_title(f"---\n{text}\n---\n" if wrapped else text)

    assert result is None or isinstance(result, str)
