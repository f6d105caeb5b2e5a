"""Pure functions over read tables: validate cells, merge departments' rows, compute
schedule deviation, flag risks, roll up, and diff against the previous merge.

No I/O here: inputs are `reader.Table`s and a `Context`; outputs are records and Issues.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .issues import Issue, Severity, column_letter, error, warning
from .project import Project, Target
from .reader import Table
from .spec import Column, ColumnType, SpecSet, TemplateSpec, column_choices, date_window
from .values import (
    CellProblem,
    clean_text,
    parse_datetime,
    parse_integer,
    parse_number,
    parse_percent,
)
from .values import is_blank as _blank
from .weeks import WorkCalendar

DONE, DONE_LATE, ON_TRACK, WARNING, LATE = "已完成", "延期完成", "正常", "预警", "延误"
STATUSES = (DONE, DONE_LATE, ON_TRACK, WARNING, LATE)
DONE_STATUSES = (DONE, DONE_LATE)
ON_TIME_STATUSES = (DONE, ON_TRACK)
BEHIND_STATUSES = (WARNING, LATE)  # not done and past the plan
OPEN_RISK_STATUSES = ("待处理", "处理中")
LEVEL_ORDER = {"高": 0, "中": 1, "低": 2}
RISK_FLAGS = {
    "high-open": "高风险未关闭",
    "late-raise": "超过24小时才提出",
    "overdue": "已过解决时限",
    "no-plan": "未定责任人或时限",
    "not-updated": "本周未更新",
}


# -- context --------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskRef:
    id: str
    department: str
    due: dt.date
    milestone: str = ""


@dataclass(frozen=True)
class ResultRef:
    id: str
    name: str
    department: str
    target: Target
    target_text: str


@dataclass(frozen=True)
class Context:
    """Everything validation and merging need to know about the project and the run."""

    project_id: str
    start: dt.date
    end: dt.date
    late_end: dt.date
    departments: tuple[str, ...]
    tasks: Mapping[str, TaskRef]
    week: str
    as_of: dt.date
    specs: SpecSet
    threshold: int = 3
    raise_within_hours: int = 24
    calendar: WorkCalendar | None = None
    results: Mapping[str, ResultRef] = field(default_factory=dict)
    milestones: Mapping[str, tuple[str, dt.date]] = field(default_factory=dict)
    _choices: dict[tuple, tuple[str, ...]] = field(default_factory=dict, init=False, compare=False,
                                                   repr=False)

    @classmethod
    def from_project(cls, project: Project, week: str, as_of: dt.date,
                     workdays: bool | None = None) -> Context:
        s = project.settings
        use_workdays = s.workdays if workdays is None else workdays
        return cls(
            project_id=project.id, start=project.start, end=project.end,
            late_end=project.late_end, departments=tuple(d.name for d in project.departments),
            tasks={t.id: TaskRef(t.id, t.department, t.due, t.milestone) for t in project.tasks},
            week=week, as_of=as_of, specs=project.specs(),
            threshold=s.delay_threshold_days, raise_within_hours=s.raise_within_hours,
            calendar=WorkCalendar(s.holidays, s.extra_workdays) if use_workdays else None,
            results={r.id: ResultRef(r.id, r.name, r.department, r.target, r.target_text)
                     for r in project.results},
            milestones={m.id: (m.name, m.date) for m in project.milestones},
        )

    @classmethod
    def from_identity(cls, identity: Mapping[str, str], specs: SpecSet,
                      as_of: dt.date) -> Context:
        """For `xlflow validate` on a department's machine, without project.yaml."""
        start = dt.date.fromisoformat(identity["project_start"])
        end = dt.date.fromisoformat(identity["project_end"])
        tasks = {t[0]: TaskRef(t[0], t[1], dt.date.fromisoformat(t[2]), t[3])
                 for t in json.loads(identity.get("tasks") or "[]")}
        return cls(
            project_id=identity.get("project_id", ""), start=start, end=end,
            late_end=end + dt.timedelta(days=int(identity.get("late_window_days", 90))),
            departments=tuple(json.loads(identity.get("departments") or "[]")),
            tasks=tasks, week=identity.get("week", ""), as_of=as_of, specs=specs,
            threshold=int(identity.get("delay_threshold_days", 3)),
            raise_within_hours=int(identity.get("raise_within_hours", 24)),
        )

    def window(self, column: Column) -> tuple[dt.date, dt.date]:
        return date_window(column, self.start, self.end, self.late_end)

    def days(self, start: dt.date, end: dt.date) -> int:
        if self.calendar is not None:
            return self.calendar.days_between(start, end)
        return (end - start).days

    def choices(self, column: Column, department: str) -> tuple[str, ...]:
        """Memoised per column and department: validation asks once per cell."""
        key = (column.key, column.values, column.source, column.type, department)
        found = self._choices.get(key)
        if found is None:
            found = column_choices(column, department=department, departments=self.departments,
                                   tasks=[(t.id, t.department) for t in self.tasks.values()],
                                   milestones=list(self.milestones))
            self._choices[key] = found
        return found


