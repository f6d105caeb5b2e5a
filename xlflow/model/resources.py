"""What `xlflow resources` computes: the demands of every project on people, budget and
equipment, the holders' capacity, the conflicts found, and the load per ISO week."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue
from ..weeks import week_label
from .vocab import ResourceKind


@dataclass(frozen=True)
class Demand:
    project_id: str
    project_name: str
    priority: str
    department: str
    item: str
    quantity: float  # in `unit`: 名, 元 (万元 converted) or the equipment's unit
    start: dt.date
    end: dt.date
    kind: str = ResourceKind.PEOPLE.value
    unit: str = "名"
    where: str = ""  # project.yaml:line, for messages

    @property
    def people(self) -> float:
        return self.quantity


@dataclass
class Conflict:
    kind: str  # department | person | company
    subject: str  # department name, person, or 公司 for a company-wide pool
    start: dt.date
    end: dt.date
    capacity: float | None
    demand: float
    projects: list[dict[str, Any]]  # in priority order, with need and proposed allocation
    proposal: str
    resource: str = ResourceKind.PEOPLE.value  # 人力/预算/设备
    item: str = ""  # 设备: which equipment
    unit: str = "名"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "capacity": self.capacity, "demand": self.demand,
                "projects": self.projects, "proposal": self.proposal,
                "resource": self.resource, "item": self.item, "unit": self.unit}


@dataclass
class ResourcePlan:
    projects: list[dict[str, Any]]
    demands: list[Demand]  # people: the weekly timeline
    capacity: dict[str, float]  # people per department
    conflicts: list[Conflict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    budget_demands: list[Demand] = field(default_factory=list)
    equipment_demands: list[Demand] = field(default_factory=list)
    budgets: dict[str, float] = field(default_factory=dict)  # 元 per month per department
    equipment: dict[str, dict[str, float]] = field(default_factory=dict)  # dept -> item -> units
    pools: list[dict[str, Any]] = field(default_factory=list)  # company-wide

    def to_dict(self) -> dict[str, Any]:
        def rows(demands: Sequence[Demand]) -> list[dict[str, Any]]:
            return [{**d.__dict__, "start": d.start.isoformat(), "end": d.end.isoformat()}
                    for d in demands]
        return {"projects": self.projects, "capacity": self.capacity,
                "budgets": self.budgets, "equipment": self.equipment, "pools": self.pools,
                "demands": rows(self.demands), "budget_demands": rows(self.budget_demands),
                "equipment_demands": rows(self.equipment_demands),
                "conflicts": [c.to_dict() for c in self.conflicts],
                "issues": [i.to_dict() for i in self.issues]}


@dataclass(frozen=True)
class WeekLoad:
    """People a department is committed to in one ISO week, per project, against its
    capacity (the smallest any project states; None when none does)."""

    department: str
    monday: dt.date
    capacity: float | None
    by_project: dict[str, float]

    @property
    def week(self) -> str:
        return week_label(self.monday)

    @property
    def total(self) -> float:
        return sum(self.by_project.values())

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.total > self.capacity

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, "week": self.week,
                "monday": self.monday.isoformat(), "capacity": self.capacity,
                "total": self.total, "over": self.over, "by_project": dict(self.by_project)}


def plan_mondays(plan: ResourcePlan) -> list[dt.date]:
    """The Monday of every ISO week from the first demand's start to the last one's end."""
    if not plan.demands:
        return []
    first = min(d.start for d in plan.demands)
    last = max(d.end for d in plan.demands)
    day = first - dt.timedelta(days=first.weekday())
    mondays = []
    while day <= last:
        mondays.append(day)
        day += dt.timedelta(days=7)
    return mondays


def in_week(demand: Demand, monday: dt.date) -> bool:
    """A demand counts in every ISO week it touches."""
    return demand.start <= monday + dt.timedelta(days=6) and demand.end >= monday


def weekly_load(plan: ResourcePlan) -> list[WeekLoad]:
    """Per department (by name) and ISO week, the people demanded by each project:
    what the 时间线 sheet of `xlflow resources` and `xlflow portfolio` show."""
    mondays = plan_mondays(plan)
    by_dept: dict[str, list[Demand]] = defaultdict(list)
    for d in plan.demands:
        by_dept[d.department].append(d)
    out = []
    for dept in sorted(by_dept):
        for monday in mondays:
            need: dict[str, float] = {}
            for d in by_dept[dept]:
                if in_week(d, monday):
                    need[d.project_id] = need.get(d.project_id, 0.0) + d.people
            out.append(WeekLoad(dept, monday, plan.capacity.get(dept), need))
    return out


def months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar months from start's to end's: (first day, last day) each."""
    out = []
    day = start.replace(day=1)
    while day <= end:
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        out.append((day, last))
        day = last + dt.timedelta(days=1)
    return out


def month_share(d: Demand, first: dt.date, last: dt.date) -> float:
    """The part of a budget spent in [first, last], spread evenly over its period's days."""
    days = (min(d.end, last) - max(d.start, first)).days + 1
    return round(d.quantity * max(days, 0) / ((d.end - d.start).days + 1), 2)
