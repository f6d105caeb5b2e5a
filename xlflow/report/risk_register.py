"""风险登记册 between weekly merges (`xlflow risks`): every risk with when it was found,
raised and received by the PMO, and the hours between, against the 24-hour rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..model.records import RiskRecord
from ..model.vocab import Level, flag_label
from ..styles import A3, Styles, page_setup
from ._common import OPTIONS, table

COLUMNS: list[tuple[str, float]] = [
           ("风险编号", 15), ("提出部门", 10), ("风险等级", 8), ("状态", 8), ("标记", 22),
           ("风险描述", 34), ("影响范围", 22), ("建议措施", 24), ("责任人", 9), ("解决时限", 11),
           ("发现时间", 16), ("提出时间", 16), ("PMO 收到时间", 16), ("发现→提出(小时)", 10),
           ("提出→收到(小时)", 10), ("提出人", 8), ("风险类别", 7), ("发生概率", 6), ("影响程度", 6),
           ("需协调部门", 12), ("所需支持", 20), ("关闭日期", 12), ("关闭确认人", 8)]
GAP_COLUMNS = (13, 14)
#: The PMO's response (风险应对 sheet of the PMO master), as both registers show it.
RESPONSE_HEADERS = [("PMO应对方案", 26), ("PMO需协调部门", 12), ("PMO定责任人", 8),
                    ("PMO定解决时限", 12), ("PMO意见", 20), ("分管领导意见", 20), ("应对来自", 16)]
COLUMNS += [*RESPONSE_HEADERS, ("来源", 30)]


def response_cells(risk: RiskRecord) -> list[Any]:
    """The PMO's response in the order of RESPONSE_HEADERS; blank while there is none."""
    r = risk.response
    came = f"{r.get('file', '')}({r.get('week', '')})" if r else None
    return [r.get("plan"), r.get("coordination"), r.get("owner"), r.get("deadline"),
            r.get("pmo_opinion"), r.get("leader_opinion"), came]


def hours_between(start: Any, end: Any) -> float | None:
    """Hours from one time stamp to the next, to a tenth; None when either is missing."""
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        return None
    return round((end - start).total_seconds() / 3600, 1)


def register_row(risk: RiskRecord, hours: int) -> list[Any]:
    v = risk.values
    found, raised = v.get("found_at"), v.get("raised_at")
    source = f"{risk.source.file} 第 {risk.source.row} 行" if risk.source else ""
    if risk.data_week:
        source += f"({risk.data_week})"
    return [risk.risk_id, risk.department, risk.level, risk.status,
            "、".join(flag_label(f, hours) for f in risk.flags), v.get("description"),
            v.get("impact"), v.get("measures"), v.get("owner"), v.get("deadline"), found,
            raised, risk.received, hours_between(found, raised),
            hours_between(raised, risk.received),
            *(v.get(k) for k in ("raised_by", "category", "probability", "severity",
                                 "coordination", "support", "closed_on", "closed_by")),
            *response_cells(risk), source]


def write_risk_register(path: Path, *, project_name: str, as_of: dt.date, hours: int,
                        risks: Sequence[RiskRecord], forms: int) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{project_name} · 风险登记册 · {as_of}", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("风险登记册")
    ws.write_string(0, 0, f"风险登记册 · {project_name} · 截至 {as_of.isoformat()}", st.title)
    ws.write_string(1, 0, f"最近一次周汇总的风险,加上此后各部门单独交回的风险应对申请表({forms} 份);"
                          f"发现→提出、提出→收到超过 {hours} 小时的标红", st.note)
    last = table(ws, 2, COLUMNS, (register_row(r, hours) for r in risks), st,
                 {col: st.dec for col in GAP_COLUMNS})
    ws.freeze_panes(3, 1)
    ws.conditional_format(3, 2, max(last, 3), 2, {"type": "cell", "criteria": "==",
                                                  "value": f'"{Level.HIGH}"', "format": st.bad})
    for col in GAP_COLUMNS:
        ws.conditional_format(3, col, max(last, 3), col, {"type": "cell", "criteria": ">",
                                                          "value": hours, "format": st.bad})
    ws.autofilter(2, 0, max(last, 3), len(COLUMNS) - 1)
    page_setup(ws, title=f"风险登记册 · {project_name} · {as_of}", paper=A3, repeat_rows=2)
    close_workbook(wb)