# -- records ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    file: str
    sha256: str
    sheet: str
    row: int  # 1-based, as Excel shows it

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "sheet": self.sheet, "row": self.row}


@dataclass
class Record:
    """One validated row: typed values by column key, where it came from, and whether
    it may count (a row with an error is kept out of the figures)."""

    values: dict[str, Any]
    source: Source
    has_input: bool
    ok: bool = True
    cells: dict[str, str] = field(default_factory=dict)


def _expected(column: Column, ctx: Context, department: str) -> str:
    t = column.type
    if t in (ColumnType.DATE, ColumnType.DATETIME):
        lo, hi = ctx.window(column)
        form = "YYYY-MM-DD hh:mm" if t is ColumnType.DATETIME else "YYYY-MM-DD"
        return f"日期 {form},{lo.isoformat()} 至 {hi.isoformat()}"
    if t is ColumnType.PERCENT:
        return f"百分比 {column.min or 0:g}%–{column.max if column.max is not None else 100:g}%"
    if t is ColumnType.INTEGER:
        return "整数"
    if t is ColumnType.NUMBER:
        return "数字"
    choices = ctx.choices(column, department)
    if choices:
        return "其中之一:" + "、".join(choices[:20]) + ("…" if len(choices) > 20 else "")
    return "文字"


def parse_cell(column: Column, raw: Any, ctx: Context, department: str) -> Any:
    """The typed value of one non-blank cell; ValueError says why it is not acceptable."""
    t = column.type
    if t in (ColumnType.DATE, ColumnType.DATETIME):
        value = parse_datetime(raw, year=ctx.start.year)
        lo, hi = ctx.window(column)
        if not lo <= value.date() <= hi:
            raise ValueError("out-of-range")
        return value if t is ColumnType.DATETIME else value.date()
    if t is ColumnType.PERCENT:
        value = parse_percent(raw)
        lo = column.min if column.min is not None else 0
        hi = column.max if column.max is not None else 100
        if not lo <= value <= hi:
            raise ValueError("out-of-range")
        return round(value, 6)
    if t in (ColumnType.INTEGER, ColumnType.NUMBER):
        value = parse_integer(raw) if t is ColumnType.INTEGER else parse_number(raw)
        if (column.min is not None and value < column.min) or (
                column.max is not None and value > column.max):
            raise ValueError("out-of-range")
        return value
    text = clean_text(raw)
    if t in (ColumnType.TASK_ID, ColumnType.RISK_ID, ColumnType.RESULT_ID):
        return unicodedata.normalize("NFKC", text).upper().replace(" ", "")
    if t in (ColumnType.ENUM, ColumnType.DEPARTMENT):
        index = _choice_index(ctx.choices(column, department))
        if index:
            found = index.get(_fold_choice(text))
            if found is None:
                raise ValueError("not-in-list")
            return found
    return text


