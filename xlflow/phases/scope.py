"""Scope changes after PMO备案: a task added to the plan, a task cancelled.

Both go through change control like a changed date (`baseline.py`): `xlflow change DIR
--add-task ID` records the task as the PMO wrote it in project.yaml (checked by the
normal loader) as change N, pending; `--remove-task ID` records its cancellation. The
approver's `approve --change N` makes either part of the current plan.

A cancelled task is not deleted: xlflow marks it `cancelled: DATE` (the day given
with `--on`, else the day of approval) in project.yaml, in place. The loader keeps it
out of `Project.tasks` — so the next workbooks, the reports, reminders and forecasts
no longer list it — but in `Project.cancelled_tasks`, so the weeks recorded before stay
as they were (a week merged again whose 统计日 is before the cancellation still has the
task), and a return that still reports on it is named (`cancelled-task`, with the
change that cancelled it), not refused as an unknown task.
"""

from __future__ import annotations

import datetime as dt

from ..errors import ProjectError
from ..ledger import Ledger
from ..model.records import Change as ReportChange
from ..model.reports import MergeReport
from ..model.vocab import ChangeKind
from ..project import Project, canonical_id
from ..workspace import Workspace, now
from .baseline import (
    APPROVED,
    CANCELLED,
    TASK,
    TASK_FIELDS,
    Change,
    ChangeItem,
    ChangeResult,
    cancelled_tasks,
    changes,
    pending_changes,
    plan_values,
    planned_tasks,
    read_baseline,
    record_change,
)


def _checked(ws: Workspace, reason: str) -> Project:
    if not reason.strip():
        raise ProjectError("--reason 不能为空:变更要写明原因")
    return ws.project(with_events=False)


def _pending_on(ledger: Ledger, item: str) -> Change | None:
    return next((c for c in pending_changes(ledger)
                 if c.scope is not None and c.scope[0] == item), None)


def request_add(ws: Workspace, task: str, *, by: str, reason: str,
                at: dt.datetime | None = None) -> ChangeResult:
    """Change N (pending): task `task`, as project.yaml defines it now, enters the plan
    (or a cancelled task comes back, once its `cancelled:` line is deleted)."""
    project = _checked(ws, reason)
    item = canonical_id(task)
    if item not in project.task_map:
        if any(t.id == item for t in project.cancelled_tasks):
            raise ProjectError(f"--add-task {item}: project.yaml 中任务 {item} 标为已取消"
                               f"(cancelled:);要恢复它,先删去那一行 cancelled,再提出")
        raise ProjectError(f"--add-task {item}: project.yaml 中没有任务 {item};先在 tasks 中写好"
                           "它(department、role、duty、deliverable、due、owner,可选 start、"
                           "milestone、after),再提出新增")
    t = project.task_map[item]
    if not project.start <= t.due <= project.end:
        raise ProjectError(f"--add-task {item}: 时间节点 {t.due} 不在项目周期 {project.start} 至 "
                           f"{project.end} 内")
    with ws.lock(), ws.ledger() as ledger:
        base = read_baseline(ledger)
        if base is None:
            raise ProjectError("方案尚未 PMO 备案:备案前直接在 project.yaml 中增删任务即可,"
                               "备案后的增删才需要 xlflow change")
        if item in planned_tasks(base.current):
            raise ProjectError(f"--add-task {item}: 任务 {item} 已在计划中;修改它用 xlflow change "
                               f"{ws.root} --task {item} --due …")
        other = _pending_on(ledger, item)
        if other is not None:
            raise ProjectError(f"--add-task {item}: 变更 {other.id} 已提出{other.summary},"
                               "待审批;先审批或驳回它")
        values = plan_values(project)
        items = [ChangeItem(TASK, item, name, "", values[(TASK, item, name)])
                 for name in TASK_FIELDS if (TASK, item, name) in values]
        day = cancelled_tasks(base.current).get(item)
        if day:  # brought back: the cancellation ends
            items.append(ChangeItem(TASK, item, CANCELLED, day, ""))
        change = record_change(ledger, items, by=by, reason=reason, number=base.number,
                               at=at or now())
    return ChangeResult(change, approver=project.approver)


def _check_cancel_day(project: Project, on: dt.date | None, today: dt.date) -> None:
    """A cancellation takes effect on a day of the project that has come."""
    if on is None:
        return
    if on < project.start:
        raise ProjectError(f"--on {on}: 取消日期早于项目开始日期 {project.start}"
                           f"(应为 {project.start} 至今天的一天)")
    if on > today:
        raise ProjectError(f"--on {on}: 取消日期晚于今天 {today}:取消从已经到来的一天起生效,"
                           "请到那一天再提出(或给出今天或更早的一天)")


