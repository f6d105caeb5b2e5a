"""`xlflow risks`: the standalone 风险应对申请表 in the inbox, merged into the risk
register at once instead of on Friday (the seed's 24-hour rule).

Every risk form in the inbox is read and checked like the weekly return's risk sheet;
the risks go into the ledger's intake table (rebuilt from the inbox on every run, so a
rerun changes nothing), which the next weekly merge carries like last week's risks, and
into reports/风险登记册-<date>.xlsx with the found → raised → received hours. A risk
that is new at 高 (or newly raised to 高) is returned as an alert; `high_risk_alert`
composes the e-mail for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from .._files import atomic_path
from ..contract import MASTER_KIND, RISK_FORM_KIND
from ..errors import ExitStatus
from ..issues import Issue, count_errors, warning
from ..merge.carry import risk_types, with_intake
from ..merge.context import Context
from ..merge.identify import Checked, identify
from ..merge.pmo_response import (
    NOT_FILLED,
    apply_responses,
    latest_responses,
    unapproved,
)
from ..merge.read import Returned, read_returns
from ..merge.risks import merge_risks, risk_flags
from ..model.records import RiskRecord, risk_sort_key
from ..model.vocab import Level, RiskFlag, flag_label
from ..project import Project
from ..report.risk_register import hours_between, write_risk_register
from ..signing import Trust
from ..weeks import normalise_week, week_label
from ..workspace import Workspace
from .gate import filing
from .mail import new_message, recipient_addresses, sender_of


@dataclass
class IntakeFile:
    """One risk form found in the inbox."""

    path: str
    department: str
    received: str
    accepted: bool
    reason: str = ""
    risks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RisksResult:
    as_of: dt.date
    raise_within_hours: int
    files: list[IntakeFile] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)  # raised on the forms
    register: list[RiskRecord] = field(default_factory=list)  # the latest merge's + these
    alerts: list[RiskRecord] = field(default_factory=list)  # new, or newly 高, open 高 risks
    issues: list[Issue] = field(default_factory=list)
    report_path: str = ""

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.INPUT_PROBLEMS if count_errors(self.issues) else ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "raise_within_hours": self.raise_within_hours,
                "files": [f.to_dict() for f in self.files],
                "risks": [r.to_dict() for r in self.risks],
                "alerts": [r.to_dict() for r in self.alerts],
                "register": [r.to_dict() for r in self.register],
                "issues": [i.to_dict() for i in self.issues], "report": self.report_path}


def risks(ws: Workspace, *, as_of: dt.date | None = None, write: bool = True) -> RisksResult:
    """Merge every risk form in the inbox into the register; write the register report
    and record the forms' risks in the ledger (unless write=False)."""
    project = ws.project(with_events=False)
    specs = project.specs()
    as_of = as_of or dt.date.today()
    hours = project.settings.raise_within_hours
    types = risk_types(specs["risks"])
    result = RisksResult(as_of, hours)
    with ws.lock():
        with ws.existing_ledger() as ledger:
            received_by_mail = ledger.mail_received() if ledger else {}
            before = ledger.intake_risks(types) if ledger else []
            latest = ledger.latest_merge() if ledger else None
            merged = ledger.risks(latest.id, types) if ledger and latest else []
        forms: list[tuple[dt.datetime, str, Returned]] = []
        masters: list[Returned] = []
        for path in ws.list_inbox():
            for ret in read_returns(path, specs):
                if ret.readable and ret.identity.get("kind") == MASTER_KIND:
                    masters.append(ret)
                if ret.readable and ret.identity.get("kind") == RISK_FORM_KIND:
                    rel = path.relative_to(ws.root).as_posix()
                    mailed = received_by_mail.get(rel)
                    received = (dt.datetime.fromisoformat(mailed) if mailed
                                else ret.received or dt.datetime.min)
                    forms.append((received, ret.location, ret))
        forms.sort(key=lambda f: (f[0], f[1]))
        trust = ws.trust()  # a form's signature is checked as the merge checks a return's
        draft = filing(ws.events()) is None
        checked_masters = _masters(project, as_of, masters, trust, draft)
        # a 高 risk closes on a form only with the PMO's 分管领导意见 agreeing (the latest
        # merge's response, or a master in the inbox's), as in the weekly merge
        responses = {r.risk_id: r.response for r in merged}
        responses.update(latest_responses(m for m in checked_masters if m.accepted))
        previous = {r.risk_id: r for r in merged}
        intake: dict[str, RiskRecord] = {}
        for received, _, ret in forms:
            _take(project, ret, received, as_of, intake, result,
                  _Known(trust, draft, previous, responses))
        now_ctx = Context.from_project(project, week_label(as_of), as_of)
        result.risks = sorted(intake.values(), key=risk_sort_key)
        for risk in result.risks:
            risk.flags = risk_flags(risk, now_ctx)
        register = with_intake(merged, result.risks, latest.run_at if latest else None)
        result.issues += _responses(project, as_of, checked_masters, register)
        for risk in register:
            kept = [f for f in risk.flags if f == RiskFlag.NOT_UPDATED]
            risk.flags = kept + [f for f in risk_flags(risk, now_ctx) if f not in kept]
        result.register = sorted(register, key=risk_sort_key)
        known = {r.risk_id: r for r in (*merged, *before)}
        result.alerts = [r for r in result.risks if r.is_open and r.is_high and not (
            r.risk_id in known and known[r.risk_id].is_high)]
        if write:
            target = ws.risk_register_file(as_of)
            with atomic_path(target) as tmp:
                write_risk_register(tmp, project_name=project.name, as_of=as_of, hours=hours,
                                    risks=result.register, forms=len(forms))
            result.report_path = str(target)
            with ws.ledger() as ledger, ledger.transaction():
                ledger.replace_intake_risks(result.risks)
    return result


