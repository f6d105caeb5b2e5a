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
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
#: A cancelled task's one planned value: the day it left the plan (`cancelled:` in
#: project.yaml). A task is in the plan while it has a `due`; see `phases/scope.py`.
CANCELLED = "cancelled"
DATE_FIELDS = ("start", "due", CANCELLED)
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
    for t in project.cancelled_tasks:
        if t.cancelled is not None:
            out[(TASK, t.id, CANCELLED)] = t.cancelled.isoformat()
    for r in project.results:
        out[(RESULT, r.id, "target")] = target_text(r.target)
    return out


def field_label(kind: str, item: str, name: str) -> str:
    what = "任务" if kind == TASK else "预期成果"
    labels = {**TASK_FIELDS, CANCELLED: "取消日期"} if kind == TASK else RESULT_FIELDS
    return f"{what} {item} {labels.get(name, name)}({name})"


def planned_tasks(values: dict[Key, str]) -> set[str]:
    """The tasks in a plan (baseline or current): those with a due date."""
    return {item for (kind, item, name) in values if kind == TASK and name == "due"}


def cancelled_tasks(values: dict[Key, str]) -> dict[str, str]:
    """The tasks a plan holds as cancelled, with the day they left it."""
    return {item: v for (kind, item, name), v in values.items()
            if kind == TASK and name == CANCELLED}


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
    # one object per distinct text: a task's id and its dates recur in every one of its
    # ~8 rows, a kind and a field name in every row (~100 MB less at 800,000 rows)
    seen: dict[str, str] = {}
    one = seen.setdefault
    return {(one(r[0], r[0]), one(r[1], r[1]), one(r[2], r[2])): one(r[3], r[3])
            for r in ledger.db.execute(f"SELECT kind, item_id, field, value FROM {name}")}


class _Stored:
    """A plan table read key by key (its primary key): the filed values a difference
    names, without holding the whole table (800,000 rows at 100,000 tasks)."""

    def __init__(self, ledger: Ledger, name: str) -> None:
        self._db, self._name = ledger.db, name

    def get(self, key: Key, default: str | None = None) -> str | None:
        row = self._db.execute(f"SELECT value FROM {self._name} WHERE kind = ? AND "
                               "item_id = ? AND field = ?", key).fetchone()
        return row[0] if row else default

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not None


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
    _record_digest(ledger, plan_values(project))


# The current plan's digest (meta), written with every change of plan_current: a
# project.yaml whose plan values have the same digest is the plan, without reading the
# plan back and comparing (300,000 values at 100,000 tasks: ~1 s of every build and merge).
# It names the filing and the number of approved changes it was taken after, so a plan
# changed by an xlflow that does not write it is compared value by value.
PLAN_DIGEST = "plan_current_digest"


def plan_digest(values: dict[Key, str]) -> str:
    """SHA-256 of the plan values, in key order (the same values give the same digest
    however they were gathered)."""
    # the lines sort as their keys do (a tab sorts before every character of a kind, an
    # id or a field name): strings sorted, not 300,000 tuples at 100,000 tasks
    lines = sorted([f"{k}\t{i}\t{f}\t{v}" for (k, i, f), v in values.items()])
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


def _plan_stamp(ledger: Ledger) -> str:
    approved = ledger.db.execute("SELECT count(*) FROM plan_changes WHERE state = ?",
                                 (APPROVED,)).fetchone()[0]
    return f"{_meta(ledger, 'baseline_at')} / {approved}"


def _record_digest(ledger: Ledger, current: dict[Key, str]) -> None:
    """Inside the transaction that made `current` the plan_current table."""
    ledger.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                      (PLAN_DIGEST, f"{_plan_stamp(ledger)} {plan_digest(current)}"))


def _is_plan(ledger: Ledger, values: dict[Key, str]) -> bool:
    return _meta(ledger, PLAN_DIGEST) == f"{_plan_stamp(ledger)} {plan_digest(values)}"


