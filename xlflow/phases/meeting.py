"""周例会: "每周由发起部门召集周例会,同步进度、解决问题、协调事项".

`meeting` writes reports/<week>-周例会.xlsx from the week's merge: the agenda (late and
at-risk tasks with their reasons and measures, open 高/中 risks, every 需协调事项 a
department wrote, missing returns, open action items from earlier meetings, overdue
first) and the 会议纪要 sheet the PMO fills after the meeting. The file is signed and
recorded as built (kind `meeting`), so dropped into inbox/ it is read back like a return
(`merge/actions.py`); a printable A4 page beside it, and a PDF when a browser or
LibreOffice is at hand to print it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import atomic_path, sha256_file
from ..contract import MEETING_KIND
from ..errors import ProjectError
from ..ledger import Ledger
from ..merge.actions import open_items, register
from ..merge.carry import risk_types
from ..model.meeting import Agenda
from ..model.records import iso
from ..model.vocab import Level
from ..project import Project
from ..signing import BuiltFile, file_id
from ..values import clean_text
from ..workspace import Workspace, now
from .common import resolve_week


def build_agenda(project: Project, ledger: Ledger, week: str) -> Agenda:
    merge = ledger.merge_of(week)
    if merge is None:
        merged = [m.week for m in ledger.merges()]
        latest = f";或为最近汇总的周开会:xlflow meeting … --week {max(merged)}" if merged else ""
        raise ProjectError(f"{week} 还没有汇总(已汇总的周:{'、'.join(merged) or '无'});请先运行 "
                           f"xlflow merge --week {week},周例会议程以本周汇总为准{latest}")
    departments = [d.name for d in project.departments]
    agenda = Agenda(project.id, project.name, week, merge.as_of, project.initiating_department,
                    departments)
    for t in ledger.tasks(merge.id):
        if t.status.behind:
            agenda.late.append({
                "task": t.task_id, "department": t.department, "status": str(t.status),
                "deviation_days": t.deviation_days,
                "reason": t.texts.get("deviation_reason", ""), "fix": t.texts.get("fix", "")})
        text = clean_text(t.texts.get("coordination", ""))
        if text:
            asked = [d for d in departments if d in text and d != t.department]
            agenda.coordination.append({"department": t.department, "task": t.task_id,
                                        "asks": "、".join(asked) or "PMO", "text": text,
                                        "week": t.data_week or ""})
    agenda.late.sort(key=lambda r: (-r["deviation_days"], r["task"]))
    for r in ledger.risks(merge.id, risk_types(project.specs()["risks"])):
        if r.is_open and r.level in (Level.HIGH, Level.MEDIUM):
            agenda.risks.append({
                "id": r.risk_id, "department": r.department, "level": r.level,
                "status": r.status, "description": clean_text(r.values.get("description")),
                "measures": clean_text(r.values.get("measures")),
                "owner": clean_text(r.values.get("owner")), "deadline": iso(r.values.get("deadline"))})
    agenda.risks.sort(key=lambda r: (r["level"] != Level.HIGH, r["id"]))
    returned = {s.department for s in ledger.sources(merge.id) if s.accepted}
    agenda.missing = [d for d in departments if d not in returned]
    states = {a.item_id: a for a in ledger.action_states(merge.id)}
    decided = register(ledger.action_items(), [], week)
    current = [states.get(k, a) for k, a in decided.items()]
    agenda.actions = open_items(current, merge.as_of)
    return agenda


@dataclass
class MeetingResult:
    agenda: Agenda
    workbook: Path
    html: Path
    pdf: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.agenda.to_dict(), "workbook": str(self.workbook), "html": str(self.html),
                "pdf": str(self.pdf) if self.pdf else None}


def meeting_file(ws: Workspace, week: str) -> Path:
    return ws.reports / f"{week}-周例会.xlsx"


def meeting(ws: Workspace, *, week: str | None = None, built_at: dt.datetime | None = None,
            pdf: bool = True) -> MeetingResult:
    """Write the week's 周例会 workbook (agenda and 会议纪要 to fill), its printable page
    and, with a browser or LibreOffice at hand, the PDF; record the workbook as built."""
    from ..report.meeting import print_pdf, render_meeting_html, write_meeting_workbook

    project = ws.project()
    week = resolve_week(week)
    with ws.existing_ledger() as ledger:
        if ledger is None:
            raise ProjectError(f"{week} 还没有汇总;请先运行 xlflow merge --week {week}")
        agenda = build_agenda(project, ledger, week)
    built_at = built_at or now()
    target = meeting_file(ws, week)
    page = target.with_suffix(".html")
    with ws.lock():
        key, _ = ws.ensure_key()
        fid = file_id(key, project.id, week, agenda.host, MEETING_KIND)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            write_meeting_workbook(tmp, project, agenda, built_at=built_at, file_id=fid, key=key)
            digest = sha256_file(tmp)
        with atomic_path(page) as tmp:
            tmp.write_text(render_meeting_html(agenda), encoding="utf-8")
        with ws.ledger() as ledger, ledger.transaction():
            ledger.add_built_files([BuiltFile(fid, week, agenda.host, MEETING_KIND,
                                              built_at.isoformat(timespec="seconds"), digest)])
    printed = print_pdf(page) if pdf else None
    return MeetingResult(agenda, target, page, printed)