@dataclass
class _Known:
    """What a form is checked against: the key and built files, whether the project is
    still a draft, the latest merge's risks and each risk's latest PMO response (whose
    分管领导意见 decides a 高 risk's close or downgrade)."""

    trust: Trust
    draft: bool
    previous: dict[str, RiskRecord]
    responses: dict[str, dict[str, Any]]


def _take(project: Project, ret: Returned, received: dt.datetime, as_of: dt.date,
          intake: dict[str, RiskRecord], result: RisksResult, known: _Known) -> None:
    """One form's risks into `intake`, in the order the forms arrived: a later form's row
    under an id already taken updates that risk when it was found at the same time, and
    is another risk (`<id>-2`) when it was not (a blank form used twice)."""
    week = _week(ret.identity.get("week", ""), received)
    ctx = Context.from_project(project, week, as_of, trust=known.trust, draft=known.draft)
    checked = identify(ret, ctx, check_week=False, risk_forms=True)
    entry = IntakeFile(ret.location, checked.department, received.isoformat(sep=" "),
                       checked.accepted, checked.reason)
    result.files.append(entry)
    result.issues += checked.issues
    if not checked.accepted:
        return
    records = checked.records.get("risks", [])
    found, issues = merge_risks({checked.department: records}, ctx)
    result.issues += issues
    by_row = {rec.source.row: rec for rec in records}
    for risk in found:
        rec = by_row.get(risk.source.row) if risk.source else None
        old = intake.get(risk.risk_id) or known.previous.get(risk.risk_id)
        if rec is not None:
            result.issues += unapproved(risk, rec, old, responses_known=True,
                                        response=known.responses.get(risk.risk_id, {}))
    entry.risks = len(found)
    for risk in found:
        risk.received, risk.data_week = received, week_label(received.date())
        first = risk.risk_id
        n = 1
        while (risk.risk_id in intake
               and intake[risk.risk_id].values.get("found_at") != risk.values.get("found_at")):
            n += 1
            risk.risk_id = f"{first}-{n}"
        if n > 1:
            risk.values["risk_id"] = risk.risk_id
            src = risk.source
            result.issues.append(warning(
                "risk-id-reused", f"风险编号 {first} 在两份风险应对申请表中填了发现时间不同的两项风险;"
                f"{ret.name} 中的这一项记为 {risk.risk_id}", value=first,
                file=src.file if src else ret.name, sheet=src.sheet if src else "",
                cell=f"A{src.row}" if src else ""))
        earlier = intake.get(risk.risk_id)
        if earlier is not None and earlier.received is not None:
            risk.received = earlier.received  # an update: the first receipt counts
        intake[risk.risk_id] = risk


