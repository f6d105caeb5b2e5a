"""The plan's baseline and its change control.

At PMO备案 the plan is baselined in the ledger: per task its dates (due, and start when
the task has one), owner and deliverable; per expected result its target. The same
values become the *current plan*. After that a change to any of them goes through
`xlflow change` (recorded as change N, pending) and `xlflow approve --change N` by the
approver: only then does it enter the current plan, and xlflow writes it into
project.yaml itself (one line edited in place, the file replaced atomically, comments
kept). project.yaml is then expected to hold the current plan: a field that differs
(edited behind xlflow's back) stops build, send, merge and run (`plan_differences`).
Other fields (e-mails, capacity, duties, …) stay free to edit.

Tables (CREATE TABLE IF NOT EXISTS, in the project's ledger): `plan_baseline` and
`plan_current` (kind, item id, field, value as text), `plan_changes` and
`plan_change_items`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import _yaml
from .._files import atomic_path
from ..errors import ProjectError, XlflowError
from ..issues import Issue, error
from ..ledger import Ledger
from ..model.vocab import EventKind
from ..project import _OPS, _TARGET, PROJECT_FILE, Project, Target, canonical_id, load_project
from ..workspace import Workspace, now

TASK, RESULT = "task", "result"
#: The fields under change control, with their Chinese names.
TASK_FIELDS = {"start": "开始日期", "due": "时间节点", "owner": "负责人",
               "deliverable": "交付成果"}
RESULT_FIELDS = {"target": "目标值"}
DATE_FIELDS = ("start", "due")
PENDING, APPROVED, REJECTED = "待审批", "已批准", "已驳回"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS plan_baseline (
    kind TEXT NOT NULL, item_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (kind, item_id, field)
);
CREATE TABLE IF NOT EXISTS plan_current (
    kind TEXT NOT NULL, item_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (kind, item_id, field)
);
CREATE TABLE IF NOT EXISTS plan_changes (
    id INTEGER PRIMARY KEY, requested_at TEXT NOT NULL, requested_by TEXT NOT NULL,
    reason TEXT NOT NULL, state TEXT NOT NULL, decided_at TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    filing TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS plan_change_items (
    change_id INTEGER NOT NULL REFERENCES plan_changes(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, item_id TEXT NOT NULL, field TEXT NOT NULL,
    old TEXT NOT NULL, new TEXT NOT NULL
);
"""

Key = tuple[str, str, str]  # (kind, item id, field)


def _minute(at: str) -> str:
    """A recorded ISO time as people read it: local time, to the minute."""
    try:
        when = dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return str(at)
    return (when.astimezone() if when.tzinfo else when).strftime("%Y-%m-%d %H:%M")


def _ensure(ledger: Ledger) -> None:
    ledger.db.executescript(_SCHEMA)


def _has_tables(ledger: Ledger) -> bool:
    return ledger.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                             "name='plan_baseline'").fetchone() is not None


# -- values as text ------------------------------------------------------------------------


def target_text(target: Target) -> str:
    """'>= 100000', '>= 15%': a target as project.yaml writes it (compared as text)."""
    num = int(target.value) if float(target.value).is_integer() else target.value
    return f"{target.op} {num}{'%' if target.percent else ''}"


def parse_target(text: str) -> str:
    """A target given on the command line, in the canonical text; ValueError if it is
    not one."""
    m = _TARGET.match(text)
    value = float(m["num"].replace(",", "")) if m else math.nan
    if not m or not math.isfinite(value):
        raise ValueError(f"{text!r} 不是目标值(应为如 '>= 100000' 或 '>= 15%')")
    return target_text(Target(_OPS.get(m["op"], m["op"]), value, bool(m["pct"])))


def plan_values(project: Project) -> dict[Key, str]:
    """The fields under change control, as they stand in `project`."""
    out: dict[Key, str] = {}
    for t in project.tasks:
        for name in TASK_FIELDS:
            value = getattr(t, name, None)
            if value is None or value == "":
                continue
            out[(TASK, t.id, name)] = value.isoformat() if isinstance(value, dt.date) \
                else str(value)
    for r in project.results:
        out[(RESULT, r.id, "target")] = target_text(r.target)
    return out