def _fold_choice(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@functools.lru_cache(maxsize=256)
def _choice_index(choices: tuple[str, ...]) -> dict[str, str]:
    """Folded choice -> choice, built once per list (task lists run to hundreds)."""
    return {_fold_choice(c): c for c in reversed(choices)}


_CODES = {
    ColumnType.DATE: "bad-date", ColumnType.DATETIME: "bad-date",
    ColumnType.PERCENT: "bad-percent", ColumnType.INTEGER: "bad-number",
    ColumnType.NUMBER: "bad-number",
}


def validate_table(table: Table, spec: TemplateSpec, ctx: Context, *, file: str, sha256: str,
                   department: str) -> tuple[list[Record], list[Issue]]:
    """Type-check every cell of every data row against the spec. Weekly rows are kept
    even when empty (an unreported task is news); elsewhere empty rows are skipped."""
    skip_blank = spec.key != "weekly"
    records: list[Record] = []
    issues: list[Issue] = []
    cols = [(c, table.columns[c.key]) for c in spec.columns if c.key in table.columns]
    letters = {i: column_letter(i) for _, i in cols} | {
        i: column_letter(i) for i in table.extra_columns}
    for r, row in table.rows:
        source = Source(file, sha256, spec.sheet, r + 1)
        raw_of = {c.key: (row[i] if i < len(row) else None) for c, i in cols}
        has_input = any(_is_input(c, raw_of[c.key]) for c, _ in cols if c.editable)
        if not has_input and skip_blank:
            continue  # a reserved row nobody filled in (risks, acceptance, feedback)
        rec = Record({}, source, has_input)
        for column, i in cols:
            raw = raw_of[column.key]
            where = {"file": file, "sheet": spec.sheet, "cell": f"{letters[i]}{r + 1}"}
            rec.cells[column.key] = where["cell"]
            if _blank(raw):
                rec.values[column.key] = None
                if column.required and (has_input or not column.editable):
                    rec.ok = False
                    issues.append(error("missing-value", f"「{column.zh}」必须填写",
                                        expected=_expected(column, ctx, department), **where))
                continue
            if isinstance(raw, CellProblem):
                rec.ok = False
                rec.values[column.key] = None
                what = "是错误值" if raw.code == "cell-error" else "是没有计算结果的公式"
                issues.append(error(raw.code, f"「{column.zh}」{what};请改为实际的值后重发",
                                    value=raw.text, expected=_expected(column, ctx, department),
                                    **where))
                continue
            try:
                value = parse_cell(column, raw, ctx, department)
            except ValueError as exc:
                rec.ok = False
                rec.values[column.key] = None
                why = str(exc)
                code = why if why in ("out-of-range", "not-in-list") else _CODES.get(
                    column.type, "bad-value")
                label = {"out-of-range": "超出允许范围", "not-in-list": "不在下拉选项中"}.get(
                    why, "格式无法识别")
                issues.append(error(code, f"「{column.zh}」{label}", value=_show(raw),
                                    expected=_expected(column, ctx, department), **where))
                continue
            limit = column.max_length
            if limit and isinstance(value, str) and len(value) > limit:
                issues.append(warning("too-long", f"「{column.zh}」超过 {limit} 字,已完整保留",
                                      value=value[:40] + "…", **where))
            rec.values[column.key] = value
        for i, header in table.extra_columns.items():
            if i < len(row) and not _blank(row[i]):
                label = f"列「{header}」不在模板中" if header else f"{letters[i]} 列没有表头"
                issues.append(warning("unknown-column", f"{label},其内容未计入",
                                      value=_show(row[i]), file=file, sheet=spec.sheet,
                                      cell=f"{letters[i]}{r + 1}"))
        records.append(rec)
    return records, issues


def _is_input(column: Column, raw: Any) -> bool:
    """Did someone type here? A pre-filled default (状态 待处理) alone is not input."""
    if _blank(raw):
        return False
    return column.default is None or clean_text(raw) != column.default


def _show(raw: Any) -> str:
    if isinstance(raw, CellProblem):
        return raw.text
    text = raw.isoformat() if isinstance(raw, (dt.date, dt.datetime)) else clean_text(raw)
    return text if len(text) <= 80 else text[:79] + "…"


# -- schedule deviation -------------------------------------------------------------------

@dataclass
class TaskStatus:
    task_id: str
    department: str
    milestone: str
    planned: dt.date
    percent: float | None = None
    actual: dt.date | None = None
    forecast: dt.date | None = None
    expected: dt.date | None = None  # actual, or max(forecast or planned, as_of)
    deviation_days: int = 0
    status: str = ON_TRACK
    reported: bool = False
    texts: dict[str, str] = field(default_factory=dict)
    source: Source | None = None

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.task_id, "department": self.department, "milestone": self.milestone,
            "planned": self.planned.isoformat(),
            "actual": self.actual.isoformat() if self.actual else None,
            "forecast": self.forecast.isoformat() if self.forecast else None,
            "expected": self.expected.isoformat() if self.expected else None,
            "percent": self.percent, "deviation_days": self.deviation_days,
            "status": self.status, "reported": self.reported, "texts": self.texts,
            "source": self.source.to_dict() if self.source else None,
        }


