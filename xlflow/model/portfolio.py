"""What `xlflow portfolio` returns: one summary per project folder, the open 高 risks
across them, the folders left out and why, and the departments' load per ISO week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExitStatus
from ..issues import Issue, count_errors
from .records import iso
from .resources import WeekLoad
from .vocab import Level, Phase


@dataclass(frozen=True)
class PortfolioRisk:
    """One open 高 risk of a project's latest merge."""

    project_id: str
    risk_id: str
    department: str
    description: str
    owner: str
    deadline: dt.date | None
    status: str
    overdue: bool  # 解决时限 before the as-of date

    def to_dict(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "id": self.risk_id,
                "department": self.department, "description": self.description,
                "owner": self.owner, "deadline": iso(self.deadline), "status": self.status,
                "overdue": self.overdue}


@dataclass
class ProjectSummary:
    """One project as the PMO sees it across the portfolio. The figures come from the
    latest recorded merge; before the first one they are None."""

    folder: str
    project_id: str
    name: str
    priority: str
    phase: Phase
    start: dt.date
    end: dt.date
    last_week: str | None = None
    last_as_of: dt.date | None = None
    tasks: int = 0
    on_time_rate: float | None = None
    worst_slip: int | None = None
    avg_slip: float | None = None
    forecast_end: dt.date | None = None
    late_tasks: list[str] = field(default_factory=list)
    open_high_risks: list[PortfolioRisk] = field(default_factory=list)
    missing_returns: list[str] = field(default_factory=list)

    @property
    def merged(self) -> bool:
        return self.last_week is not None

    @property
    def forecast_slip(self) -> int | None:
        """Days the forecast end lies past the planned end (negative: early)."""
        return (self.forecast_end - self.end).days if self.forecast_end else None

    @property
    def outlook(self) -> str:
        slip = self.forecast_slip
        if slip is None:
            return "尚无周汇总"
        return f"预计延期 {slip} 天" if slip > 0 else "按期"

    def sort_key(self) -> tuple[Any, ...]:
        """高 > 中 > 低, then the largest forecast slip first (no merge yet: last)."""
        slip = self.forecast_slip
        return (Level.rank_of(self.priority), slip is None, -(slip or 0), self.project_id)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "id": self.project_id, "name": self.name,
                "priority": self.priority, "phase": str(self.phase),
                "start": iso(self.start), "end": iso(self.end),
                "last_week": self.last_week, "last_as_of": iso(self.last_as_of),
                "tasks": self.tasks,
                "on_time_rate": None if self.on_time_rate is None else round(self.on_time_rate, 4),
                "worst_slip": self.worst_slip,
                "avg_slip": None if self.avg_slip is None else round(self.avg_slip, 2),
                "forecast_end": iso(self.forecast_end), "forecast_slip": self.forecast_slip,
                "outlook": self.outlook, "late_tasks": list(self.late_tasks),
                "open_high_risks": len(self.open_high_risks),
                "missing_returns": list(self.missing_returns)}


@dataclass(frozen=True)
class SkippedFolder:
    """A folder given that is left out of the portfolio, and why."""

    folder: str
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "code": self.code, "reason": self.reason}


@dataclass
class PortfolioResult:
    as_of: dt.date
    projects: list[ProjectSummary]  # in the order of the overview: priority, then slip
    skipped: list[SkippedFolder] = field(default_factory=list)
    load: list[WeekLoad] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    path: Path | None = None

    @property
    def risks(self) -> list[PortfolioRisk]:
        return [r for p in self.projects for r in p.open_high_risks]

    @property
    def overloaded(self) -> list[WeekLoad]:
        return [w for w in self.load if w.over]

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.INPUT_PROBLEMS if count_errors(self.issues) else ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "path": str(self.path) if self.path else None,
                "projects": [p.to_dict() for p in self.projects],
                "risks": [r.to_dict() for r in self.risks],
                "skipped": [s.to_dict() for s in self.skipped],
                "load": [w.to_dict() for w in self.load],
                "issues": [i.to_dict() for i in self.issues]}
