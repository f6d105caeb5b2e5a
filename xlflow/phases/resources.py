"""PMO resource coordination across projects (资源协调): where a department or a
company-wide pool is committed to more people, budget or equipment than it has in
overlapping periods, or a person owns tasks in projects that run at the same time; and
the order the seed asks for: higher priority first.

People and equipment are compared day by day (units needed at the same time); budget
month by month: a 预算 resource is spread evenly over the days of its period and each
calendar month's share is compared with the pool's 元 per month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..issues import Issue, error, warning
from ..model.resources import Conflict, Demand, ResourcePlan, month_share, months
from ..model.vocab import Level, ResourceKind
from ..project import PROJECT_FILE, Pool, Project, Resource
from ..units import money_text

TASK_WINDOW_DAYS = 7  # a deliverable's working week, ending on its due date


def _rank(p: Project) -> tuple:
    return (Level.rank_of(p.priority), p.start, p.id)


def _where(p: Project, line: int) -> str:
    return f"{p.root / PROJECT_FILE}:{line}" if line else str(p.root / PROJECT_FILE)


def _demand(p: Project, r: Resource) -> Demand:
    return Demand(p.id, p.name, p.priority, r.department, r.item, r.amount,
                  r.start or p.start, r.end or p.end, str(r.kind), r.base_unit,
                  _where(p, r.line))


def _smaller(store: dict, key: Any, value: float, what: str, where: str,
             issues: list[Issue], code: str) -> None:
    if key in store and store[key] != value:
        issues.append(warning(code, f"{what}在各项目中不一致({store[key]:g} 与 {value:g},"
                              f"{where});按较小值计算"))
        store[key] = min(store[key], value)
    else:
        store[key] = value


def plan_resources(projects: Sequence[Project]) -> ResourcePlan:
    issues: list[Issue] = []
    capacity: dict[str, float] = {}
    budgets: dict[str, float] = {}
    equipment: dict[tuple[str, str], float] = {}
    pools: dict[tuple[str, str], tuple[Pool, str]] = {}
    for p in projects:
        for d in p.departments:
            if d.capacity is not None:
                if d.name in capacity and capacity[d.name] != d.capacity:
                    issues.append(warning("capacity-differs", f"{d.name}的可投入人数在各项目中不一致"
                                          f"({capacity[d.name]:g} 与 {d.capacity:g},{p.id});"
                                          "按较小值计算"))
                    capacity[d.name] = min(capacity[d.name], d.capacity)
                else:
                    capacity[d.name] = d.capacity
            if d.budget is not None:
                _smaller(budgets, d.name, d.budget, f"{d.name}的每月预算(元)", p.id, issues,
                         "pool-differs")
            for item, units in d.equipment:
                _smaller(equipment, (d.name, item), units, f"{d.name}可用的{item}", p.id,
                         issues, "pool-differs")
        for pool in p.pools:
            key = (str(pool.kind), pool.item)
            if key in pools and pools[key][0].amount != pool.amount:
                first = pools[key][0]
                issues.append(warning("pool-differs", f"公司资源池 {pool.kind}{pool.item}在各项目中"
                                      f"不一致({first.amount:g} 与 {pool.amount:g},"
                                      f"{_where(p, pool.line)});按较小值计算"))
                if pool.amount < first.amount:
                    pools[key] = (pool, _where(p, pool.line))
            elif key not in pools:
                pools[key] = (pool, _where(p, pool.line))
    demands = [_demand(p, r) for p in projects for r in p.resources if r.is_people]
    budget_demands = [_demand(p, r) for p in projects for r in p.resources if r.is_budget]
    equipment_demands = [_demand(p, r) for p in projects for r in p.resources
                         if r.is_equipment]
    equipment_demands = _same_units(equipment_demands, pools, issues)
    ranked = {p.id: _rank(p) for p in projects}
    conflicts = _department_conflicts(demands, capacity, ranked)
    conflicts += _department_conflicts(equipment_demands, equipment, ranked,
                                       key=lambda d: (d.department, d.item))
    conflicts += _budget_conflicts(budget_demands, budgets, ranked, key=lambda d: d.department)
    conflicts += _pool_conflicts(demands, budget_demands, equipment_demands, pools, ranked)
    conflicts += _person_conflicts(projects, ranked)
    by_dept: dict[str, dict[str, float]] = defaultdict(dict)
    for (dept, item), units in equipment.items():
        by_dept[dept][item] = units
    return ResourcePlan(
        projects=[{"id": p.id, "name": p.name, "priority": p.priority,
                   "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "departments": [d.name for d in p.departments]}
                  for p in sorted(projects, key=_rank)],
        demands=demands, capacity=capacity, conflicts=conflicts, issues=issues,
        budget_demands=budget_demands, equipment_demands=equipment_demands,
        budgets=budgets, equipment=dict(by_dept),
        pools=[{"kind": pool.kind.value, "item": pool.item, "quantity": pool.amount,
                "unit": pool.base_unit, "where": where} for pool, where in pools.values()])


def _same_units(demands: list[Demand], pools: dict[tuple[str, str], tuple[Pool, str]],
                issues: list[Issue]) -> list[Demand]:
    """Equipment is counted in its own unit: 台 and 套 of one item cannot be added up.
    The first unit written for an item (in a pool, else in the first project) counts;
    a line in another unit is refused, named, and left out of the comparison."""
    unit_of: dict[str, tuple[str, str]] = {
        item: (pool.base_unit, where) for (kind, item), (pool, where) in pools.items()
        if kind == ResourceKind.EQUIPMENT.value and pool.base_unit}
    kept = []
    for d in demands:
        first = unit_of.setdefault(d.item, (d.unit, d.where))
        if first[0] != d.unit:
            issues.append(error("unit-mismatch", f"{d.where}: {d.project_id} 的{d.item}以"
                                f"“{d.unit or '(无单位)'}”计,与 {first[1]} 的“{first[0]}”"
                                "无法换算;这一项未参与比较", file=d.where.rsplit(":", 1)[0],
                                value=d.unit, expected=first[0]))
            continue
        kept.append(d)
    return kept


def _segments(spans: Sequence[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Cut the timeline at every start and end so demand is constant in each piece."""
    cuts = sorted({s for s, _ in spans} | {e + dt.timedelta(days=1) for _, e in spans})
    return [(a, b - dt.timedelta(days=1)) for a, b in zip(cuts, cuts[1:], strict=False)]


