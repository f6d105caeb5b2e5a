"""督办事项: what a 周例会 decided, who owes it by when, and where it stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .records import Source, to_date


class ActionState(StrEnum):
    NOT_STARTED = "未开始"
    IN_PROGRESS = "进行中"
    DONE = "已完成"
    CANCELLED = "已取消"

    @property
    def is_open(self) -> bool:
        return self in (ActionState.NOT_STARTED, ActionState.IN_PROGRESS)


def action_sort_key(item_id: str) -> tuple[str, int, str]:
    """Items in the order they were decided: the meeting's prefix, then the number, so
    DB-24W28-99 comes before DB-24W28-120 (as text it would not)."""
    prefix, _, number = item_id.rpartition("-")
    return (prefix, int(number), "") if number.isdigit() else (item_id, 0, item_id)


@dataclass(frozen=True)
class ActionItem:
    """One action item: decided at the `meeting` week's 周例会 (minutes row `source`),
    updated by its department (`updated_week`, `update_source`)."""

    item_id: str
    meeting: str  # the week of the 周例会 that decided it
    matter: str
    decision: str
    department: str
    owner: str
    due: dt.date | None
    status: ActionState
    progress: str = ""
    updated_week: str = ""  # the week of the department's last update, "" for none
    source: Source | None = None
    update_source: Source | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def overdue(self, as_of: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < as_of

    def updated(self, status: ActionState, progress: str, week: str,
                source: Source | None) -> ActionItem:
        return replace(self, status=status, progress=progress, updated_week=week,
                       update_source=source)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.item_id, "meeting": self.meeting, "matter": self.matter,
                "decision": self.decision, "department": self.department, "owner": self.owner,
                "due": self.due.isoformat() if self.due else None, "status": str(self.status),
                "progress": self.progress, "updated_week": self.updated_week,
                "source": self.source.to_dict() if self.source else None,
                "update_source": self.update_source.to_dict() if self.update_source else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ActionItem:
        return cls(d["id"], d["meeting"], d.get("matter") or "", d.get("decision") or "",
                   d["department"], d.get("owner") or "", to_date(d.get("due")),
                   ActionState(d["status"]), d.get("progress") or "", d.get("updated_week") or "",
                   Source.from_dict(d.get("source")), Source.from_dict(d.get("update_source")))
