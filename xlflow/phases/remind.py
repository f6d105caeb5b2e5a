"""`xlflow remind`: one Chinese message per department listing exactly what it still owes,
with its workbook attached again; the department head and then the 分管副总 are copied
the longer it stays open. Every reminder is recorded in the ledger's mail log, so a rerun
the same day sends nothing new.

What a department owes, as of a moment (a date alone is the start of that day):

- its return of week W once W's deadline (the end of `settings.return_weekday`) has
  passed: a return counts when W's recorded merge accepted one, or when a file in the
  inbox that no merge has seen yet identifies as its return of W (it will be merged; the
  department is not chased for anything this time);
- from the ledger's latest merge (the freshest state of every task and risk): tasks past
  their planned date, unfinished, without a 预计完成日期; open risks without 责任人 or
  解决时限; open 高 risks past their 解决时限.

Escalation counts the hours since the oldest item fell due: a return at the deadline, a
task at the end of its planned date, a risk at its 提出时间 (missing owner or deadline)
or at the end of its 解决时限.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import sha256_file
from ..contract import MASTER_KIND
from ..errors import ProjectError, XlflowError
from ..issues import error, warning
from ..ledger import Ledger, MergeInfo
from ..merge.actions import items_at
from ..merge.carry import risk_types
from ..merge.context import Context
from ..merge.identify import identify
from ..merge.read import read_returns
from ..model.mailing import MailResult, SentMail
from ..model.records import RiskRecord, TaskStatus
from ..model.vocab import ReminderKind
from ..project import PROJECT_FILE, Department, Project
from ..weeks import week_label
from ..workspace import Workspace, now
from ..writer.department import return_deadline
from .common import resolve_week
from .mail import (
    Address,
    SmtpSettings,
    attach_workbook,
    new_message,
    recipients,
    send_all,
    sender_of,
    smtp_failure,
    write_eml,
)

MAIL_KIND = "remind"


def moment_of(value: dt.date | dt.datetime | None) -> dt.datetime:
    """The moment a reminder run is about, in local time: a date is the start of that
    day, a datetime without a zone is local, None is now."""
    if value is None:
        return now()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.astimezone() if value.tzinfo is None else value


def day_end(day: dt.date) -> dt.datetime:
    """The end of a day (the next midnight, local time): when something due that day is late."""
    return moment_of(day + dt.timedelta(days=1))


def return_due(project: Project, week: str) -> dt.datetime:
    """When week's returns are late: the end of its return weekday."""
    return day_end(return_deadline(project, week))


def late_text(hours: int) -> str:
    return f"{hours} 小时" if hours < 24 else f"{hours // 24} 天"


@dataclass
class Item:
    """One thing a department owes."""

    kind: ReminderKind
    subject: str  # the week, task id or risk id
    text: str  # the line in the message
    since: dt.datetime  # when it fell due; escalation counts from here

    @property
    def key(self) -> str:
        """What the mail log records: a rerun the same day skips what it holds."""
        return f"{self.kind}:{self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "subject": self.subject, "text": self.text,
                "since": self.since.isoformat()}


@dataclass(kw_only=True)
class Reminder(SentMail[str]):
    """A department's reminder: what it owes, copied to whom, how late."""

    department: str
    cc: list[str]
    items: list[Item]
    hours_late: int
    new: bool = True  # False: all of it was reminded today already; nothing sent again

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, **super().to_dict(), "cc": list(self.cc),
                "items": [i.to_dict() for i in self.items], "hours_late": self.hours_late,
                "new": self.new}


@dataclass(kw_only=True)
class RemindResult(MailResult):
    as_of: dt.datetime
    deadline: dt.date
    due: bool  # the week's return deadline has passed
    merge_week: str | None  # the merge the task and risk items come from
    pending: list[str] = field(default_factory=list)  # returned, not merged yet
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def new(self) -> list[Reminder]:
        return [r for r in self.reminders if r.new]

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "as_of": self.as_of.isoformat(),
                "deadline": self.deadline.isoformat(), "due": self.due,
                "merge_week": self.merge_week, "pending": list(self.pending),
                "reminders": [r.to_dict() for r in self.reminders],
                "issues": [i.to_dict() for i in self.issues]}