def deviation(planned: dt.date, as_of: dt.date, *, percent: float | None,
              actual: dt.date | None, forecast: dt.date | None,
              ctx: Context) -> tuple[bool, dt.date, int]:
    """(done, expected finish, deviation days) by the rule in the README:
    done -> actual - P; not done -> max(F, A) - P with F = forecast or P."""
    done = actual is not None or (percent is not None and percent >= 100)
    if done:
        end = actual or as_of
    else:
        end = max(forecast or planned, as_of)
    return done, end, ctx.days(planned, end)


def status_for(done: bool, days: int, threshold: int) -> str:
    if done:
        return DONE if days <= 0 else DONE_LATE
    if days <= 0:
        return ON_TRACK
    return WARNING if days <= threshold else LATE


TEXT_KEYS = ("plan_item", "actual_status", "deviation_reason", "fix", "coordination")


def merge_tasks(records_by_department: Mapping[str, Sequence[Record]],
                ctx: Context) -> tuple[list[TaskStatus], list[Issue]]:
    """Apply each department's weekly rows to its own tasks; every task of the project
    gets a status, reported or not."""
    issues: list[Issue] = []
    applied: dict[str, Record] = {}
    for department, records in records_by_department.items():
        for rec in records:
            tid = rec.values.get("task_id")
            where = {"file": rec.source.file, "sheet": rec.source.sheet,
                     "cell": rec.cells.get("task_id", f"A{rec.source.row}")}
            if not tid:
                if rec.has_input:
                    issues.append(error("missing-task-id", "这一行没有任务编号,无法对应到任务", **where))
                continue
            ref = ctx.tasks.get(tid)
            if ref is None:
                issues.append(error("unknown-task", f"任务编号 {tid} 不在职责分工表中", value=tid,
                                    expected="职责分工表中的任务编号", **where))
                continue
            if ref.department != department:
                issues.append(error("foreign-task", f"任务 {tid} 属于{ref.department},"
                                    f"{department}不能更新它;未采用", value=tid,
                                    expected=f"{department}的任务", **where))
                continue
            if tid in applied:
                issues.append(error("duplicate-task", f"任务 {tid} 填了两行;采用第 "
                                    f"{applied[tid].source.row} 行", value=tid, **where))
                continue
            planned_cell = rec.values.get("planned_date")
            if planned_cell and planned_cell != ref.due:
                issues.append(warning(
                    "changed-plan", f"计划完成日期被改成 {planned_cell};以职责分工表的 "
                    f"{ref.due} 为准", file=rec.source.file, sheet=rec.source.sheet,
                    cell=rec.cells.get("planned_date", "")))
            if not rec.has_input:
                continue
            if not rec.ok:
                continue
            applied[tid] = rec
            _row_warnings(rec, ref, ctx, issues)
    tasks = []
    for ref in ctx.tasks.values():
        rec = applied.get(ref.id)
        v = rec.values if rec else {}
        done, expected, days = deviation(ref.due, ctx.as_of, percent=v.get("percent"),
                                         actual=v.get("actual_date"),
                                         forecast=v.get("forecast_date"), ctx=ctx)
        tasks.append(TaskStatus(
            task_id=ref.id, department=ref.department, milestone=ref.milestone,
            planned=ref.due, percent=v.get("percent"), actual=v.get("actual_date"),
            forecast=v.get("forecast_date"), expected=expected, deviation_days=days,
            status=status_for(done, days, ctx.threshold), reported=rec is not None,
            texts={k: v[k] for k in TEXT_KEYS if v.get(k)},
            source=rec.source if rec else None,
        ))
    reported_departments = set(records_by_department)
    for t in tasks:
        if not t.reported and t.department in reported_departments:
            issues.append(warning("not-reported", f"任务 {t.task_id} 本周没有填写进度;"
                                  "按未完成、计划日期计算", value=t.task_id,
                                  file=_file_of(records_by_department[t.department]),
                                  sheet=ctx.specs["weekly"].sheet))
    return tasks, issues


