"""成果验收确认单 (模板5) for the whole collaboration: each expected result against its
target, the actual value the department returned, 是否达标, and who confirmed it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from ..styles import Styles, page_setup
from ._common import OPTIONS, table

COLUMNS = [("成果编号", 9), ("成果/指标", 22), ("责任部门", 10), ("目标值", 14), ("实际值", 14),
           ("是否达标", 9), ("确认人", 10), ("确认日期", 12), ("意见", 36)]


def write_acceptance(path: Path, *, project_name: str, week: str,
                     results: Sequence[Mapping[str, Any]], missing: Sequence[str]) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{project_name} · 成果验收确认单", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("成果验收确认单")
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
    row += 2
    verdict = "验收通过:全部预期成果达标并经各部门确认。" if not missing else "尚不能结束合作:"
    ws.write_string(row, 0, verdict, st.section)
    for item in missing:
        row += 1
        ws.write_string(row, 1, f"· {item}", st.note)
    row += 2
    ws.write_string(row, 0, "发起部门负责人签字/日期:", st.note)
    ws.write_string(row + 1, 0, "PMO 签字/日期:", st.note)
    page_setup(ws, title=f"成果验收确认单 · {project_name}", repeat_rows=2)
    wb.close()
