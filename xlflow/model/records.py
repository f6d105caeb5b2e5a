"""What a merge computes and the ledger keeps: one typed record per concept.

Each record has `to_dict()` (what `--json` prints and the ledger stores, JSON-safe;
a task's stored source names only its file, its hash, sheet and row being the row's
columns) and `from_dict()` (the ledger reading it back). The ledger's schema version covers
these shapes: a change here needs a migration in `ledger.py`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from ..weeks import weeks_apart
from .vocab import ChangeKind, Level, RiskFlag, RiskStatus, TaskState


def iso(value: Any) -> Any:
    """A date or datetime as ISO text; anything else as it is."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def to_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Source:
    """Where a value came from: file, its hash, sheet and row (1-based, as Excel shows)."""

    file: str
    sha256: str
    sheet: str
    row: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "sheet": self.sheet, "row": self.row}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Source | None:
        return cls(data["file"], data["sha256"], data["sheet"], int(data["row"])) if data else None

    def text(self) -> str:
        return f"{self.file} / {self.sheet} 第 {self.row} 行"


@dataclass
class TaskStatus:
    """One task of 模板2 with the figures shown for it this week.

    `reported` says this week's return supplied the figures; otherwise they are the
    last accepted ones, from `data_week` (None: never reported)."""

    task_id: str
    department: str
    milestone: str
    planned: dt.date
    percent: float | None = None
    actual: dt.date | None = None
    forecast: dt.date | None = None
    expected: dt.date | None = None  # actual, or max(forecast or planned, as_of)
    deviation_days: int = 0
    status: TaskState = TaskState.ON_TRACK
    reported: bool = False
    data_week: str | None = None
    headcount: int | None = None  # 本周投入人数: this week's return only, never carried
    texts: dict[str, str] = field(default_factory=dict)  # every other input column
    source: Source | None = None
    critical: bool = False  # on the chain that sets the forecast end (关键路径)
    pushed_by: str = ""  # the predecessor whose expected finish pushed `expected`
    spend: float | None = None  # 本周支出(元): this week's return only, never carried

    @property
    def done(self) -> bool:
        return self.status.is_done

    def data_text(self, week: str) -> str:
        """Where the figures come from, as the report shows it."""
        if self.data_week is None:
            return "未填报"
        if self.reported or self.data_week == week:
            return "本周"
        return f"数据来自 {self.data_week}(未更新 {weeks_apart(self.data_week, week)} 周)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.task_id, "department": self.department, "milestone": self.milestone,
            "planned": iso(self.planned), "actual": iso(self.actual),
            "forecast": iso(self.forecast), "expected": iso(self.expected),
            "percent": self.percent, "deviation_days": self.deviation_days,
            "status": str(self.status), "reported": self.reported, "data_week": self.data_week,
            "headcount": self.headcount, "texts": dict(self.texts),
            "source": self.source.to_dict() if self.source else None,
            "critical": self.critical, "pushed_by": self.pushed_by, "spend": self.spend,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TaskStatus:
        return cls(
            task_id=d["id"], department=d["department"], milestone=d.get("milestone") or "",
            planned=dt.date.fromisoformat(d["planned"]), percent=d.get("percent"),
            actual=to_date(d.get("actual")), forecast=to_date(d.get("forecast")),
            expected=to_date(d.get("expected")), deviation_days=int(d["deviation_days"]),
            status=TaskState(d["status"]), reported=bool(d["reported"]),
            data_week=d.get("data_week"), headcount=d.get("headcount"),
            texts=dict(d.get("texts") or {}), source=Source.from_dict(d.get("source")),
            critical=bool(d.get("critical")), pushed_by=d.get("pushed_by") or "",
            spend=d.get("spend"),
        )


