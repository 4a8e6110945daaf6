"""YAML parsed and dumped once per distinct input: ``yaml.safe_load`` and ``safe_dump``,
remembered.

Importing PyYAML is a sixth of a write command's time, and almost all the YAML a command
handles is text it handled before: the project's config on every status write, the WP
front matter finalize-tasks wrote and reads back. :func:`load` and :func:`dump` call PyYAML
only for an input not seen yet. An entry holds the whole input (the text; or the marshalled
data and options) beside the result, and is used only when that input is identical, so a
hit returns what PyYAML returned for exactly this input; a CRC of the input only names the
file, and two inputs that share a name just miss. A result marshal cannot hold (a date) is
not kept, and neither is a failure: an error always comes from PyYAML itself.

Entries live under the state root, in ``cache/yaml/`` (0600, the folder 0700, at most
:data:`MAX_ENTRIES`), never in a repository; ``SPEC_KITTY_READ_CACHE=0`` turns this cache
off with the read cache. Any problem with an entry (unreadable, foreign, corrupt) is a miss.
"""

from __future__ import annotations

import binascii
import marshal
import os
from typing import Any

from spec_kitty_cli._readcache import enabled, prune, state_root

FORMAT = 1
MAX_ENTRIES = 1024


def load(text: str) -> Any:
    """``yaml.safe_load(text)``."""
    key = marshal.dumps((FORMAT, "load", text))
    found, value = _lookup(key)
    if found:
        return value
    import yaml

    value = yaml.safe_load(text)
    _keep(key, value)
    return value


def dump(data: Any, **options: Any) -> str:
    """``yaml.safe_dump(data, **options)`` (a set comes out in its hash order, as it does
    from PyYAML)."""
    try:
        key: bytes | None = marshal.dumps((FORMAT, "dump", data, sorted(options.items())))
    except ValueError:  # data marshal cannot hold (a date, an object): PyYAML every time
        key = None
    if key is not None:
        found, value = _lookup(key)
        if found and isinstance(value, str):
            return value
    import yaml

    text: str = yaml.safe_dump(data, **options)
    if key is not None:
        _keep(key, text)
    return text


def errors() -> tuple[type[Exception], ...]:
    """What :func:`load` raises for input that is not YAML we can read: PyYAML's errors, a
    ``ValueError`` (a date such as 2024-13-45) and a ``RecursionError`` (deep nesting). Used
    as ``except errors()``, which is evaluated only when something was raised."""
    import yaml

    return (yaml.YAMLError, ValueError, RecursionError)


def _path(key: bytes) -> str | None:
    if not enabled():
        return None
    name = f"{binascii.crc32(key):08x}-{len(key):x}.m"
    return os.path.join(state_root(), "cache", "yaml", name)


def _lookup(key: bytes) -> tuple[bool, Any]:
    path = _path(key)
    if path is None:
        return False, None
    try:
        with open(path, "rb") as handle:
            stored = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return False, None
    if type(stored) is tuple and len(stored) == 2 and stored[0] == key:
        return True, stored[1]
    return False, None


def _keep(key: bytes, value: Any) -> None:
    path = _path(key)
    if path is None:
        return
    try:
        data = marshal.dumps((key, value))
    except ValueError:  # a date, a recursive structure: not kept
        return
    from pathlib import Path

    from mission_status import write_atomic

    try:
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        write_atomic(Path(path), data, new_mode=0o600)
        prune(folder, MAX_ENTRIES)
    except OSError:
        pass  # only a cache: the next run parses again