def field_label(kind: str, item: str, name: str) -> str:
    what = "任务" if kind == TASK else "预期成果"
    return f"{what} {item} {(TASK_FIELDS if kind == TASK else RESULT_FIELDS).get(name, name)}" \
           f"({name})"


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The plan as filed, and the current plan (the baseline with approved changes)."""

    number: str
    filed_at: str
    values: dict[Key, str]
    current: dict[Key, str]

    def dates(self, name: str = "due", *, current: bool = False) -> dict[str, dt.date]:
        source = self.current if current else self.values
        return {item: dt.date.fromisoformat(v) for (kind, item, f), v in source.items()
                if kind == TASK and f == name}


def _table(ledger: Ledger, name: str) -> dict[Key, str]:
    return {(r[0], r[1], r[2]): r[3] for r in ledger.db.execute(
        f"SELECT kind, item_id, field, value FROM {name}")}


def _meta(ledger: Ledger, key: str) -> str:
    row = ledger.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else ""


def read_baseline(ledger: Ledger | None) -> Baseline | None:
    if ledger is None or not _has_tables(ledger):
        return None
    values = _table(ledger, "plan_baseline")
    if not values:
        return None
    return Baseline(_meta(ledger, "baseline_number"), _meta(ledger, "baseline_at"), values,
                    _table(ledger, "plan_current"))


def load_baseline(ws: Workspace) -> Baseline | None:
    """The project's baseline, or None before PMO备案."""
    with ws.existing_ledger() as ledger:
        return read_baseline(ledger)


def baseline_dates(ws: Workspace) -> dict[str, dt.date] | None:
    """Each task's baseline due date (as filed at PMO备案), or None before filing: what a
    chart draws its baseline bars from. Only those rows are read (the merge asks for
    them; a 100,000-task plan is 800,000 rows in all)."""
    with ws.existing_ledger() as ledger:
        if ledger is None or not _has_tables(ledger):
            return None
        rows = ledger.db.execute("SELECT item_id, value FROM plan_baseline WHERE kind = ? AND "
                                 "field = 'due' ORDER BY rowid", (TASK,)).fetchall()
        if not rows and ledger.db.execute("SELECT 1 FROM plan_baseline").fetchone() is None:
            return None
    return {item: dt.date.fromisoformat(v) for item, v in rows}


def ensure_tables(ledger: Ledger) -> None:
    """The plan tables, before a transaction that writes them."""
    _ensure(ledger)


def record_baseline(ledger: Ledger, project: Project, *, number: str, at: str) -> None:
    """At PMO备案 (inside the caller's transaction, after `ensure_tables`): the plan as it
    stands becomes the baseline and the current plan; a re-filing after a send-back
    baselines anew."""
    rows = [(*k, v) for k, v in sorted(plan_values(project).items())]
    for name in ("plan_baseline", "plan_current"):
        ledger.db.execute(f"DELETE FROM {name}")
        ledger.db.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?)", rows)
    ledger.db.execute("UPDATE plan_changes SET state = ?, note = '重新备案,未生效' "
                      "WHERE state = ?", (REJECTED, PENDING))
    ledger.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                          [("baseline_number", number), ("baseline_at", at)])


# -- project.yaml against the plan ---------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    kind: str
    item: str
    field: str
    baseline: str  # "" when the baseline has no such value
    planned: str  # the current plan (baseline + approved changes)
    file: str  # "" when the file has none (the task was removed)
    pending: int | None = None  # a pending change that would make the plan the file's

    def text(self) -> str:
        base = self.baseline or "无"
        plan = "" if self.planned == self.baseline else f",当前计划 {self.planned or '无'}"
        pending = f"(变更 {self.pending} 待审批)" if self.pending else ""
        return (f"{field_label(self.kind, self.item, self.field)}:基线 {base}{plan},"
                f"project.yaml 中 {self.file or '无(已删除)'}{pending}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "field": self.field,
                "baseline": self.baseline, "planned": self.planned, "file": self.file,
                "pending": self.pending}


