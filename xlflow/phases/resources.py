"""PMO resource coordination across projects (资源协调): where a department is committed
to more people than it has in overlapping periods, or a person owns tasks in projects
that run at the same time; and the order the seed asks for: higher priority first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue, warning
from ..model.vocab import Level
from ..project import Project
from ..weeks import week_label

TASK_WINDOW_DAYS = 7  # a deliverable's working week, ending on its due date


@dataclass(frozen=True)
class Demand:
    project_id: str
    project_name: str
    priority: str
    department: str
    item: str
    people: float
    start: dt.date
    end: dt.date


@dataclass
class Conflict:
    kind: str  # department | person
    subject: str  # department name or person
    start: dt.date
    end: dt.date
    capacity: float | None
    demand: float
    projects: list[dict[str, Any]]  # in priority order, with need and proposed allocation
    proposal: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "capacity": self.capacity, "demand": self.demand,
                "projects": self.projects, "proposal": self.proposal}


@dataclass
class ResourcePlan:
    projects: list[dict[str, Any]]
    demands: list[Demand]
    capacity: dict[str, float]
    conflicts: list[Conflict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"projects": self.projects, "capacity": self.capacity,
                "demands": [{**d.__dict__, "start": d.start.isoformat(),
                             "end": d.end.isoformat()} for d in self.demands],
                "conflicts": [c.to_dict() for c in self.conflicts],
                "issues": [i.to_dict() for i in self.issues]}


def _rank(p: Project) -> tuple:
    return (Level.rank_of(p.priority), p.start, p.id)


def plan_resources(projects: Sequence[Project]) -> ResourcePlan:
    issues: list[Issue] = []
    capacity: dict[str, float] = {}
    for p in projects:
        for d in p.departments:
            if d.capacity is None:
                continue
            if d.name in capacity and capacity[d.name] != d.capacity:
                issues.append(warning("capacity-differs", f"{d.name}的可投入人数在各项目中不一致"
                                      f"({capacity[d.name]:g} 与 {d.capacity:g},{p.id});按较小值计算"))
                capacity[d.name] = min(capacity[d.name], d.capacity)
            else:
                capacity[d.name] = d.capacity
    demands = [Demand(p.id, p.name, p.priority, r.department, r.item, r.quantity,
                      r.start or p.start, r.end or p.end)
               for p in projects for r in p.resources if r.is_people]
    ranked = {p.id: _rank(p) for p in projects}
    conflicts = _department_conflicts(demands, capacity, ranked)
    conflicts += _person_conflicts(projects, ranked)
    return ResourcePlan(
        projects=[{"id": p.id, "name": p.name, "priority": p.priority,
                   "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "departments": [d.name for d in p.departments]}
                  for p in sorted(projects, key=_rank)],
        demands=demands, capacity=capacity, conflicts=conflicts, issues=issues)


def _segments(spans: Sequence[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Cut the timeline at every start and end so demand is constant in each piece."""
    cuts = sorted({s for s, _ in spans} | {e + dt.timedelta(days=1) for _, e in spans})
    return [(a, b - dt.timedelta(days=1)) for a, b in zip(cuts, cuts[1:], strict=False)]


def _department_conflicts(demands: Sequence[Demand], capacity: dict[str, float],
                          ranked: dict[str, tuple]) -> list[Conflict]:
    by_dept: dict[str, list[Demand]] = defaultdict(list)
    for d in demands:
        by_dept[d.department].append(d)
    out: list[Conflict] = []
    for dept, items in by_dept.items():
        cap = capacity.get(dept)
        if cap is None:
            continue
        for start, end in _segments([(d.start, d.end) for d in items]):
            active = [d for d in items if d.start <= end and d.end >= start]
            need: dict[str, float] = defaultdict(float)
            for d in active:
                need[d.project_id] += d.people
            total = sum(need.values())
            if total <= cap or len(need) < 2:
                continue
            names = {d.project_id: (d.project_name, d.priority) for d in active}
            left, rows, parts = cap, [], []
            for pid in sorted(need, key=lambda p: ranked[p]):
                give = min(need[pid], left)
                left -= give
                name, prio = names[pid]
                rows.append({"project_id": pid, "name": name, "priority": prio,
                             "need": need[pid], "allocated": give, "short": need[pid] - give})
                parts.append(f"{pid}({prio}){give:g} 名" + (
                    f"(缺 {need[pid] - give:g} 名)" if need[pid] > give else ""))
            proposal = (f"优先保障高优先级项目:{';'.join(parts)}。"
                        "缺口建议错峰安排、调整时间节点或申请增援。")
            if out and out[-1].kind == "department" and out[-1].subject == dept and \
                    out[-1].projects == rows and out[-1].end + dt.timedelta(days=1) == start:
                out[-1].end = end  # the same conflict continues
                continue
            out.append(Conflict("department", dept, start, end, cap, total, rows, proposal))
    return out


def _person_conflicts(projects: Sequence[Project], ranked: dict[str, tuple]) -> list[Conflict]:
    """A person owning deliverables of different projects due in the same week (the
    working window before each deadline overlaps) is over-committed."""
    windows: dict[str, list[tuple[Project, str, dt.date, dt.date]]] = defaultdict(list)
    for p in projects:
        for t in p.tasks:
            windows[t.owner].append((p, t.id, t.due - dt.timedelta(days=TASK_WINDOW_DAYS - 1),
                                     t.due))
    out = []
    for owner, items in sorted(windows.items()):
        pairs: dict[tuple[str, str], list] = {}
        for i, (a, a_id, a_start, a_end) in enumerate(items):
            for b, b_id, b_start, b_end in items[i + 1:]:
                if a.id == b.id or max(a_start, b_start) > min(a_end, b_end):
                    continue
                hi, lo = sorted(((a, a_id), (b, b_id)), key=lambda e: ranked[e[0].id])
                key = (hi[0].id, lo[0].id)
                start, end = max(a_start, b_start), min(a_end, b_end)
                entry = pairs.setdefault(key, [hi[0], lo[0], set(), set(), start, end])
                entry[2].add(hi[1])
                entry[3].add(lo[1])
                entry[4], entry[5] = min(entry[4], start), max(entry[5], end)
        for hi_p, lo_p, hi_ids, lo_ids, start, end in pairs.values():
            rows = [{"project_id": hi_p.id, "name": hi_p.name, "priority": hi_p.priority,
                     "tasks": sorted(hi_ids)},
                    {"project_id": lo_p.id, "name": lo_p.name, "priority": lo_p.priority,
                     "tasks": sorted(lo_ids)}]
            out.append(Conflict(
                "person", owner, start, end, 1, 2, rows,
                f"{owner}在同一周要交付 {hi_p.id}({hi_p.priority})与 {lo_p.id}({lo_p.priority})"
                f"的任务;建议优先 {hi_p.id},{lo_p.id} 的 {'、'.join(sorted(lo_ids))} "
                "另定负责人或调整时间节点。"))
    return out


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
