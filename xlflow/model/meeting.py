"""What the 周例会 goes through (`xlflow meeting`), from the week's merge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .actions import ActionItem


@dataclass
class Agenda:
    """What the 周例会 goes through, from the week's merge."""

    project_id: str
    project_name: str
    week: str
    as_of: dt.date
    host: str  # the initiating department, who calls the meeting
    departments: list[str]
    late: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)
    coordination: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)  # open, overdue first

    def overdue(self, item: ActionItem) -> bool:
        return item.overdue(self.as_of)

    def to_dict(self) -> dict[str, Any]:
        return {"project": {"id": self.project_id, "name": self.project_name},
                "week": self.week, "as_of": self.as_of.isoformat(), "host": self.host,
                "late": self.late, "risks": self.risks, "coordination": self.coordination,
                "missing_returns": self.missing,
                "actions": [a.to_dict() | {"overdue": self.overdue(a)} for a in self.actions]}