def plan_differences(ws: Workspace, project: Project | None = None) -> list[Difference]:
    """Where project.yaml differs from the current plan (baseline + approved changes);
    nothing before filing. A task or result added after filing is not a difference."""
    with ws.existing_ledger() as ledger:
        base = read_baseline(ledger)
        pending = pending_changes(ledger) if base else []
    if base is None:
        return []
    project = project or ws.project(with_events=False)
    have = plan_values(project)
    wanted: dict[tuple[str, str, str, str], int] = {}
    for change in pending:
        for ci in change.items:
            wanted[(ci.kind, ci.item, ci.field, ci.new)] = change.id
    out = []
    for key, planned in sorted(base.current.items(), key=lambda kv: (kv[0][0] != TASK, kv[0])):
        value = have.get(key, "")
        if value != planned:
            kind, item, name = key
            out.append(Difference(kind, item, name, base.values.get(key, ""), planned, value,
                                  wanted.get((kind, item, name, value))))
    return out


def difference_issues(diffs: list[Difference], root: object) -> list[Issue]:
    return [error("plan-edited", d.text(), file=PROJECT_FILE) for d in diffs] if diffs else []


# -- changes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeItem:
    kind: str
    item: str
    field: str
    old: str
    new: str

    def text(self) -> str:
        return f"{field_label(self.kind, self.item, self.field)} {self.old or '无'} → {self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "field": self.field, "old": self.old,
                "new": self.new}


@dataclass
class Change:
    id: int
    requested_at: str
    requested_by: str
    reason: str
    state: str
    decided_at: str = ""
    decided_by: str = ""
    note: str = ""
    items: list[ChangeItem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return ";".join(i.text() for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "requested_at": self.requested_at,
                "requested_by": self.requested_by, "reason": self.reason, "state": self.state,
                "decided_at": self.decided_at, "decided_by": self.decided_by,
                "note": self.note, "items": [i.to_dict() for i in self.items]}


def changes(ledger: Ledger | None) -> list[Change]:
    if ledger is None or not _has_tables(ledger):
        return []
    found = {r[0]: Change(*r) for r in ledger.db.execute(
        "SELECT id, requested_at, requested_by, reason, state, decided_at, decided_by, note "
        "FROM plan_changes ORDER BY id")}
    for r in ledger.db.execute("SELECT change_id, kind, item_id, field, old, new "
                               "FROM plan_change_items ORDER BY rowid"):
        found[r[0]].items.append(ChangeItem(*r[1:]))
    return list(found.values())


def pending_changes(ledger: Ledger | None) -> list[Change]:
    return [c for c in changes(ledger) if c.state == PENDING]


def list_changes(ws: Workspace) -> list[Change]:
    with ws.existing_ledger() as ledger:
        return changes(ledger)


@dataclass(frozen=True)
class ChangeResult:
    """What `xlflow change` and `approve --change` return."""

    change: Change
    recorded: bool = True
    project_file: str = ""  # written when an approved change entered the plan

    @property
    def exit_status(self) -> int:
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change.to_dict(), "recorded": self.recorded,
                "project_file": self.project_file}


