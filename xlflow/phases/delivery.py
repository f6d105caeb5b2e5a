"""Sending each department its workbook: .eml files by default, or SMTP.

Every message written or handed to the server is recorded in the ledger
(`sent_messages`) as it goes, so a rerun of the same week sends only what did not go out.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field, replace
from typing import Any

from .._files import sha256_file
from ..errors import ProjectError, XlflowError
from ..issues import error
from ..ledger import Ledger, SentMessage
from ..model.mailing import MailResult, SentMail
from ..model.vocab import EventKind
from ..project import PROJECT_FILE
from ..workspace import Workspace, now
from ..writer.department import return_deadline
from .common import resolve_week
from .gate import require_filed
from .mail import SmtpSettings, compose, send_all, sender_of, smtp_failure, write_eml


@dataclass(kw_only=True)
class Sent(SentMail[str]):
    """A department's weekly message: its workbook, and its risk form beside it."""

    department: str
    risk_form: str = ""  # the standalone 风险应对申请表 attached beside the workbook
    message_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, **super().to_dict(),
                "risk_form": self.risk_form, "message_id": self.message_id}


@dataclass(kw_only=True)
class SendResult(MailResult):
    messages: list[Sent] = field(default_factory=list)
    #: Departments left out because their message for the week went out before
    #: (written as .eml, or accepted by the SMTP server); `resend=True` sends them again.
    skipped: list[SentMessage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "messages": [m.to_dict() for m in self.messages],
                "skipped": [m.to_dict() for m in self.skipped],
                "issues": [i.to_dict() for i in self.issues]}


def already_sent(ledger: Ledger, week: str, how: str) -> dict[str, SentMessage]:
    """The latest recorded message per department for `week` that counts as gone out for
    this way of sending: for SMTP only messages the server accepted (an .eml file may
    never have been sent); for .eml files any."""
    latest: dict[str, SentMessage] = {}
    for m in ledger.sent_messages(week):
        if how == "eml" or m.how == "smtp":
            latest[m.department] = m
    return latest


def send(ws: Workspace, *, week: str | None = None, smtp: SmtpSettings | None = None,
         sender: str = "", departments: list[str] | None = None,
         resend: bool = False, draft: bool = False) -> SendResult:
    """One message per department with its workbook attached: .eml files in
    DIR/outbox/mail/<week>/ by default, or sent with `smtp`. The project lock is held
    from before the first message, so two runs never both send. A department whose
    message for the week went out already is skipped unless `resend`."""
    project = ws.project(with_events=False)
    week = resolve_week(week)
    sender = sender_of(project, sender)
    known = {d.name for d in project.departments}
    unknown = [d for d in departments or [] if d not in known]
    if unknown:
        raise ProjectError(f"--department {'、'.join(unknown)}: 不是本项目的部门 "
                           f"(departments in {PROJECT_FILE}: {'、'.join(sorted(known))})")
    require_filed(ws, "send", draft=draft, project=project)
    how = "smtp" if smtp else "eml"
    result = SendResult(week=week)
    with ws.lock(), ws.ledger() as ledger:
        ledger.check_writable()  # what goes out is recorded: a busy ledger stops us first
        done = {} if resend else already_sent(ledger, week, how)
        chosen = [d for d in project.departments if not departments or d.name in departments]
        for dept in chosen:  # all built, or nothing goes out
            workbook = ws.department_file(project, week, dept.name)
            if not workbook.is_file():
                raise ProjectError(f"{workbook}: 尚未生成(请先运行 `xlflow build {ws.root} "
                                   f"--week {week}`)")
        outgoing = []
        for dept in chosen:
            workbook = ws.department_file(project, week, dept.name)
            if not dept.email:
                result.issues.append(error("no-email", f"{dept.name}没有邮箱(departments.email),未发送",
                                           file=PROJECT_FILE))
                continue
            if dept.name in done:
                result.skipped.append(done[dept.name])
                continue
            form = ws.risk_form_file(project, week, dept.name)
            form_file = form if form.is_file() else None  # built before risk forms existed
            msg = compose(project, dept, week, workbook, return_deadline(project, week), sender,
                          form_file)
            sent = Sent(department=dept.name, to=dept.email, subject=str(msg["Subject"]),
                        attachment=workbook.name, message_id=str(msg["Message-ID"]),
                        risk_form=form_file.name if form_file else "")
            record = SentMessage(week, dept.name, sent.message_id, dept.email, "", how,
                                 subject=sent.subject, attachment=workbook.name,
                                 attachment_sha256=sha256_file(workbook))
            if smtp is None:
                target = ws.mail_file(week, dept.name)
                sent.eml = write_eml(msg, target)
                ledger.add_sent(_stamped(record, str(target)))
            result.messages.append(sent)
            outgoing.append((sent, msg, record))

        def handed_over(i: int, err: str) -> None:
            sent, _, record = outgoing[i]
            sent.handed_over(err)
            if err:
                result.issues.append(error("not-sent", f"发给{sent.department}({sent.to})失败:{err}"))
            else:
                ledger.add_sent(_stamped(record, smtp.address if smtp else ""))

        try:
            if smtp is not None and outgoing:
                send_all([msg for _, msg, _ in outgoing], smtp, handed_over)
        except (OSError, smtplib.SMTPException) as exc:
            gone = sum(m.sent for m in result.messages)
            raise XlflowError(smtp_failure(smtp, exc)
                              + (f"(已发送 {gone} 封并已记录;再次运行只发送其余的)" if gone else "")
                              ) from None
        finally:
            delivered = [m.department for m in result.messages if m.went_out]
            if delivered:
                where = f"smtp {smtp.address}" if smtp else "eml"
                ledger.add_event(EventKind.SEND, by=sender,
                                 note=f"{week}: {len(delivered)} 封 ({where})",
                                 data={"week": week, "departments": delivered}, at=now())
    return result


def _stamped(record: SentMessage, via: str) -> SentMessage:
    return replace(record, sent_at=now().isoformat(), via=via)
