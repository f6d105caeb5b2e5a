"""甘特图: one row per task, days (or weeks) as columns, bars drawn by conditional
formatting from the row's own date cells, so the chart follows when someone edits a
date in Excel. Shared by the consolidated report and the PMO master.

Bars, by priority: done (green) from start to the actual finish; the late part of the
expected bar (red) from the day after 计划完成 to 预计/实际完成; the expected bar (blue);
the planned bar (light blue) from start to 计划完成; the baseline as a dark line under
the cells up to 基线完成. Today's (the as-of date's) column has red side lines; milestone
rows show ◆ on the planned date and ◇ on a later forecast (formulas, also live).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from xlsxwriter.utility import xl_col_to_name

from ..model.records import TaskStatus
from ..model.vocab import TaskState
from ..project import Project
from ..styles import A3, FONT, FONT_SIZE, HEADER_FILL, Styles, page_setup
from ._common import put, put_rows

SHEET = "甘特图"
DAY_LIMIT = 120  # a plan longer than this many days gets one column per week
DONE_BAR, LATE_BAR, EXPECTED_BAR, PLANNED_BAR = "#70AD47", "#E06666", "#5B9BD5", "#BDD7EE"
BASELINE_LINE, TODAY_LINE, WEEKEND_FILL = "#404040", "#FF0000", "#F2F2F2"
COLUMNS = [("任务编号", 8), ("部门", 8), ("任务", 18), ("负责人", 7), ("开始日期", 10.5),
           ("计划完成", 10.5), ("预计/实际完成", 10.5), ("基线完成", 10.5), ("状态", 7),
           ("关键路径", 5)]
START, DUE, EXPECTED, BASELINE, STATUS = 4, 5, 6, 7, 8  # columns of COLUMNS
FIRST_DAY = len(COLUMNS)  # the first date column
HEAD, TOP = 1, 2  # the header row (dates in the date columns); the first task row
AS_OF_CELL = "$G$1"  # the as-of date, in the title row: edit it and the line moves
DONE_WORDS = (TaskState.DONE.value, TaskState.DONE_LATE.value)


class GanttTask(NamedTuple):
    """One task's bar (a named tuple: made for every task of a 100,000-task plan, where
    a frozen dataclass took 2 µs a task)."""

    id: str
    department: str
    name: str
    owner: str
    start: dt.date  # planned start (a task without one: see `planned_start`)
    due: dt.date
    expected: dt.date | None = None
    status: str = ""
    critical: bool = False


@dataclass(frozen=True)
class GanttMilestone:
    id: str
    name: str
    date: dt.date
    forecast: dt.date | None = None


def planned_start(project: Project, task_id: str) -> dt.date:
    """开始日期, or for a task without one the latest due date of its predecessors (it
    starts when they are planned to finish), or its own due date (a point)."""
    task = project.task_map[task_id]
    if task.start is not None:
        return task.start
    if task.after:
        return min(task.due, max(project.task_map[p].due for p in task.after))
    return task.due


def gantt_tasks(project: Project,
                statuses: Sequence[TaskStatus] | None = None) -> list[GanttTask]:
    """The plan's tasks with, when a merge is given, its expected dates and statuses."""
    by_id = {s.task_id: s for s in statuses or ()}
    out = []
    for t in project.tasks:
        s = by_id.get(t.id)
        out.append(GanttTask(t.id, t.department, t.deliverable, t.owner,
                             planned_start(project, t.id), t.due,
                             s.expected if s else None, str(s.status) if s else "",
                             bool(s and s.critical)))
    return out


def gantt_milestones(project: Project,
                     forecasts: Mapping[str, dt.date | None] | None = None
                     ) -> list[GanttMilestone]:
    forecasts = forecasts or {}
    return [GanttMilestone(m.id, m.name, m.date, forecasts.get(m.id)) for m in project.milestones]


def _span(tasks: Sequence[GanttTask], milestones: Sequence[GanttMilestone],
          baseline: Mapping[str, dt.date], start: dt.date, end: dt.date,
          as_of: dt.date, until: dt.date) -> tuple[dt.date, int, int]:
    """(first column's date, days per column, number of columns); nothing after `until`
    (the end of the late window), however far a chain of late tasks pushes a date."""
    days = [start, end, as_of, *(t.start for t in tasks), *(t.due for t in tasks),
            *(t.expected for t in tasks if t.expected), *baseline.values(),
            *(m.date for m in milestones), *(m.forecast for m in milestones if m.forecast)]
    first, last = min(days), min(max(days), max(until, start))
    if (last - first).days + 1 <= DAY_LIMIT:
        return first, 1, (last - first).days + 1
    first -= dt.timedelta(days=first.weekday())  # weeks from Monday
    return first, 7, (last - first).days // 7 + 1