@dataclass
class RiskRecord:
    """One risk of 模板4 under its reserved id; `values` are the typed cells by key."""

    risk_id: str
    department: str
    level: str
    status: str
    values: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    source: Source | None = None
    data_week: str | None = None
    received: dt.datetime | None = None  # when the PMO received it (risk intake: the mail)
    #: The PMO's latest response (风险应对 sheet of the PMO master): 应对方案, 需协调部门,
    #: 责任人, 解决时限, PMO意见, 分管领导意见 by key, with `week`, `received`, `file`;
    #: empty while the PMO has not responded.
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return RiskStatus.is_open_value(self.status)

    @property
    def owner(self) -> Any:
        """责任人: the PMO's response names it; else what the department wrote."""
        return self.response.get("owner") or self.values.get("owner")

    @property
    def deadline(self) -> Any:
        """解决时限: the PMO's response sets it; else what the department wrote."""
        return self.response.get("deadline") or self.values.get("deadline")

    @property
    def is_high(self) -> bool:
        return self.level == Level.HIGH

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.risk_id, "department": self.department, "level": self.level,
                "status": self.status, "open": self.is_open, "flags": list(self.flags),
                "values": {k: iso(v) for k, v in self.values.items()},
                "data_week": self.data_week, "received": iso(self.received),
                "source": self.source.to_dict() if self.source else None,
                "response": {k: iso(v) for k, v in self.response.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], types: Mapping[str, str]) -> RiskRecord:
        """`types`: column key -> 'date' | 'datetime', to type the stored values again."""
        values = dict(d.get("values") or {})
        for key, kind in types.items():
            raw = values.get(key)
            if isinstance(raw, str) and raw:
                values[key] = (dt.datetime.fromisoformat(raw) if kind == "datetime"
                               else dt.date.fromisoformat(raw[:10]))
        received = d.get("received")
        response = dict(d.get("response") or {})  # absent in records stored before PMO responses
        if isinstance(response.get("deadline"), str) and response["deadline"]:
            response["deadline"] = dt.date.fromisoformat(response["deadline"][:10])
        if isinstance(response.get("received"), str) and response["received"]:
            response["received"] = dt.datetime.fromisoformat(response["received"])
        return cls(d["id"], d["department"], d.get("level") or "", d.get("status") or "",
                   values, list(d.get("flags") or []), Source.from_dict(d.get("source")),
                   d.get("data_week"), dt.datetime.fromisoformat(received) if received else None,
                   response)


def risk_sort_key(risk: RiskRecord) -> tuple[Any, ...]:
    """Open first, then 高 > 中 > 低, then the earliest deadline."""
    deadline = risk.deadline or dt.date.max
    return (not risk.is_open, Level.rank_of(risk.level), deadline, risk.risk_id)


@dataclass
class AcceptanceRecord:
    result_id: str
    name: str
    department: str
    target: str
    actual: float | None
    met: bool | None  # computed from the target
    reported_met: str | None
    values: dict[str, Any]
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.result_id, "name": self.name, "department": self.department,
                "target": self.target, "actual": self.actual, "met": self.met,
                "reported_met": self.reported_met,
                "values": {k: iso(v) for k, v in self.values.items()},
                "source": self.source.to_dict() if self.source else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AcceptanceRecord:
        return cls(d["id"], d.get("name") or "", d.get("department") or "",
                   d.get("target") or "", d.get("actual"), d.get("met"), d.get("reported_met"),
                   dict(d.get("values") or {}), Source.from_dict(d.get("source")))


@dataclass
class FormBlock:
    """The fields a department's return fills once, below a table (`fields` of a spec):
    填报人/填报日期 under 周进度跟踪表, 部门确认人/确认日期/意见 under 成果验收确认单.

    Carried like a task's figures: this week's return, else the latest earlier accepted
    one (`data_week` says which week). `cells`: where each value was, as Excel names it."""

    department: str
    template: str  # the spec key: weekly, acceptance
    values: dict[str, Any]
    data_week: str | None = None
    cells: dict[str, str] = field(default_factory=dict)
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, "template": self.template,
                "values": {k: iso(v) for k, v in self.values.items()},
                "data_week": self.data_week, "cells": dict(self.cells),
                "source": self.source.to_dict() if self.source else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], types: Mapping[str, str] | None = None
                  ) -> FormBlock:
        """`types`: field key -> 'date', to type stored dates again."""
        values = dict(d.get("values") or {})
        for key, kind in (types or {}).items():
            raw = values.get(key)
            if isinstance(raw, str) and raw:
                values[key] = (dt.datetime.fromisoformat(raw) if kind == "datetime"
                               else dt.date.fromisoformat(raw[:10]))
        return cls(d["department"], d["template"], values, d.get("data_week"),
                   dict(d.get("cells") or {}), Source.from_dict(d.get("source")))