def _file_of(records: Sequence[Record]) -> str:
    return records[0].source.file if records else ""


def _row_warnings(rec: Record, ref: TaskRef, ctx: Context, issues: list[Issue]) -> None:
    v = rec.values
    where = {"file": rec.source.file, "sheet": rec.source.sheet}
    pct, actual = v.get("percent"), v.get("actual_date")
    if pct is not None and pct >= 100 and actual is None:
        issues.append(warning("missing-actual-date", f"任务 {ref.id} 已 100% 但没有实际完成日期;"
                              f"按统计日 {ctx.as_of} 计算", cell=rec.cells.get("actual_date", ""),
                              **where))
    if actual is not None and pct is not None and pct < 100:
        issues.append(warning("inconsistent", f"任务 {ref.id} 填了实际完成日期但完成百分比为 "
                              f"{pct:g}%;按已完成计算", cell=rec.cells.get("percent", ""), **where))
    if actual is not None and actual > ctx.as_of:
        issues.append(warning("future-date", f"任务 {ref.id} 的实际完成日期 {actual} 晚于统计日 "
                              f"{ctx.as_of}", cell=rec.cells.get("actual_date", ""), **where))
    done = actual is not None or (pct is not None and pct >= 100)
    late = (actual or max(v.get("forecast_date") or ref.due, ctx.as_of)) > ref.due
    if late and not v.get("deviation_reason"):
        issues.append(warning("missing-reason", f"任务 {ref.id} 进度落后,但没有填写偏差原因",
                              cell=rec.cells.get("deviation_reason", ""), **where))
    if late and not done and not v.get("forecast_date"):
        issues.append(warning("missing-forecast", f"任务 {ref.id} 已过计划日期仍未完成,"
                              "请填写预计完成日期", cell=rec.cells.get("forecast_date", ""), **where))


# -- roll-ups -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rollup:
    name: str
    tasks: int
    done: int
    on_time: int
    late: int
    avg_slip: float
    worst_slip: int
    planned: dt.date | None = None
    forecast: dt.date | None = None
    label: str = ""

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.tasks if self.tasks else 1.0

    @property
    def milestone_slip(self) -> int | None:
        if self.planned and self.forecast:
            return (self.forecast - self.planned).days
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "tasks": self.tasks, "done": self.done,
                "on_time": self.on_time, "late": self.late,
                "on_time_rate": round(self.on_time_rate, 4),
                "avg_slip": round(self.avg_slip, 2), "worst_slip": self.worst_slip,
                "planned": self.planned.isoformat() if self.planned else None,
                "forecast": self.forecast.isoformat() if self.forecast else None}


def rollup(name: str, tasks: Sequence[TaskStatus], **extra: Any) -> Rollup:
    """On-time rate, average and worst slip of a group of tasks."""
    slips = [max(t.deviation_days, 0) for t in tasks]
    return Rollup(
        name=name, tasks=len(tasks), done=sum(t.done for t in tasks),
        on_time=sum(t.status in ON_TIME_STATUSES for t in tasks),
        late=sum(t.status in (DONE_LATE, WARNING, LATE) for t in tasks),
        avg_slip=statistics.fmean(slips) if slips else 0.0,
        worst_slip=max(slips, default=0), **extra)


def rollup_departments(tasks: Sequence[TaskStatus], departments: Iterable[str]) -> list[Rollup]:
    by: dict[str, list[TaskStatus]] = defaultdict(list)
    for t in tasks:
        by[t.department].append(t)
    return [rollup(d, by[d]) for d in departments if by.get(d)]


