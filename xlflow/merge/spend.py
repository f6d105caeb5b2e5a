"""本周支出(元) against each department's 预算: what earlier recorded weeks spent, the
departments whose spending so far passes their budget, and both as 本周变化."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ..issues import Issue, warning
from ..ledger import Ledger
from ..model.records import Change, Rollup
from ..model.vocab import ChangeKind
from ..project import Project
from ..units import money_text


def spent_before(ledger: Ledger | None, week: str) -> dict[str, float]:
    """Per department, 本周支出 summed over the recorded merges of earlier weeks (each
    week's own rows: a carried row never repeats an amount)."""
    out: dict[str, float] = defaultdict(float)
    if ledger is None:
        return {}
    for merge in ledger.merges():
        if merge.week >= week:
            continue
        for t in ledger.tasks(merge.id):
            if t.reported and t.spend is not None:
                out[t.department] += t.spend
    return {d: round(v, 2) for d, v in out.items()}


def budgets(project: Project) -> dict[str, float]:
    """Departments with 预算 resources, and their sum in 元."""
    return {d.name: project.budget_of(d.name) for d in project.departments
            if any(r.is_budget and r.department == d.name for r in project.resources)}


def over_budget(departments: Sequence[Rollup]) -> list[Issue]:
    return [warning("over-budget", f"{d.name}累计支出 {money_text(d.spent or 0.0)} 超出预算 "
                    f"{money_text(d.budget)}(超支 {money_text(-(d.remaining or 0.0))})",
                    value=f"{d.spent:g}", expected=f"<= {d.budget:g}")
            for d in departments
            if d.budget is not None and d.remaining is not None and d.remaining < 0]


def spend_changes(departments: Sequence[Rollup]) -> list[Change]:
    """本周变化: what each department spent this week (against its budget), and the
    budgets this week's spending passed (cumulative over before, within it last week)."""
    out: list[Change] = []
    for d in departments:
        if d.spend:
            detail = f"本周支出 {money_text(d.spend)},累计 {money_text(d.spent or d.spend)}"
            if d.budget is not None:
                detail += f" / 预算 {money_text(d.budget)}"
            out.append(Change(ChangeKind.WEEK_SPEND, money_text(d.spend), d.name, detail))
        if d.budget is None or d.spent is None or d.spent <= d.budget:
            continue
        before = round(d.spent - (d.spend or 0.0), 2)
        if before <= d.budget:
            out.append(Change(ChangeKind.OVER_BUDGET, f"预算 {money_text(d.budget)}", d.name,
                              f"累计支出 {money_text(before)} → {money_text(d.spent)},"
                              f"超支 {money_text(round(d.spent - d.budget, 2))}"))
    return out