def _q(value: float, unit: str) -> str:
    return money_text(value) if unit == "元" else f"{value:g} {unit}".rstrip()


_ADVICE = {ResourceKind.PEOPLE.value: "缺口建议错峰安排、调整时间节点或申请增援。",
           ResourceKind.BUDGET.value: "缺口建议追加预算、调整投放节奏或推迟低优先级项目的支出。",
           ResourceKind.EQUIPMENT.value: "缺口建议错峰使用、调整时间节点、租借或采购。"}


def _allocate(need: dict[str, float], names: dict[str, tuple[str, str]], cap: float,
              ranked: dict[str, tuple], unit: str, kind: str) -> tuple[list[dict], str]:
    """Serve the projects in priority order; name each one's share and shortfall."""
    left, rows, parts = cap, [], []
    for pid in sorted(need, key=lambda p: ranked[p]):
        give = min(need[pid], left)
        left -= give
        name, prio = names[pid]
        rows.append({"project_id": pid, "name": name, "priority": prio,
                     "need": need[pid], "allocated": give, "short": need[pid] - give})
        parts.append(f"{pid}({prio}){_q(give, unit)}" + (
            f"(缺 {_q(need[pid] - give, unit)})" if need[pid] > give else ""))
    return rows, f"优先保障高优先级项目:{';'.join(parts)}。{_ADVICE[kind]}"


Key = Callable[[Demand], Any]


def _subject(key: Any) -> tuple[str, str]:
    return (key[0], key[1]) if isinstance(key, tuple) else (key, "")


