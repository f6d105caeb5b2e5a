"""The PMO's resource-conflict workbook: conflicts with the proposed order, and a
timeline of people and equipment per week and budget per month, per department and
project, against each department's and the company's pools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..model.resources import Demand, ResourcePlan, in_week, month_share, months
from ..model.vocab import ResourceKind
from ..styles import Styles, page_setup
from ..weeks import week_label
from ._common import OPTIONS, headers, put_row, table


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
    close_workbook(wb)


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
    """People and equipment per ISO week, budget per calendar month (as they are
    compared): each holder's rows per project, then its 合计 against what it has — the
    department's capacity, equipment or 元 per month, and the company's pools — in red
    where over."""
    ws = wb.add_worksheet("时间线")
    page_setup(ws, title="跨项目资源冲突 · 时间线(人力、设备按周,预算按月)", repeat_rows=0)
    timed = [*plan.demands, *plan.equipment_demands]
    if not timed and not plan.budget_demands:
        ws.write_string(0, 0, "各项目没有人力、预算或设备类资源需求(project.yaml 的 resources)。",
                        st.note)
        return
    mondays = _mondays(timed or plan.budget_demands)
    wide = 11 if plan.budget_demands else 9  # room for 80,000.00 below the weeks
    columns = [("部门", 10), ("项目", 16), ("可投入", wide - 1)] + [(week_label(m), wide)
                                                               for m in mondays]
    headers(ws, 0, columns, st)
    widths: list[float] = [w for _, w in columns]
    pools = {(p["kind"], p["item"]): p["quantity"] for p in plan.pools}

    def weekly(d: Demand, monday: dt.date) -> float | None:
        return d.quantity if in_week(d, monday) else None

    row = 0
    if plan.demands:
        row = _block(ws, row, st, widths, plan.demands, mondays, weekly,
                     holders=[((dept,), plan.capacity.get(dept))
                              for dept in sorted({d.department for d in plan.demands})],
                     pools=[(item, amount) for (kind, item), amount in pools.items()
                            if kind == ResourceKind.PEOPLE.value], fmt=st.dec)
    for item in sorted({d.item for d in plan.equipment_demands}):
        mine = [d for d in plan.equipment_demands if d.item == item]
        row += 2
        ws.write_string(row, 0, f"设备:{item}({mine[0].unit},按周)", st.section)
        row = _block(ws, row, st, widths, mine, mondays, weekly,
                     holders=[((dept,), plan.equipment.get(dept, {}).get(item))
                              for dept in sorted({d.department for d in mine})],
                     pools=[(item, amount) for (kind, pool_item), amount in pools.items()
                            if kind == ResourceKind.EQUIPMENT.value and pool_item == item],
                     fmt=st.dec)
    if plan.budget_demands:
        spans = _months_of(plan.budget_demands)
        row += 2
        ws.write_string(row, 0, "预算(元/月,按期间平均分摊;可投入为每月预算)", st.section)
        row += 1
        for c, name in enumerate(["部门", "项目", "每月预算",
                                  *(f"{first.year}-{first.month:02d}" for first, _ in spans)]):
            ws.write_string(row, c, name, st.header)

        def monthly(d: Demand, first: dt.date) -> float | None:
            last = next(m_last for m_first, m_last in spans if m_first == first)
            return month_share(d, first, last) or None

        _block(ws, row, st, widths[:3] + [12.0] * len(spans), plan.budget_demands,
               [first for first, _ in spans], monthly,
               holders=[((dept,), plan.budgets.get(dept))
                        for dept in sorted({d.department for d in plan.budget_demands})],
               pools=[(item, amount) for (kind, item), amount in pools.items()
                      if kind == ResourceKind.BUDGET.value], fmt=st.money)
    ws.freeze_panes(1, 3)


def _block(ws, row: int, st: Styles, widths: list[float], demands: Sequence[Demand],
           periods: Sequence[dt.date], amount: Callable[[Demand, dt.date], float | None], *,
           holders: Sequence[tuple[tuple[str], float | None]],
           pools: Sequence[tuple[str, float]], fmt: Any) -> int:
    """Per department its projects' rows and 合计 against its pool; then each company
    pool's 合计 over every department (the pool's item, or all). Returns the last row."""
    fmts = dict.fromkeys(range(3, 3 + len(periods)), fmt)

    def total_row(name: str, label: str, chosen: Sequence[Demand], cap: float | None) -> None:
        nonlocal row
        row += 1
        totals = [round(sum(amount(d, p) or 0.0 for d in chosen), 2) for p in periods]
        put_row(ws, row, [name, label, cap, *totals], widths, st, {2: fmt, **fmts})
        if cap is not None and periods:
            ws.conditional_format(row, 3, row, 2 + len(periods),
                                  {"type": "cell", "criteria": ">", "value": cap,
                                   "format": st.bad})

    for (dept,), cap in holders:
        items = [d for d in demands if d.department == dept]
        for d in items:
            row += 1
            put_row(ws, row, [dept, f"{d.project_id}({d.priority})", None,
                              *(amount(d, p) for p in periods)], widths, st, fmts)
        total_row(dept, "合计", items, cap)
    for item, cap in pools:
        chosen = [d for d in demands if not item or d.item == item]
        total_row("公司", f"合计(公司资源池{':' + item if item else ''})", chosen, cap)
    return row


def _mondays(demands: Sequence[Demand]) -> list[dt.date]:
    first = min(d.start for d in demands)
    last = max(d.end for d in demands)
    return [first - dt.timedelta(days=first.weekday()) + dt.timedelta(weeks=n)
            for n in range((last - first + dt.timedelta(days=first.weekday())).days // 7 + 1)]


def _months_of(demands: Sequence[Demand]) -> list[tuple[dt.date, dt.date]]:
    return months(min(d.start for d in demands), max(d.end for d in demands))
