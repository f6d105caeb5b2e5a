"""What `xlflow review` computes: a month's trend per department (pandas frames, from
the ledger), the tasks and risks still open, head count and spend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas costs ~0.5 s to import: only `review` pays for it
    import pandas as pd


@dataclass
class MonthlyReview:
    month: str
    weeks: list[str]
    slip: pd.DataFrame  # department x week: average slip (days, late part only)
    on_time: pd.DataFrame  # department x week: on-time rate
    risks: pd.DataFrame  # week x (raised, closed) per department, long form
    finished: list[dict[str, Any]]
    open_tasks: list[dict[str, Any]]
    open_risks: list[dict[str, Any]]
    missing_weeks: list[str] = field(default_factory=list)
    headcount: list[dict[str, Any]] = field(default_factory=list)  # week, department, people, planned
    # week, department, spend (本周支出), spent (累计), budget, remaining (negative: 超支)
    spend: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "weeks": self.weeks, "missing_weeks": self.missing_weeks,
                "slip": self.slip.round(2).to_dict(orient="index"),
                "on_time": self.on_time.round(4).to_dict(orient="index"),
                "risks": self.risks.to_dict(orient="records"), "headcount": self.headcount,
                "finished": self.finished, "open_tasks": self.open_tasks,
                "open_risks": self.open_risks, "spend": self.spend}