@dataclass
class Feedback:
    department: str
    kind: str  # a FeedbackKind value
    text: str
    task_id: str = ""
    author: str = ""
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, "kind": self.kind, "text": self.text,
                "task_id": self.task_id, "author": self.author,
                "source": self.source.to_dict() if self.source else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Feedback:
        return cls(d["department"], d.get("kind") or "", d.get("text") or "",
                   d.get("task_id") or "", d.get("author") or "", Source.from_dict(d.get("source")))


@dataclass
class SourceFile:
    """One input file of a merge, accepted or not, and why."""

    path: str
    name: str
    sha256: str
    department: str
    received: str
    size: int
    accepted: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "sha256": self.sha256,
                "department": self.department, "received": self.received, "size": self.size,
                "accepted": self.accepted, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SourceFile:
        return cls(d.get("path") or d["name"], d["name"], d["sha256"], d.get("department") or "",
                   d.get("received") or "", int(d.get("size") or 0), bool(d["accepted"]),
                   d.get("reason") or "")


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    subject: str
    department: str
    detail: str

    @property
    def label(self) -> str:
        return self.kind.label

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "label": self.label, "subject": self.subject,
                "department": self.department, "detail": self.detail}


@dataclass(frozen=True)
class Rollup:
    """A group of tasks (a department, a milestone, the project) summed up."""

    name: str
    tasks: int
    done: int
    on_time: int
    late: int
    avg_slip: float
    worst_slip: int
    planned: dt.date | None = None
    forecast: dt.date | None = None
    label: str = ""
    returned: bool | None = None  # departments: an accepted return this week
    data_week: str | None = None  # departments: the latest week its figures come from
    headcount: int | None = None  # departments: 本周投入人数 summed over this week's rows
    planned_people: float | None = None  # departments: people the plan needs this week
    spend: float | None = None  # departments: 本周支出(元) summed over this week's rows
    spent: float | None = None  # departments: 本周支出 summed over every recorded week so far
    budget: float | None = None  # departments: its 预算 resources in 元

    @property
    def remaining(self) -> float | None:
        """剩余 (negative: 超支) of the department's budget."""
        return None if self.budget is None else round(self.budget - (self.spent or 0.0), 2)

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.tasks if self.tasks else 1.0

    @property
    def milestone_slip(self) -> int | None:
        if self.planned and self.forecast:
            return (self.forecast - self.planned).days
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "tasks": self.tasks, "done": self.done,
                "on_time": self.on_time, "late": self.late,
                "on_time_rate": round(self.on_time_rate, 4),
                "avg_slip": round(self.avg_slip, 2), "worst_slip": self.worst_slip,
                "planned": iso(self.planned), "forecast": iso(self.forecast),
                "returned": self.returned, "data_week": self.data_week,
                "headcount": self.headcount, "planned_people": self.planned_people,
                "spend": self.spend, "spent": self.spent, "budget": self.budget,
                "remaining": self.remaining}


def rollup(name: str, tasks: Sequence[TaskStatus], **extra: Any) -> Rollup:
    """On-time rate, average and worst slip of a group of tasks (their statuses counted
    once, then asked per status: a merge rolls up every task four times)."""
    states = Counter(map(_STATUS, tasks)).items()
    slips = [days if days > 0 else 0 for days in map(_DAYS, tasks)]
    return Rollup(
        name=name, tasks=len(tasks), done=sum(n for state, n in states if state.is_done),
        on_time=sum(n for state, n in states if state.on_time),
        late=sum(n for state, n in states if state.slipped),
        avg_slip=statistics.fmean(slips) if slips else 0.0,
        worst_slip=max(slips, default=0), **extra)


_STATUS, _DAYS = attrgetter("status"), attrgetter("deviation_days")


__all__ = ["AcceptanceRecord", "Change", "Feedback", "FormBlock", "RiskFlag", "RiskRecord", "Rollup",
           "Source", "SourceFile", "TaskStatus", "iso", "risk_sort_key", "rollup", "to_date"]
