"""需求共识, 方案审批 and PMO备案: opinions, approval with the seed's checks, filing;
and `status`, which derives the phase from what was recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..consensus_meeting import meeting_data
from ..errors import ProjectError
from ..issues import count_errors, error
from ..ledger import Ledger
from ..model.reports import StepResult
from ..model.vocab import EventKind
from ..project import PROJECT_FILE, Project
from ..workspace import Workspace, now
from . import approval as _approval
from . import baseline as _baseline
from .acceptance import with_acceptance
from .gate import filing as _filing
from .history import latest_state
from .lifecycle import Status, approval_checks, compute_status, missing_opinions
from .pmo_master import write_signed_master


def approvals(ws: Workspace) -> list[dict[str, Any]]:
    """The approval that stands (none after a send-back), and the filing that stands
    with its 备案编号, for the PMO master's request form."""
    events = ws.events()
    current = _approval.current_approval(events)
    out: list[dict[str, Any]] = []
    if current is not None:
        out.append({"by": current.by, "at": current.at, "note": current.note})
        filed = _filing(events)
        if filed is not None:
            out.append({"kind": "file", "by": filed.by, "at": filed.at, "note": filed.note,
                        "number": filed.data.get("number", "")})
    return out


def rewrite_master(ws: Workspace, project: Project) -> Path:
    """The PMO master for the latest built week (before any build: the project's first
    week), with the approvals and opinions recorded so far."""
    return write_signed_master(ws, project, ws.current_week(project), built_at=now(),
                               approvals=approvals(ws), baseline=_baseline.baseline_dates(ws))


def opinion(ws: Workspace, *, department: str, by: str, text: str,
            at: dt.datetime | None = None, attendees: Sequence[str] = (),
            date: dt.date | None = None) -> StepResult:
    """需求共识: record a department head's opinion (it goes into the minutes)."""
    project = ws.project(with_events=False)
    names = [d.name for d in project.departments]
    if department not in names:
        raise ProjectError(f"--department: {department!r} 不在 {PROJECT_FILE} 的部门中"
                           f"(有:{'、'.join(names)})")
    _approval.check_head(project.department(department), by)
    filed = _filing(ws.events())
    if filed is not None:  # the filed plan's consensus is closed: a plan change instead
        number = filed.data.get("number", "")
        raise ProjectError(
            f"方案已于 {filed.at[:10]} PMO 备案{f'(备案编号 {number})' if number else ''},需求共识"
            f"已结束,{department}的意见未记录。要调整计划,由 PMO 用 xlflow change {ws.root} "
            f"--task … --reason \"{department}意见:…\" --by … 提出变更,经审批人批准;要重新"
            f"审批整个方案,由审批人 xlflow approve {ws.root} --reject --note … 退回,之后可再记录意见")
    with ws.lock():  # the master is rewritten under the lock, as every output is
        stamp = ws.record(EventKind.OPINION, by, text, at,
                          {"department": department, **meeting_data(attendees, date)},
                          locked=True)
        master = rewrite_master(ws, ws.project())
    return StepResult(EventKind.OPINION, True, by=by, at=stamp, note=text, outputs=[master])


def status(ws: Workspace, *, today: dt.date | None = None) -> Status:
    """Phase, what is missing to move on, next deadline, late tasks, open high risks."""
    project = ws.project()
    week, tasks, risks = latest_state(ws, project.specs())
    st = compute_status(project, ws.events(), tasks, risks, week, today or dt.date.today(),
                        str(ws.root))
    st.pending_changes = [c for c in _baseline.list_changes(ws) if c.state == _baseline.PENDING]
    return with_acceptance(ws, st, today or dt.date.today())


def approve(ws: Workspace, *, by: str, note: str = "", reject: bool = False,
            at: dt.datetime | None = None) -> StepResult:
    """方案审批 by the approver named in project.yaml (anyone else: NotAuthorisedError):
    recorded only when the checks pass and no department head disagrees; the master
    workbook is rewritten with the approval. `reject` sends the plan back (a note is
    required): a later approval is needed, and the filing before it no longer stands."""
    project = ws.project()
    _approval.check_approver(project, by)
    if reject:
        if not note.strip():
            raise ProjectError("--reject 需要 --note 写明退回原因")
        with ws.lock():
            stamp = ws.record(EventKind.REJECT, by, note, at, locked=True)
            master = rewrite_master(ws, project)
        return StepResult(EventKind.REJECT, True, by=by, at=stamp, note=note, outputs=[master])
    issues = [error("no-consensus", f"{d}负责人尚未给出意见;先达成需求共识")
              for d in missing_opinions(project)]
    issues += [error("opinion-disagrees", f"{o.department}负责人 {o.by} 的意见是「{o.opinion}」"
                     f"(不同意):需其给出同意的意见(xlflow opinion)后才能审批",
                     file=PROJECT_FILE) for o in _approval.blocking_opinions(project)]
    issues += approval_checks(project)
    if count_errors(issues):
        return StepResult(EventKind.APPROVE, False, issues, by=by, note=note)
    with ws.lock():
        stamp = ws.record(EventKind.APPROVE, by, note, at, locked=True)
        master = rewrite_master(ws, project)
    return StepResult(EventKind.APPROVE, True, issues, by=by, at=stamp, note=note,
                      outputs=[master])


def file_project(ws: Workspace, *, by: str, note: str = "",
                 at: dt.datetime | None = None) -> StepResult:
    """PMO备案: the approved plan is filed with a number, baselined in the ledger (see
    `baseline`), and the collaboration formally starts; the master shows the number."""
    project = ws.project(with_events=False)
    events = ws.events()
    if _approval.current_approval(events) is None:
        rejected = _approval.last_rejection(events)
        why = (f"方案已被 {rejected.by} 退回({rejected.note}),需重新审批"
               if rejected else "方案尚未审批")
        return StepResult(EventKind.FILE, False,
                          [error("not-approved", f"{why};先运行 xlflow approve")],
                          by=by, note=note)
    at = at or now()
    number = f"PMO-{project.id}-{at.date().strftime('%Y%m%d')}"
    text = note or f"备案编号 {number}"
    with ws.lock():
        with ws.ledger() as ledger:
            record_filing(ledger, project, by=by, number=number, note=text, at=at)
        master = rewrite_master(ws, ws.project())
    return StepResult(EventKind.FILE, True, by=by, at=at.isoformat(), note=text,
                      outputs=[master])


def record_filing(ledger: Ledger, project: Project, *, by: str, number: str, note: str,
                  at: dt.datetime) -> None:
    """The filing in the ledger: the FILE event with its 备案编号 and the plan's baseline,
    in one transaction (what `file_project` records once its checks pass)."""
    _baseline.ensure_tables(ledger)
    with ledger.transaction():
        ledger.add_event(EventKind.FILE, by=by, note=note, data={"number": number}, at=at)
        _baseline.record_baseline(ledger, project, number=number, at=at.isoformat())