def _held(demands: Sequence[Demand], capacity: dict[Any, float],
          key: Key) -> Iterator[tuple[Any, list[Demand], float]]:
    """Demands grouped by holder (`key`), with the holder's capacity; holders without
    a declared capacity are left out (nothing to compare against)."""
    by_key: dict[Any, list[Demand]] = defaultdict(list)
    for d in demands:
        by_key[key(d)].append(d)
    for k, items in by_key.items():
        cap = capacity.get(k)
        if cap is not None:
            yield k, items, cap


def _department_conflicts(demands: Sequence[Demand], capacity: dict[Any, float],
                          ranked: dict[str, tuple], *, key: Key = lambda d: d.department,
                          kind: str = "department") -> list[Conflict]:
    """People or equipment: units needed at the same time against what the holder has."""
    out: list[Conflict] = []
    for k, items, cap in _held(demands, capacity, key):
        subject, item = _subject(k)
        for start, end in _segments([(d.start, d.end) for d in items]):
            active = [d for d in items if d.start <= end and d.end >= start]
            need: dict[str, float] = defaultdict(float)
            for d in active:
                need[d.project_id] += d.quantity
            total = sum(need.values())
            if total <= cap or len(need) < 2:
                continue
            names = {d.project_id: (d.project_name, d.priority) for d in active}
            rows, proposal = _allocate(need, names, cap, ranked, items[0].unit, items[0].kind)
            if out and out[-1].subject == subject and out[-1].item == item and \
                    out[-1].projects == rows and out[-1].end + dt.timedelta(days=1) == start:
                out[-1].end = end  # the same conflict continues
                continue
            out.append(Conflict(kind, subject, start, end, cap, total, rows, proposal,
                                resource=items[0].kind, item=item, unit=items[0].unit))
    return out


def _budget_conflicts(demands: Sequence[Demand], budgets: dict[Any, float],
                      ranked: dict[str, tuple], *, key: Key,
                      kind: str = "department") -> list[Conflict]:
    """Budget: each calendar month's share against the holder's 元 per month."""
    out: list[Conflict] = []
    for k, items, cap in _held(demands, budgets, key):
        subject, _ = _subject(k)
        first = min(d.start for d in items)
        for m_first, m_last in months(first, max(d.end for d in items)):
            need: dict[str, float] = defaultdict(float)
            names = {}
            for d in items:
                share = month_share(d, m_first, m_last)
                if share > 0:
                    need[d.project_id] += share
                    names[d.project_id] = (d.project_name, d.priority)
            total = round(sum(need.values()), 2)
            if total <= cap or len(need) < 2:
                continue
            rows, proposal = _allocate(need, names, cap, ranked, "元",
                                       ResourceKind.BUDGET.value)
            out.append(Conflict(kind, subject, m_first, m_last, cap, total, rows,
                                f"{m_first.year}年{m_first.month}月:" + proposal,
                                resource=ResourceKind.BUDGET.value, unit="元"))
    return out


def _constant(value: Any) -> Key:
    return lambda _d: value


def _pool_conflicts(people: Sequence[Demand], budget: Sequence[Demand],
                    equipment: Sequence[Demand], pools: dict[tuple[str, str], tuple[Pool, str]],
                    ranked: dict[str, tuple]) -> list[Conflict]:
    """Company-wide pools: every project's demand of the kind (and item) together."""
    out: list[Conflict] = []
    for pool, _ in pools.values():
        if pool.kind is ResourceKind.BUDGET:
            chosen = [d for d in budget if not pool.item or d.item == pool.item]
            out += _budget_conflicts(chosen, {"公司": pool.amount}, ranked,
                                     key=lambda d: "公司", kind="company")
            continue
        source = people if pool.kind is ResourceKind.PEOPLE else equipment
        chosen = [d for d in source if not pool.item or d.item == pool.item]
        held = ("公司", pool.item)
        out += _department_conflicts(chosen, {held: pool.amount}, ranked,
                                     key=_constant(held), kind="company")
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
