"""Last accepted values, week over week: what an earlier recorded merge leaves for this
one (carry-forward in the merge) and for next week's workbooks (pre-fill in build)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ledger import Ledger
from ..model.records import RiskRecord, TaskStatus
from ..spec import ColumnType, SpecSet, TemplateSpec


@dataclass
class Carried:
    """The latest recorded merge before a week: its week and its typed records."""

    week: str | None = None
    tasks: dict[str, TaskStatus] = field(default_factory=dict)
    risks: list[RiskRecord] = field(default_factory=list)

    @property
    def risks_by_id(self) -> dict[str, RiskRecord]:
        return {r.risk_id: r for r in self.risks}


def risk_types(spec: TemplateSpec) -> dict[str, str]:
    """Which stored risk values are dates or datetimes, to type them again on read."""
    return {c.key: ("datetime" if c.type is ColumnType.DATETIME else "date")
            for c in spec.columns if c.type in (ColumnType.DATE, ColumnType.DATETIME)}


def carried_before(ledger: Ledger | None, week: str, specs: SpecSet) -> Carried:
    if ledger is None:
        return Carried()
    prev = ledger.merge_before(week)
    if prev is None:
        return Carried()
    return Carried(prev.week, {t.task_id: t for t in ledger.tasks(prev.id)},
                   ledger.risks(prev.id, risk_types(specs["risks"])))


def prefill(carried: Carried) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Each task's last accepted weekly values, and each department's open risks, as the
    cells of next week's workbook, so departments update rather than retype."""
    weekly: dict[str, dict[str, Any]] = {}
    for t in carried.tasks.values():
        if t.data_week is None:
            continue
        values: dict[str, Any] = dict(t.texts)
        if t.percent is not None:
            values["percent"] = t.percent / 100  # a 0% cell holds a fraction
        for key, day in (("actual_date", t.actual), ("forecast_date", t.forecast)):
            if day is not None:
                values[key] = day
        weekly[t.task_id] = values
    open_risks: dict[str, list[dict[str, Any]]] = {}
    for risk in carried.risks:
        if risk.is_open:
            open_risks.setdefault(risk.department, []).append(
                {**risk.values, "risk_id": risk.risk_id, "department": risk.department})
    return weekly, open_risks
