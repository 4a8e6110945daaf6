"""The read cache: a read command's answer, replayed while nothing it read has changed.

Agents ask ``status --json``, ``next --json`` and ``--help`` hundreds of times per mission,
and almost every time the answer is the one they got last. :func:`replay` runs first, before
any of our packages (or typer) is imported: it finds the entry for this exact command line
(argv, working directory, interpreter, and the ``GIT_*``/``SPEC_KITTY_*`` environment and
the terminal the output is rendered for), checks the identity of every input the answer was
computed from, and prints the stored bytes only if every one is as it was.

The inputs are observed, not declared: :class:`Recorder` runs the full command once with
an audit hook (``open``, ``os.listdir``, ``os.scandir``, process spawns) and, for the
length of that run, ``os.stat``/``os.lstat`` wrapped (stat has no audit event), so every
file opened (a missing one too), every directory listed and every path stat'ed is an
input, and so is the source of every module outside the standard library that was loaded.
A file's or listed directory's identity is ``(size, mtime_ns, ctime_ns, inode, device)``,
taken when it is opened (before it is read, so a change in between is a miss, never a
stale hit); a path that was only stat'ed keeps what the probe could tell (a regular file:
its size, mtime and inode; a directory: that it is one; a symlink: its target).

Nothing is stored when the command ran another process (what git read is not seen), wrote
a file, wrote to stderr, failed, or read an input changed in the last 50 ms (a same-size
rewrite within the file system's timestamp tick could not be told apart). The YAML memo
(``_yaml``) is neither an input nor such a write: it answers exactly what PyYAML answers
for texts that are inputs themselves. Entries live
under the state root (``$SPEC_KITTY_HOME``, else ``~/.spec-kitty``) in ``cache/read/``,
never in a repository, 0600 in a 0700 directory; ``SPEC_KITTY_READ_CACHE=0`` turns the cache off and
``SPEC_KITTY_READ_CACHE_TRACE=1`` says on stderr what it did.

Only the standard library's built-in modules are imported here: the point is to answer
before the rest of Python's start-up.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time

TYPE_CHECKING = False  # typing costs more to import than a cache hit takes
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

FORMAT = 1
#: An input modified this recently may change again within its timestamp: not stored.
RACY_NS = 50_000_000
#: Entries kept at most; the oldest go first.
MAX_ENTRIES = 512
_ENV_PREFIXES = ("GIT_", "SPEC_KITTY_")
_ENV_NAMES = ("HOME", "USER", "LOGNAME", "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR",
              "FORCE_COLOR", "LANG", "LC_ALL", "LC_CTYPE")  # fmt: skip
_OFF, _TRACE = "SPEC_KITTY_READ_CACHE", "SPEC_KITTY_READ_CACHE_TRACE"
_SPAWNS = frozenset({"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

Identity = tuple[int, ...] | tuple[str, ...] | None
#: The real ``os.stat``/``os.lstat`` (a recording run watches the module attributes).
_STAT, _LSTAT = os.stat, os.lstat


def enabled() -> bool:
    return os.environ.get(_OFF, "1") != "0"


def _trace(message: str) -> None:
    if os.environ.get(_TRACE):
        sys.stderr.write(f"read-cache: {message}\n")


def state_root() -> str:
    """``$SPEC_KITTY_HOME``, else ``~/.spec-kitty`` (as sync-daemon's ``default_state_root``)."""
    override = os.environ.get("SPEC_KITTY_HOME", "").strip()
    home = os.environ.get("HOME", "").strip() or os.path.expanduser("~")
    if override == "~" or override.startswith("~/"):
        return os.path.join(home, override[2:])
    return override or os.path.join(home, ".spec-kitty")


def _terminal() -> tuple[bool, int | None]:
    tty = sys.stdout.isatty()
    if not tty:
        return False, None
    try:
        return True, os.get_terminal_size(sys.stdout.fileno()).columns
    except OSError:
        return True, None


def key_of(argv: Sequence[str]) -> str:
    """Everything besides the inputs that decides what the command line prints."""
    env = sorted(
        (name, value)
        for name, value in os.environ.items()
        if (name.startswith(_ENV_PREFIXES) and name not in (_OFF, _TRACE)) or name in _ENV_NAMES
    )
    return repr((FORMAT, sys.version, sys.executable, os.getcwd(), tuple(argv), env, _terminal()))


def _entry_path(key: str) -> str:
    import binascii

    digest = binascii.crc32(key.encode("utf-8", "surrogateescape"))
    return os.path.join(state_root(), "cache", "read", f"{digest:08x}.m")


def identity(kind: str, path: str) -> Identity:
    """What is compared of ``path``: ``f`` an opened file or listed directory (all of it),
    ``s``/``l`` a path stat'ed (following symlinks, or not): its type, and for a regular
    file its size and times, for a symlink its target."""
    try:
        st = _STAT(path) if kind != "l" else _LSTAT(path)
    except (OSError, ValueError):
        return None
    if kind == "f":
        return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    if stat.S_ISREG(st.st_mode):
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    if stat.S_ISLNK(st.st_mode):
        try:
            return ("link", os.readlink(path))
        except OSError:
            return ("link",)
    return (stat.filemode(st.st_mode)[0],)


def replay(argv: Sequence[str]) -> bool:
    """Print the stored answer of ``argv`` if it is still the answer; True when printed."""
    key = key_of(argv)
    path = _entry_path(key)
    try:
        with open(path, "rb") as handle:
            stored_key, inputs, output = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        _trace("miss (no entry)")
        return False
    if stored_key != key:
        _trace("miss (another command line)")
        return False
    for kind, name, known in inputs:
        if identity(kind, name) != known:
            _trace(f"miss ({name} changed)")
            return False
    sys.stdout.buffer.write(output)
    sys.stdout.flush()
    _trace(f"hit ({len(inputs)} inputs)")
    return True


class _Tee:
    """A stream that writes through and keeps, as bytes, what was written to it (text, or
    bytes to it or to its ``buffer``)."""

    def __init__(self, stream: Any, parts: list[bytes] | None = None) -> None:
        self.stream = stream
        self.parts: list[bytes] = [] if parts is None else parts
        self._encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, data: str | bytes) -> int:
        raw = data if isinstance(data, bytes) else data.encode(self._encoding, "surrogateescape")
        self.parts.append(raw)
        return int(self.stream.write(data))

    @property
    def buffer(self) -> _Tee:
        return _Tee(self.stream.buffer, self.parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class Recorder:
    """Runs a command once, watching what it reads; stores its answer when that is safe."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.inputs: dict[tuple[str, str], Identity] = {}
        self.unsafe: str | None = None
        self.on = False
        #: Our caches (the YAML memo of ``_yaml``, a pure function of texts that are inputs
        #: themselves): neither inputs nor writes that make the answer unsafe to keep; nor is
        #: the state root's existence, which making their folder may probe.
        self.root = state_root()
        self.caches = os.path.join(self.root, "cache")

    def run(self, command: Callable[[], int]) -> int:
        """``command()`` (its exit code), recorded; the entry is stored if it may be."""
        key = key_of(self.argv)
        out, err = _Tee(sys.stdout), _Tee(sys.stderr)
        sys.addaudithook(self._audit)
        os.stat, os.lstat = self._stat(_STAT, "s"), self._stat(_LSTAT, "l")
        sys.stdout, sys.stderr = out, err
        self.on = True
        try:
            code = command()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            self.on = False
            sys.stdout, sys.stderr = out.stream, err.stream
            os.stat, os.lstat = _STAT, _LSTAT
        sys.stdout.flush()
        if code != 0:
            self.unsafe = f"exit {code}"
        elif err.parts:
            self.unsafe = "it wrote to stderr"
        self._store(key, b"".join(out.parts))
        return code

    def _name(self, path: object, kind: str = "f") -> str | None:
        """``path`` made absolute; None for a descriptor, module files and our caches."""
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        elif not isinstance(path, str):
            path = os.fspath(path) if hasattr(path, "__fspath__") else None
        if not isinstance(path, str) or path.endswith((".pyc", ".py", ".so", ".pth")):
            return None
        name = os.path.abspath(path)
        if name == self.caches or name.startswith(self.caches + os.sep):
            return None
        return None if name == self.root and kind != "f" else name

    def _input(self, kind: str, path: object) -> None:
        name = self._name(path, kind)
        if name is not None and (kind, name) not in self.inputs and ("f", name) not in self.inputs:
            self.inputs[(kind, name)] = identity(kind, name)

    def _cache_file(self, path: object) -> bool:
        name = os.path.abspath(os.fsdecode(path)) if isinstance(path, str | bytes) else None
        return name is not None and name.startswith(self.caches + os.sep)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event == "open":
            path, mode, flags = args
            writing = (
                any(c in mode for c in "wax+") if isinstance(mode, str) else flags & _WRITE_FLAGS
            )
            if isinstance(path, int) or (writing and self._cache_file(path)):
                return  # a descriptor; a cache's own file
            if writing:
                self.unsafe = self.unsafe or f"it wrote {path}"
            else:
                self._input("f", path)
        elif event in ("os.listdir", "os.scandir"):
            path = args[0] if args and args[0] is not None else "."
            if not isinstance(path, int):
                self._input("f", path)
        elif event in _SPAWNS:
            self.unsafe = self.unsafe or f"it ran a process ({event})"

    def _stat(self, real: Callable[..., os.stat_result], kind: str) -> Callable[..., Any]:
        def probe(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if self.on and not isinstance(path, int) and not args:
                follow = kwargs.get("follow_symlinks", True)
                self._input(kind if follow else "l", path)
            return real(path, *args, **kwargs)

        return probe

    def _store(self, key: str, output: bytes) -> None:
        # The source of every module outside the standard library (which the key's
        # interpreter version pins): ours, and what renders the answer.
        stdlib = os.path.dirname(os.__file__)
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if not isinstance(source, str):
                continue
            third_party = "site-packages" in source or "dist-packages" in source
            if third_party or not source.startswith(stdlib):
                self.inputs.setdefault(("f", source), identity("f", source))
        now = time.time_ns()
        for (kind, name), known in self.inputs.items():
            if self.unsafe:
                break
            if identity(kind, name) != known:
                self.unsafe = f"{name} changed while it was read"
            elif known is not None and len(known) >= 3 and now - int(known[1]) < RACY_NS:
                self.unsafe = f"{name} changed {(now - int(known[1])) // 1_000_000} ms ago"
        if self.unsafe:
            _trace(f"not stored: {self.unsafe}")
            return
        path = _entry_path(key)
        inputs = [(kind, name, known) for (kind, name), known in self.inputs.items()]
        from pathlib import Path

        from mission_status import write_atomic

        try:
            folder = os.path.dirname(path)
            os.makedirs(folder, mode=0o700, exist_ok=True)
            write_atomic(Path(path), marshal.dumps((key, inputs, output)), new_mode=0o600)
            prune(folder, MAX_ENTRIES)
        except OSError as err:
            _trace(f"not stored: {err}")
            return
        _trace(f"stored ({len(inputs)} inputs)")


def prune(folder: str, keep: int) -> None:
    """Keep the newest ``keep`` entries (``*.m``) of ``folder``."""
    import contextlib

    names = [name for name in os.listdir(folder) if name.endswith(".m")]
    if len(names) <= keep:
        return
    paths = sorted((os.path.join(folder, name) for name in names), key=os.path.getmtime)
    for old in paths[: len(paths) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(old)