# -- project.yaml against the plan ---------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    kind: str
    item: str
    field: str  # a field under change control, or SCOPE: the task itself (in the plan?)
    baseline: str  # "" when the baseline has no such value
    planned: str  # the current plan (baseline + approved changes)
    file: str  # "" when the file has none (the task was removed)
    pending: int | None = None  # a pending change that would make the plan the file's

    def text(self) -> str:
        pending = f"(变更 {self.pending} 待审批)" if self.pending else ""
        if self.field == SCOPE:
            return f"任务 {self.item}:{self._scope_text()}{pending}"
        base = self.baseline or "无"
        plan = "" if self.planned == self.baseline else f",当前计划 {self.planned or '无'}"
        return (f"{field_label(self.kind, self.item, self.field)}:基线 {base}{plan},"
                f"project.yaml 中 {self.file or '无(已删除)'}{pending}")

    def _scope_text(self) -> str:
        planned, file = self.planned, self.file
        if planned == IN_PLAN:
            return ("计划中有它,project.yaml 中却没有了(被删除);取消任务要经变更审批"
                    if not file else f"project.yaml 中标为{file},但取消未经变更审批,计划中仍有它")
        if planned:  # cancelled in the plan
            day = planned.removeprefix(f"{CANCELLED_WORD} ")
            return (f"已于 {day} 取消(经变更审批),project.yaml 中却又列为计划内(少了 "
                    f"cancelled: {day})" if file == IN_PLAN else
                    f"已于 {day} 取消,project.yaml 中却没有它了:已取消的任务留在 project.yaml "
                    f"中(标 cancelled: {day}),历史周的数据才对得上")
        return ("不在备案的计划中:project.yaml 中新增了它,新增任务要经变更审批"
                + ("" if file == IN_PLAN else f"(已标为{file})"))

    def command(self, root: object) -> str:
        """The `xlflow change` line that records this difference ("" when the file must
        simply be put back)."""
        if self.field == SCOPE:
            if self.planned == IN_PLAN:
                return f"xlflow change {root} --remove-task {self.item} --reason … --by …"
            if self.file == IN_PLAN:
                return f"xlflow change {root} --add-task {self.item} --reason … --by …"
            return ""
        if self.field == CANCELLED:
            return ""
        flag = "task" if self.kind == TASK else "result"
        return (f"xlflow change {root} --{flag} {self.item} --{self.field} "
                f"{self.file or '…'} --reason … --by …")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "field": self.field,
                "baseline": self.baseline, "planned": self.planned, "file": self.file,
                "pending": self.pending}


SCOPE = "task"  # a Difference about the task itself: added, cancelled or deleted
IN_PLAN, CANCELLED_WORD = "计划内", "已取消"


def _scope_state(values: dict[Key, str] | _Stored, item: str) -> str:
    """'计划内', '已取消 2024-07-16' or '' (not there): a task's place in a plan."""
    if (TASK, item, "due") in values:
        return IN_PLAN
    day = values.get((TASK, item, CANCELLED))
    return f"{CANCELLED_WORD} {day}" if day else ""


