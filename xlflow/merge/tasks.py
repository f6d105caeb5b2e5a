"""Each task's figures this week and its schedule deviation.

One rule for carry-forward: a task's figures are this week's accepted row, else the
latest accepted row of an earlier week (`carried`, from the ledger). A rejected or
empty row never erases what was accepted before, so a done task stays done unless a
department's return says otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from ..issues import Issue, error, warning
from ..model.records import Source, TaskStatus, iso
from ..model.vocab import TaskState
from .check import Record
from .context import Context, TaskRef

# weekly columns with a field of their own on TaskStatus; every other input is a text
FIGURE_KEYS = frozenset({"task_id", "department", "planned_date", "percent", "actual_date",
                         "forecast_date", "headcount", "spend"})


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


def _texts(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: v if type(v) is str else str(iso(v)) for k, v in values.items()
            if v is not None and k not in FIGURE_KEYS and v != ""}


def merge_tasks(records_by_department: Mapping[str, Sequence[Record]], ctx: Context,
                carried: Mapping[str, TaskStatus] | None = None
                ) -> tuple[list[TaskStatus], list[Issue]]:
    """Apply each department's weekly rows to its own tasks; every task of the project
    gets a status, from this week's row or carried from its last accepted one."""
    carried = carried or {}
    issues: list[Issue] = []
    applied: dict[str, Record] = {}
    rejected: dict[str, Record] = {}
    known = ctx.tasks
    for department, records in records_by_department.items():
        for rec in records:
            tid = rec.values.get("task_id")
            if not tid:
                if rec.has_input:
                    issues.append(error("missing-task-id", "这一行没有任务编号,无法对应到任务",
                                        **_where(rec)))
                continue
            ref = known.get(tid)
            if ref is None and tid in ctx.cancelled:
                if rec.has_input:
                    day = ctx.cancelled[tid][1]
                    by = ctx.cancelled_by.get(tid, "变更审批")
                    issues.append(warning("cancelled-task", f"任务 {tid} 已于 {day} 取消({by}),"
                                          "本行未汇总;此前各周的数据保留,以后的工作簿不再列出它",
                                          value=tid, **_where(rec)))
                continue
            if ref is None:
                issues.append(error("unknown-task", f"任务编号 {tid} 不在职责分工表中", value=tid,
                                    expected="职责分工表中的任务编号", **_where(rec)))
                continue
            if ref.department != department:
                issues.append(error("foreign-task", f"任务 {tid} 属于{ref.department},"
                                    f"{department}不能更新它;未采用", value=tid,
                                    expected=f"{department}的任务", **_where(rec)))
                continue
            if tid in applied or tid in rejected:
                first = (applied.get(tid) or rejected[tid]).source.row
                issues.append(error("duplicate-task", f"任务 {tid} 填了两行;采用第 {first} 行",
                                    value=tid, **_where(rec)))
                continue
            planned_cell = rec.values.get("planned_date")
            if planned_cell and planned_cell != ref.due:
                issues.append(warning(
                    "changed-plan", f"计划完成日期为 {planned_cell},与现行计划的 {ref.due} 不同"
                    "(工作簿生成后计划有变更,或单元格被改动);以现行计划为准",
                    file=rec.source.file, sheet=rec.source.sheet,
                    cell=rec.cells.get("planned_date", "")))
            if not rec.has_input:
                continue
            if not rec.ok:
                rejected[tid] = rec
                continue
            applied[tid] = rec
            _row_warnings(rec, ref, ctx, issues)
    tasks = [_status(ref, applied.get(ref.id), carried.get(ref.id), ctx)
             for ref in ctx.tasks.values()]
    # the task ids each department's rows name, filled in or not: a task without a row
    # had its row deleted, not merely left blank
    rows_of = {department: {rec.values.get("task_id") for rec in records}
               for department, records in records_by_department.items()}
    for t in tasks:
        if t.department not in records_by_department or t.reported:
            continue
        bad = rejected.get(t.task_id)
        shown = (f"显示的是 {t.data_week} 的数据" if t.data_week
                 else "此前没有已采用的数据,按未完成、计划日期计算")
        if bad is not None:
            issues.append(warning("row-rejected", f"任务 {t.task_id} 本周的行因错误未采用"
                                  f"(见 {'、'.join(bad.bad)});{shown}",
                                  file=bad.source.file, sheet=bad.source.sheet,
                                  cell=bad.bad[0] if bad.bad else ""))
            continue
        files = records_by_department[t.department]
        sheet = {"file": files[0].source.file if files else "", "sheet": ctx.specs["weekly"].sheet}
        if t.task_id not in rows_of[t.department]:
            issues.append(warning("row-missing", f"任务 {t.task_id} 的行不在交回的文件中(行被删除"
                                  f"或任务编号被清空);{shown}", **sheet))
        else:
            issues.append(warning("not-reported", f"任务 {t.task_id} 本周没有填写进度;{shown}",
                                  **sheet))
    return tasks, issues


