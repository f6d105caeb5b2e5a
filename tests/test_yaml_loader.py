"""project.yaml's loader builds its tree straight from libyaml's events: the values are
yaml.safe_load's, and the lines and the raw text of typed values are those of the
node-graph loader it replaced (kept as the path for anchors, tags and errors)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from xlflow import _yaml
from xlflow.errors import ProjectError
from xlflow.project import load_project

PLAIN = ["yes", "No", "on", "OFF", "true", "0755", "0o17", "0x1F", "1_000", "-12", "+3", "1:20",
         "3.5", "1e3", ".inf", "-.Inf", "2024-07-01", "2024-7-1", "2024-07-01 10:00:00",
         "2024-07-01T10:00:00Z", "2024-13-12", "~", "null", "", "T0001", "研发部", "hello world",
         "0", "007", "2024", "-x", "=x", "<<x"]
QUOTED = ['"123"', "'yes'", '"2024-07-01"', '"line\\nbreak"', "''", '"研发\\t部"', "'a: b'"]
KEYS = ["id", "name", "due", "yes", "1", "2024-01-01", "~", "研发", '"1"', "'due'", "3.5",
        "start", "after", "raw", "line"]


class _Model(yaml.SafeLoader):
    """The independent model: PyYAML's pure-Python parser with safe_load's rules, and
    an impossible date kept as text as the loader promises."""


def _timestamp(loader: _Model, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Model.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _value(rng: random.Random, flow: bool = False) -> str:
    return rng.choice(PLAIN + QUOTED) or ("''" if flow else "")


def _keys(rng: random.Random) -> list[str]:
    """Distinct keys: distinct as YAML reads them and Python compares them (yes is
    true, and true == 1)."""
    seen: set[Any] = set()
    out = []
    for key in rng.sample(KEYS, rng.randint(1, 7)):
        read = next(iter(yaml.safe_load(f"{key}: 0")))
        if read not in seen:
            seen.add(read)
            out.append(key)
    return out


def _block(rng: random.Random, indent: int, depth: int, out: list[str]) -> None:
    """A block mapping at `indent`, appended to out line by line."""
    pad = " " * indent
    for key in _keys(rng):
        kind = rng.random() if depth < 3 else 0.0
        if kind < 0.55:
            out.append(f"{pad}{key}: {_value(rng)}".rstrip())
        elif kind < 0.65:
            flow = ", ".join(f"k{i}: {_value(rng, True)}" for i in range(rng.randint(0, 3)))
            out.append(f"{pad}{key}: {{{flow}}}")
        elif kind < 0.75:
            out.append(f"{pad}{key}: [{', '.join(_value(rng, True) for _ in range(rng.randint(0, 3)))}]")
        elif kind < 0.85:
            out.append(f"{pad}{key}:")
            _block(rng, indent + 2, depth + 1, out)
        else:
            out.append(f"{pad}{key}:")
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.5:
                    out.append(f"{pad}  - {_value(rng)}".rstrip())
                else:  # a mapping as a list item, its first key on the dash's line
                    item: list[str] = []
                    _block(rng, indent + 4, depth + 1, item)
                    out.append(f"{pad}  - {item[0].lstrip()}")
                    out.extend(item[1:])
            if rng.random() < 0.3:
                out.append("")  # a blank line: the next key is not on the next line
                out.append(f"{pad}# a comment")


def _document(seed: int) -> str:
    rng = random.Random(seed)
    lines: list[str] = []
    _block(rng, 0, 0, lines)
    return "\n".join(lines) + "\n"


def _plain(node: Any) -> Any:
    """Values with their types, so 1, 1.0 and True are not equal."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, float):
        return ("float", repr(node))
    return (type(node).__name__, node)


def _same_lines(new: Any, old: Any, where: str = "") -> None:
    assert type(new) is type(old), where
    if isinstance(old, _yaml.LineDict):
        assert new.line == old.line, where
        assert new.key_lines == old.key_lines, where
        for key in old:
            assert new.line_of(str(key)) == old.line_of(str(key)), f"{where}.{key}"
            assert new.raw_of(str(key)) == old.raw_of(str(key)), f"{where}.{key}"
            _same_lines(new[key], old[key], f"{where}.{key}")
        assert new.line_of("no such key") == old.line_of("no such key")
        assert new.raw_of("no such key") is old.raw_of("no such key") is None
    elif isinstance(old, _yaml.LineList):
        assert new.line == old.line, where
        assert list(new.item_lines) == list(old.item_lines), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _same_lines(a, b, f"{where}[{i}]")


@pytest.mark.parametrize("seed", range(300))
def test_events_give_safe_loads_values_and_the_old_lines(seed: int) -> None:
    text = _document(seed)
    new = _yaml._load_events(text)  # the fast path itself: it must not hand over
    old = _yaml._load_nodes(text)
    assert _plain(new) == _plain(yaml.load(text, Loader=_Model)), text
    if "2024-13-12" not in text:
        assert _plain(new) == _plain(yaml.safe_load(text)), text
    _same_lines(new, old)
    assert _plain(_yaml.load(text, "x.yaml")) == _plain(new)


