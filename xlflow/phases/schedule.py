"""`xlflow run`: one command a day for a scheduler (cron, Windows Task Scheduler). It does
what is due that day, under the project lock, and nothing twice:

- build + send the week's workbooks on its first run of the week (Monday, or the first
  day after), once the plan is filed (PMO备案) and while the week is in the project's
  period; the build is skipped when the week's workbooks exist, and `send` itself skips
  every department whose message for the week went out already;
- collect and risks (fetching returns and risk forms by IMAP) when this xlflow has them;
- merge on the return weekday and after: the current week (from its return weekday on)
  and the previous week (late returns), each only when the inbox holds a return of that
  week that no merge has read; then notify the leaders of each recorded merge not
  notified yet;
- remind every day (`remind` itself sends nothing twice a day).

Once 成果验收 is recorded the weekly loop is over: the run does nothing.

Each step's XlflowError is kept in its step and the run goes on with the next one.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..errors import ExitStatus, XlflowError
from ..issues import Issue, count_errors
from ..merge.pipeline import run as run_merge
from ..model.vocab import EventKind
from ..project import Project
from ..weeks import week_days, week_label
from ..workspace import Workspace
from ..writer.department import return_deadline
from . import delivery, notify, remind, setup
from .gate import require_filed
from .mail import SmtpSettings


@dataclass
class Step:
    """One thing the run did, or why it did not."""

    name: str
    done: bool  # did something new
    note: str
    issues: list[Issue] = field(default_factory=list)
    error: str = ""  # the XlflowError that stopped this step

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "done": self.done, "note": self.note, "error": self.error,
                "issues": [i.to_dict() for i in self.issues]}


@dataclass
class RunResult:
    today: dt.date
    week: str
    steps: list[Step] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        return [i for s in self.steps for i in s.issues]

    @property
    def exit_status(self) -> ExitStatus:
        if any(s.error for s in self.steps):
            return ExitStatus.USAGE
        return ExitStatus.INPUT_PROBLEMS if count_errors(self.issues) else ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "week": self.week,
                "steps": [s.to_dict() for s in self.steps]}


def run(ws: Workspace, *, today: dt.date | dt.datetime | None = None,
        smtp: SmtpSettings | None = None, imap: Any = None, sender: str = "",
        extras: dict[str, Callable[..., Any]] | None = None) -> RunResult:
    """The day's work (see the module's docstring). `today` is a date (the run acts as at
    the start of that day) or a moment; default now. `extras` are the optional steps
    (`collect`, `risks`) by name, from `xlflow.api` when it has them."""
    moment = remind.moment_of(today)
    day = moment.date()
    project = ws.project(with_events=False)
    week = week_label(day)
    result = RunResult(day, week)
    with ws.lock(reentrant=True):  # build, send, merge… take it again inside
        accepted = [e for e in ws.events() if e.kind == EventKind.ACCEPT]
        if accepted:
            result.steps.append(Step("run", False, f"成果验收已于 {accepted[-1].at[:10]} 记录,"
                                     "周进度流程结束:不再发送、汇总或催办"))
            return result
        require_filed(ws, "run", project=project)  # no --draft for a scheduled run
        _weekly_delivery(ws, project, week, smtp, sender, result)
        for name, func in (extras or {}).items():
            if name == "collect" and imap is None:
                continue  # no mailbox given (--imap): the returns are saved by hand
            _step(result, name, partial(_extra, ws, name, func, day, smtp, imap))
        for w in _merge_weeks(project, week, day):
            _step(result, "merge", partial(_merge, ws, project, w, day))
            _step(result, "notify", partial(_notify, ws, w, smtp, sender))
        _step(result, "remind", lambda: _remind(ws, project, moment, smtp, sender))
    return result


def _step(result: RunResult, name: str, work: Callable[[], Step | None]) -> None:
    try:
        step = work()
    except XlflowError as exc:
        step = Step(name, False, "出错,本步未完成", error=str(exc))
    if step is not None:
        result.steps.append(step)


def _weekly_delivery(ws: Workspace, project: Project, week: str, smtp: SmtpSettings | None,
                     sender: str, result: RunResult) -> None:
    monday, sunday = week_days(week)
    if sunday < project.start or monday > project.end:
        return  # outside the project's period: no workbooks this week
    if not any(ws.department_file(project, week, d.name).is_file() for d in project.departments):
        def build() -> Step:
            b = setup.build(ws, week=week)
            return Step("build", True, f"{week}:{len(b.departments)} 个部门文件 → {b.outbox}")
        _step(result, "build", build)
        if not result.steps or result.steps[-1].error:
            return  # the build failed: its step says why

    def send() -> Step | None:
        # send skips the departments whose message for the week went out already
        s = delivery.send(ws, week=week, smtp=smtp, sender=sender)
        if not s.messages and not s.issues:
            return None
        how = "经邮件服务器" if smtp else "eml 文件"
        return Step("send", bool(s.messages), f"{week}:{len(s.messages)} 封({how})",
                    list(s.issues))
    _step(result, "send", send)


def _extra(ws: Workspace, name: str, func: Callable[..., Any], day: dt.date,
           smtp: SmtpSettings | None, imap: Any) -> Step | None:
    """collect / risks from another module: called with the options it takes. The risk
    intake runs only when the inbox holds risk forms, so a quiet day writes nothing."""
    offered = {"today": day, "as_of": day, "imap": imap, "smtp": smtp}
    accepted = inspect.signature(func).parameters
    args = {k: v for k, v in offered.items() if k in accepted}
    if "write" in accepted and not getattr(func(ws.root, **args, write=False), "files", True):
        return None
    out = func(ws.root, **args)
    issues = list(getattr(out, "issues", []) or [])
    summary = getattr(out, "summary", None)
    return Step(name, True, str(summary() if callable(summary) else summary or "已运行"), issues)


def _merge_weeks(project: Project, week: str, day: dt.date) -> list[str]:
    """The previous week always (late returns), this week from its return weekday on."""
    previous = week_label(day - dt.timedelta(days=7))
    weeks = [previous]
    if day >= return_deadline(project, week):
        weeks.append(week)
    return weeks


def _merge(ws: Workspace, project: Project, week: str, day: dt.date) -> Step | None:
    if not any(ws.department_file(project, week, d.name).is_file() for d in project.departments):
        return None  # never built: nothing to merge
    with ws.ledger() as ledger:
        new, _ = remind.unmerged_returns(ws, project, ledger, week, day)
    if not new:
        return None
    # as of `day` within the week; a past week as of its Friday
    report = run_merge(ws, week=week, today=day)
    accepted = sum(f.accepted for f in report.files)
    note = (f"{week}:新交回 {'、'.join(sorted(new))};读入 {len(report.files)} 个文件,"
            f"采用 {accepted} 个 → {report.report_path}")
    if report.minutes_only:
        note += "(只采用了周例会纪要:登记其督办事项,本周汇总数据不变)"
    elif not report.recorded:
        note += "(未采用任何文件,不记入台账)"
    return Step("merge", report.recorded, note, list(report.issues))


def _notify(ws: Workspace, week: str, smtp: SmtpSettings | None, sender: str) -> Step | None:
    with ws.existing_ledger() as ledger:
        if ledger is None or ledger.merge_of(week) is None:
            return None
    if notify.notified(ws, week):
        return None
    n = notify.notify(ws, week=week, smtp=smtp, sender=sender)
    where = n.eml or ("已发送" if n.sent else f"未发送:{n.error}")
    return Step("notify", bool(n.eml or n.sent), f"{week} 周报通报 → {'、'.join(n.to)}:{where}",
                list(n.issues))


def _remind(ws: Workspace, project: Project, moment: dt.datetime, smtp: SmtpSettings | None,
            sender: str) -> Step | None:
    if remind.due_week(ws, project, moment) is None:
        return None  # nothing built yet
    r = remind.remind(ws, as_of=moment, smtp=smtp, sender=sender)
    new = r.new
    if not new:
        return Step("remind", False, f"{r.week}:无新的催办事项", list(r.issues))
    names = "、".join(f"{x.department}({len(x.items)} 项)" for x in new)
    return Step("remind", True, f"{r.week}:催办 {names}", list(r.issues))
