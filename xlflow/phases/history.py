"""The recorded weeks: `xlflow history` lists them, `--drop WEEK` removes one (with an
audit event); retro, review and archive read them as one `History`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ProjectError
from ..ledger import Ledger, MergeInfo
from ..merge.carry import risk_types
from ..model.records import AcceptanceRecord, Feedback, RiskRecord, TaskStatus
from ..model.vocab import EventKind
from ..phases.common import resolve_week
from ..spec import SpecSet
from ..workspace import Workspace, now


@dataclass
class History:
    """Every recorded merge with its tasks and risks; the latest feedback and acceptance."""

    merges: list[MergeInfo]
    tasks: dict[int, list[TaskStatus]] = field(default_factory=dict)
    risks: dict[int, list[RiskRecord]] = field(default_factory=dict)
    feedback: list[Feedback] = field(default_factory=list)
    acceptance: list[AcceptanceRecord] = field(default_factory=list)

    @property
    def final_tasks(self) -> list[TaskStatus]:
        return self.tasks[self.merges[-1].id] if self.merges else []

    def latest_risks(self) -> dict[str, RiskRecord]:
        """The latest state of every risk ever recorded."""
        out: dict[str, RiskRecord] = {}
        for m in self.merges:
            for r in self.risks[m.id]:
                out[r.risk_id] = r
        return out

    @classmethod
    def load(cls, ledger: Ledger, specs: SpecSet) -> History:
        merges = ledger.merges()
        types = risk_types(specs["risks"])
        history = cls(merges, {m.id: ledger.tasks(m.id) for m in merges},
                      {m.id: ledger.risks(m.id, types) for m in merges})
        if merges:
            history.feedback = ledger.feedback(merges[-1].id)
            history.acceptance = ledger.acceptance(merges[-1].id)
        return history


def load_history(ws: Workspace, specs: SpecSet) -> History:
    """The ledger's history; ProjectError when nothing has been merged yet."""
    with ws.existing_ledger() as ledger:
        history = History.load(ledger, specs) if ledger else History([])
    if not history.merges:
        raise ProjectError(f"{ws.root}: 还没有记入台账的周汇总;先运行 xlflow merge")
    return history


@dataclass
class HistoryResult:
    merges: list[MergeInfo]
    dropped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"merges": [m.to_dict() for m in self.merges], "dropped": self.dropped}


def history(ws: Workspace, *, drop: str | None = None, by: str = "") -> HistoryResult:
    """List the recorded merges; with `drop`, remove that week first (audit event kept)."""
    ws.require_project()
    dropped = None
    if drop:
        week = resolve_week(drop)
        with ws.lock(), ws.ledger() as ledger:
            with ledger.transaction():
                info = ledger.merge_of(week)
                if info is None:
                    known = "、".join(m.week for m in ledger.merges()) or "无"
                    raise ProjectError(f"--drop {week}: 台账中没有这一周(已记录:{known})")
                ledger.drop_merge(week)
                ledger.add_event(EventKind.DROP_MERGE, by=by, at=now(),
                                 note=f"删除 {week} 的周汇总(统计日 {info.as_of})",
                                 data=info.to_dict())
            dropped = week
    with ws.existing_ledger() as ledger:
        merges = ledger.merges() if ledger else []
    return HistoryResult(merges, dropped)


def latest_state(ws: Workspace, specs: SpecSet) -> tuple[str | None, list[TaskStatus],
                                                         list[RiskRecord]]:
    """The latest recorded week with its typed tasks and risks (None, [], [] before any)."""
    with ws.existing_ledger() as ledger:
        latest = ledger.latest_merge() if ledger else None
        if ledger is None or latest is None:
            return None, [], []
        return (latest.week, ledger.tasks(latest.id),
                ledger.risks(latest.id, risk_types(specs["risks"])))