def _masters(project: Project, as_of: dt.date, masters: list[Returned], trust: Trust,
             draft: bool) -> list[Checked]:
    """The PMO masters in the inbox, identified; one with nothing filled in is passed over."""
    ctx = Context.from_project(project, week_label(as_of), as_of, trust=trust, draft=draft)
    checked = [identify(ret, ctx, check_week=False) for ret in masters]
    return [c for c in checked if c.accepted or c.reason != NOT_FILLED]


def _responses(project: Project, as_of: dt.date, checked: list[Checked],
               register: list[RiskRecord]) -> list[Issue]:
    """The masters' 风险应对 rows shown in the register now (the weekly merge records them)."""
    if not checked:
        return []
    ctx = Context.from_project(project, week_label(as_of), as_of)
    issues = [i for c in checked for i in c.issues]
    return issues + apply_responses({r.risk_id: r for r in register},
                                    [c for c in checked if c.accepted], ctx)


def _week(label: str, received: dt.datetime) -> str:
    try:
        return normalise_week(label)
    except ValueError:
        return week_label(received.date())


def high_risk_alert(project: Project, risks: Sequence[RiskRecord], *, sender: str = "",
                    to: Sequence[str] = ()) -> EmailMessage:
    """The e-mail that tells the PMO (default: the project's contact address, or `to`)
    about new 高 risks, one block per risk with what it is and when it was found, raised
    and received. For `RisksResult.alerts`; sending it is the caller's business (e.g.
    `send_all`). The sender (`sender`, else 联系方式's address) and every recipient are
    checked as `send`, `remind` and `notify` check theirs: a missing sender, or text that
    is not one address on one line, is refused (ProjectError) rather than written into
    a header."""
    sender = sender_of(project, sender, option="sender 参数")  # as send/remind/notify check it
    addresses = recipient_addresses(to) if to else [("", sender)]
    hours = project.settings.raise_within_hours
    high = [r for r in risks if r.level == Level.HIGH] or list(risks)
    named = "、".join(f"{r.department} {r.risk_id}" for r in high[:3])
    msg = new_message(project, sender, f"【{project.name}】高风险预警:{named}"
                      + (f" 等 {len(high)} 项" if len(high) > 3 else ""), addresses)
    lines = [f"「{project.name}」收到 {len(high)} 项新的高风险:", ""]
    for n, r in enumerate(high, start=1):
        v = r.values
        gaps = [f"发现→提出 {g} 小时" for g in [hours_between(v.get("found_at"), v.get("raised_at"))]
                if g is not None]
        gaps += [f"提出→收到 {g} 小时" for g in [hours_between(v.get("raised_at"), r.received)]
                 if g is not None]
        lines += [
            f"{n}. {r.risk_id} · {r.department} · 风险等级 {r.level} · {r.status}",
            f"   风险描述:{v.get('description') or ''}",
            f"   影响范围:{v.get('impact') or ''}",
            f"   建议措施:{v.get('measures') or ''}",
            f"   发现时间 {_when(v.get('found_at'))} · 提出时间 {_when(v.get('raised_at'))}"
            f" · PMO 收到 {_when(r.received)}" + (f"({';'.join(gaps)})" if gaps else ""),
        ]
        if v.get("task_id"):
            lines.append(f"   关联任务:{v['task_id']}")
        if r.flags:
            lines.append("   标记:" + "、".join(flag_label(f, hours) for f in r.flags))
        lines.append("")
    lines += [f"请 PMO 在 {hours} 小时内组织相关部门确定应对方案(责任人、解决时限),"
              "并在风险登记册中跟踪落实。", "", "—— xlflow"]
    msg.set_content("\n".join(lines))
    return msg


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, dt.datetime) else "—"