def due_week(ws: Workspace, project: Project, moment: dt.datetime) -> str | None:
    """The latest built week whose returns are due by `moment`; else the latest built
    week up to then (its deadline still ahead); None before anything is built."""
    built = [w for w in ws.built_weeks() if w <= week_label(moment.date())
             and any(ws.department_file(project, w, d.name).is_file() for d in project.departments)]
    due = [w for w in built if return_due(project, w) <= moment]
    weeks = due or built
    return weeks[-1] if weeks else None


def remind(ws: Workspace, *, week: str | None = None, as_of: dt.date | dt.datetime | None = None,
           smtp: SmtpSettings | None = None, sender: str = "") -> RemindResult:
    """Remind each department of what it owes (see the module's docstring): .eml files in
    DIR/outbox/mail/<week>/ by default, or sent with `smtp`; recorded in the ledger."""
    project = ws.project(with_events=False)
    moment = moment_of(as_of)
    sender = sender_of(project, sender)
    with ws.lock():
        if week:
            week = resolve_week(week)
        else:
            week = due_week(ws, project, moment)
            if week is None:
                raise ProjectError(f"{ws.root}: 还没有生成周进度文件,无可催办;"
                                   f"先运行 xlflow build {ws.root} 和 xlflow send")
        built = [d for d in project.departments if ws.department_file(project, week, d.name).is_file()]
        if not built:
            raise ProjectError(f"{ws.week_outbox(week)}: {week} 的部门文件还没有生成 "
                               f"(run `xlflow build {ws.root} --week {week}` first)")
        deadline = return_deadline(project, week)
        due = return_due(project, week) <= moment
        with ws.ledger() as ledger:
            latest = ledger.latest_merge()
            result = RemindResult(week=week, as_of=moment, deadline=deadline, due=due,
                                  merge_week=latest.week if latest else None)
            owed = _owed(ws, project, ledger, week, moment, due, built, latest, result)
            already = {(r.department, r.item) for r in ledger.mailed(MAIL_KIND, day=moment.date())}
        outgoing = []
        for dept in project.departments:
            items = owed.get(dept.name)
            if not items:
                continue
            reminder, msg = _reminder(ws, project, dept, week, moment, items, sender, result)
            if reminder is None:
                continue
            reminder.new = any((dept.name, i.key) not in already for i in items)
            result.reminders.append(reminder)
            if not reminder.new or msg is None:
                continue
            if smtp is None:
                target = ws.reminder_file(week, moment.date(), dept.name)
                reminder.eml = write_eml(msg, target)
            outgoing.append((reminder, msg))
        if smtp is not None and outgoing:
            try:
                errors = send_all([m for _, m in outgoing], smtp)
            except (OSError, smtplib.SMTPException) as exc:
                raise XlflowError(smtp_failure(smtp, exc)) from None
            for (reminder, _), err in zip(outgoing, errors, strict=True):
                reminder.handed_over(err)
                if err:
                    result.issues.append(error("not-sent", f"催办{reminder.department}"
                                                           f"({reminder.to})失败:{err}"))
        done = [(r, m) for r, m in outgoing if r.went_out]
        if done:
            channel = f"smtp {smtp.host}:{smtp.port}" if smtp else "eml"
            with ws.ledger() as ledger, ledger.transaction():
                for reminder, msg in done:
                    ledger.record_mail(MAIL_KIND, day=moment.date(), week=week,
                                       department=reminder.department,
                                       items=[i.key for i in reminder.items], at=now(),
                                       recipients=recipients(msg), channel=channel)
    return result