def request_remove(ws: Workspace, task: str, *, by: str, reason: str,
                   at: dt.datetime | None = None, on: dt.date | None = None) -> ChangeResult:
    """Change N (pending): task `task` is cancelled, from day `on` (default: the day of
    approval). Refused while another task of the plan waits for it (`after`): take it
    out of their `after` in project.yaml first."""
    project = _checked(ws, reason)
    item = canonical_id(task)
    _check_cancel_day(project, on, (at or now()).date())
    waiting = [t.id for t in project.tasks if item in t.after]
    with ws.lock(), ws.ledger() as ledger:
        base = read_baseline(ledger)
        if base is None:
            raise ProjectError("方案尚未 PMO 备案:备案前直接在 project.yaml 中增删任务即可,"
                               "备案后的增删才需要 xlflow change")
        if item not in planned_tasks(base.current):
            gone = cancelled_tasks(base.current).get(item)
            raise ProjectError(f"--remove-task {item}: " + (
                f"任务 {item} 已于 {gone} 取消" if gone else
                f"任务 {item} 不在当前计划中(有:{'、'.join(sorted(planned_tasks(base.current)))})"))
        if waiting:
            raise ProjectError(f"--remove-task {item}: 任务 {'、'.join(waiting)} 的前置任务(after)"
                               f"有 {item},不能取消 {item};先在 project.yaml 中把 {item} 从它们的 "
                               "after 中去掉(需要时改为它的前置任务),再提出取消")
        other = _pending_on(ledger, item)
        if other is not None:
            raise ProjectError(f"--remove-task {item}: 变更 {other.id} 已提出{other.summary},"
                               "待审批;先审批或驳回它")
        items = [ChangeItem(TASK, item, name, base.current[(TASK, item, name)], "")
                 for name in TASK_FIELDS if (TASK, item, name) in base.current]
        # the day: --on, else the day of approval
        items.append(ChangeItem(TASK, item, CANCELLED, "", on.isoformat() if on else ""))
        change = record_change(ledger, items, by=by, reason=reason, number=base.number,
                               at=at or now())
    return ChangeResult(change, approver=project.approver)


# -- in the weekly report ---------------------------------------------------------------------


def scope_by_task(ledger: Ledger | None) -> dict[str, Change]:
    """The approved change that last added or cancelled each task."""
    return {c.scope[0]: c for c in changes(ledger) if c.state == APPROVED and c.scope}


def cancelling_changes(ws: Workspace) -> dict[str, str]:
    """Each cancelled task -> the approved change that cancelled it, as the weekly issues
    name it ('变更 3,陈明批准')."""
    with ws.existing_ledger() as ledger:
        return {tid: f"变更 {c.id},{c.decided_by}批准"
                for tid, c in scope_by_task(ledger).items() if c.scope == (tid, "remove")}


def scope_changes(ws: Workspace, project: Project, report: MergeReport) -> list[ReportChange]:
    """本周变化: tasks in this week's report and not in the previous recorded week's
    (新增任务), and the other way round for a cancelled task (取消任务), each with the
    change that did it."""
    if not report.has_previous:
        return []
    with ws.existing_ledger() as ledger:
        if ledger is None:
            return []
        before = ledger.merge_before(report.week)
        previous = {t.task_id: t for t in ledger.tasks(before.id)} if before else {}
        by_task = scope_by_task(ledger)
    now_ids = {t.task_id for t in report.tasks}
    cancelled = {t.id: t for t in project.cancelled_tasks}
    out = []
    for t in report.tasks:
        c = by_task.get(t.task_id)
        if t.task_id not in previous and c is not None and c.scope == (t.task_id, "add"):
            out.append(ReportChange(ChangeKind.TASK_ADDED, t.task_id, t.department,
                                    f"变更 {c.id}({c.decided_by}批准):{c.summary};"
                                    f"原因:{c.reason}"))
    for tid, prev in sorted(previous.items()):
        if tid in now_ids or tid not in cancelled:
            continue
        c = by_task.get(tid)
        number = f"变更 {c.id}({c.decided_by}批准)" if c is not None else "已取消"
        reason = f";原因:{c.reason}" if c is not None else ""
        out.append(ReportChange(ChangeKind.TASK_CANCELLED, tid, prev.department,
                                f"{number}:自 {cancelled[tid].cancelled} 起取消,不再跟踪;"
                                f"此前各周的数据保留(最后一次 {prev.data_week or '无数据'})"
                                f"{reason}"))
    return out