def rollup_milestones(tasks: Sequence[TaskStatus],
                      milestones: Mapping[str, tuple[str, dt.date]]) -> list[Rollup]:
    """Per milestone; its forecast is the latest expected finish of its tasks."""
    by: dict[str, list[TaskStatus]] = defaultdict(list)
    for t in tasks:
        if t.milestone:
            by[t.milestone].append(t)
    out = []
    for mid, (name, date) in milestones.items():
        members = by.get(mid, [])
        forecast = max((t.expected for t in members if t.expected), default=None)
        out.append(rollup(mid, members, planned=date, forecast=forecast, label=name))
    return out


# -- risks -----------------------------------------------------------------------------------

@dataclass
class RiskRecord:
    risk_id: str
    department: str
    level: str
    status: str
    values: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    source: Source | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RISK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        values = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                  for k, v in self.values.items()}
        return {"id": self.risk_id, "department": self.department, "level": self.level,
                "status": self.status, "open": self.is_open, "flags": list(self.flags),
                "values": values, "source": self.source.to_dict() if self.source else None}


def merge_risks(records_by_department: Mapping[str, Sequence[Record]], ctx: Context,
                carried: Sequence[RiskRecord] = ()) -> tuple[list[RiskRecord], list[Issue]]:
    """Risks from every return under their reserved ids; open risks of departments that
    sent nothing this time are carried from the previous merge, flagged not-updated."""
    issues: list[Issue] = []
    risks: dict[str, RiskRecord] = {}
    for department, records in records_by_department.items():
        for rec in records:
            if not rec.has_input:
                continue
            v = dict(rec.values)
            rid = v.get("risk_id")
            where = {"file": rec.source.file, "sheet": rec.source.sheet}
            if not rid:
                digest = hashlib.sha1(str(v.get("description")).encode()).hexdigest()[:6].upper()
                rid = f"{department}-{digest}"
                issues.append(warning("missing-risk-id", f"风险编号被删除;暂用 {rid}",
                                      cell=rec.cells.get("risk_id", ""), **where))
            if v.get("department") and v["department"] != department:
                issues.append(error("foreign-risk", f"风险 {rid} 标为{v['department']}提出,"
                                    f"却在{department}的文件中;未采用", value=rid,
                                    cell=rec.cells.get("department", ""), **where))
                continue
            if rid in risks:
                issues.append(error("duplicate-risk", f"风险编号 {rid} 出现两次;采用第 "
                                    f"{risks[rid].source.row} 行", value=rid,
                                    cell=rec.cells.get("risk_id", ""), **where))
                continue
            if not rec.ok:
                continue
            found, raised = v.get("found_at"), v.get("raised_at")
            if found and raised and raised < found:
                issues.append(warning("raised-before-found", f"风险 {rid} 的提出时间早于发现时间",
                                      cell=rec.cells.get("raised_at", ""), **where))
            risks[rid] = RiskRecord(rid, department, v.get("level") or "", v.get("status") or "",
                                    v, source=rec.source)
    for old in carried:
        if old.department not in records_by_department and old.risk_id not in risks \
                and old.is_open:
            risks[old.risk_id] = RiskRecord(old.risk_id, old.department, old.level, old.status,
                                            dict(old.values), ["not-updated"], old.source)
    out = list(risks.values())
    for risk in out:
        risk.flags = [f for f in risk.flags if f == "not-updated"] + risk_flags(risk, ctx)
    out.sort(key=risk_sort_key)
    return out, issues


def risk_flags(risk: RiskRecord, ctx: Context) -> list[str]:
    v = risk.values
    flags = []
    if risk.is_open and risk.level == "高":
        flags.append("high-open")
    found, raised = v.get("found_at"), v.get("raised_at")
    if found and raised and (raised - found) > dt.timedelta(hours=ctx.raise_within_hours):
        flags.append("late-raise")
    deadline = v.get("deadline")
    if risk.is_open and deadline and deadline < ctx.as_of:
        flags.append("overdue")
    if risk.is_open and (not v.get("owner") or not deadline):
        flags.append("no-plan")
    return flags