def request_change(ws: Workspace, *, by: str, reason: str, task: str | None = None,
                   result: str | None = None, values: dict[str, str],
                   at: dt.datetime | None = None) -> ChangeResult:
    """Record change N (pending): new values for one task's or one result's fields.
    Refused before PMO备案 (edit project.yaml then) and when nothing would change."""
    if not reason.strip():
        raise ProjectError("--reason 不能为空:变更要写明原因")
    if bool(task) == bool(result):
        raise ProjectError("请给出 --task 或 --result 之一(一次变更一个任务或一项预期成果)")
    project = ws.project(with_events=False)
    kind, item = (TASK, canonical_id(task)) if task else (RESULT, canonical_id(result or ""))
    known = project.task_map if kind == TASK else {r.id: r for r in project.results}
    if item not in known:
        listed = "、".join(list(known)[:20])
        raise ProjectError(f"{'--task' if kind == TASK else '--result'} {item}: project.yaml 中"
                           f"没有这个{'任务' if kind == TASK else '预期成果'}(有:{listed})")
    fields = TASK_FIELDS if kind == TASK else RESULT_FIELDS
    clean: dict[str, str] = {}
    for name, raw in values.items():
        if name not in fields:
            raise ProjectError(f"--{name} 不适用于{'任务' if kind == TASK else '预期成果'}")
        if name in DATE_FIELDS:
            try:
                day = dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise ProjectError(f"--{name} {raw!r} 不是日期(应为 YYYY-MM-DD)") from None
            if kind == TASK and name == "start" and not hasattr(project.task_map[item], "start"):
                raise ProjectError("此版本的任务没有开始日期(start)")
            clean[name] = day.isoformat()
        elif name == "target":
            try:
                clean[name] = parse_target(raw)
            except ValueError as exc:
                raise ProjectError(f"--target {exc}") from None
        else:
            text = " ".join(raw.split())
            if not text:
                raise ProjectError(f"--{name} 不能为空")
            clean[name] = text
    if not clean:
        raise ProjectError("没有要变更的内容:给出 --due、--start、--owner、--deliverable "
                           "或 --target")
    stamp = (at or now()).isoformat()
    with ws.lock(), ws.ledger() as ledger:
        base = read_baseline(ledger)
        if base is None:
            raise ProjectError("方案尚未 PMO 备案:备案前直接修改 project.yaml 即可,"
                               "备案后的修改才需要 xlflow change")
        items = [ChangeItem(kind, item, name, base.current.get((kind, item, name), ""), new)
                 for name, new in clean.items()]
        items = [i for i in items if i.old != i.new]
        if not items:
            raise ProjectError(f"{item} 的当前计划已经是这些值,没有要变更的内容")
        with ledger.transaction():
            cur = ledger.db.execute(
                "INSERT INTO plan_changes (requested_at, requested_by, reason, state, filing) "
                "VALUES (?, ?, ?, ?, ?)", (stamp, by, reason.strip(), PENDING, base.number))
            number = int(cur.lastrowid or 0)
            ledger.db.executemany("INSERT INTO plan_change_items VALUES (?, ?, ?, ?, ?, ?)",
                                  [(number, i.kind, i.item, i.field, i.old, i.new)
                                   for i in items])
            change = Change(number, stamp, by, reason.strip(), PENDING, items=items)
            ledger.add_event(EventKind.CHANGE, by=by, note=f"变更 {number}(待审批):"
                             f"{change.summary};原因:{reason.strip()}",
                             data={"change": number, "action": "request"}, at=at or now())
    return ChangeResult(change)


def decide_change(ws: Workspace, number: int, *, by: str, approve: bool, note: str = "",
                  at: dt.datetime | None = None) -> ChangeResult:
    """Approve (or reject) pending change N. Approved, its values enter the current plan
    and project.yaml, in one step: the file is replaced only if the ledger commits."""
    stamp = (at or now()).isoformat()
    with ws.lock(), ws.ledger() as ledger:
        found = {c.id: c for c in changes(ledger)}
        change = found.get(number)
        if change is None:
            raise ProjectError(f"--change {number}: 没有这个变更(已记录的变更:"
                               f"{'、'.join(str(n) for n in found) or '无'})")
        if change.state != PENDING:
            raise ProjectError(f"变更 {number} {change.state}({change.decided_by},"
                               f"{_minute(change.decided_at)}),不能再次审批")
        base = read_baseline(ledger)
        stale = [i for i in change.items if base is not None
                 and base.current.get((i.kind, i.item, i.field), "") != i.old]
        if approve and stale:
            now_is = "、".join(f"{field_label(i.kind, i.item, i.field)} 提出时为 {i.old or '无'},"
                              f"现为 {base.current.get((i.kind, i.item, i.field)) or '无'}"
                              for i in stale if base is not None)
            raise ProjectError(f"变更 {number} 提出后计划已变({now_is}),不能按原值批准;"
                               f"请驳回变更 {number},需要时用 xlflow change 重新提出")
        state = APPROVED if approve else REJECTED
        path = ws.project_file
        with contextlib.ExitStack() as stack:
            stack.enter_context(ledger.transaction())
            ledger.db.execute("UPDATE plan_changes SET state = ?, decided_at = ?, decided_by = ?, "
                              "note = ? WHERE id = ?", (state, stamp, by, note, number))
            if approve:
                ledger.db.executemany(
                    "INSERT OR REPLACE INTO plan_current VALUES (?, ?, ?, ?)",
                    [(i.kind, i.item, i.field, i.new) for i in change.items])
                stack.enter_context(_rewritten(ws, change.items))
            ledger.add_event(EventKind.CHANGE, by=by,
                             note=f"变更 {number}{state}:{change.summary}"
                             + (f";{note}" if note else ""),
                             data={"change": number, "action": "approve" if approve
                                   else "reject"}, at=at or now())
    change.state, change.decided_at, change.decided_by, change.note = state, stamp, by, note
    return ChangeResult(change, project_file=str(path) if approve else "")


