"""成果验收确认单 (模板5) for the whole collaboration: each expected result against its
target, the actual value the department returned, 是否达标, and who confirmed it; every
department's confirmation of the acceptance as a whole; and the 验收结论 block that the
acceptance meeting fills in (验收日期, 验收结论 from a dropdown, 遗留问题, 整改期限,
分管领导意见), which the next `xlflow accept` reads back (`phases.conclusion`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..model.conclusion import FIELDS, SHEET, Conclusion
from ..model.vocab import Verdict
from ..styles import Styles, page_setup
from ._common import OPTIONS, put, table

COLUMNS = [("成果编号", 12), ("成果/指标", 22), ("责任部门", 10), ("目标值", 14), ("实际值", 14),
           ("是否达标", 9), ("确认人", 10), ("确认日期", 12), ("意见", 36)]
CONFIRM_COLUMNS = [("部门", 12), ("部门确认人", 22), ("确认日期", 10), ("意见", 14),
                   ("依据", 14)]


def write_acceptance(path: Path, *, project_name: str, week: str,
                     results: Sequence[Mapping[str, Any]], missing: Sequence[str],
                     confirmations: Sequence[Mapping[str, Any]] = (),
                     conclusion: Conclusion | None = None, conditions: Sequence[str] = (),
                     overdue: bool = False) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{project_name} · 成果验收确认单", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet(SHEET)
    ws.write_string(0, 0, f"模板5 成果验收确认单 · {project_name}", st.title)
    ws.write_string(1, 0, f"依据 {week} 汇总的各部门填报", st.note)
    row = table(ws, 2, COLUMNS, ([r["id"], r["name"], r["department"], r["target"],
                                  r["actual_text"],
                                  None if r["met"] is None else ("是" if r["met"] else "否"),
                                  r["confirmer"], r["confirm_date"], r["opinion"]]
                                 for r in results), st)
    ws.conditional_format(3, 5, max(row, 3), 5, {"type": "cell", "criteria": "==",
                                                 "value": '"是"', "format": st.good})
    ws.conditional_format(3, 5, max(row, 3), 5, {"type": "cell", "criteria": "==",
                                                 "value": '"否"', "format": st.bad})
    if confirmations:
        row += 2
        ws.write_string(row, 0, "各部门确认(对成果验收整体)", st.section)
        row = _confirmations(ws, row + 1, confirmations, st)
    row += 2
    ws.write_string(row, 0, "验收结论(验收会填写后重新运行 xlflow accept)", st.section)
    row = _conclusion(wb, ws, row + 1, conclusion or Conclusion(), st, overdue=overdue)
    row += 2
    verdict = ("验收通过:全部预期成果经各部门确认,验收结论与分管领导意见齐备。" if not missing
               else "尚不能结束合作:")
    ws.write_string(row, 0, verdict, st.section)
    for item in missing:
        row += 1
        ws.write_string(row, 1, f"· {item}", st.note)
    if conditions:
        row += 1
        ws.write_string(row, 0, "有条件通过的遗留事项:", st.note)
        for item in conditions:
            row += 1
            ws.write_string(row, 1, f"· {item}", st.note)
    row += 2
    ws.write_string(row, 0, "发起部门负责人签字/日期:", st.note)
    ws.write_string(row + 1, 0, "PMO 签字/日期:", st.note)
    page_setup(ws, title=f"成果验收确认单 · {project_name}", repeat_rows=2)
    close_workbook(wb)


def _confirmations(ws: Any, row: int, lines: Sequence[Mapping[str, Any]], st: Styles) -> int:
    rows = [[c["department"], c["confirmer"] or "未确认", _date(c["date"]), c["opinion"],
             c["week"] or ""] for c in lines]
    last = table(ws, row, CONFIRM_COLUMNS, rows, st, {2: st.date})
    for c, (_, width) in enumerate(COLUMNS):
        ws.set_column(c, c, width)  # the results' widths: both tables share the columns
    ws.conditional_format(row + 1, 1, last, 1, {"type": "cell", "criteria": "==",
                                                "value": '"未确认"', "format": st.bad})
    return last


def _date(text: Any) -> Any:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) and text else text
    except ValueError:
        return text


def _conclusion(wb: Any, ws: Any, row: int, c: Conclusion, st: Styles, *,
                overdue: bool) -> int:
    """One label (column A) and value (B, merged across B:E) per field, the value cell
    validated like a department's input."""
    value_fmt = wb.add_format({"border": 1, "text_wrap": True, "valign": "top",
                               "font_name": "Microsoft YaHei", "font_size": 10})
    date_fmt = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd", "align": "left",
                              "font_name": "Microsoft YaHei", "font_size": 10})
    values: dict[str, Any] = {"date": c.date, "verdict": str(c.verdict) if c.verdict else "",
                              "open_items": c.open_items, "fix_by": c.fix_by,
                              "leader": c.leader, "leader_opinion": c.leader_opinion}
    for key, (label, _) in FIELDS.items():
        ws.write_string(row, 0, label, st.label)
        fmt = date_fmt if key in ("date", "fix_by") else value_fmt
        ws.merge_range(row, 1, row, 4, "", fmt)
        put(ws, row, 1, values[key], st, fmt)
        if key in ("date", "fix_by"):
            ws.data_validation(row, 1, row, 1, {
                "validate": "date", "criteria": ">", "value": dt.datetime(2000, 1, 1),
                "input_title": label, "input_message": "日期,格式 2024-07-31",
                "error_message": "请输入日期,格式如 2024-07-31"})
        elif key == "verdict":
            ws.data_validation(row, 1, row, 1, {
                "validate": "list", "source": list(Verdict), "input_title": label,
                "input_message": "通过 / 有条件通过(须写遗留问题与整改期限)/ 不通过",
                "error_message": "请从下拉列表中选择:通过、有条件通过、不通过"})
        if key in ("open_items", "leader_opinion"):
            ws.set_row(row, 44)
        if key == "fix_by" and overdue:
            ws.write_string(row, 5, "已过整改期限", st.bad)
        row += 1
    return row - 1