# TaskState.of, remembered: a few dozen (done, days, threshold) cover a project, and an
# enum member is slow to look up (a task's status is asked for 100,000 times)
_state_of = functools.lru_cache(maxsize=1024)(TaskState.of)


def _where(rec: Record) -> dict[str, str]:
    """A row's task id cell, for an issue about the row."""
    return {"file": rec.source.file, "sheet": rec.source.sheet,
            "cell": rec.cells.get("task_id", f"A{rec.source.row}")}


def _status(ref: TaskRef, rec: Record | None, prev: TaskStatus | None,
            ctx: Context) -> TaskStatus:
    source: Source | None
    finished = None  # a carried task reported 100% without a date finished back then
    if rec is not None:
        v = rec.values
        percent, actual, forecast = v.get("percent"), v.get("actual_date"), v.get("forecast_date")
        texts, data_week, source, headcount = _texts(v), ctx.week, rec.source, v.get("headcount")
    elif prev is not None and prev.data_week is not None:
        percent, actual, forecast = prev.percent, prev.actual, prev.forecast
        texts, data_week, source, headcount = dict(prev.texts), prev.data_week, prev.source, None
        if prev.done and actual is None:
            finished = prev.expected
    else:
        percent = actual = forecast = None
        texts, data_week, source, headcount = {}, None, None, None
    done, expected, days = deviation(ref.due, ctx.as_of, percent=percent,
                                     actual=actual or finished, forecast=forecast, ctx=ctx)
    return TaskStatus(
        task_id=ref.id, department=ref.department, milestone=ref.milestone, planned=ref.due,
        percent=percent, actual=actual, forecast=forecast, expected=expected,
        deviation_days=days, status=_state_of(done, days, ctx.threshold),
        reported=rec is not None, data_week=data_week, headcount=headcount, texts=texts,
        source=source, spend=rec.values.get("spend") if rec is not None else None)


def _row_warnings(rec: Record, ref: TaskRef, ctx: Context, issues: list[Issue]) -> None:
    v = rec.values
    pct, actual = v.get("percent"), v.get("actual_date")
    done = actual is not None or (pct is not None and pct >= 100)
    late = (actual or max(v.get("forecast_date") or ref.due, ctx.as_of)) > ref.due
    if not (done or late):
        return  # on track, nothing to say (the common case)
    where = {"file": rec.source.file, "sheet": rec.source.sheet}
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
    if late and not v.get("deviation_reason"):
        issues.append(warning("missing-reason", f"任务 {ref.id} 进度落后,但没有填写偏差原因",
                              cell=rec.cells.get("deviation_reason", ""), **where))
    if late and not done and not v.get("forecast_date"):
        issues.append(warning("missing-forecast", f"任务 {ref.id} 已过计划日期仍未完成,"
                              "请填写预计完成日期", cell=rec.cells.get("forecast_date", ""), **where))