# -- editing project.yaml in place ----------------------------------------------------------

_PLAIN = re.compile(r"^[^\s!&*%@`'\"#|>{}\[\],:?-][^,:#{}\[\]'\"]*$")


def _scalar(name: str, value: str) -> str:
    """A value as YAML text: dates bare; text bare when YAML reads it back as that same
    text, else double-quoted."""
    if name in DATE_FIELDS:
        return value
    if _PLAIN.match(value) and value == value.strip() and not re.match(
            r"^[-+.\d]|^(true|false|yes|no|on|off|null|~)$", value, re.IGNORECASE):
        return value
    return json.dumps(value, ensure_ascii=False)


def _value_end(line: str, start: int, flow: bool) -> int:
    """Where the YAML value starting at `start` ends on its line."""
    if start < len(line) and line[start] in "\"'":
        quote = line[start]
        i = start + 1
        while i < len(line):
            if line[i] == "\\" and quote == '"':
                i += 2
                continue
            if line[i] == quote:
                if quote == "'" and line[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(line)
    stops = [m.start() for m in re.finditer(r"\s#", line[start:])]
    end = start + stops[0] if stops else len(line)
    if flow:
        for i in range(start, end):
            if line[i] in ",}":
                return i
    return len(line[:end].rstrip()) if not flow else end


def edit_yaml(text: str, nodes: dict[tuple[str, str], Any], items: list[ChangeItem]) -> str:
    lines = text.split("\n")
    for i in items:
        node = nodes[(i.kind, i.item)]
        new = _scalar(i.field, i.new)
        if i.field in node:
            n = node.line_of(i.field) - 1
            line = lines[n]
            m = re.search(rf"(?:(?<=[{{,\s])|^){re.escape(i.field)}\s*:\s*", line)
            if not m:
                raise ProjectError(f"{PROJECT_FILE}:{n + 1}: 找不到 {i.field}")
            flow = "{" in line[:m.start()]
            end = _value_end(line, m.end(), flow)
            lines[n] = line[:m.end()] + new + ("" if flow else "") + line[end:]
        else:
            n = node.line_of("id") - 1
            line = lines[n]
            close = line.rfind("}")
            if "{" in line and close > 0:
                lines[n] = line[:close].rstrip() + f", {i.field}: {new}" + line[close:]
            else:
                indent = re.match(r"^[\s-]*", line)
                pad = " " * len(indent.group(0)) if indent else ""
                lines.insert(n + 1, f"{pad}{i.field}: {new}")
    return "\n".join(lines)


@contextlib.contextmanager
def _rewritten(ws: Workspace, items: list[ChangeItem]) -> Iterator[None]:
    """project.yaml with the changed fields edited in place, checked by loading it back;
    put back as it was if what follows (the ledger's commit) fails."""
    path = ws.project_file
    before = path.read_bytes()
    data = _yaml.load_file(path)
    nodes: dict[tuple[str, str], Any] = {}
    for kind, section in ((TASK, "tasks"), (RESULT, "expected_results")):
        for node in data.get(section) or []:
            if isinstance(node, dict) and node.get("id") is not None:
                nodes[(kind, canonical_id(str(node["id"])))] = node
    text = edit_yaml(before.decode("utf-8"), nodes, items)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
        try:
            check = plan_values(_load_from(tmp, ws))
        except XlflowError as exc:
            raise ProjectError(f"无法把变更写入 {path}({exc});请手工修改该文件后重试") from None
        wrong = [i for i in items if check.get((i.kind, i.item, i.field)) != i.new]
        if wrong:
            raise ProjectError(f"无法把变更写入 {path}({wrong[0].text()});请手工修改后,"
                               "再运行 xlflow approve --change")
    try:
        yield
    except BaseException:
        with atomic_path(path) as tmp:
            tmp.write_bytes(before)
        raise


def _load_from(tmp: Any, ws: Workspace) -> Project:
    """Load a candidate project.yaml written at `tmp` (same folder) as the project."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(dir=ws.root, prefix=".xlflow-check-") as folder:
        shutil.copy(tmp, f"{folder}/{PROJECT_FILE}")
        return load_project(folder)
