"""default_state_root: where daemon state lives, derived only from the environment passed in."""

from __future__ import annotations

from pathlib import Path

import pytest

import sync_daemon
from sync_daemon import default_state_root


def test_defaults_to_dot_spec_kitty_under_home(tmp_path: Path) -> None:
    assert default_state_root({"HOME": str(tmp_path)}) == tmp_path / ".spec-kitty"


def test_spec_kitty_home_overrides_home(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home"), "SPEC_KITTY_HOME": str(tmp_path / "state")}

    assert default_state_root(env) == tmp_path / "state"


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_spec_kitty_home_is_ignored(tmp_path: Path, blank: str) -> None:
    env = {"HOME": str(tmp_path), "SPEC_KITTY_HOME": blank}

    assert default_state_root(env) == tmp_path / ".spec-kitty"


@pytest.mark.parametrize(("value", "relative"), [("~", ""), ("~/", ""), ("~/state/sk", "state/sk")])
def test_tilde_in_spec_kitty_home_expands_against_env_home(
    tmp_path: Path, value: str, relative: str
) -> None:
    env = {"HOME": str(tmp_path), "SPEC_KITTY_HOME": value}

    assert default_state_root(env) == tmp_path / relative


def test_userprofile_is_home_when_home_is_unset(tmp_path: Path) -> None:
    assert default_state_root({"USERPROFILE": str(tmp_path)}) == tmp_path / ".spec-kitty"


def test_uses_only_the_mapping_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The process environment says otherwise; the mapping passed in must win.
    monkeypatch.setenv("SPEC_KITTY_HOME", str(tmp_path / "process-env"))

    assert default_state_root({"HOME": str(tmp_path)}) == tmp_path / ".spec-kitty"


def test_creates_nothing(tmp_path: Path) -> None:
    root = default_state_root({"HOME": str(tmp_path)})

    assert not root.exists()
    assert list(tmp_path.iterdir()) == []


def test_public_api() -> None:
    assert {"__version__", "default_state_root", "ensure_running", "reap", "Outbox"} <= set(
        sync_daemon.__all__
    )
    assert all(hasattr(sync_daemon, name) for name in sync_daemon.__all__)
