"""Where the daemons of this machine keep their state."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: Environment variable that moves all spec-kitty machine state (owner records, outbox, locks).
HOME_VARIABLE = "SPEC_KITTY_HOME"
#: Directory under the user's home used when ``SPEC_KITTY_HOME`` is not set.
DEFAULT_DIRNAME = ".spec-kitty"


def default_state_root(env: Mapping[str, str]) -> Path:
    """The directory daemon state lives under, derived from ``env``.

    ``$SPEC_KITTY_HOME`` wins when set to a non-blank value; a leading ``~`` or ``~/`` in it is
    expanded against the home below. Otherwise the result is ``<home>/.spec-kitty``. Home is
    ``$HOME`` (``%USERPROFILE%`` on Windows) from ``env``; only when ``env`` has neither is the
    account's home asked of the OS, which raises :class:`RuntimeError` if it cannot be found.
    Nothing is created on disk.
    """
    override = env.get(HOME_VARIABLE, "").strip()
    if override == "~" or override.startswith(("~/", "~\\")):
        return _home(env) / override[2:]
    if override:
        return Path(override)
    return _home(env) / DEFAULT_DIRNAME


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", "").strip() or env.get("USERPROFILE", "").strip()
    return Path(home) if home else Path.home()