def write_gantt(wb: Any, st: Styles, *, title: str, tasks: Sequence[GanttTask],
                milestones: Sequence[GanttMilestone], as_of: dt.date, start: dt.date,
                end: dt.date, until: dt.date | None = None,
                baseline: Mapping[str, dt.date] | None = None, name: str = SHEET) -> Any:
    """Add the Gantt sheet. `baseline`: task id -> baselined due date (PMO备案); None
    draws the planned dates as the baseline."""
    base = dict(baseline or {})
    ws = wb.add_worksheet(name)
    first, step, count = _span(tasks, milestones, base, start, end, as_of,
                               until or end + dt.timedelta(days=90))
    last_col = FIRST_DAY + count - 1
    cell_fmt = {"font_name": FONT, "font_size": FONT_SIZE, "border": 1, "border_color": "#BFBFBF"}
    day_head = wb.add_format({**cell_fmt, "bold": True, "font_color": "#FFFFFF",
                              "bg_color": HEADER_FILL, "num_format": "m-d", "rotation": 90,
                              "align": "center", "valign": "vcenter"})
    diamond = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE, "align": "center",
                             "font_color": "#C00000"})
    # the title row: the title, and the as-of date the today line follows
    ws.write_string(0, 0, title, st.title)
    ws.write_string(0, EXPECTED - 1, "统计日", st.label)
    put(ws, 0, EXPECTED, as_of, st, st.date)
    ws.write_string(0, EXPECTED + 1, "按周" if step == 7 else "按日", st.note)
    # the header row: the columns, then one date per day or week
    ws.set_row(HEAD, 42)
    for c, (label, width) in enumerate(COLUMNS):
        ws.write_string(HEAD, c, label, st.header)
        ws.set_column(c, c, width)
    ws.set_column(FIRST_DAY, last_col, 3.6 if step == 7 else 2.6)
    for i in range(count):
        put(ws, HEAD, FIRST_DAY + i, first + dt.timedelta(days=i * step), st, day_head)
    row = put_rows(ws, TOP, ([t.id, t.department, t.name, t.owner, t.start, t.due,
                              t.expected, base.get(t.id, t.due), t.status,
                              "✓" if t.critical else ""] for t in tasks),
                   [w for _, w in COLUMNS], st,
                   {c: st.date if START <= c <= BASELINE else st.plain
                    for c in range(len(COLUMNS))}, fit=False)
    last_task = row - 1
    for m in milestones:
        values = [m.id, "里程碑", f"◆ {m.name}", "", None, m.date, m.forecast, None, "", ""]
        for c, value in enumerate(values):
            put(ws, row, c, value, st, st.date if START <= c <= BASELINE else st.bold)
        for i in range(count):
            day = first + dt.timedelta(days=i * step)
            col = xl_col_to_name(FIRST_DAY + i)
            inside = _inside(f"$F{row + 1}", f"{col}${HEAD + 1}", step)
            later = f"AND($G{row + 1}>$F{row + 1},{_inside(f'$G{row + 1}', f'{col}${HEAD + 1}', step)})"
            shown = ("◆" if day <= m.date < day + dt.timedelta(days=step) else
                     "◇" if m.forecast and m.forecast > m.date
                     and day <= m.forecast < day + dt.timedelta(days=step) else "")
            ws.write_formula(row, FIRST_DAY + i, f'=IF({inside},"◆",IF({later},"◇",""))',
                             diamond, shown)
        row += 1
    last_row = row - 1
    _bars(wb, ws, step, last_task, last_col)
    _today(wb, ws, step, last_row, last_col)
    ws.freeze_panes(TOP, FIRST_DAY)
    page_setup(ws, title=title, paper=A3, repeat_rows=HEAD)
    return ws


def _inside(day: str, column: str, step: int) -> str:
    """`day` falls in the column's day (or week)."""
    if step == 1:
        return f"{day}={column}"
    return f"AND({day}>={column},{day}<={column}+{step - 1})"


def _bars(wb: Any, ws: Any, step: int, last_task: int, last_col: int) -> None:
    if last_task < TOP:
        return
    r = TOP + 1  # formulas are written for the range's top-left cell
    d0 = f"{xl_col_to_name(FIRST_DAY)}${HEAD + 1}"
    d1 = d0 if step == 1 else f"({d0}+{step - 1})"
    s, p, e, b, status = (f"${xl_col_to_name(c)}{r}" for c in
                          (START, DUE, EXPECTED, BASELINE, STATUS))
    done = f'OR({status}="{DONE_WORDS[0]}",{status}="{DONE_WORDS[1]}")'
    rules = [
        (f"AND({done},{e}<>\"\",{s}<={d1},{e}>={d0})", {"bg_color": DONE_BAR}),
        (f"AND({e}<>\"\",{e}>{p},{p}+1<={d1},{e}>={d0})", {"bg_color": LATE_BAR}),
        (f"AND({e}<>\"\",{s}<={d1},{e}>={d0})", {"bg_color": EXPECTED_BAR}),
        (f"AND({s}<={d1},{p}>={d0})", {"bg_color": PLANNED_BAR}),
        (f"AND({b}<>\"\",{s}<={d1},{b}>={d0})", {"bottom": 1, "bottom_color": BASELINE_LINE}),
    ]
    if step == 1:
        rules.append((f"WEEKDAY({d0},2)>5", {"bg_color": WEEKEND_FILL}))
    for formula, fmt in rules:
        ws.conditional_format(TOP, FIRST_DAY, last_task, last_col,
                              {"type": "formula", "criteria": "=" + formula,
                               "format": wb.add_format(fmt)})


def _today(wb: Any, ws: Any, step: int, last_row: int, last_col: int) -> None:
    """The as-of column: red side lines down the chart, the header cell in red."""
    column = f"{xl_col_to_name(FIRST_DAY)}${HEAD + 1}"
    today = "=" + _inside(AS_OF_CELL, column, step)
    ws.conditional_format(HEAD, FIRST_DAY, HEAD, last_col, {
        "type": "formula", "criteria": today,
        "format": wb.add_format({"bg_color": TODAY_LINE, "font_color": "#FFFFFF"})})
    if last_row >= TOP:
        ws.conditional_format(TOP, FIRST_DAY, last_row, last_col, {
            "type": "formula", "criteria": today,
            "format": wb.add_format({"left": 1, "left_color": TODAY_LINE, "right": 1,
                                     "right_color": TODAY_LINE})})
