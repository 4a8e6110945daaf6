"""The YAML memo (``_yaml``): what PyYAML answers, from PyYAML only for an input not seen."""

from __future__ import annotations

import datetime
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spec_kitty_cli import _yaml

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["yes", "no", "on", "~", "1e3", "0x10", "2024-01-01", "a: b", "- x"])
)
DATA = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
OPTIONS = st.fixed_dictionaries(
    {
        "sort_keys": st.booleans(),
        "allow_unicode": st.booleans(),
        "default_flow_style": st.booleans(),
    }
)


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPEC_KITTY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SPEC_KITTY_READ_CACHE", raising=False)
    return tmp_path / "home" / "cache" / "yaml"


def entries(memo: Path) -> list[Path]:
    return sorted(memo.glob("*.m")) if memo.is_dir() else []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=DATA, options=OPTIONS)
def test_dump_then_load_are_pyyaml_s_answers_on_a_miss_and_on_a_hit(
    memo: Path, data: object, options: dict[str, bool]
) -> None:
    text = yaml.safe_dump(data, **options)
    for _ in range(2):  # the first call fills the memo, the second answers from it
        assert _yaml.dump(data, **options) == text
        loaded = _yaml.load(text)
        assert loaded == yaml.safe_load(text)
        assert [type(x) for x in _walk(loaded)] == [type(x) for x in _walk(yaml.safe_load(text))]


def _walk(value: object) -> list[object]:
    """Every node of a loaded document, depth first (to compare types: 1 is not True)."""
    if isinstance(value, dict):
        return [value, *(n for k, v in value.items() for n in (*_walk(k), *_walk(v)))]
    if isinstance(value, list):
        return [value, *(n for item in value for n in _walk(item))]
    return [value]


def test_a_hit_answers_without_importing_pyyaml(memo: Path, tmp_path: Path) -> None:
    text = "sync:\n  enabled: true\n  sink: jsonl\n"
    probe = (
        "import sys\nfrom spec_kitty_cli import _yaml\n"
        f"value = _yaml.load({text!r})\n"
        "print(value, 'yaml' in sys.modules)\n"
    )
    env = {**os.environ, "SPEC_KITTY_HOME": str(tmp_path / "home")}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run() == "{'sync': {'enabled': True, 'sink': 'jsonl'}} True"
    assert run() == "{'sync': {'enabled': True, 'sink': 'jsonl'}} False"
    (entry,) = entries(memo)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(memo.stat().st_mode) == 0o700


def test_a_hit_is_a_copy_the_caller_may_change(memo: Path) -> None:
    first = _yaml.load("items: [a, b]\n")
    first["items"].append("c")
    assert _yaml.load("items: [a, b]\n") == {"items": ["a", "b"]}


def test_a_corrupt_foreign_or_unreadable_entry_is_a_miss(memo: Path) -> None:
    text = "title: widget\n"
    assert _yaml.load(text) == {"title": "widget"}
    (entry,) = entries(memo)
    for content in (b"", b"\x00garbage", b"\xe3\x00\x00\x00", entry.read_bytes()[:-3]):
        entry.write_bytes(content)
        assert _yaml.load(text) == {"title": "widget"}
    # An entry holding another input's answer under this input's name (a CRC collision).
    import marshal

    entry.write_bytes(marshal.dumps((b"another input", {"title": "forged"})))
    assert _yaml.load(text) == {"title": "widget"}
    entry.write_bytes(marshal.dumps(["not", "a", "pair"]))
    assert _yaml.load(text) == {"title": "widget"}


def test_dates_and_failures_are_never_kept(memo: Path) -> None:
    for _ in range(2):
        assert _yaml.load("when: 2024-01-02\n") == {"when": datetime.date(2024, 1, 2)}
        with pytest.raises(_yaml.errors()):
            _yaml.load("key: [unclosed\n")
        with pytest.raises(_yaml.errors()):
            _yaml.load("when: 2024-13-45\n")  # a ValueError from PyYAML's date
    when = {"when": datetime.date(2024, 1, 2)}
    assert _yaml.dump(when) == _yaml.dump(when) == "when: 2024-01-02\n"
    assert entries(memo) == []


def test_deep_nesting_is_pyyaml_s_error_not_a_crash_of_the_memo(memo: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(_yaml.errors()):
        _yaml.load(deep)
    nested: list[object] = []
    for _ in range(3000):  # deeper than marshal goes: PyYAML's answer, just not kept
        nested = [nested]
    assert _yaml.dump({"n": 1}) == "n: 1\n"
    with pytest.raises(RecursionError):
        _yaml.dump(nested)


def test_off_with_the_read_cache(memo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEC_KITTY_READ_CACHE", "0")
    assert _yaml.load("a: 1\n") == {"a": 1}
    assert _yaml.dump({"a": 1}) == "a: 1\n"
    assert not memo.exists()


def test_at_most_max_entries_are_kept(memo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "MAX_ENTRIES", 5)
    for i in range(12):
        assert _yaml.load(f"n: {i}\n") == {"n": i}
    assert len(entries(memo)) == 5


def test_an_unwritable_state_root_only_means_no_memo(
    memo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("SPEC_KITTY_HOME", str(blocker))
    assert _yaml.load("a: [1, 2]\n") == {"a": [1, 2]}
    assert blocker.read_text() == "x"
