"""The cache of project.yaml's loaded form (DIR/.xlflow-cache/project.json): the same
file as last time is rebuilt from the cache, equal field by field to a parse; anything
else about the cache (edited project.yaml, a damaged, foreign or hostile cache file, a
folder that cannot be written) falls back to the parse and changes nothing."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from array import array
from pathlib import Path
from typing import Any

import pytest

from xlflow import _files, _project_cache, _yaml, api
from xlflow.errors import ProjectError
from xlflow.project import PROJECT_FILE, Project, load_project
from xlflow.signing import KEY_FILE, new_key, write_key
from xlflow.spec import load_template
from xlflow.workspace import Workspace

EXTRA = """pools:
  - {kind: 设备, item: 测试服务器, quantity: 6, unit: 台}
  - {kind: 预算, quantity: 7, unit: 万元}
consensus:
  date: 2024-06-28
  attendees: [张伟, 李娜, 刘强]
  feasibility: 可行
  risks: 推广渠道不确定、开发排期紧
  conclusion: 同意立项
spec_overrides:
  risks:
    columns:
      status: {values: [待处理, 处理中, 已解决]}
    add_columns:
      - {key: budget_impact, zh: 预算影响, type: number, min: 0}
    title_en: Risks
"""


@pytest.fixture
def rich(project_dir: Path) -> Path:
    """The example with every kind of value the cache stores: pools, a consensus, spec
    overrides, holidays, equipment, budgets, resources with dates and kinds."""
    path = project_dir / PROJECT_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace("capacity: 5}", "capacity: 5, budget: 20000, equipment: {测试服务器: 4, "
                        "\"07\": 1.5}}")
    text = text.replace("{department: 市场部, item: 推广预算, quantity: 50000, unit: 元}",
                        "{department: 市场部, item: 推广预算, quantity: 5, unit: 万元, "
                        "start: 2024-07-08, end: 2024-07-31, kind: 预算}\n"
                        "  - {department: 技术部, item: 测试服务器, quantity: 3, unit: 台}")
    text = text.replace("  workdays: false ", "  holidays: [2024-07-04]\n"
                        "  extra_workdays: [2024-07-06]\n  workdays: true ")
    text = text.replace("owner: 吴昊, milestone: M2, after: T05}",
                        "owner: 吴昊, milestone: M2, after: T05, cancelled: 2024-07-08}")
    path.write_text(text + EXTRA, encoding="utf-8")
    shutil.rmtree(project_dir / _project_cache.CACHE_DIR)  # the example's, from filing it
    return project_dir


def cache_of(root: Path) -> Path:
    return root / _project_cache.CACHE_DIR / _project_cache.CACHE_FILE


class Parses:
    """Counts how often project.yaml goes through the YAML parser."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = _yaml.load

        def counting(text: str, path: Path | str) -> Any:
            if Path(path).name == PROJECT_FILE:
                self.count += 1
            return real(text, path)

        monkeypatch.setattr(_yaml, "load", counting)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Parses:
    return Parses(monkeypatch)