def plan_differences(ws: Workspace, project: Project | None = None) -> list[Difference]:
    """Where project.yaml differs from the current plan (baseline + approved changes);
    nothing before filing. A task added or cancelled (or deleted) without an approved
    change is a difference of the task itself (field SCOPE)."""
    with ws.existing_ledger() as ledger:
        # the current plan whole; the filed values (plan_baseline) only where a difference
        # names them: both whole were ~250 MB of a 100,000-task merge's peak
        if ledger is None or not _has_tables(ledger) or ledger.db.execute(
                "SELECT 1 FROM plan_baseline LIMIT 1").fetchone() is None:
            return []
        project = project or ws.project(with_events=False)
        have = plan_values(project)
        if _is_plan(ledger, have):
            return []
        pending = pending_changes(ledger)
        current = _table(ledger, "plan_current")
        filed = _Stored(ledger, "plan_baseline")
        wanted: dict[tuple[str, str, str, str], int] = {}
        scoped: dict[tuple[str, str], int] = {}  # (task, "add"/"remove") -> pending change
        for change in pending:
            for ci in change.items:
                wanted[(ci.kind, ci.item, ci.field, ci.new)] = change.id
            if change.scope is not None:
                scoped[change.scope] = change.id
        out = []
        for item in sorted({item for kind, item, _ in itertools.chain(current, have)
                            if kind == TASK}):
            planned, file = _scope_state(current, item), _scope_state(have, item)
            if planned != file and not (planned.startswith(CANCELLED_WORD)
                                        and file.startswith(CANCELLED_WORD)):
                op = "add" if file == IN_PLAN else "remove"
                out.append(Difference(TASK, item, SCOPE, _scope_state(filed, item), planned,
                                      file, scoped.get((item, op))))
        skip = {d.item for d in out}
        fields = []  # sorted once found (a sort of every planned value was ~50 MB)
        for key, planned_value in current.items():
            kind, item, name = key
            value = have.get(key, "")
            if value != planned_value and not (kind == TASK and item in skip):
                fields.append((key, Difference(kind, item, name, filed.get(key, "") or "",
                                               planned_value, value,
                                               wanted.get((kind, item, name, value)))))
    fields.sort(key=lambda kd: (kd[0][0] != TASK, kd[0]))
    return out + [d for _, d in fields]


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
        if self.field == CANCELLED and not self.old:
            return f"任务 {self.item} 取消" + (f"(自 {self.new} 起)" if self.new else "")
        return f"{field_label(self.kind, self.item, self.field)} {self.old or '无'} → " \
               f"{self.new or '无'}"

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
    def scope(self) -> tuple[str, str] | None:
        """(task, "add") for a task added to the plan (or a cancelled one brought back),
        (task, "remove") for a task cancelled; None for a change of values."""
        for i in self.items:
            if i.kind == TASK and i.field == CANCELLED and not i.old:
                return i.item, "remove"
            if i.kind == TASK and i.field == "due" and not i.old:
                return i.item, "add"
        return None

    @property
    def summary(self) -> str:
        if self.scope is None:
            return ";".join(i.text() for i in self.items)
        item, op = self.scope
        fields = [i for i in self.items if i.field in TASK_FIELDS]
        if op == "add":
            values = "、".join(f"{TASK_FIELDS[i.field]} {i.new}" for i in fields if i.new)
            back = any(i.field == CANCELLED and i.old for i in self.items)
            return f"{'恢复已取消的' if back else '新增'}任务 {item}:{values}"
        day = next((i.new for i in self.items if i.field == CANCELLED and i.new), "")
        values = "、".join(f"{TASK_FIELDS[i.field]} {i.old}" for i in fields if i.old)
        return f"取消任务 {item}{f'(自 {day} 起)' if day else ''}:原计划 {values}"

    def to_dict(self) -> dict[str, Any]:
        scope = self.scope
        return {"id": self.id, "requested_at": self.requested_at,
                "requested_by": self.requested_by, "reason": self.reason, "state": self.state,
                "decided_at": self.decided_at, "decided_by": self.decided_by,
                "note": self.note, "items": [i.to_dict() for i in self.items],
                "scope": {"task": scope[0], "action": scope[1]} if scope else None,
                "summary": self.summary}


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
    approver: str = ""  # who approves it (project.approver), for the next step the CLI shows

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
    with ws.lock(), ws.ledger() as ledger:
        base = read_baseline(ledger)
        if base is None:
            raise ProjectError("方案尚未 PMO 备案:备案前直接修改 project.yaml 即可,"
                               "备案后的修改才需要 xlflow change")
        if kind == TASK and item not in planned_tasks(base.current):
            raise ProjectError(f"--task {item}: 任务 {item} 不在当前计划中(新增任务用 xlflow change "
                               f"{ws.root} --add-task {item},经审批后才能修改它)")
        items = [ChangeItem(kind, item, name, base.current.get((kind, item, name), ""), new)
                 for name, new in clean.items()]
        items = [i for i in items if i.old != i.new]
        if not items:
            raise ProjectError(f"{item} 的当前计划已经是这些值,没有要变更的内容")
        change = record_change(ledger, items, by=by, reason=reason, number=base.number,
                               at=at or now())
    return ChangeResult(change, approver=project.approver)


def record_change(ledger: Ledger, items: list[ChangeItem], *, by: str, reason: str,
                  number: str, at: dt.datetime) -> Change:
    """Change N, pending, with its items and an event (under the caller's lock)."""
    stamp = at.isoformat()
    with ledger.transaction():
        cur = ledger.db.execute(
            "INSERT INTO plan_changes (requested_at, requested_by, reason, state, filing) "
            "VALUES (?, ?, ?, ?, ?)", (stamp, by, reason.strip(), PENDING, number))
        n = int(cur.lastrowid or 0)
        ledger.db.executemany("INSERT INTO plan_change_items VALUES (?, ?, ?, ?, ?, ?)",
                              [(n, i.kind, i.item, i.field, i.old, i.new) for i in items])
        change = Change(n, stamp, by, reason.strip(), PENDING, items=items)
        ledger.add_event(EventKind.CHANGE, by=by, note=f"变更 {n}(待审批):"
                         f"{change.summary};原因:{reason.strip()}",
                         data={"change": n, "action": "request"}, at=at)
    return change


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
        if approve and change.scope is not None:
            change.items = _scope_on_approval(ws, change, (at or now()).date())
        written = False
        with contextlib.ExitStack() as stack:
            stack.enter_context(ledger.transaction())
            ledger.db.execute("UPDATE plan_changes SET state = ?, decided_at = ?, decided_by = ?, "
                              "note = ? WHERE id = ?", (state, stamp, by, note, number))
            if approve:
                for i in change.items:  # an emptied value leaves the plan (a task cancelled)
                    key = (i.kind, i.item, i.field)
                    if i.new:
                        ledger.db.execute("INSERT OR REPLACE INTO plan_current VALUES "
                                          "(?, ?, ?, ?)", (*key, i.new))
                    else:
                        ledger.db.execute("DELETE FROM plan_current WHERE kind = ? AND "
                                          "item_id = ? AND field = ?", key)
                    ledger.db.execute("UPDATE plan_change_items SET new = ? WHERE change_id = ? "
                                      "AND kind = ? AND item_id = ? AND field = ?",
                                      (i.new, number, *key))
                _record_digest(ledger, _table(ledger, "plan_current"))
                written = stack.enter_context(_rewritten(ws, change.items))
            ledger.add_event(EventKind.CHANGE, by=by,
                             note=f"变更 {number} {state}:{change.summary}"
                             + (f";{note}" if note else ""),
                             data={"change": number, "action": "approve" if approve
                                   else "reject"}, at=at or now())
    change.state, change.decided_at, change.decided_by, change.note = state, stamp, by, note
    return ChangeResult(change, project_file=str(path) if written else "")