def risk_sort_key(risk: RiskRecord) -> tuple:
    deadline = risk.values.get("deadline") or dt.date.max
    return (not risk.is_open, LEVEL_ORDER.get(risk.level, 9), deadline, risk.risk_id)


# -- acceptance ------------------------------------------------------------------------------

@dataclass
class AcceptanceRecord:
    result_id: str
    name: str
    department: str
    target: str
    actual: float | None
    met: bool | None  # computed from the target
    reported_met: str | None
    values: dict[str, Any]
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        values = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                  for k, v in self.values.items()}
        return {"id": self.result_id, "name": self.name, "department": self.department,
                "target": self.target, "actual": self.actual, "met": self.met,
                "reported_met": self.reported_met, "values": values,
                "source": self.source.to_dict() if self.source else None}


def merge_acceptance(records_by_department: Mapping[str, Sequence[Record]],
                     ctx: Context) -> tuple[list[AcceptanceRecord], list[Issue]]:
    issues: list[Issue] = []
    got: dict[str, Record] = {}
    for department, records in records_by_department.items():
        for rec in records:
            rid = rec.values.get("result_id")
            if not rec.has_input or not rid:
                continue
            ref = ctx.results.get(rid)
            where = {"file": rec.source.file, "sheet": rec.source.sheet,
                     "cell": rec.cells.get("result_id", "")}
            if ctx.results and ref is None:
                issues.append(error("unknown-result", f"成果编号 {rid} 不在预期成果中", value=rid,
                                    **where))
                continue
            if ref and ref.department and ref.department != department:
                issues.append(error("foreign-result", f"成果 {rid} 由{ref.department}确认,"
                                    f"{department}不能填写;未采用", value=rid, **where))
                continue
            if rec.ok:
                got[rid] = rec
    out = []
    for ref in ctx.results.values():
        rec = got.get(ref.id)
        v = rec.values if rec else {}
        actual = v.get("actual")
        if actual is not None and ref.target.percent and actual > 1:
            actual = actual / 100  # '16' in a percent metric means 16%
        met = ref.target.met_by(actual) if actual is not None else None
        reported = v.get("met")
        if rec and met is not None and reported and (reported == "是") != met:
            issues.append(warning("met-mismatch", f"成果 {ref.id}:填写的是否达标为「{reported}」,"
                                  f"但实际值 {v.get('actual')} 对目标 {ref.target_text} "
                                  f"{'达标' if met else '未达标'}", file=rec.source.file,
                                  sheet=rec.source.sheet, cell=rec.cells.get("met", "")))
        out.append(AcceptanceRecord(ref.id, ref.name, ref.department, ref.target_text, actual,
                                    met, reported, v, rec.source if rec else None))
    return out, issues


# -- retrospective feedback -------------------------------------------------------------------

@dataclass
class Feedback:
    department: str
    kind: str  # 成功经验 | 不足 | 改进建议
    text: str
    task_id: str = ""
    author: str = ""
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, "kind": self.kind, "text": self.text,
                "task_id": self.task_id, "author": self.author,
                "source": self.source.to_dict() if self.source else None}


def merge_feedback(records_by_department: Mapping[str, Sequence[Record]]) -> list[Feedback]:
    """复盘反馈 rows as written; rows with errors are already listed as issues."""
    return [Feedback(department, rec.values.get("kind") or "", rec.values.get("text") or "",
                     rec.values.get("task_id") or "", rec.values.get("author") or "",
                     rec.source)
            for department, records in records_by_department.items()
            for rec in records if rec.has_input and rec.ok]


# -- what changed since the previous merge -------------------------------------------------

@dataclass(frozen=True)
class Change:
    kind: str  # new-risk, closed-risk, newly-late, slip-grown, completed
    subject: str
    department: str
    detail: str

    LABELS = {"new-risk": "新增风险", "closed-risk": "关闭风险", "newly-late": "新增延误/预警",
              "slip-grown": "偏差扩大", "completed": "任务完成"}

    @property
    def label(self) -> str:
        return self.LABELS.get(self.kind, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "subject": self.subject,
                "department": self.department, "detail": self.detail}


