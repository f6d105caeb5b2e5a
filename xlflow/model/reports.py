"""What commands return: reports as dataclasses with a JSON-safe `to_dict()` (what
`--json` prints) and an `exit_status` (what the CLI exits with)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExitStatus
from ..issues import Issue, count_errors
from ..signing import Signature
from .actions import ActionItem
from .records import (
    AcceptanceRecord,
    Change,
    Feedback,
    FormBlock,
    RiskRecord,
    Rollup,
    SourceFile,
    TaskStatus,
)


def _status(issues: list[Issue]) -> ExitStatus:
    return ExitStatus.INPUT_PROBLEMS if count_errors(issues) else ExitStatus.OK


@dataclass
class MergeReport:
    """What `xlflow merge` found and computed; `to_dict()` is what --json prints."""

    project_id: str
    project_name: str
    week: str
    as_of: dt.date
    workdays: bool
    threshold: int
    raise_within_hours: int = 24
    files: list[SourceFile] = field(default_factory=list)
    tasks: list[TaskStatus] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)
    acceptance: list[AcceptanceRecord] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    departments: list[Rollup] = field(default_factory=list)
    milestones: list[Rollup] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    previous_week: str | None = None
    missing_weeks: list[str] = field(default_factory=list)
    recorded: bool = False  # written to the ledger as a week later figures build on
    minutes_only: bool = False  # only 会议纪要 taken in: their 督办事项 recorded, nothing else
    report_path: str = ""
    run_at: str = ""
    # per task: its baseline date (as filed at PMO备案) and the deviation against it;
    # empty before filing (phases/baseline.py)
    baseline: dict[str, dt.date] = field(default_factory=dict)
    baseline_deviation: dict[str, int] = field(default_factory=dict)
    actions: list[ActionItem] = field(default_factory=list)  # 督办事项 as this week leaves them
    minutes: list[Any] = field(default_factory=list)  # merge.actions.Minutes read this run
    planned_end: dt.date | None = None  # project.end
    forecast_end: dt.date | None = None  # the latest expected finish (前置任务 applied)
    form_blocks: list[FormBlock] = field(default_factory=list)  # 填报人/填报日期, 部门确认

    def block(self, department: str, template: str) -> FormBlock | None:
        return next((b for b in self.form_blocks
                     if b.department == department and b.template == template), None)

    @property
    def has_previous(self) -> bool:
        return self.previous_week is not None

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    @property
    def accepted_files(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def rows_merged(self) -> int:
        if self.minutes_only:
            return 0  # the week's rows were merged before; this run took in no return
        return sum(t.reported for t in self.tasks) + sum(
            r.data_week == self.week for r in self.risks) + sum(
            a.source is not None for a in self.acceptance) + len(self.feedback)

    @property
    def late_tasks(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.status.behind]

    @property
    def open_high_risks(self) -> list[RiskRecord]:
        return [r for r in self.risks if r.is_open and r.is_high]

    @property
    def exit_status(self) -> ExitStatus:
        return _status(self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": {"id": self.project_id, "name": self.project_name},
            "week": self.week, "as_of": self.as_of.isoformat(), "workdays": self.workdays,
            "report": self.report_path, "recorded": self.recorded,
            "minutes_only": self.minutes_only,
            "previous_week": self.previous_week, "missing_weeks": list(self.missing_weeks),
            "summary": {"files": len(self.files), "accepted": self.accepted_files,
                        "rows_merged": self.rows_merged, "errors": self.errors,
                        "warnings": self.warnings, "late_tasks": len(self.late_tasks),
                        "open_high_risks": len(self.open_high_risks)},
            "files": [f.to_dict() for f in self.files],
            "tasks": [t.to_dict() for t in self.tasks],
            "baseline": {k: {"date": v.isoformat(),
                             "deviation_days": self.baseline_deviation.get(k)}
                         for k, v in self.baseline.items()},
            "risks": [r.to_dict() for r in self.risks],
            "acceptance": [a.to_dict() for a in self.acceptance],
            "feedback": [f.to_dict() for f in self.feedback],
            "form_blocks": [b.to_dict() for b in self.form_blocks],
            "departments": [d.to_dict() for d in self.departments],
            "milestones": [m.to_dict() for m in self.milestones],
            "changes": [c.to_dict() for c in self.changes],
            "issues": [i.to_dict() for i in self.issues],
            "actions": [a.to_dict() | {"overdue": a.overdue(self.as_of)} for a in self.actions],
            "planned_end": self.planned_end.isoformat() if self.planned_end else None,
            "forecast_end": self.forecast_end.isoformat() if self.forecast_end else None,
            "critical_path": [t.task_id for t in self.tasks if t.critical],
        }


@dataclass
class FileCheck:
    path: str
    department: str
    accepted: bool
    issues: list[Issue]
    # None when the file was refused before its signature was looked at
    signature: Signature | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "department": self.department, "accepted": self.accepted,
                "signature": str(self.signature) if self.signature else None,
                "issues": [i.to_dict() for i in self.issues]}


@dataclass
class ValidationReport:
    files: list[FileCheck]

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def exit_status(self) -> ExitStatus:
        return _status(self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files],
                "summary": {"files": len(self.files), "errors": self.errors,
                            "warnings": len(self.issues) - self.errors}}


@dataclass
class StepResult:
    """The outcome of a lifecycle step: recorded or not, and why."""

    kind: str
    recorded: bool
    issues: list[Issue] = field(default_factory=list)
    by: str = ""
    at: str = ""
    note: str = ""
    outputs: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.recorded else ExitStatus.INPUT_PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "recorded": self.recorded, "by": self.by, "at": self.at,
                "note": self.note, "outputs": [str(p) for p in self.outputs],
                "issues": [i.to_dict() for i in self.issues]}
