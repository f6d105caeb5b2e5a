"""The seven phases of a collaboration and what each needs before the next.

需求发起 → 需求共识 → 方案审批 → PMO备案 → 执行中 → 成果验收 → 复盘归档. The phase is
derived from project.yaml and the steps recorded in the ledger (who, when), never
stored on its own, so it cannot disagree with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .issues import Issue, error, warning
from .project import Project
from .reconcile import BEHIND_STATUSES, DONE_STATUSES

PHASES = ("需求发起", "需求共识", "方案审批", "PMO备案", "执行中", "成果验收", "复盘归档")
# ledger event kinds that complete a phase
OPINION, APPROVED, FILED, SENT = "opinion", "approve", "file", "send"
ACCEPTED, RETRO, ARCHIVED = "accept", "retro", "archive"


def approval_checks(project: Project) -> list[Issue]:
    """The seed's approval points, as far as the data can show them: goal reasonable
    (measurable expected results), resources sufficient (needs stated, every department
    with a head and a task), risks controllable (every task due inside the window)."""
    out: list[Issue] = []
    where = {"file": "project.yaml"}
    if not project.goals.strip():
        out.append(error("no-goal", "没有填写核心目标(project.goals)", **where))
    if not project.results:
        out.append(error("no-results", "没有可量化的预期成果(expected_results)", **where))
    if not project.resources:
        out.append(error("no-resources", "没有写明资源需求(resources)", **where))
    for dept in project.departments:
        if not dept.head:
            out.append(error("no-head", f"{dept.name}没有负责人(departments.head)", **where))
        if not project.tasks_of(dept.name):
            out.append(error("no-task", f"{dept.name}在职责分工表中没有任务", **where))
    for task in project.tasks:
        if not project.start <= task.due <= project.end:
            out.append(error("due-outside-window", f"任务 {task.id} 的时间节点 {task.due} 不在项目周期 "
                             f"{project.start} 至 {project.end} 内", **where))
    for ms in project.milestones:
        if not project.start <= ms.date <= project.end:
            out.append(warning("milestone-outside-window", f"里程碑 {ms.id} {ms.name} 的日期 {ms.date} "
                               "不在项目周期内", **where))
    return out


def missing_opinions(project: Project) -> list[str]:
    """Departments (other than the initiator) whose head has not given an opinion."""
    given = {o.department for o in project.opinions}
    return [d.name for d in project.departments
            if d.name != project.initiating_department and d.name not in given]


@dataclass
class Status:
    phase: str
    completed: list[dict[str, Any]] = field(default_factory=list)  # events: kind, by, at
    missing: list[str] = field(default_factory=list)  # what is needed to move on
    next_deadline: tuple[str, dt.date] | None = None
    last_merge: str | None = None
    late_tasks: list[dict[str, Any]] = field(default_factory=list)
    open_high_risks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def phase_index(self) -> int:
        return PHASES.index(self.phase)

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "phase_index": self.phase_index, "phases": list(PHASES),
                "completed": self.completed, "missing": self.missing,
                "next_deadline": None if not self.next_deadline else {
                    "what": self.next_deadline[0], "date": self.next_deadline[1].isoformat()},
                "last_merge": self.last_merge, "late_tasks": self.late_tasks,
                "open_high_risks": self.open_high_risks}


def compute_status(project: Project, events: Sequence[Mapping[str, Any]],
                   latest_tasks: Sequence[Mapping[str, Any]],
                   latest_risks: Sequence[Mapping[str, Any]], last_merge: str | None,
                   today: dt.date) -> Status:
    kinds = {e["kind"]: e for e in events}
    missing_ops = missing_opinions(project)
    if not missing_ops:
        phase = "需求共识"
    else:
        phase = "需求发起"
    if phase == "需求共识" and APPROVED in kinds:
        phase = "方案审批"
    if phase == "方案审批" and FILED in kinds:
        phase = "执行中" if last_merge else "PMO备案"
    if phase in ("PMO备案", "执行中") and ACCEPTED in kinds:
        phase = "成果验收"
    if phase == "成果验收" and RETRO in kinds and ARCHIVED in kinds:
        phase = "复盘归档"
    missing: list[str] = []
    if phase == "需求发起":
        missing = [f"{d}负责人意见(opinions)" for d in missing_ops]
    elif phase == "需求共识":
        checks = [i.message for i in approval_checks(project) if i.is_error]
        missing = checks + ["审批:xlflow approve DIR --by 分管领导"]
    elif phase == "方案审批":
        missing = ["PMO 备案:xlflow file DIR --by PMO"]
    elif phase == "PMO备案":
        missing = ["第一次周进度汇总:xlflow build → send → merge"]
    elif phase == "执行中":
        missing = ["成果验收:xlflow accept DIR(全部预期成果达标并确认)"]
    elif phase == "成果验收":
        missing = [m for k, m in ((RETRO, "复盘报告:xlflow retro DIR"),
                                  (ARCHIVED, "归档:xlflow archive DIR --to LIBRARY"))
                   if k not in kinds]
    upcoming = sorted([(f"里程碑 {m.id} {m.name}", m.date) for m in project.milestones
                       if m.date >= today] +
                      [(f"任务 {t.id} {t.deliverable}({t.department})", t.due)
                       for t in project.tasks if t.due >= today and not _done(t.id, latest_tasks)],
                      key=lambda x: x[1])
    return Status(
        phase=phase,
        completed=[{"kind": e["kind"], "by": e.get("by", ""), "at": e["at"],
                    "note": e.get("note", "")} for e in events],
        missing=missing, next_deadline=upcoming[0] if upcoming else None, last_merge=last_merge,
        late_tasks=[t for t in latest_tasks if t["status"] in BEHIND_STATUSES],
        open_high_risks=[r for r in latest_risks if r.get("open") and r["level"] == "高"],
    )


def _done(task_id: str, tasks: Sequence[Mapping[str, Any]]) -> bool:
    return any(t["id"] == task_id and t["status"] in DONE_STATUSES for t in tasks)
