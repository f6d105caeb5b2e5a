"""What `xlflow retro` computes: the 复盘 facts the ledger can prove, beside what the
departments wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Retrospective:
    project_id: str
    project_name: str
    period: str
    weeks: list[str]
    facts: list[tuple[str, str]]  # (label, value) computed from the ledger
    departments: list[dict[str, Any]]
    reasons: list[dict[str, Any]]  # deviation reasons grouped: text, count, tasks
    late_risks: list[dict[str, Any]]
    feedback: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    acceptance: list[dict[str, Any]] = field(default_factory=list)
    on_time_rate: float | None = None  # over the final merge's tasks
    worst_slip: int = 0
    risk_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"project": {"id": self.project_id, "name": self.project_name},
                "period": self.period, "weeks": self.weeks,
                "facts": [{"label": k, "value": v} for k, v in self.facts],
                "departments": self.departments, "reasons": self.reasons,
                "late_risks": self.late_risks, "feedback": self.feedback,
                "acceptance": self.acceptance, "on_time_rate": self.on_time_rate,
                "worst_slip": self.worst_slip, "risk_count": self.risk_count}
