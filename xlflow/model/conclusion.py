"""验收结论 of 成果验收确认单 as a typed record: what the acceptance meeting concluded
(验收日期, 通过/有条件通过/不通过, 遗留问题, 整改期限, 分管领导意见)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue
from .vocab import Verdict

SHEET = "成果验收确认单"
#: the block's fields: key -> (label, the option that sets it)
FIELDS = {
    "date": ("验收日期", "--date"),
    "verdict": ("验收结论", "--conclusion"),
    "open_items": ("遗留问题", "--open-items"),
    "fix_by": ("整改期限", "--fix-by"),
    "leader": ("分管领导", ""),
    "leader_opinion": ("分管领导意见", "--leader-opinion"),
}
DATES = ("date", "fix_by")


@dataclass
class Conclusion:
    """What the acceptance meeting concluded, with where each value was read."""

    date: dt.date | None = None
    verdict: Verdict | None = None
    open_items: str = ""
    fix_by: dt.date | None = None
    leader: str = ""
    leader_opinion: str = ""
    where: dict[str, str] = field(default_factory=dict)  # key -> 成果验收确认单!B21 or option
    issues: list[Issue] = field(default_factory=list)

    @property
    def accepts(self) -> bool:
        return self.verdict is not None and self.verdict.accepts and not any(
            i.is_error for i in self.issues)

    def overdue(self, today: dt.date) -> bool:
        """有条件通过 whose 整改期限 has passed."""
        return (self.verdict is Verdict.CONDITIONAL and self.fix_by is not None
                and self.fix_by < today)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat() if self.date else None,
                "verdict": str(self.verdict) if self.verdict else None,
                "open_items": self.open_items,
                "fix_by": self.fix_by.isoformat() if self.fix_by else None,
                "leader": self.leader, "leader_opinion": self.leader_opinion}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Conclusion:
        verdict = d.get("verdict")
        return cls(dt.date.fromisoformat(d["date"]) if d.get("date") else None,
                   Verdict(verdict) if verdict in set(Verdict) else None,
                   d.get("open_items") or "",
                   dt.date.fromisoformat(d["fix_by"]) if d.get("fix_by") else None,
                   d.get("leader") or "", d.get("leader_opinion") or "")