def cold(root: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A load that neither reads nor writes the cache."""
    with monkeypatch.context() as m:
        m.setattr(_project_cache, "read", lambda *a, **k: None)
        m.setattr(_project_cache, "write", lambda *a, **k: None)
        return load_project(root)


def same(a: Any, b: Any, where: str = "project") -> None:
    """Equal and of the same type all the way down, fields that do not take part in
    == (a resource's line) and the line numbers a YAML tree keeps included."""
    assert type(a) is type(b), where
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        if isinstance(a, _yaml.LineDict):
            assert (a.line, a.key_lines, a.raw) == (b.line, b.key_lines, b.raw), where
            assert type(a._lines) is type(b._lines), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        if isinstance(a, _yaml.LineList):
            assert (a.line, list(a.item_lines)) == (b.line, list(b.item_lines)), where
            assert isinstance(a.item_lines, array) == isinstance(b.item_lines, array), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_the_same_file_is_rebuilt_from_the_cache_equal_field_by_field(
        rich: Path, parses: Parses, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = cold(rich, monkeypatch)
    assert expected.pools and expected.consensus.attendees and expected.spec_overrides
    assert any(t.after for t in expected.tasks) and expected.settings.holidays
    assert expected.cancelled_tasks
    assert not cache_of(rich).exists()
    first = load_project(rich)  # parses, then keeps it
    assert parses.count == 2 and cache_of(rich).is_file()
    warm = load_project(rich)
    assert parses.count == 2  # not parsed again
    same(warm, expected)
    same(first, expected)
    assert warm == expected and warm.specs() == expected.specs()
    assert isinstance(warm.spec_overrides, _yaml.LineDict)
    assert warm.root == rich


def test_one_byte_edited_is_parsed_again(project_dir: Path, parses: Parses,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    load_project(project_dir)
    before = cache_of(project_dir).read_bytes()
    path = project_dir / PROJECT_FILE
    path.write_bytes(path.read_bytes().replace(b"owner: \xe8\xb5\xb5\xe6\x95\x8f",  # 赵敏
                                               b"owner: \xe8\xb5\xb5\xe6\x95\x8e"))  # 赵敎
    parses.count = 0
    edited = load_project(project_dir)
    assert parses.count == 1
    assert edited.task_map["T04"].owner == "赵敎"
    same(edited, cold(project_dir, monkeypatch))
    assert cache_of(project_dir).read_bytes() != before  # kept for the edited file
    parses.count = 0
    same(load_project(project_dir), edited)
    assert parses.count == 0


def _forged(root: Path, body: bytes, texts: bytes, sep: str = "\x00") -> bytes:
    """A cache file that carries the project's own signature: only the decoding's
    checks stand between it and the result."""
    header = json.loads(cache_of(root).read_bytes().partition(b"\n")[0])
    key = _project_cache._cache_key(root)
    assert key is not None
    header["sep"] = sep
    header["mac"] = _project_cache._mac(key, header["tag"], header["sha256"], body, texts)
    return json.dumps(header).encode() + b"\n" + body + b"\n" + texts


def _damaged(root: Path, how: str) -> bytes:
    blob = cache_of(root).read_bytes()
    head, _, rest = blob.partition(b"\n")
    body, _, texts = rest.partition(b"\n")
    header = json.loads(head)
    doc = json.loads(body)
    sep = header["sep"]
    if how == "empty":
        return b""
    if how == "garbage":
        return b"\x00\xff not json at all \n\n{"
    if how == "truncated":
        return blob[: len(blob) // 2]
    if how == "header only":
        return head + b"\n"
    if how == "another version":
        header["tag"] = "0.0.1;1;x;y"
        return json.dumps(header).encode() + b"\n" + body + b"\n" + texts
    if how == "another project.yaml":
        header["sha256"] = "0" * 64
        return json.dumps(header).encode() + b"\n" + body + b"\n" + texts
    if how == "unsigned edit":  # a task's owner changed, the signature left as it was
        return head + b"\n" + body + b"\n" + texts.replace("赵敏".encode(), "黑客".encode())
    if how == "pickle":
        return pickle.dumps({"tasks": []})
    # signed with the project's key, but of the wrong shape or types
    tasks = doc[_field_index("tasks")]
    if how == "wrong types":
        tasks["c"][0] = {"o": "0", "k": 1, "i": None}
    elif how == "dates as text":
        tasks["c"][_task_field("due")] = ["2024-07-05"] * tasks["n"]
    elif how == "date out of range":
        tasks["c"][_task_field("due")] = [10**9] * tasks["n"]
    elif how == "string index negative":
        doc[_field_index("id")] = -1
    elif how == "string index past the end":
        doc[_field_index("id")] = 10**6
    elif how == "a column short":
        tasks["n"] += 1
    elif how == "bool for int":
        doc[_field_index("settings")][0] = True
    elif how == "unknown enum":
        doc[_field_index("resources")]["c"][-1] = ["不存在"] * 3
    elif how == "deep nesting":
        return _forged(root, b"[" * 100_000 + b"]" * 100_000, texts, sep)
    elif how == "tree of the wrong shape":
        doc[_field_index("spec_overrides")] = {"m": [1], "v": [], "n": 1, "l": None, "r": None}
    elif how == "object for list":
        doc = {"s": [], "p": doc}
    else:
        raise AssertionError(how)
    return _forged(root, json.dumps(doc, ensure_ascii=False).encode(), texts, sep)


def _field_index(name: str) -> int:
    names = [f.name for f in dataclasses.fields(Project) if f.name != "root"]
    return names.index(name)


def _task_field(name: str) -> int:
    from xlflow.project import Task

    return [f.name for f in dataclasses.fields(Task)].index(name)


DAMAGES = ["empty", "garbage", "truncated", "header only", "another version",
           "another project.yaml", "unsigned edit", "pickle", "wrong types", "dates as text",
           "date out of range", "string index negative", "string index past the end",
           "a column short", "bool for int", "unknown enum", "deep nesting",
           "tree of the wrong shape", "object for list"]


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_foreign_or_hostile_cache_is_ignored_and_replaced(
        rich: Path, how: str, parses: Parses, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = cold(rich, monkeypatch)
    load_project(rich)
    good = cache_of(rich).read_bytes()
    cache_of(rich).write_bytes(_damaged(rich, how))
    parses.count = 0
    got = load_project(rich)
    assert parses.count == 1  # the cache was not used
    same(got, expected)
    assert cache_of(rich).read_bytes() == good  # replaced by a good one
    parses.count = 0
    same(load_project(rich), expected)
    assert parses.count == 0


def test_a_pickle_in_the_cache_is_never_run(project_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path.touch, (marker,))

    cache_of(project_dir).parent.mkdir(exist_ok=True)
    cache_of(project_dir).write_bytes(pickle.dumps(Evil()))
    assert load_project(project_dir).id == "UG-2024Q3"
    assert not marker.exists()


def test_another_projects_cache_is_not_taken(project_dir: Path, tmp_path: Path,
                                             parses: Parses) -> None:
    """Same project.yaml, another folder and key: its cache does not sign for this one."""
    other = tmp_path / "copy"
    api.init_project(other, example=True)
    (other / KEY_FILE).unlink()  # the example's key is public: a real project has its own
    write_key(other / KEY_FILE, new_key())
    shutil.copy(project_dir / PROJECT_FILE, other / PROJECT_FILE)
    load_project(other)
    cache_of(project_dir).parent.mkdir(exist_ok=True)
    shutil.copy(cache_of(other), cache_of(project_dir))
    parses.count = 0
    load_project(project_dir)
    assert parses.count == 1


def test_without_a_key_nothing_is_cached(project_dir: Path, parses: Parses) -> None:
    shutil.rmtree(project_dir / _project_cache.CACHE_DIR)
    (project_dir / KEY_FILE).unlink()
    load_project(project_dir)
    load_project(project_dir)
    assert parses.count == 2 and not cache_of(project_dir).exists()
    (project_dir / KEY_FILE).write_text("not a key\n", encoding="ascii")  # damaged: no cache
    assert load_project(project_dir).id == "UG-2024Q3"
    assert not cache_of(project_dir).exists()


def test_a_folder_that_cannot_be_written_still_loads(project_dir: Path, parses: Parses,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(folder: Path, suffix: str) -> Path:
        raise PermissionError(13, "Permission denied", str(folder))

    shutil.rmtree(project_dir / _project_cache.CACHE_DIR)
    monkeypatch.setattr(_files, "_new_temp", read_only)
    expected = cold(project_dir, monkeypatch)
    parses.count = 0
    for _ in range(2):
        same(load_project(project_dir), expected)
    assert parses.count == 2 and not cache_of(project_dir).exists()
    monkeypatch.undo()
    shutil.rmtree(cache_of(project_dir).parent, ignore_errors=True)
    cache_of(project_dir).parent.write_text("a file where the cache folder goes")
    same(load_project(project_dir), expected)


def test_a_cache_file_held_open_elsewhere_is_left_as_it_is(
        project_dir: Path, monkeypatch: pytest.MonkeyPatch, parses: Parses) -> None:
    """Windows refuses to replace a file another process has open: the load goes on,
    the old cache stays and its temp file is removed."""
    load_project(project_dir)
    old = cache_of(project_dir).read_bytes()
    path = project_dir / PROJECT_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("钱坤", "钱昆"), encoding="utf-8")

    def in_use(src: Any, dst: Any) -> None:
        raise PermissionError(13, "The process cannot access the file", str(dst))

    monkeypatch.setattr(_files, "REPLACE_PAUSE", 0)
    monkeypatch.setattr(_files.os, "replace", in_use)
    assert load_project(project_dir).task_map["T02"].owner == "钱昆"
    assert cache_of(project_dir).read_bytes() == old
    assert [p.name for p in cache_of(project_dir).parent.iterdir()] == [_project_cache.CACHE_FILE]


def test_a_killed_cache_write_leaves_a_temp_that_repair_removes(project_dir: Path) -> None:
    load_project(project_dir)
    stale = cache_of(project_dir).parent / ".xlflow-0a1b2c3d.json.tmp"
    stale.write_bytes(b"half")
    Workspace(project_dir).repair()
    assert not stale.exists() and cache_of(project_dir).is_file()


def test_an_error_names_its_line_whether_or_not_a_cache_exists(
        project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project_dir / PROJECT_FILE
    good = path.read_text(encoding="utf-8")
    load_project(project_dir)  # a cache of the good file
    bad = good.replace("due: 2024-07-14", "due: 2024-13-14")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ProjectError) as warm:
        load_project(project_dir)
    shutil.rmtree(cache_of(project_dir).parent)
    with pytest.raises(ProjectError) as no_cache:
        load_project(project_dir)
    line = next(n for n, t in enumerate(bad.splitlines(), start=1) if "2024-13-14" in t)
    assert str(warm.value) == str(no_cache.value)
    assert f"{path}:{line}: tasks[3].due" in str(warm.value)
    assert not cache_of(project_dir).exists()  # a file with an error is never cached


def test_messages_with_lines_are_the_same_warm_and_cold(
        rich: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`xlflow resources` names project.yaml lines kept in the loaded project."""
    other = tmp_path / "crm"
    api.init_project(other, example=True)
    text = (rich / PROJECT_FILE).read_text(encoding="utf-8").replace("id: UG-2024Q3",
                                                                     "id: CRM-2024")
    (other / PROJECT_FILE).write_text(text.replace("quantity: 3, unit: 台", "quantity: 3, "
                                                   "unit: 套"), encoding="utf-8")

    def messages() -> list[str]:
        result = api.resources([rich, other], out=tmp_path / "r.xlsx")
        return [i.message for i in result.plan.issues]

    for root in (rich, other):
        shutil.rmtree(root / _project_cache.CACHE_DIR, ignore_errors=True)
    first = messages()  # cold: parsed, then kept
    assert all(cache_of(root).is_file() for root in (rich, other))
    assert any("project.yaml:" in m for m in first)
    parses = Parses(monkeypatch)
    assert messages() == first
    assert parses.count == 0


def test_spec_templates_are_parsed_once_per_process_and_again_when_edited(
        tmp_path: Path) -> None:
    from xlflow.spec import builtin_spec_dir

    path = tmp_path / "risks.yaml"
    shutil.copy(builtin_spec_dir() / "risks.yaml", path)
    first = load_template(path)
    assert load_template(path) is first
    text = path.read_text(encoding="utf-8")
    assert "\nblank_rows: 30\n" in text
    path.write_text(text.replace("\nblank_rows: 30\n", "\nblank_rows: 7\n"), encoding="utf-8")
    edited = load_template(path)
    assert edited is not first and edited.blank_rows == 7


def test_a_cache_folder_linked_elsewhere_is_not_written_through(
        project_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(project_dir / _project_cache.CACHE_DIR)
    try:
        (project_dir / _project_cache.CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    except OSError:
        pytest.skip("no symbolic links here")
    assert load_project(project_dir).id == "UG-2024Q3"
    assert list(elsewhere.iterdir()) == []


def test_every_field_of_a_project_is_one_the_cache_stores() -> None:
    """A new project.yaml field of a type the cache has no codec for would turn the cache
    off for everyone, silently: add the type to `_project_cache._codec`."""
    assert _project_cache._layout(Project) is not None
