"""Finish-to-start forecast over 前置任务, the project's forecast end and its critical path.

A task cannot finish before a predecessor's expected finish plus its own planned
duration when that predecessor finishes after the task's planned start; a late
predecessor so pushes the expected finish (and with it the deviation
and status) of what waits for it. One pass in topological order, one pass back from the
end: time proportional to tasks + links (README: Schedule deviation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..model.records import TaskStatus
from ..model.vocab import TaskState
from .context import Context, TaskRef


@dataclass(frozen=True)
class Forecast:
    end: dt.date | None  # the latest expected finish of any task
    critical: tuple[str, ...]  # the chain that sets it, in plan order


def topological_order(tasks: Mapping[str, TaskRef]) -> list[str]:
    """Task ids, every predecessor before its successors (Kahn's algorithm); ties keep
    the plan's order. project.yaml refuses cycles at load, so every task is placed."""
    waiting = {tid: len(ref.after) for tid, ref in tasks.items()}
    successors: dict[str, list[str]] = {}
    for tid, ref in tasks.items():
        for pid in ref.after:
            successors.setdefault(pid, []).append(tid)
    order = [tid for tid, n in waiting.items() if n == 0]
    i = 0
    while i < len(order):
        for sid in successors.get(order[i], ()):
            waiting[sid] -= 1
            if waiting[sid] == 0:
                order.append(sid)
        i += 1
    return order


def planned_begin(ref: TaskRef, tasks: Mapping[str, TaskRef]) -> dt.date:
    """When the task is planned to start: 开始日期, else when its latest predecessor is
    planned to finish (none: its due date, a point)."""
    if ref.start is not None:
        return ref.start
    if ref.after:
        return min(ref.due, max(tasks[p].due for p in ref.after))
    return ref.due


def duration(ref: TaskRef, begin: dt.date, ctx: Context) -> int:
    """Planned duration from `begin` (planned_begin), in the days deviation counts."""
    return max(ctx.days(begin, ref.due), 0)


def apply_forecast(statuses: Sequence[TaskStatus], ctx: Context) -> Forecast:
    """Push the expected finish of not-done tasks behind late predecessors (in place:
    expected, deviation_days, status, pushed_by) and mark the critical path."""
    by_id = {t.task_id: t for t in statuses}
    refs = ctx.tasks
    durations: dict[str, int] = {}
    for tid in topological_order(refs):
        ref, task = refs[tid], by_id.get(tid)
        if task is None or not ref.after:
            continue
        begin = planned_begin(ref, refs)
        durations[tid] = need = duration(ref, begin, ctx)
        if task.done:
            continue
        latest, driver = None, ""
        for pid in ref.after:
            before = by_id.get(pid)
            # a predecessor finishing by the planned start holds nothing up: the
            # department's own forecast stands (it may know it started early)
            if before is None or before.expected is None or before.expected <= begin:
                continue
            finish = ctx.shift(before.expected, need)
            if latest is None or finish > latest:
                latest, driver = finish, pid
        if latest is not None and task.expected is not None and latest > task.expected:
            task.expected = latest
            task.deviation_days = ctx.days(ref.due, latest)
            task.status = TaskState.of(False, task.deviation_days, ctx.threshold)
            task.pushed_by = driver
    end = max((t.expected for t in statuses if t.expected), default=None)
    critical = {t.task_id for t in statuses if end is not None and t.expected == end}
    stack = list(critical)
    while stack:  # back along the links that leave no float
        sid = stack.pop()
        link, task = refs.get(sid), by_id[sid]
        if link is None or task.expected is None:
            continue
        for pid in link.after:
            before = by_id.get(pid)
            if (pid not in critical and before is not None and before.expected is not None
                    and ctx.shift(before.expected, durations[sid]) == task.expected):
                critical.add(pid)
                stack.append(pid)
    for t in statuses:
        t.critical = t.task_id in critical
    return Forecast(end, tuple(t.task_id for t in statuses if t.critical))
