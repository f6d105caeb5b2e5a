"""The seven phases of a collaboration and what each needs before the next.

需求发起 → 需求共识 → 方案审批 → PMO备案 → 执行中 → 成果验收 → 复盘归档. The phase is
derived from project.yaml and the steps recorded in the ledger (who, when), never
stored on its own, so it cannot disagree with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue, error, warning
from ..ledger import Event
from ..model.records import RiskRecord, TaskStatus
from ..model.vocab import EventKind, Phase
from ..project import Project


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
    phase: Phase
    completed: list[Event] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what is needed to move on
    next_deadline: tuple[str, dt.date] | None = None
    last_merge: str | None = None
    late_tasks: list[TaskStatus] = field(default_factory=list)
    open_high_risks: list[RiskRecord] = field(default_factory=list)
    pending_changes: list[Any] = field(default_factory=list)  # baseline.Change, pending
    acceptance: dict[str, Any] | None = None  # the 验收结论 the last `accept` read
    alerts: list[str] = field(default_factory=list)  # e.g. 整改期限 past due

    @property
    def phase_index(self) -> int:
        return self.phase.order

    def to_dict(self) -> dict[str, Any]:
        return {"phase": str(self.phase), "phase_index": self.phase_index,
                "phases": [str(p) for p in Phase],
                "completed": [e.to_dict() for e in self.completed], "missing": self.missing,
                "next_deadline": None if not self.next_deadline else {
                    "what": self.next_deadline[0], "date": self.next_deadline[1].isoformat()},
                "last_merge": self.last_merge,
                "late_tasks": [t.to_dict() for t in self.late_tasks],
                "open_high_risks": [r.to_dict() for r in self.open_high_risks],
                "pending_changes": [c.to_dict() for c in self.pending_changes],
                "acceptance": self.acceptance, "alerts": list(self.alerts)}


_NEXT_STEP = {
    Phase.APPROVED: "PMO 备案:xlflow file {dir} --by PMO",
    Phase.FILED: "第一次周进度汇总:xlflow build → send → merge",
    Phase.EXECUTING: "成果验收:xlflow accept {dir}(预期成果达标,各部门确认,验收结论与分管领导意见)",
}


def current_phase(project: Project, events: Sequence[Event], merged: bool) -> Phase:
    """The phase follows from the recorded steps, in order; it is never stored. A
    disagreeing opinion keeps it at 需求发起, a send-back takes it back to 需求共识, and a
    filing counts only after the approval that stands."""
    from .approval import blocking_opinions, current_approval
    from .gate import filing

    kinds = {e.kind for e in events}
    filed = filing(events) is not None  # a filed plan's consensus is not reopened
    if not filed and (missing_opinions(project) or blocking_opinions(project)):
        return Phase.REQUEST
    if current_approval(events) is None:
        return Phase.CONSENSUS
    if filing(events) is None:
        return Phase.APPROVED
    if EventKind.ACCEPT not in kinds:
        return Phase.EXECUTING if merged else Phase.FILED
    if EventKind.RETRO in kinds and EventKind.ARCHIVE in kinds:
        return Phase.CLOSED
    return Phase.ACCEPTED


def compute_status(project: Project, events: Sequence[Event], latest_tasks: Sequence[TaskStatus],
                   latest_risks: Sequence[RiskRecord], last_merge: str | None,
                   today: dt.date, folder: str = "DIR") -> Status:
    """`folder`: the project folder, named in the commands the missing steps suggest."""
    from .._shell import shell_word
    from .approval import blocking_opinions, last_rejection

    where = shell_word(folder)

    kinds = {e.kind for e in events}
    phase = current_phase(project, events, last_merge is not None)
    missing: list[str] = []
    if phase is Phase.REQUEST:
        missing = [f"{d}负责人意见(opinions)" for d in missing_opinions(project)]
        missing += [f"{o.department}负责人意见为「{o.opinion}」(不同意):需其同意后才能审批"
                    for o in blocking_opinions(project)]
    elif phase is Phase.CONSENSUS:
        checks = [i.message for i in approval_checks(project) if i.is_error]
        rejected = last_rejection(events)
        if rejected is not None:
            checks.append(f"方案已被退回({rejected.by}):{rejected.note}")
        approver = shell_word(project.approver or "分管领导")
        missing = checks + [f"审批:xlflow approve {where} --by {approver}"]
    elif phase is Phase.ACCEPTED:
        missing = [m for k, m in ((EventKind.RETRO, f"复盘报告:xlflow retro {where}"),
                                  (EventKind.ARCHIVE, f"归档:xlflow archive {where} --to LIBRARY"))
                   if k not in kinds]
    elif phase in _NEXT_STEP:
        missing = [_NEXT_STEP[phase].format(dir=where)]
    done = {t.task_id for t in latest_tasks if t.done}
    upcoming = sorted([(f"里程碑 {m.id} {m.name}", m.date) for m in project.milestones
                       if m.date >= today] +
                      [(f"任务 {t.id} {t.deliverable}({t.department})", t.due)
                       for t in project.tasks if t.due >= today and t.id not in done],
                      key=lambda x: x[1])
    return Status(
        phase=phase, completed=list(events), missing=missing,
        next_deadline=upcoming[0] if upcoming else None, last_merge=last_merge,
        late_tasks=[t for t in latest_tasks if t.status.behind],
        open_high_risks=[r for r in latest_risks if r.is_open and r.is_high],
        alerts=[f"备案后 {o.department}负责人的意见为「{o.opinion}」(不同意):已备案的方案不受"
                "影响;需要调整计划时用 xlflow change 提出变更" for o in blocking_opinions(project)]
        if phase.order >= Phase.FILED.order else [],
    )
