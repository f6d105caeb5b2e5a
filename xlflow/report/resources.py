"""The PMO's resource-conflict workbook: conflicts with the proposed order, and a
weekly timeline of people demanded per department and project."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import xlsxwriter

from ..model.resources import ResourcePlan, WeekLoad, in_week, plan_mondays, weekly_load
from ..model.vocab import ResourceKind
from ..styles import Styles, page_setup
from ..weeks import week_label
from ._common import OPTIONS, headers, put, put_row, table


def write_resource_plan(path: Path, plan: ResourcePlan) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": "跨项目资源冲突", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("冲突")
    columns = [("类型", 8), ("部门/人员", 12), ("开始", 12), ("结束", 12), ("可投入", 10),
               ("需求合计", 10), ("涉及项目(按优先级)", 50), ("协调建议", 60), ("资源", 14),
               ("单位", 6)]
    if plan.conflicts:
        table(ws, 0, columns, ([_KIND[c.kind], c.subject, c.start, c.end, c.capacity, c.demand,
                                _projects(c), c.proposal,
                                c.resource + (f":{c.item}" if c.item else ""), c.unit]
                               for c in plan.conflicts), st)
    else:
        headers(ws, 0, columns, st)
        ws.write_string(1, 0, "没有发现资源冲突。", st.note)
    page_setup(ws, title="跨项目资源冲突", repeat_rows=0)
    _timeline(wb, st, plan)
    ps = wb.add_worksheet("项目")
    table(ps, 0, [("项目编号", 14), ("名称", 30), ("优先级", 8), ("开始", 12), ("结束", 12),
                  ("涉及部门", 40)],
          ([p["id"], p["name"], p["priority"], dt.date.fromisoformat(p["start"]),
            dt.date.fromisoformat(p["end"]), "、".join(p["departments"])]
           for p in plan.projects), st)
    page_setup(ps, title="跨项目资源冲突 · 项目", repeat_rows=0)
    _budget_and_equipment(wb, st, plan)
    wb.close()


_KIND = {"department": "部门", "person": "人员", "company": "公司"}


def _budget_and_equipment(wb, st: Styles, plan: ResourcePlan) -> None:
    """Every budget and equipment need with what its department (or the company) has."""
    ws = wb.add_worksheet("预算与设备")
    columns = [("类别", 8), ("部门", 10), ("资源", 16), ("项目(优先级)", 22), ("数量", 12),
               ("单位", 6), ("开始", 12), ("结束", 12), ("部门可用", 12), ("公司资源池", 12)]
    pools = {(p["kind"], p["item"]): p["quantity"] for p in plan.pools}
    rank = {p["id"]: i for i, p in enumerate(plan.projects)}
    rows = []
    for d in sorted([*plan.budget_demands, *plan.equipment_demands],
                    key=lambda d: (d.kind, d.department, d.item, rank.get(d.project_id, 0))):
        if d.kind == ResourceKind.BUDGET.value:
            own = plan.budgets.get(d.department)
            pool = pools.get((d.kind, d.item), pools.get((d.kind, "")))
            unit = "元(每月)" if own is not None or pool is not None else "元"
        else:
            own = plan.equipment.get(d.department, {}).get(d.item)
            pool = pools.get((d.kind, d.item))
            unit = d.unit
        rows.append([d.kind, d.department, d.item, f"{d.project_id}({d.priority})",
                     d.quantity, unit, d.start, d.end, own, pool])
    if rows:
        table(ws, 0, columns, rows, st)
    else:
        headers(ws, 0, columns, st)
        ws.write_string(1, 0, "各项目没有预算或设备类资源需求。", st.note)
    page_setup(ws, title="跨项目资源冲突 · 预算与设备", repeat_rows=0)


def _projects(conflict) -> str:
    unit = "" if conflict.unit == "名" else f" {conflict.unit}"
    return ";".join(
        f"{p['project_id']} {p['name']}({p['priority']})"
        + (f" 需 {p['need']:,.2f}".rstrip("0").rstrip(".") + f"{unit} 配 "
           + f"{p['allocated']:,.2f}".rstrip("0").rstrip(".") + unit if "need" in p else
           f" 任务 {'、'.join(p['tasks'])}") for p in conflict.projects)


def _timeline(wb, st: Styles, plan: ResourcePlan) -> None:
    ws = wb.add_worksheet("时间线")
    page_setup(ws, title="跨项目资源冲突 · 时间线(人/周)", repeat_rows=0)
    if not plan.demands:
        ws.write_string(0, 0, "各项目没有以人数计的资源需求(resources 中单位为 名/人)。", st.note)
        return
    mondays = plan_mondays(plan)
    columns = [("部门", 10), ("项目", 16), ("可投入", 8)] + [(week_label(m), 9) for m in mondays]
    headers(ws, 0, columns, st)
    widths = [w for _, w in columns]
    loads: dict[str, list[WeekLoad]] = defaultdict(list)
    for load in weekly_load(plan):
        loads[load.department].append(load)
    row = 0
    for dept in sorted({d.department for d in plan.demands}):
        items = [d for d in plan.demands if d.department == dept]
        for d in items:
            row += 1
            weeks = [d.people if in_week(d, monday) else None for monday in mondays]
            put_row(ws, row, [dept, f"{d.project_id}({d.priority})", None, *weeks], widths, st,
                    dict.fromkeys(range(3, 3 + len(mondays)), st.dec))
        row += 1
        cap = plan.capacity.get(dept)
        put(ws, row, 0, dept, st)
        put(ws, row, 1, "合计", st)
        put(ws, row, 2, cap, st, st.dec)
        for c, load in enumerate(loads[dept], start=3):
            put(ws, row, c, load.total, st, st.dec)
        if cap is not None:
            ws.conditional_format(row, 3, row, 2 + len(mondays),
                                  {"type": "cell", "criteria": ">", "value": cap,
                                   "format": st.bad})
    ws.freeze_panes(1, 3)
