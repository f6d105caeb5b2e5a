"""`xlflow notify`: the week's notice to the leaders (the 分管副总 and the initiating
department's head): a Chinese HTML message with the key figures, late tasks, open 高
risks and charts as inline images, a plain-text alternative, the consolidated workbook
attached. Built from the ledger's merge of the week; recorded in the ledger's mail log
(`xlflow run` sends a week's notice once per recorded merge)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from ..errors import ProjectError, XlflowError
from ..issues import error
from ..ledger import MergeInfo
from ..merge.carry import risk_types
from ..model.mailing import MailResult, SentMail
from ..project import Project
from ..report.notice import WeeklyNotice, render_charts, render_html, render_text, weekly_notice
from ..workspace import Workspace, now
from .common import resolve_week
from .mail import (
    Address,
    SmtpSettings,
    attach_workbook,
    new_message,
    recipient_addresses,
    recipients,
    send_all,
    sender_of,
    smtp_failure,
    write_eml,
)

MAIL_KIND = "notify"


@dataclass(kw_only=True)
class NotifyResult(SentMail[list[str]], MailResult):
    """The week's notice, one message to the leaders: what it says and how it went."""

    merge_run_at: str  # the recorded merge the notice is built from
    notice: WeeklyNotice
    charts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "merge_run_at": self.merge_run_at, **super().to_dict(),
                "notice": self.notice.to_dict(), "charts": list(self.charts),
                "issues": [i.to_dict() for i in self.issues]}


def leaders(project: Project) -> list[Address]:
    """Who reads the weekly notice: the 分管副总 (project.approver_email) and the
    initiating department's head (its head_email, else the department's address)."""
    out: list[Address] = []
    if project.approver_email:
        out.append((project.approver or "分管副总", project.approver_email))
    initiating = next((d for d in project.departments
                       if d.name == project.initiating_department), None)
    if initiating is not None:
        address = initiating.head_email or initiating.email
        if address and address not in {a for _, a in out}:
            out.append((f"{initiating.name} {initiating.head}".strip(), address))
    return out


def notify(ws: Workspace, *, week: str | None = None, to: list[str] | None = None,
           smtp: SmtpSettings | None = None, sender: str = "",
           font: str | None | bool = True) -> NotifyResult:
    """Mail the week's notice: a .eml file in DIR/outbox/mail/<week>/ by default, or sent
    with `smtp`. `to` replaces the leaders from project.yaml. `font` is for tests: a
    Chinese font's name, or None to draw the charts without one."""
    project = ws.project(with_events=False)
    sender = sender_of(project, sender)
    addresses = recipient_addresses(to) if to else leaders(project)
    if not addresses:
        raise ProjectError("没有收件人:用 --to 指定,或在 project.yaml 中填写 project.approver_email "
                           "(分管副总)和发起部门的 departments[].head_email")
    with ws.lock():
        merge, notice = _notice(ws, project, week)
        report = ws.report_file(merge.week)
        if not report.is_file():
            raise ProjectError(f"{report}: 找不到 {merge.week} 的汇总报表;先运行 "
                               f"xlflow merge {ws.root} --week {merge.week}")
        charts = render_charts(notice, font=font)
        cids = {c.title: make_msgid(domain="xlflow.local") for c in charts.charts}
        msg = new_message(project, sender, notice.subject, addresses)
        msg.set_content(render_text(notice))
        msg.add_alternative(render_html(notice, {t: f"cid:{cid[1:-1]}" for t, cid in cids.items()}),
                            subtype="html")
        html_part = msg.get_body(("html",))
        assert isinstance(html_part, EmailMessage)
        for chart in charts.charts:
            html_part.add_related(chart.png, "image", "png", cid=cids[chart.title],
                                  filename=chart.filename, disposition="inline")
        attach_workbook(msg, report)
        result = NotifyResult(week=merge.week, merge_run_at=merge.run_at,
                              to=[_shown(a) for a in addresses], subject=notice.subject,
                              notice=notice, charts=[c.title for c in charts.charts],
                              attachment=report.name, issues=list(charts.issues))
        if smtp is None:
            target = ws.notice_file(merge.week)
            result.eml = write_eml(msg, target)
        else:
            try:
                (err,) = send_all([msg], smtp)
            except (OSError, smtplib.SMTPException) as exc:
                raise XlflowError(smtp_failure(smtp, exc)) from None
            result.handed_over(err)
            if err:
                result.issues.append(error("not-sent", f"周报通报发送失败:{err}"))
        if result.went_out:
            stamp = now()
            with ws.ledger() as ledger:
                ledger.record_mail(MAIL_KIND, day=stamp.date(), week=merge.week,
                                   items=[_merge_key(merge)], at=stamp, recipients=recipients(msg),
                                   channel=f"smtp {smtp.host}:{smtp.port}" if smtp else "eml")
    return result


def notified(ws: Workspace, week: str) -> bool:
    """Whether the week's latest recorded merge has been notified already."""
    with ws.existing_ledger() as ledger:
        if ledger is None:
            return False
        merge = ledger.merge_of(week)
        return merge is not None and any(
            r.item == _merge_key(merge) for r in ledger.mailed(MAIL_KIND, week=week))


def _merge_key(merge: MergeInfo) -> str:
    """One recorded merge of a week, as the mail log names it: a merge of the week again
    (a late return) is another one, even within the same second."""
    return f"{merge.run_at} {merge.report_sha256}"


def _notice(ws: Workspace, project: Project, week: str | None) -> tuple[MergeInfo, WeeklyNotice]:
    with ws.existing_ledger() as ledger:
        merges = ledger.merges() if ledger else []
        if ledger is None or not merges:
            raise ProjectError(f"{ws.root}: 还没有记入台账的周汇总;先运行 xlflow merge")
        merge = merges[-1] if week is None else ledger.merge_of(resolve_week(week))
        if merge is None:
            known = "、".join(m.week for m in merges)
            raise ProjectError(f"--week {resolve_week(week)}: 台账中没有这一周的汇总(已记录:{known});"
                               "先运行 xlflow merge")
        tasks = ledger.tasks(merge.id)
        risks = ledger.risks(merge.id, risk_types(project.specs()["risks"]))
        returned = {s.department for s in ledger.sources(merge.id) if s.accepted}
    notice = weekly_notice(project, merge.week, merge.as_of, tasks, risks, returned,
                           ws.report_file(merge.week).name)
    return merge, notice


def _shown(address: Address) -> str:
    name, addr = address
    return f"{name} <{addr}>" if name else addr