def _scope_on_approval(ws: Workspace, change: Change, day: dt.date) -> list[ChangeItem]:
    """A task added or cancelled, checked against project.yaml as it is now: a cancelled
    task leaves the plan on the day asked for (--on) or of approval, and no task may
    still wait for it."""
    item, op = change.scope or ("", "")
    if op != "remove":
        return change.items
    project = ws.project(with_events=False)
    waiting = [t.id for t in project.tasks if item in t.after]
    if waiting:
        raise ProjectError(f"任务 {'、'.join(waiting)} 的前置任务(after)仍有 {item},不能批准取消 "
                           f"{item}:先在 project.yaml 中把 {item} 从它们的 after 中去掉")
    return [replace(i, new=i.new or day.isoformat()) if i.field == CANCELLED else i
            for i in change.items]  # the day asked for (--on), else this one


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
def _rewritten(ws: Workspace, items: list[ChangeItem]) -> Iterator[bool]:
    """project.yaml with the changed fields edited in place, checked by loading it back;
    put back as it was if what follows (the ledger's commit) fails. A value the file
    already holds is left as written (a task added: the PMO wrote it there first), and
    an emptied value is not removed (a cancelled task keeps its fields, marked
    `cancelled:`). Yields whether the file was written."""
    path = ws.project_file
    have = plan_values(ws.project(with_events=False))
    edits = [i for i in items if i.new and have.get((i.kind, i.item, i.field)) != i.new]
    if not edits:
        _agrees(have, items, path)
        yield False
        return
    before = path.read_bytes()
    data = _yaml.load_file(path)
    nodes: dict[tuple[str, str], Any] = {}
    for kind, section in ((TASK, "tasks"), (RESULT, "expected_results")):
        for node in data.get(section) or []:
            if isinstance(node, dict) and node.get("id") is not None:
                nodes[(kind, canonical_id(str(node["id"])))] = node
    gone = [i for i in edits if (i.kind, i.item) not in nodes]
    if gone:
        raise ProjectError(f"{path} 中没有{'任务' if gone[0].kind == TASK else '预期成果'} "
                           f"{gone[0].item}(变更提出时有);请驳回这个变更,需要时重新提出")
    text = edit_yaml(before.decode("utf-8"), nodes, edits)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
        try:
            check = plan_values(_load_from(tmp, ws))
        except XlflowError as exc:
            raise ProjectError(f"无法把变更写入 {path}({exc});请手工修改该文件后重试") from None
        _agrees(check, items, path)
    try:
        yield True
    except BaseException:
        with atomic_path(path) as tmp:
            tmp.write_bytes(before)
        raise


def _agrees(values: dict[Key, str], items: list[ChangeItem], path: Any) -> None:
    wrong = [i for i in items if values.get((i.kind, i.item, i.field), "") != i.new]
    if wrong:
        i = wrong[0]
        raise ProjectError(f"无法把变更写入 {path}({field_label(i.kind, i.item, i.field)} 应为 "
                           f"{i.new or '无'},文件中为 {values.get((i.kind, i.item, i.field)) or '无'});"
                           "请手工修改后,再运行 xlflow approve --change;或驳回这个变更后重新提出")


def _load_from(tmp: Any, ws: Workspace) -> Project:
    """Load a candidate project.yaml written at `tmp` (same folder) as the project."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(dir=ws.root, prefix=".xlflow-check-") as folder:
        shutil.copy(tmp, f"{folder}/{PROJECT_FILE}")
        return load_project(folder)
