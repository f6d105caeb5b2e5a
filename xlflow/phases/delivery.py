"""Sending each department its workbook: .eml files by default, or SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from typing import Any

from .._files import atomic_path
from ..errors import ExitStatus, ProjectError, XlflowError
from ..issues import Issue, count_errors, error
from ..model.vocab import EventKind
from ..project import PROJECT_FILE
from ..workspace import Workspace
from ..writer.department import return_deadline
from .common import resolve_week
from .mail import SmtpSettings, compose, send_all, sender_address


@dataclass
class Sent:
    department: str
    to: str
    subject: str
    attachment: str
    risk_form: str = ""  # the standalone 风险应对申请表 attached beside the workbook
    eml: str = ""
    sent: bool = False
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SendResult:
    week: str
    messages: list[Sent]
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.INPUT_PROBLEMS if self.errors else ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "messages": [m.to_dict() for m in self.messages],
                "issues": [i.to_dict() for i in self.issues]}


def send(ws: Workspace, *, week: str | None = None, smtp: SmtpSettings | None = None,
         sender: str = "", departments: list[str] | None = None) -> SendResult:
    """One message per department with its workbook attached: .eml files in
    DIR/outbox/mail/<week>/ by default, or sent with `smtp`. The project lock is held
    from before the first message, so two runs never both send."""
    project = ws.project(with_events=False)
    week = resolve_week(week)
    sender = sender or sender_address(project)
    if not sender:
        raise ProjectError("no sender address: give --from, or put an e-mail address in "
                           f"project.contact ({PROJECT_FILE})")
    result = SendResult(week, [])
    with ws.lock():
        outgoing = []
        for dept in project.departments:
            if departments and dept.name not in departments:
                continue
            workbook = ws.department_file(project, week, dept.name)
            if not workbook.is_file():
                raise ProjectError(f"{workbook}: not built yet (run `xlflow build {ws.root} "
                                   f"--week {week}` first)")
            if not dept.email:
                result.issues.append(error("no-email", f"{dept.name}没有邮箱(departments.email),未发送",
                                           file=PROJECT_FILE))
                continue
            form = ws.risk_form_file(project, week, dept.name)
            form_file = form if form.is_file() else None  # built before risk forms existed
            msg = compose(project, dept, week, workbook, return_deadline(project, week), sender,
                          form_file)
            sent = Sent(dept.name, dept.email, str(msg["Subject"]), workbook.name,
                        risk_form=form_file.name if form_file else "")
            if smtp is None:
                target = ws.mail_file(week, dept.name)
                with atomic_path(target) as tmp:
                    tmp.write_bytes(msg.as_bytes())
                sent.eml = str(target)
            result.messages.append(sent)
            outgoing.append(msg)
        if smtp is not None and outgoing:
            try:
                errors = send_all(outgoing, smtp)
            except (OSError, smtplib.SMTPException) as exc:
                raise XlflowError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None
            for sent, err in zip(result.messages, errors, strict=True):
                sent.sent, sent.error = not err, err
                if err:
                    result.issues.append(error("not-sent", f"发给{sent.department}({sent.to})失败:{err}"))
        if result.messages:
            how = f"smtp {smtp.host}:{smtp.port}" if smtp else "eml"
            ws.record(EventKind.SEND, sender, f"{week}: {len(result.messages)} 封 ({how})", None,
                      {"week": week, "departments": [m.department for m in result.messages]},
                      locked=True)
    return result
