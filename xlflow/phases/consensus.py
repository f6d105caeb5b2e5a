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
from ..model.reports import StepResult
from ..model.vocab import EventKind
from ..project import PROJECT_FILE, Project
from ..workspace import Workspace, now
from .acceptance import with_acceptance
from .history import latest_state
from .lifecycle import Status, approval_checks, compute_status, missing_opinions
from .pmo_master import write_signed_master


def approvals(ws: Workspace) -> list[dict[str, Any]]:
    return [{"by": e.by, "at": e.at, "note": e.note} for e in ws.events()
            if e.kind == EventKind.APPROVE]


def rewrite_master(ws: Workspace, project: Project) -> Path:
    """The PMO master for the latest built week (before any build: the project's first
    week), with the approvals and opinions recorded so far."""
    return write_signed_master(ws, project, ws.current_week(project), built_at=now(),
                               approvals=approvals(ws))


def opinion(ws: Workspace, *, department: str, by: str, text: str,
            at: dt.datetime | None = None, attendees: Sequence[str] = (),
            date: dt.date | None = None) -> StepResult:
    """需求共识: record a department head's opinion (it goes into the minutes)."""
    project = ws.project(with_events=False)
    names = [d.name for d in project.departments]
    if department not in names:
        raise ProjectError(f"--department: {department!r} is not in {PROJECT_FILE} "
                           f"({'、'.join(names)})")
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
    st = compute_status(project, ws.events(), tasks, risks, week, today or dt.date.today())
    return with_acceptance(ws, st, today or dt.date.today())


def approve(ws: Workspace, *, by: str, note: str = "", at: dt.datetime | None = None) -> StepResult:
    """方案审批 by the responsible leader: recorded only when the checks pass; the master
    workbook is rewritten with the approval."""
    project = ws.project()
    issues = [error("no-consensus", f"{d}负责人尚未给出意见;先达成需求共识")
              for d in missing_opinions(project)]
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
    """PMO备案: the approved plan is filed and the collaboration formally starts."""
    project = ws.project(with_events=False)
    if not any(e.kind == EventKind.APPROVE for e in ws.events()):
        return StepResult(EventKind.FILE, False,
                          [error("not-approved", "方案尚未审批;先运行 xlflow approve")],
                          by=by, note=note)
    number = f"PMO-{project.id}-{(at or now()).date().strftime('%Y%m%d')}"
    text = note or f"备案编号 {number}"
    stamp = ws.record(EventKind.FILE, by, text, at, {"number": number})
    return StepResult(EventKind.FILE, True, by=by, at=stamp, note=text)
