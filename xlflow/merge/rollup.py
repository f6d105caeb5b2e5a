"""Roll-ups per department and per milestone."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ..model.records import Rollup, TaskStatus, rollup


def rollup_departments(tasks: Sequence[TaskStatus], departments: Iterable[str], *,
                       returned: Iterable[str] = (),
                       planned_people: Mapping[str, float] | None = None,
                       spent_before: Mapping[str, float] | None = None,
                       budgets: Mapping[str, float] | None = None) -> list[Rollup]:
    """Per department, with whether it returned a file this week, the latest week its
    figures come from, 本周投入人数 summed over this week's rows and the plan's need."""
    by: dict[str, list[TaskStatus]] = defaultdict(list)
    for t in tasks:
        by[t.department].append(t)
    sent = set(returned)
    planned_people = planned_people or {}
    spent_before, budgets = spent_before or {}, budgets or {}
    out = []
    for d in departments:
        members = by.get(d)
        if not members:
            continue
        weeks = [t.data_week for t in members if t.data_week]
        counts = [t.headcount for t in members if t.reported and t.headcount is not None]
        spend = week_spend(members)
        spent = None if spend is None and d not in spent_before else \
            round(spent_before.get(d, 0.0) + (spend or 0.0), 2)
        out.append(rollup(d, members, returned=d in sent, data_week=max(weeks, default=None),
                          headcount=sum(counts) if counts else None,
                          planned_people=planned_people.get(d), spend=spend, spent=spent,
                          budget=budgets.get(d)))
    return out


def week_spend(tasks: Iterable[TaskStatus]) -> float | None:
    """本周支出(元) of this week's rows (None: nobody wrote an amount)."""
    amounts = [t.spend for t in tasks if t.reported and t.spend is not None]
    return round(sum(amounts), 2) if amounts else None


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
