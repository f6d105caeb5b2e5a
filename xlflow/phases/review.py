"""月复盘: a month's trend per department from the ledger (pandas pivots)."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from ..merge.pipeline import people_needed
from ..merge.spend import budgets
from ..model.review import MonthlyReview
from ..project import Project
from ..weeks import week_label, weeks_between
from .history import History


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(f"{month}-01")
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def month_weeks(first: dt.date, last: dt.date, project: Project) -> list[str]:
    """ISO weeks whose Friday (the merge day) falls in the month and the project."""
    lo, hi = max(first, project.start), min(last, project.end)
    weeks = []
    day = lo
    while day <= hi:
        label = week_label(day)
        friday = dt.date.fromisocalendar(*day.isocalendar()[:2], 5)
        if lo <= friday <= hi and label not in weeks:
            weeks.append(label)
        day += dt.timedelta(days=1)
    return weeks


def month_spend(project: Project, history: History, month_ids: set[int]
                ) -> list[dict[str, Any]]:
    """本周支出 per week of the month and department, with the running total from the
    project's first recorded week and the budget it is measured against."""
    budget = budgets(project)
    spent: dict[str, float] = {}
    out = []
    for m in history.merges:
        week = {}
        for d in (d.name for d in project.departments):
            amounts = [t.spend for t in history.tasks[m.id]
                       if t.department == d and t.reported and t.spend is not None]
            if amounts:
                week[d] = round(sum(amounts), 2)
                spent[d] = round(spent.get(d, 0.0) + week[d], 2)
        if m.id not in month_ids:
            continue
        for d in (d.name for d in project.departments):
            if d in week or d in budget:
                total = spent.get(d, 0.0)
                out.append({"week": m.week, "department": d, "spend": week.get(d),
                            "spent": total, "budget": budget.get(d),
                            "remaining": None if d not in budget else round(budget[d] - total, 2)})
    return out


def build_review(project: Project, month: str, history: History) -> MonthlyReview:
    first, last = month_bounds(month)
    merges = history.merges
    in_month = [m for m in merges if first <= m.as_of <= last]
    recorded = {m.week for m in merges}
    missing = [w for w in month_weeks(first, last, project) if w not in recorded]
    if in_month:
        missing = sorted(set(missing) | {w for a, b in pairwise(in_month)
                                          for w in weeks_between(a.week, b.week)})
    task_rows = [{"week": m.week, "department": t.department,
                  "slip": max(t.deviation_days, 0), "on_time": t.status.on_time}
                 for m in in_month for t in history.tasks[m.id]]
    import pandas as pd

    frame = pd.DataFrame(task_rows, columns=["week", "department", "slip", "on_time"])
    order = [d.name for d in project.departments]
    slip = frame.pivot_table(index="department", columns="week", values="slip", aggfunc="mean")
    on_time = frame.pivot_table(index="department", columns="week", values="on_time",
                                aggfunc="mean")
    slip = slip.reindex([d for d in order if d in slip.index])
    on_time = on_time.reindex([d for d in order if d in on_time.index])
    risk_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    was_open: set[str] = set()
    month_ids = {m.id for m in in_month}
    for m in merges:  # from the start, so "raised" means first seen in that week
        now_open = set()
        for r in history.risks[m.id]:
            if m.id in month_ids:
                if r.risk_id not in seen:
                    risk_rows.append({"week": m.week, "department": r.department,
                                      "kind": "raised"})
                if r.risk_id in was_open and not r.is_open:
                    risk_rows.append({"week": m.week, "department": r.department,
                                      "kind": "closed"})
            seen.add(r.risk_id)
            if r.is_open:
                now_open.add(r.risk_id)
        was_open = now_open
    risks = pd.DataFrame(risk_rows, columns=["week", "department", "kind"])
    risks = (risks.groupby(["week", "department", "kind"]).size().unstack("kind", fill_value=0)
             .reindex(columns=["raised", "closed"], fill_value=0).reset_index())
    headcount = []
    for m in in_month:
        needed = people_needed(project, m.week)
        for d in order:
            counts = [t.headcount for t in history.tasks[m.id]
                      if t.department == d and t.reported and t.headcount is not None]
            if counts or d in needed:
                headcount.append({"week": m.week, "department": d,
                                  "people": sum(counts) if counts else None,
                                  "planned": needed.get(d)})
    spend = month_spend(project, history, {m.id for m in in_month})
    final_tasks = history.tasks[in_month[-1].id] if in_month else []
    final_risks = history.risks[in_month[-1].id] if in_month else []
    deliverables = {t.id: t.deliverable for t in project.tasks}
    finished = [{"id": t.task_id, "department": t.department,
                 "deliverable": deliverables.get(t.task_id, ""), "actual": t.actual.isoformat(),
                 "status": str(t.status)} for t in final_tasks
                if t.done and t.actual and first <= t.actual <= last]
    open_tasks = [{"id": t.task_id, "department": t.department,
                   "deliverable": deliverables.get(t.task_id, ""),
                   "planned": t.planned.isoformat(),
                   "expected": t.expected.isoformat() if t.expected else None,
                   "status": str(t.status), "deviation_days": t.deviation_days}
                  for t in final_tasks if not t.done]
    open_risks = [{"id": r.risk_id, "department": r.department, "level": r.level,
                   "status": r.status, "description": r.values.get("description", "")}
                  for r in final_risks if r.is_open]
    return MonthlyReview(month, [m.week for m in in_month], slip, on_time, risks, finished,
                         open_tasks, open_risks, missing, headcount, spend)
