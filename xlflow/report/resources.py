"""The PMO's resource-conflict workbook: conflicts with the proposed order, and a
weekly timeline of people demanded per department and project."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ..phases.resources import ResourcePlan
from ..weeks import week_label
from ._common import OPTIONS, Styles, headers, print_setup, put


def write_resource_plan(path: Path, plan: ResourcePlan) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": "跨项目资源冲突", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("冲突")
    headers(ws, 0, [("类型", 8), ("部门/人员", 12), ("开始", 12), ("结束", 12), ("可投入", 8),
                    ("需求合计", 9), ("涉及项目(按优先级)", 50), ("协调建议", 60)], st)
    for r, c in enumerate(plan.conflicts, start=1):
        projects = ";".join(
            f"{p['project_id']} {p['name']}({p['priority']})"
            + (f" 需 {p['need']:g} 配 {p['allocated']:g}" if "need" in p else
               f" 任务 {'、'.join(p['tasks'])}") for p in c.projects)
        for col, value in enumerate(["部门" if c.kind == "department" else "人员", c.subject,
                                     c.start, c.end, c.capacity, c.demand, projects, c.proposal]):
            put(ws, r, col, value, st)
    if not plan.conflicts:
        ws.write_string(1, 0, "没有发现资源冲突。", st.text)
    print_setup(ws)
    _timeline(wb, st, plan)
    ps = wb.add_worksheet("项目")
    headers(ps, 0, [("项目编号", 14), ("名称", 30), ("优先级", 8), ("开始", 12), ("结束", 12),
                    ("涉及部门", 40)], st)
    for r, p in enumerate(plan.projects, start=1):
        for col, value in enumerate([p["id"], p["name"], p["priority"],
                                     dt.date.fromisoformat(p["start"]),
                                     dt.date.fromisoformat(p["end"]),
                                     "、".join(p["departments"])]):
            put(ps, r, col, value, st)
    wb.close()


def _timeline(wb, st: Styles, plan: ResourcePlan) -> None:
    ws = wb.add_worksheet("时间线")
    if not plan.demands:
        ws.write_string(0, 0, "各项目没有以人数计的资源需求(resources 中单位为 名/人)。", st.text)
        return
    first = min(d.start for d in plan.demands)
    last = max(d.end for d in plan.demands)
    mondays = []
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        mondays.append(day)
        day += dt.timedelta(days=7)
    headers(ws, 0, [("部门", 10), ("项目", 16), ("可投入", 8)] +
            [(week_label(m), 9) for m in mondays], st)
    row = 0
    for dept in sorted({d.department for d in plan.demands}):
        items = [d for d in plan.demands if d.department == dept]
        for d in items:
            row += 1
            put(ws, row, 0, dept, st)
            put(ws, row, 1, f"{d.project_id}({d.priority})", st)
            for c, monday in enumerate(mondays, start=3):
                sunday = monday + dt.timedelta(days=6)
                value = d.people if d.start <= sunday and d.end >= monday else None
                put(ws, row, c, value, st, st.dec)
        row += 1
        cap = plan.capacity.get(dept)
        put(ws, row, 0, dept, st)
        put(ws, row, 1, "合计", st)
        put(ws, row, 2, cap, st, st.dec)
        for c, monday in enumerate(mondays, start=3):
            sunday = monday + dt.timedelta(days=6)
            total = sum(d.people for d in items if d.start <= sunday and d.end >= monday)
            put(ws, row, c, total, st, st.dec)
        if cap is not None:
            ws.conditional_format(row, 3, row, 2 + len(mondays),
                                  {"type": "cell", "criteria": ">", "value": cap,
                                   "format": st.bad})
    ws.freeze_panes(1, 3)
    print_setup(ws)