def _owed(ws: Workspace, project: Project, ledger: Ledger, week: str, moment: dt.datetime,
          due: bool, built: list[Department], latest: MergeInfo | None,
          result: RemindResult) -> dict[str, list[Item]]:
    owed: dict[str, list[Item]] = {}
    if due:
        merged = ledger.merge_of(week)
        returned: set[str] = set()
        refused: dict[str, str] = {}
        if merged is not None:
            for src in ledger.sources(merged.id):
                if src.accepted:
                    returned.add(src.department)
                elif src.department and src.reason:
                    refused.setdefault(src.department, f"收到的文件「{src.name}」未能采用:{src.reason}")
        if any(d.name not in returned for d in built):
            pending, why = unmerged_returns(ws, project, ledger, week, moment.date())
            result.pending = sorted(pending - returned)
            returned |= pending
            refused.update(why)
        since = return_due(project, week)
        for dept in built:
            if dept.name in returned:
                continue
            text = (f"{week} 周进度文件未交回(截止 {return_deadline(project, week).isoformat()}"
                    f",已逾期 {late_text(_hours(moment, since))})")
            if dept.name in refused:
                text += f";{refused[dept.name]}"
            owed.setdefault(dept.name, []).append(Item(ReminderKind.RETURN, week, text, since))
    if latest is not None:
        tasks = ledger.tasks(latest.id)
        risks = ledger.risks(latest.id, risk_types(project.specs()["risks"]))
        fallback = return_due(project, latest.week)
        for name, item in [*_task_items(project, tasks, moment), *_risk_items(risks, moment, fallback)]:
            owed.setdefault(name, []).append(item)
    for name, item in _action_items(ledger, latest, moment):
        owed.setdefault(name, []).append(item)
    for name in result.pending:
        owed.pop(name, None)  # its new return will be merged: nothing to chase now
    return owed


def unmerged_returns(ws: Workspace, project: Project, ledger: Ledger, week: str,
                      today: dt.date) -> tuple[set[str], dict[str, str]]:
    """Departments whose return of `week` is in the inbox but in no recorded merge, and
    why a department's unmerged file of that week would be refused."""
    # a file some merge accepted, or that this week's merge read, is no news
    seen = {src.sha256 for m in ledger.merges() for src in ledger.sources(m.id)
            if src.accepted or m.week == week}
    ctx = Context.from_project(project, week, today)
    pending: set[str] = set()
    refused: dict[str, str] = {}
    for path in ws.list_inbox():
        if sha256_file(path) in seen:
            continue
        for ret in read_returns(path, ctx.specs):
            if ret.sha256 in seen:
                continue
            checked = identify(ret, ctx)
            if checked.kind == MASTER_KIND:
                continue  # the PMO's own file: nobody to remind
            if checked.accepted:
                pending.add(checked.department)
            elif checked.department:
                refused[checked.department] = f"收到的文件「{ret.name}」未能采用:{checked.reason}"
    return pending, refused


def _action_items(ledger: Ledger, latest: MergeInfo | None,
                  moment: dt.datetime) -> list[tuple[str, Item]]:
    """Open 督办事项 past their 完成期限, as the latest merge left them (and items decided
    since, as their minutes say)."""
    states = ledger.action_states(latest.id) if latest is not None else []
    out = []
    for a in items_at(week_label(moment.date()), ledger.action_items(), [], states):
        if a.due is not None and a.is_open and day_end(a.due) <= moment:
            out.append((a.department, Item(
                ReminderKind.ACTION_OVERDUE, a.item_id,
                f"督办事项 {a.item_id} {a.matter}({a.meeting} 周例会决定:{a.decision};期限 "
                f"{a.due.isoformat()})已逾期 {late_text(_hours(moment, day_end(a.due)))},"
                f"状态 {a.status};请在本部门工作簿的「督办事项」表更新", day_end(a.due))))
    return out


def _task_items(project: Project, tasks: list[TaskStatus],
                moment: dt.datetime) -> list[tuple[str, Item]]:
    out = []
    for t in tasks:
        if t.done or t.actual or t.forecast or t.planned >= moment.date():
            continue
        task = project.task_map.get(t.task_id)
        what = f"{t.task_id} {task.deliverable}" if task else t.task_id
        out.append((t.department, Item(
            ReminderKind.FORECAST, t.task_id,
            f"任务 {what}(计划 {t.planned.isoformat()})已过计划日期仍未完成,未填写预计完成日期",
            day_end(t.planned))))
    return out