def test_lines_and_raw_text_as_written() -> None:
    text = ("project:\n"            # 1
            "  id: UG-1\n"          # 2
            "  start: 2024-07-01\n"  # 3
            "\n"                    # 4
            "  contact: 0755123\n"  # 5
            "  ok: yes\n"           # 6
            "  bad: 2024-13-12\n"   # 7
            "tasks:\n"              # 8
            "  - {id: T1, due: 2024-07-05, n: 0x1F}\n"  # 9
            "  - id: T2\n"          # 10
            "    after: [T1, 3]\n"  # 11
            "    none:\n")          # 12
    data = _yaml._load_events(text)
    head = data["project"]
    assert (head.line, head.line_of("id"), head.line_of("start"), head.line_of("contact"),
            head.line_of("ok"), head.line_of("bad"), head.line_of("missing")) == (2, 2, 3, 5, 6, 7, 2)
    assert head["start"] == dt.date(2024, 7, 1) and head.raw_of("start") == "2024-07-01"
    assert (head["contact"], head.raw_of("contact")) == (int("755123", 8), "0755123")
    assert (head["ok"], head.raw_of("ok")) == (True, "yes")
    assert (head["bad"], head.raw_of("bad")) == ("2024-13-12", "2024-13-12")  # kept as text
    assert head.raw_of("id") is None
    tasks = data["tasks"]
    assert (tasks.line, list(tasks.item_lines)) == (9, [9, 10])
    assert (tasks[0].line_of("due"), tasks[0]["due"], tasks[0].raw_of("due")) == (
        9, dt.date(2024, 7, 5), "2024-07-05")
    assert (tasks[0].line_of("n"), tasks[0]["n"], tasks[0].raw_of("n")) == (9, 31, "0x1F")
    assert (tasks[1].line_of("after"), tasks[1].line_of("none"), tasks[1].raw_of("none")) == (
        11, 12, "")
    assert tasks[1]["after"] == ["T1", 3] and list(tasks[1]["after"].item_lines) == [11, 11]
    assert data.line_of("tasks") == 8 and data.key_lines == {"project": 1, "tasks": 8}


@pytest.mark.parametrize("text", [
    "a: &x [1, 2]\nb: *x\n",                        # anchors and aliases
    "base: &b {x: 1}\nmine:\n  <<: *b\n  y: 2\n",   # a merge key
    "a: !!str 5\nb: !!float 1\n",                  # explicit tags
    "? [1, 2]\n: x\n",                              # a key that is not a scalar
    "a: 1\na: 2\n",                                 # a duplicate key
    "a: 1\n---\nb: 2\n",                            # two documents
    "a: 1\nb: [\n",                                 # a syntax error
])
def test_the_unusual_goes_the_old_way_with_the_same_result(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def outcome() -> Any:
        try:
            return ("value", _plain(_yaml.load(text, "x.yaml")))
        except Exception as exc:  # whatever it is, it is the same as before
            return ("error", type(exc).__name__, str(exc))

    if "[\n" in text:  # a syntax error: the parser's own, on either path
        with pytest.raises(yaml.MarkedYAMLError):
            _yaml._load_events(text)
    else:
        with pytest.raises(_yaml._Fallback):
            _yaml._load_events(text)
    new = outcome()

    def old_way(_text: str) -> Any:
        raise _yaml._Fallback

    monkeypatch.setattr(_yaml, "_load_events", old_way)
    assert new == outcome()


def _broken_projects() -> list[str]:
    from tests.test_project_checks import BASE
    edits = [
        ("  name: 用户增长活动", "  name: yes"),
        ("  start: 2024-07-01", "  start: 2024-13-01"),
        ("  contact: 0755123456", "  contact: [1, 2]"),
        ("due: 2024-07-12,", "due: 2024-07-12, due: 2024-07-13,"),
        ("due: 2024-07-12,", "duee: 2024-07-12,"),
        ("{id: T02,", "{id: t01,"),
        ("{id: T02,", "{id: 2,"),
        ("  late_window_days: 90", "  late_window_days: 0x7fffffff"),
        ("  late_window_days: 90", "  late_window_days: ~"),
        ("  late_window_days: 90", "  delay_threshold_days: yes"),
        ("owner: 陈杰}", "owner: 陈杰, after: 3}"),
        ("owner: 陈杰}", "owner: 陈杰, after: [T01, T09]}"),
        ("owner: 陈杰}", "owner: 陈杰, after: 2024-01-01}"),
        ("settings:", "resources:\n  - {department: 技术部, item: 工程师, quantity: -0x10}\nsettings:"),
        ("settings:", "departments2: []\nsettings:"),
        ("tasks:\n", "tasks:\n  - just text\n"),
        ("milestones:\n", "milestones:\n  -\n"),
        ("  goals: 新增用户10万", "  goals: [新增用户\n"),
    ]
    return [BASE.replace(old, new, 1) for old, new in edits]


@pytest.mark.parametrize("text", _broken_projects())
def test_errors_name_the_same_lines_as_the_old_loader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    (tmp_path / "project.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as new:
        load_project(tmp_path)

    def old_way(_text: str) -> Any:
        raise _yaml._Fallback

    monkeypatch.setattr(_yaml, "_load_events", old_way)
    with pytest.raises(ProjectError) as old:
        load_project(tmp_path)
    assert str(new.value) == str(old.value)
