"""成果验收: each expected result against its target with the values the departments
returned (latest recorded merge), every department's confirmation of the acceptance
as a whole, the meeting's 验收结论 and the 分管领导's opinion, and what is missing.

The phase is complete (成果验收 recorded) only when the conclusion is 通过 or 有条件通过,
every department has confirmed and the 分管领导意见 is there; each run stores the
conclusion it read, so `status` can say what is still missing and flag a 整改期限 that
has passed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import atomic_path
from ..errors import ExitStatus, ProjectError
from ..issues import Issue, warning
from ..merge.carry import block_types
from ..model.conclusion import FIELDS, Conclusion
from ..model.vocab import EventKind, Phase, Verdict
from ..report.acceptance import write_acceptance
from ..workspace import Workspace, now
from .acceptance_hand import HandEntries
from .conclusion import conclude
from .lifecycle import Status


@dataclass
class AcceptanceResult:
    week: str
    results: list[dict[str, Any]]
    missing: list[str]
    path: Path
    recorded: bool
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    conclusion: dict[str, Any] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)  # accepted under 有条件通过
    overdue: bool = False  # 有条件通过 past its 整改期限
    issues: list[Issue] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing

    @property
    def exit_status(self) -> ExitStatus:
        """1 while anything is missing before the collaboration can close."""
        return ExitStatus.OK if self.passed else ExitStatus.INPUT_PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "passed": self.passed, "recorded": self.recorded,
                "results": self.results, "confirmations": self.confirmations,
                "conclusion": self.conclusion, "conditions": self.conditions,
                "overdue": self.overdue, "missing": self.missing,
                "issues": [i.to_dict() for i in self.issues], "path": str(self.path)}


def accept(ws: Workspace, *, by: str = "", at: dt.datetime | None = None,
           verdict: str | None = None, date: str | dt.date | None = None,
           open_items: str | None = None, fix_by: str | dt.date | None = None,
           leader_opinion: str | None = None, today: dt.date | None = None) -> AcceptanceResult:
    """Compare each expected result with its target, collect every department's
    confirmation, read the 验收结论 (from the form this command wrote, filled in at the
    meeting, or from the options), write the 成果验收确认单 and record 成果验收 when
    nothing is missing."""
    project = ws.project()
    specs = project.specs()
    today = today or dt.date.today()
    with ws.existing_ledger() as ledger:
        latest = ledger.latest_merge() if ledger else None
        if ledger is None or latest is None:
            raise ProjectError(f"{ws.root}: 还没有记入台账的周汇总;先用 xlflow merge 汇总填好"
                               "成果验收确认单的文件")
        stored = {a.result_id: a for a in ledger.acceptance(latest.id)}
        # a task cancelled by an approved change is out of the plan: it does not hold
        # up acceptance, even when the last merge still had it
        planned = {t.id for t in project.tasks}
        tasks = [t for t in ledger.tasks(latest.id) if t.task_id in planned]
        blocks = {b.department: b for b in ledger.form_blocks(latest.id, block_types(specs))
                  if b.template == "acceptance"}
        last = ledger.acceptance_decision()
    target = ws.project_report(project, "成果验收确认单")
    hand = HandEntries.read(target, last, project.start.year)  # names typed on the form
    decision = conclude(target, {"verdict": verdict, "date": date, "open_items": open_items,
                                 "fix_by": fix_by, "leader_opinion": leader_opinion},
                        leader=project.approver, year=project.start.year, last=last)
    conditional = decision.verdict is Verdict.CONDITIONAL
    results: list[dict[str, Any]] = []
    missing: list[str] = []
    conditions: list[str] = []
    if not project.results:
        missing.append("project.yaml 中没有预期成果(expected_results),无法验收;先写明可量化的目标")
    for ref in project.results:
        a = stored.get(ref.id)
        values = a.values if a else {}
        actual = a.actual if a else None
        actual_text = "" if actual is None else (
            f"{actual * 100:g}%" if ref.target.percent else f"{actual:,g}{ref.unit}")
        row = {"id": ref.id, "name": ref.name, "department": ref.department,
               "target": ref.target_text, "actual": actual, "actual_text": actual_text,
               "met": a.met if a else None, "confirmer": values.get("confirmer") or "",
               "confirm_date": values.get("confirm_date") or "",
               "opinion": values.get("opinion") or ""}
        hand.fill_result(row)
        results.append(row)
        who = ref.department or "责任部门"
        if actual is None:
            missing.append(f"{ref.id} {ref.name}:{who}尚未填写实际值")
        elif not row["met"]:
            (conditions if conditional else missing).append(
                f"{ref.id} {ref.name}:实际值 {actual_text} 未达到目标 {ref.target_text}")
        if not row["confirmer"] or not row["confirm_date"]:
            missing.append(f"{ref.id} {ref.name}:{who}尚未确认(确认人、确认日期)")
    for t in tasks:
        if not t.done:
            (conditions if conditional else missing).append(
                f"任务 {t.task_id}({t.department})尚未完成:{t.status}")
    confirmations = []
    for dept in project.departments:
        b = blocks.get(dept.name)
        v = b.values if b else {}
        when = v.get("dept_confirm_date")
        line = {"department": dept.name, "confirmer": v.get("dept_confirmer") or "",
                "date": when.isoformat() if isinstance(when, dt.date) else (when or ""),
                "opinion": v.get("dept_opinion") or "", "week": b.data_week if b else None}
        hand.fill_department(line)
        confirmations.append(line)
        if not line["confirmer"] or not line["date"]:
            missing.append(f"{dept.name}尚未确认成果验收(成果验收确认单下方的部门确认人、部门确认日期)")
    decision.leader = hand.leader(project.approver)  # the name on the form, when typed
    missing += _decision_missing(decision)
    issues = list(decision.issues) + hand.issues
    overdue = decision.overdue(today)
    if overdue:
        issues.append(warning("rectification-overdue", f"整改期限 {decision.fix_by} 已过"
                              f"(今天 {today}),遗留问题:{decision.open_items}"))
    with ws.lock():
        with atomic_path(target) as tmp:
            write_acceptance(tmp, project_name=project.name, week=latest.week, results=results,
                             missing=missing, confirmations=confirmations, conclusion=decision,
                             conditions=conditions, overdue=overdue)
        recorded = not missing
        stamp = at or now()
        with ws.ledger() as ledger, ledger.transaction():
            ledger.add_acceptance_decision(
                {**decision.to_dict(), "week": latest.week, "complete": recorded,
                 "missing": missing, "conditions": conditions, **hand.record()}, at=stamp)
        if recorded:
            note = (f"依据 {latest.week} 汇总,验收结论 {decision.verdict}"
                    + (f",整改期限 {decision.fix_by}" if conditional else ",全部达标"))
            ws.record(EventKind.ACCEPT, by or project.initiator, note, at, locked=True)
    return AcceptanceResult(latest.week, results, missing, target, recorded, confirmations,
                            {**decision.to_dict(), "where": dict(decision.where)}, conditions,
                            overdue, issues)


def _decision_missing(decision: Conclusion) -> list[str]:
    """What the 验收结论 block still lacks, naming where to fill it in."""
    def where(key: str) -> str:
        label, option = FIELDS[key]
        cell = decision.where.get(key)
        return f"{label}(" + (f"填在 {cell}" if cell
                              else f"{option},或成果验收确认单的「{label}」栏") + ")"

    out = [i.message for i in decision.issues if i.is_error]
    if decision.verdict is None:
        out.append(f"尚无验收结论:{where('verdict')},可选 通过/有条件通过/不通过")
    elif decision.verdict is Verdict.FAIL:
        out.append("验收结论为不通过:成果验收未完成;整改后重新验收")
    if decision.date is None:
        out.append(f"尚未填写{where('date')}")
    if not decision.leader_opinion:
        out.append(f"尚无分管领导意见:{where('leader_opinion')}")
    return out


def with_acceptance(ws: Workspace, st: Status, today: dt.date) -> Status:
    """`status` with the last 验收结论: while 成果验收 is not recorded, what the last
    `accept` found missing; always, a 整改期限 that has passed."""
    with ws.existing_ledger() as ledger:
        decision = ledger.acceptance_decision() if ledger else None
    st.acceptance = decision
    st.alerts += acceptance_alerts(decision, today)
    if st.phase is Phase.EXECUTING:
        st.missing += acceptance_missing(decision)
    return st


def acceptance_alerts(decision: dict[str, Any] | None, today: dt.date) -> list[str]:
    """For `status`: a 有条件通过 whose 整改期限 has passed."""
    if not decision:
        return []
    c = Conclusion.from_dict(decision)
    if c.overdue(today):
        return [f"整改逾期:有条件通过的遗留问题「{c.open_items}」整改期限 {c.fix_by} 已过"]
    return []


def acceptance_missing(decision: dict[str, Any] | None) -> list[str]:
    """For `status` while 成果验收 is not recorded: what the last `accept` found missing."""
    if not decision or decision.get("complete"):
        return []
    return [f"成果验收:{m}" for m in decision.get("missing") or []]