def _risk_items(risks: list[RiskRecord], moment: dt.datetime,
                fallback: dt.datetime) -> list[tuple[str, Item]]:
    out = []
    for r in risks:
        if not r.is_open:
            continue
        owner, deadline = r.values.get("owner"), r.values.get("deadline")
        if not owner or not deadline:
            lacking = "、".join(w for w, v in (("责任人", owner), ("解决时限", deadline)) if not v)
            raised = r.values.get("raised_at")
            since = moment_of(raised) if isinstance(raised, dt.datetime) else fallback
            out.append((r.department, Item(
                ReminderKind.RISK_PLAN, r.risk_id,
                f"风险 {r.risk_id}({r.level})尚未确定{lacking}:{_short(r.values.get('description'))}",
                since)))
        if r.is_high and isinstance(deadline, dt.date) and deadline < moment.date():
            out.append((r.department, Item(
                ReminderKind.RISK_OVERDUE, r.risk_id,
                f"高风险 {r.risk_id} 已过解决时限 {deadline.isoformat()},状态仍为{r.status}:"
                f"{_short(r.values.get('description'))}", day_end(deadline))))
    return out


def _short(text: Any, limit: int = 40) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def _hours(moment: dt.datetime, since: dt.datetime) -> int:
    return max(0, int((moment - since).total_seconds() // 3600))


def _reminder(ws: Workspace, project: Project, dept: Department, week: str,
              moment: dt.datetime, items: list[Item], sender: str,
              result: RemindResult) -> tuple[Reminder | None, Any]:
    """The reminder and its message; (None, None) when the department has no address."""
    if not dept.email:
        result.issues.append(error("no-email", f"{dept.name}没有邮箱(departments.email),"
                                   "未催办", file=PROJECT_FILE))
        return None, None
    order = list(ReminderKind)
    items.sort(key=lambda i: (order.index(i.kind), i.subject))
    hours = max(_hours(moment, i.since) for i in items)
    s = project.settings
    cc: list[Address] = []
    if hours >= s.remind_cc_head_after_hours:
        if dept.head_email:
            cc.append((f"{dept.name}负责人 {dept.head}".strip(), dept.head_email))
        else:
            result.issues.append(warning(
                "no-cc-address", f"{dept.name}已逾期 {late_text(hours)},应抄送部门负责人"
                f"{dept.head},但没有其邮箱(departments.head_email)", file=PROJECT_FILE))
    if hours >= s.remind_cc_leader_after_hours:
        if project.approver_email:
            cc.append((project.approver or "分管副总", project.approver_email))
        else:
            result.issues.append(warning(
                "no-cc-address", f"{dept.name}已逾期 {late_text(hours)},应抄送分管副总"
                f"{project.approver},但没有其邮箱(project.approver_email)", file=PROJECT_FILE))
    cc = [a for i, a in enumerate(cc) if a[1] != dept.email and a[1] not in {c[1] for c in cc[:i]}]
    workbook = _workbook(ws, project, week, dept.name)
    subject = f"【{project.name}】催办 · {dept.name}:{len(items)} 项待补充"
    if hours:
        subject += f"(已逾期 {late_text(hours)})"
    msg = new_message(project, sender, subject,
                      [(f"{dept.name} {dept.head}".strip(), dept.email)], cc)
    head = f"{dept.head}{dept.head_title and '(' + dept.head_title + ')'}"
    when = moment.strftime("%Y-%m-%d %H:%M")
    lines = [f"{head or dept.name}:您好!", "",
             f"截至 {when},「{project.name}」中{dept.name}还有以下事项未完成:", ""]
    lines += [f"  {n}. {i.text}" for n, i in enumerate(items, start=1)]
    lines += [""]
    if workbook:
        lines.append(f"附件是{dept.name} {workbook[1]} 的周进度文件,请补充后回复本邮件"
                     "(Excel、WPS、LibreOffice 均可)。")
    if cc:
        lines.append("本邮件已抄送:" + "、".join(name for name, _ in cc) + "。")
    lines += ["", f"{project.initiating_department} {project.initiator}", project.contact]
    msg.set_content("\n".join(lines))
    if workbook:
        attach_workbook(msg, workbook[0])
    reminder = Reminder(department=dept.name, to=dept.email, cc=[a for _, a in cc],
                        subject=subject, items=items, hours_late=hours,
                        attachment=workbook[0].name if workbook else "")
    return reminder, msg


def _workbook(ws: Workspace, project: Project, week: str,
              department: str) -> tuple[Path, str] | None:
    """The department's workbook of `week`, else of the latest week built for it."""
    for w in [week, *reversed(ws.built_weeks())]:
        path = ws.department_file(project, w, department)
        if path.is_file():
            return path, w
    return None