def changes_since(tasks: Sequence[TaskStatus], risks: Sequence[RiskRecord],
                  previous_tasks: Mapping[str, Mapping[str, Any]],
                  previous_risks: Mapping[str, Mapping[str, Any]]) -> list[Change]:
    """Compare with the previous merge: {task id: {status, deviation_days}} and
    {risk id: {status, level}}. Empty when there is no previous merge."""
    if not previous_tasks and not previous_risks:
        return []
    out: list[Change] = []
    for t in tasks:
        prev = previous_tasks.get(t.task_id)
        if prev is None:
            continue
        was_late = prev["status"] in BEHIND_STATUSES
        if t.status in BEHIND_STATUSES and not was_late:
            out.append(Change("newly-late", t.task_id, t.department,
                              f"{prev['status']} → {t.status},偏差 {t.deviation_days} 天"))
        elif t.deviation_days > max(prev["deviation_days"], 0) and not t.done:
            out.append(Change("slip-grown", t.task_id, t.department,
                              f"偏差 {prev['deviation_days']} → {t.deviation_days} 天"))
        if t.done and prev["status"] not in DONE_STATUSES:
            out.append(Change("completed", t.task_id, t.department,
                              f"{t.status},实际完成 {t.actual or '未填日期'}"))
    for r in risks:
        prev = previous_risks.get(r.risk_id)
        if prev is None and r.is_open:
            out.append(Change("new-risk", r.risk_id, r.department,
                              f"{r.level}:{clean_text(r.values.get('description'))[:60]}"))
        elif prev is not None and prev["status"] in OPEN_RISK_STATUSES and not r.is_open:
            out.append(Change("closed-risk", r.risk_id, r.department, f"{prev['status']} → {r.status}"))
    return out


def count_errors(issues: Iterable[Issue]) -> int:
    return sum(i.severity is Severity.ERROR for i in issues)


# -- the whole merge, as data ---------------------------------------------------------------

@dataclass
class SourceFile:
    path: str
    name: str
    sha256: str
    department: str
    received: str
    size: int
    accepted: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "sha256": self.sha256,
                "department": self.department, "received": self.received, "size": self.size,
                "accepted": self.accepted, "reason": self.reason}


@dataclass
class MergeReport:
    """What `xlflow merge` found and computed; `to_dict()` is what --json prints."""

    project_id: str
    project_name: str
    week: str
    as_of: dt.date
    workdays: bool
    threshold: int
    files: list[SourceFile] = field(default_factory=list)
    tasks: list[TaskStatus] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)
    acceptance: list[AcceptanceRecord] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    departments: list[Rollup] = field(default_factory=list)
    milestones: list[Rollup] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    has_previous: bool = False
    report_path: str = ""
    run_at: str = ""

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    @property
    def rows_merged(self) -> int:
        return sum(t.reported for t in self.tasks) + sum(r.source is not None for r in self.risks) \
            + sum(a.source is not None for a in self.acceptance) + len(self.feedback)

    @property
    def late_tasks(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.status in BEHIND_STATUSES]

    @property
    def open_high_risks(self) -> list[RiskRecord]:
        return [r for r in self.risks if r.is_open and r.level == "高"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": {"id": self.project_id, "name": self.project_name},
            "week": self.week, "as_of": self.as_of.isoformat(), "workdays": self.workdays,
            "report": self.report_path,
            "summary": {"files": len(self.files),
                        "accepted": sum(f.accepted for f in self.files),
                        "rows_merged": self.rows_merged, "errors": self.errors,
                        "warnings": self.warnings, "late_tasks": len(self.late_tasks),
                        "open_high_risks": len(self.open_high_risks)},
            "files": [f.to_dict() for f in self.files],
            "tasks": [t.to_dict() for t in self.tasks],
            "risks": [r.to_dict() for r in self.risks],
            "acceptance": [a.to_dict() for a in self.acceptance],
            "feedback": [f.to_dict() for f in self.feedback],
            "departments": [d.to_dict() for d in self.departments],
            "milestones": [m.to_dict() for m in self.milestones],
            "changes": [c.to_dict() for c in self.changes],
            "issues": [i.to_dict() for i in self.issues],
        }
