"""What a Python user calls; the CLI is a thin layer over these functions.

A short facade: each function opens the project folder as a `Workspace` and calls the
phase or the merge pipeline that does the work. Nothing here prints or exits:
functions return results and raise `XlflowError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .merge.pipeline import ProgressFn
from .merge.pipeline import run as _run_merge
from .merge.validate import validate_files
from .model.reports import FileCheck, MergeReport, StepResult, ValidationReport
from .phases import acceptance as _acceptance
from .phases import approval as _approval
from .phases import baseline as _baseline
from .phases import closing as _closing
from .phases import collect as _collect
from .phases import consensus as _consensus
from .phases import delivery as _delivery
from .phases import history as _history
from .phases import notify as _notify
from .phases import remind as _remind
from .phases import risk_intake as _risk_intake
from .phases import schedule as _schedule
from .phases import setup as _setup
from .phases.acceptance import AcceptanceResult
from .phases.baseline import Change, ChangeResult
from .phases.closing import ArchiveResult, ResourcesResult, RetroResult, ReviewResult
from .phases.collect import CollectResult, ImapSettings, Security
from .phases.delivery import SendResult, Sent
from .phases.gate import GateError, filing
from .phases.history import HistoryResult
from .phases.lifecycle import Status
from .phases.mail import SmtpSettings
from .phases.notify import NotifyResult
from .phases.remind import RemindResult
from .phases.risk_intake import RisksResult, high_risk_alert
from .phases.schedule import RunResult
from .phases.setup import BuildResult, InitResult
from .project import load_project
from .workspace import Workspace

Dir = Path | str

__all__ = [
    "AcceptanceResult", "ArchiveResult", "BuildResult", "FileCheck", "HistoryResult",
    "InitResult", "MergeReport", "ProgressFn", "ResourcesResult", "RetroResult", "ReviewResult",
    "SendResult", "Sent", "SmtpSettings", "Status", "StepResult", "ValidationReport",
    "Workspace", "accept", "approve", "archive", "build", "cases", "file_project", "history",
    "init_project", "list_inbox", "merge", "opinion", "resources", "retro", "review", "send",
    "status", "validate",
    "CollectResult", "ImapSettings", "RisksResult", "Security", "collect", "high_risk_alert",
    "risks",
]


def init_project(directory: Dir, *, example: bool = False, force: bool = False,
                 today: dt.date | None = None) -> InitResult:
    """Create DIR/project.yaml (blank or the seed's example) and inbox/outbox/reports."""
    return _setup.init_project(Workspace(directory), example=example, force=force, today=today)


def build(directory: Dir, *, week: str | None = None, departments: list[str] | None = None,
          built_at: dt.datetime | None = None, draft: bool = False) -> BuildResult:
    """Write DIR/outbox/<week>/: one workbook per department and the PMO master. Before
    PMO备案 only with `draft` (every sheet says 草稿)."""
    return _setup.build(Workspace(directory), week=week, departments=departments,
                        built_at=built_at, draft=draft)


def list_inbox(root: Dir) -> list[Path]:
    """The files a merge of DIR would read."""
    return Workspace(root).list_inbox()


def merge(directory: Dir, files: list[Path | str] | None = None, *,
          as_of: dt.date | None = None, week: str | None = None,
          workdays: bool | None = None, progress: ProgressFn | None = None,
          write: bool = True, run_at: dt.datetime | None = None,
          force: bool = False, draft: bool = False) -> MergeReport:
    """Read the returns, validate, merge, compute deviation; write the consolidated
    report and the ledger (unless write=False). Never modifies an input. Writing before
    PMO备案 only with `draft` (the report says 草稿)."""
    return _run_merge(Workspace(directory), files, as_of=as_of, week=week, workdays=workdays,
                      progress=progress, write=write, run_at=run_at, force=force,
                      draft=draft)


def validate(files: list[Path | str], *, project_dir: Dir | None = None,
             as_of: dt.date | None = None) -> ValidationReport:
    """The merge's checks for each file on its own, e.g. by a department before sending.
    With `project_dir` the signature is verified with the project's key; without, it
    cannot be (the report says `unchecked`: the merge checks it)."""
    from .phases.scope import cancelling_changes

    project = load_project(project_dir) if project_dir else None
    ws = Workspace(project_dir) if project_dir else None
    trust = ws.trust() if ws else None
    return validate_files([Path(f) for f in files], project=project,
                          as_of=as_of or dt.date.today(), trust=trust,
                          draft=ws is not None and filing(ws.events()) is None,
                          cancelled_by=cancelling_changes(ws) if ws else None)


def history(directory: Dir, *, drop: str | None = None, by: str = "") -> HistoryResult:
    """The recorded merges; `drop` removes one week (an audit event is kept)."""
    return _history.history(Workspace(directory), drop=drop, by=by)


def status(directory: Dir, *, today: dt.date | None = None) -> Status:
    """Phase, what is missing to move on, next deadline, late tasks, open high risks."""
    return _consensus.status(Workspace(directory), today=today)


def opinion(directory: Dir, *, department: str, by: str, text: str,
            at: dt.datetime | None = None, attendees: Sequence[str] = (),
            date: dt.date | None = None) -> StepResult:
    """需求共识: record a department head's opinion (and the meeting's attendees and date)."""
    return _consensus.opinion(Workspace(directory), department=department, by=by, text=text,
                              at=at, attendees=attendees, date=date)


def approve(directory: Dir, *, by: str, note: str = "", reject: bool = False,
            at: dt.datetime | None = None) -> StepResult:
    """方案审批 by project.approver, recorded only when the seed's checks pass and no head
    disagrees; `reject` sends the plan back (with a note)."""
    return _consensus.approve(Workspace(directory), by=by, note=note, reject=reject, at=at)


def file_project(directory: Dir, *, by: str, note: str = "",
                 at: dt.datetime | None = None) -> StepResult:
    """PMO备案 of the approved plan."""
    return _consensus.file_project(Workspace(directory), by=by, note=note, at=at)


def send(directory: Dir, *, week: str | None = None, smtp: SmtpSettings | None = None,
         sender: str = "", departments: list[str] | None = None,
         resend: bool = False, draft: bool = False) -> SendResult:
    """One message per department with its workbook: .eml files, or SMTP. Departments
    whose message for the week went out already are skipped unless `resend`. Before
    PMO备案 only with `draft`."""
    return _delivery.send(Workspace(directory), week=week, smtp=smtp, sender=sender,
                          departments=departments, resend=resend, draft=draft)


def accept(directory: Dir, *, by: str = "", at: dt.datetime | None = None,
           verdict: str | None = None, date: str | dt.date | None = None,
           open_items: str | None = None, fix_by: str | dt.date | None = None,
           leader_opinion: str | None = None, today: dt.date | None = None) -> AcceptanceResult:
    """成果验收 against the targets, every department's confirmation and the 验收结论
    (from the form or these arguments); recorded when nothing is missing."""
    return _acceptance.accept(Workspace(directory), by=by, at=at, verdict=verdict, date=date,
                              open_items=open_items, fix_by=fix_by,
                              leader_opinion=leader_opinion, today=today)


def retro(directory: Dir, *, by: str = "", at: dt.datetime | None = None) -> RetroResult:
    """跨部门合作复盘报告 (workbook + HTML)."""
    return _closing.retro(Workspace(directory), by=by, at=at)


def review(directory: Dir, *, month: str) -> ReviewResult:
    """月复盘 of one month from the ledger."""
    return _closing.review(Workspace(directory), month=month)


def archive(directory: Dir, *, to: Dir, by: str = "", at: dt.datetime | None = None) -> ArchiveResult:
    """Every process file into one verified zip in the case library."""
    return _closing.archive(Workspace(directory), to=to, by=by, at=at)


def cases(library: Dir, *, search: str = "") -> list[dict[str, Any]]:
    """Past cases in a library, newest first."""
    return _closing.cases(library, search=search)


def resources(directories: list[Dir], *, out: Dir) -> ResourcesResult:
    """Capacity conflicts across projects, ordered by priority."""
    return _closing.resources(list(directories), out=out)


def collect(directory: Dir, imap: ImapSettings, *,
            run_at: dt.datetime | None = None) -> CollectResult:
    """Fetch new mail from the PMO mailbox over IMAP and save the attached workbooks into
    inbox/<week>/ (unknown senders: inbox/_unverified/); never saves a message twice."""
    return _collect.collect(Workspace(directory), imap, run_at=run_at)


def risks(directory: Dir, *, as_of: dt.date | None = None, write: bool = True) -> RisksResult:
    """Merge every standalone 风险应对申请表 in the inbox into the risk register now:
    the ledger's intake table, reports/风险登记册-<date>.xlsx, and alerts for new 高 risks."""
    return _risk_intake.risks(Workspace(directory), as_of=as_of, write=write)
# -- closing the loop by e-mail: remind, notify, run ----------------------------------------

__all__ += ["NotifyResult", "RemindResult", "RunResult", "notify", "remind", "run"]


def remind(directory: Dir, *, week: str | None = None,
           as_of: dt.date | dt.datetime | None = None, smtp: SmtpSettings | None = None,
           sender: str = "") -> RemindResult:
    """One message per department listing what it still owes, its workbook attached;
    recorded, so a rerun the same day sends nothing new."""
    return _remind.remind(Workspace(directory), week=week, as_of=as_of, smtp=smtp, sender=sender)


def notify(directory: Dir, *, week: str | None = None, to: list[str] | None = None,
           smtp: SmtpSettings | None = None, sender: str = "",
           font: str | None | bool = True) -> NotifyResult:
    """The week's notice to the leaders: HTML with charts, text, the consolidated workbook."""
    return _notify.notify(Workspace(directory), week=week, to=to, smtp=smtp, sender=sender,
                          font=font)


def run(directory: Dir, *, today: dt.date | dt.datetime | None = None,
        smtp: SmtpSettings | None = None, imap: Any = None, sender: str = "") -> RunResult:
    """What is due today (build + send, collect, merge + notify, remind), once."""
    extras = {name: func for name in ("collect", "risks")
              if callable(func := globals().get(name))}
    return _schedule.run(Workspace(directory), today=today, smtp=smtp, imap=imap, sender=sender,
                         extras=extras)


# -- baseline and change control ------------------------------------------------------------

__all__ += ["Change", "ChangeResult", "GateError", "approve_change", "baseline_dates", "change",
            "changes"]


def change(directory: Dir, *, by: str, reason: str, task: str | None = None,
           result: str | None = None, due: str | None = None, start: str | None = None,
           owner: str | None = None, deliverable: str | None = None,
           target: str | None = None, add_task: str | None = None,
           remove_task: str | None = None, at: dt.datetime | None = None,
           on: dt.date | None = None) -> ChangeResult:
    """Record a change to the filed plan (one task's dates, owner, deliverable, or one
    result's target; or a task added as project.yaml defines it, `add_task`, or
    cancelled, `remove_task`, from day `on`: default the day of approval) as change N,
    pending the approver's `approve_change`."""
    if on is not None and not remove_task:
        from .errors import ProjectError

        raise ProjectError("--on 只用于 --remove-task:它是取消任务生效的日期")
    if add_task or remove_task:
        from .errors import ProjectError
        from .phases import scope as _scope

        given = [n for n, v in (("--add-task", add_task), ("--remove-task", remove_task),
                                ("--task", task), ("--result", result), ("--due", due),
                                ("--start", start), ("--owner", owner),
                                ("--deliverable", deliverable), ("--target", target)) if v]
        if len(given) > 1:
            raise ProjectError(f"{' 与 '.join(given)} 不能同时给出:一次变更新增或取消一个任务"
                               "(新增任务的内容写在 project.yaml 中)")
        if add_task:
            return _scope.request_add(Workspace(directory), add_task, by=by, reason=reason,
                                      at=at)
        return _scope.request_remove(Workspace(directory), remove_task or "", by=by,
                                     reason=reason, at=at, on=on)
    values = {k: v for k, v in (("due", due), ("start", start), ("owner", owner),
                                ("deliverable", deliverable), ("target", target))
              if v is not None}
    return _baseline.request_change(Workspace(directory), by=by, reason=reason, task=task,
                                    result=result, values=values, at=at)


def approve_change(directory: Dir, number: int, *, by: str, reject: bool = False,
                   note: str = "", at: dt.datetime | None = None) -> ChangeResult:
    """The approver (project.approver) approves change N: it enters the current plan and
    project.yaml; `reject` turns it down."""
    ws = Workspace(directory)
    _approval.check_approver(ws.project(with_events=False), by)
    return _baseline.decide_change(ws, number, by=by, approve=not reject, note=note, at=at)


def changes(directory: Dir) -> list[Change]:
    """Every plan change recorded, in order."""
    return _baseline.list_changes(Workspace(directory))


def baseline_dates(directory: Dir) -> dict[str, dt.date] | None:
    """Each task's baseline due date as filed at PMO备案; None before filing."""
    return _baseline.baseline_dates(Workspace(directory))


# -- across projects: the portfolio -----------------------------------------------------------

from .model.portfolio import PortfolioResult  # noqa: E402
from .phases import portfolio as _portfolio  # noqa: E402

__all__ += ["PortfolioResult", "portfolio"]


def portfolio(directories: list[Dir], *, out: Dir | None = None, as_of: dt.date | None = None,
              headers: str | None = None, write: bool = True) -> PortfolioResult:
    """One workbook over many projects (项目组合), read-only: phase, latest merge, slip,
    forecast end, open 高 risks, missing returns, department load per week; priority first.
    `out` defaults to ./项目组合-<as-of>.xlsx; `headers` (zh, en, bilingual) to the first
    project's settings.headers."""
    return _portfolio.portfolio(list(directories), out=out, as_of=as_of, headers=headers,
                                write=write)


# -- 周例会: agenda and minutes ---------------------------------------------------------------

from .phases import meeting as _meeting  # noqa: E402
from .phases.meeting import MeetingResult  # noqa: E402

__all__ += ["MeetingResult", "meeting"]


def meeting(directory: Dir, *, week: str | None = None, built_at: dt.datetime | None = None,
            pdf: bool = True) -> MeetingResult:
    """reports/<week>-周例会.xlsx from the week's merge: the agenda and the 会议纪要 the
    PMO fills and drops into inbox/ (its rows become tracked 督办事项); an A4 page and,
    with a browser or LibreOffice installed, a PDF."""
    return _meeting.meeting(Workspace(directory), week=week, built_at=built_at, pdf=pdf)
