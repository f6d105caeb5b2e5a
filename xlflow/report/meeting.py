"""The 周例会 workbook (议程 to read, 会议纪要 to fill, signed `_xlflow`), its printable A4
page, and the PDF printed from that page by a headless browser or LibreOffice."""

from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__
from .._closing import close_workbook
from ..contract import MEETING_KIND
from ..followup import AGENDA_SHEET, action_id, minutes_spec
from ..model.meeting import Agenda
from ..project import Project
from ..styles import Styles, page_setup, set_row_height
from ..writer._identity import write_identity, write_lists
from ..writer._sheet import PROTECT_OPTIONS, write_cell
from ..writer._validation import ListSheet, validation
from ..writer.department import context_fields
from ._common import OPTIONS, put_row

WIDTHS = (13, 10, 9, 10, 30, 30, 10, 12)
#: 会议纪要's details above its table: label (zh, en) and the row they stand on.
DETAILS = (("会议日期", "Meeting date"), ("主持人", "Host"), ("参会人", "Attendees"))
HEADER_ROW = 5  # 0-based row of the minutes' table header


def _sections(agenda: Agenda) -> list[tuple[str, list[str], list[list[Any]]]]:
    return [
        ("一、延误与预警任务(偏差原因与解决措施)",
         ["任务编号", "部门", "状态", "偏差天数", "偏差原因", "解决措施"],
         [[r["task"], r["department"], r["status"], r["deviation_days"], r["reason"], r["fix"]]
          for r in agenda.late]),
        ("二、未关闭的高/中风险",
         ["风险编号", "提出部门", "等级", "状态", "风险描述", "建议措施", "责任人", "解决时限"],
         [[r["id"], r["department"], r["level"], r["status"], r["description"], r["measures"],
           r["owner"], r["deadline"]] for r in agenda.risks]),
        ("三、需协调事项(谁向谁提出什么)",
         ["提出部门", "任务", "填写周", "协调对象", "需协调事项"],
         [[r["department"], r["task"], r["week"], r["asks"], r["text"]]
          for r in agenda.coordination]),
        ("四、本周未交回的部门", ["部门"], [[d] for d in agenda.missing]),
        ("五、未完成的督办事项(逾期在前)",
         ["编号", "责任部门", "状态", "完成期限", "事项", "决定", "责任人", "是否逾期"],
         [[a.item_id, a.department, str(a.status), a.due, a.matter, a.decision, a.owner,
           "已逾期" if agenda.overdue(a) else ""] for a in agenda.actions]),
    ]


def write_meeting_workbook(path: Path, project: Project, agenda: Agenda, *,
                           built_at: dt.datetime, file_id: str, key: bytes | None) -> None:
    wb = xlsxwriter.Workbook(str(path), {**OPTIONS, "in_memory": True})
    wb.set_properties({"title": f"{project.name} · {agenda.week} 周例会", "author": "xlflow",
                       "company": project.initiating_department,
                       "created": built_at.replace(tzinfo=None)})
    st = Styles(wb)
    lists = ListSheet()
    _write_agenda(wb.add_worksheet(AGENDA_SHEET), agenda, st)
    _write_minutes(wb, project, agenda, st, lists)
    write_lists(wb, lists.columns)
    write_identity(wb, {
        "kind": MEETING_KIND, "project_id": project.id, "project_name": project.name,
        "department": agenda.host, "week": agenda.week,
        "spec_version": f"minutes={minutes_spec().version}",
        "built_at": built_at.isoformat(timespec="seconds"), "file_id": file_id,
        "xlflow_version": __version__, **context_fields(project)}, key=key)
    close_workbook(wb)


def _write_agenda(ws: Any, agenda: Agenda, st: Styles) -> None:
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, f"{agenda.project_name} · {agenda.week} 周例会议程", st.title)
    ws.write_string(1, 0, f"主持:{agenda.host} · 依据 {agenda.week} 周汇总(统计日 "
                          f"{agenda.as_of.isoformat()})· 会后请在「会议纪要」表填写决定,"
                          "保存后放入项目的 inbox/ 文件夹", st.note)
    row = 2
    for title, head, rows in _sections(agenda):
        row += 2
        ws.write_string(row, 0, title, st.section)
        row += 1
        for c, name in enumerate(head):
            ws.write_string(row, c, name, st.header)
        widths = list(WIDTHS[:len(head)])
        if not rows:
            row += 1
            ws.write_string(row, 0, "无", st.plain)
        for values in rows:
            row += 1
            put_row(ws, row, values, widths, st, {3: st.date} if head[3:4] == ["完成期限"] else None)
    page_setup(ws, title=f"{agenda.project_name} · {agenda.week} 周例会议程")
    ws.activate()


def _label(zh: str, en: str, language: str) -> str:
    return zh if language == "zh" else en if language == "en" else f"{zh}\n{en}"


def _write_minutes(wb: Any, project: Project, agenda: Agenda, st: Styles,
                   lists: ListSheet) -> None:
    spec = minutes_spec()
    ws = wb.add_worksheet(spec.sheet)
    language = project.settings.headers
    ws.write_string(0, 0, f"{spec.title_zh} · {agenda.project_name} · {agenda.week} 周例会",
                    st.title)
    date_col, text_col = spec.column("due"), spec.column("matter")
    values: Sequence[Any] = (None, agenda.host, None)
    for r, ((zh, en), value) in enumerate(zip(DETAILS, values, strict=True), start=1):
        ws.write_string(r, 0, _label(zh, en, language), st.label)
        column = date_col if zh == "会议日期" else text_col
        ws.merge_range(r, 1, r, 3, "", st.cell(column, locked=False))
        write_cell(ws, r, 1, value, st.cell(column, locked=False))
        set_row_height(ws, r, [(_label(zh, en, language), spec.columns[0].width)])
    opts = validation(date_col, project, agenda.host, lists)
    if opts:
        ws.data_validation(1, 1, 1, 1, {**opts, "input_title": "会议日期"})
    heads = []
    for c, column in enumerate(spec.columns):
        text = column.header(language)
        if column.required and column.editable:
            first, sep, rest = text.partition("\n")
            text = f"{first} *{sep}{rest}"
        fmt = st.header_required if column.required and column.editable else st.header
        ws.write_string(HEADER_ROW, c, text, fmt)
        ws.set_column(c, c, column.width)
        heads.append((text, column.width))
    set_row_height(ws, HEADER_ROW, heads)
    n = max(spec.blank_rows, 1)
    top = HEADER_ROW + 1
    for i in range(n):
        r = top + i
        for c, column in enumerate(spec.columns):
            value = action_id(agenda.week, i + 1) if column.key == "item_id" else None
            write_cell(ws, r, c, value, st.cell(column, locked=not column.editable))
    for c, column in enumerate(spec.columns):
        if column.editable:
            opts = validation(column, project, agenda.host, lists)
            if opts:
                ws.data_validation(top, c, top + n - 1, c, opts)
    ws.freeze_panes(top, 0)
    page_setup(ws, title=f"{spec.title_zh} · {agenda.project_name} · {agenda.week}",
               repeat_rows=HEADER_ROW)
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)


def render_meeting_html(agenda: Agenda) -> str:
    e = html.escape

    def cell(value: Any) -> str:
        if isinstance(value, dt.date):
            value = value.isoformat()
        return e("" if value is None else str(value))

    def table(head: list[str], rows: list[list[Any]]) -> str:
        th = "".join(f"<th>{e(h)}</th>" for h in head if h)
        keep = [i for i, h in enumerate(head) if h]
        body = "".join("<tr>" + "".join(f"<td>{cell(row[i])}</td>" for i in keep) + "</tr>"
                       for row in rows) or f"<tr><td colspan={len(keep)}>无</td></tr>"
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{e(agenda.project_name)} · {e(agenda.week)} 周例会</title>",
        "<style>@page{size:A4;margin:15mm}body{font-family:'Noto Sans CJK SC','Microsoft YaHei',"
        "sans-serif;font-size:10pt;max-width:180mm;margin:auto}h1{font-size:16pt}"
        "h2{font-size:12pt;color:#305496;border-bottom:1px solid #305496}"
        "table{border-collapse:collapse;width:100%;margin:6pt 0}"
        "th,td{border:1px solid #bfbfbf;padding:3pt 5pt;text-align:left;vertical-align:top}"
        "th{background:#305496;color:#fff}tr{page-break-inside:avoid}"
        ".blank td{height:18pt}</style></head><body>",
        f"<h1>{e(agenda.project_name)} · {e(agenda.week)} 周例会</h1>",
        f"<p>主持:{e(agenda.host)} · 依据 {e(agenda.week)} 周汇总(统计日 "
        f"{agenda.as_of.isoformat()})· 会议日期:________ · 参会人:____________________</p>",
    ]
    for title, head, rows in _sections(agenda):
        parts += [f"<h2>{e(title)}</h2>", table(head, rows)]
    spec = minutes_spec()
    blank = "".join(f"<tr class=blank><td>{e(action_id(agenda.week, i))}</td>"
                    + "<td></td>" * (len(spec.columns) - 1) + "</tr>" for i in range(1, 9))
    parts += [f"<h2>六、{e(spec.title_zh)}</h2>",
              "<table><thead><tr>" + "".join(f"<th>{e(c.zh)}</th>" for c in spec.columns)
              + f"</tr></thead><tbody>{blank}</tbody></table>", "</body></html>"]
    return "\n".join(parts)


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "msedge")
OFFICE = ("soffice", "libreoffice")


def print_pdf(page: Path, *, timeout: float = 120) -> Path | None:
    """The page printed to `<page>.pdf` by a headless Chromium, else LibreOffice; None
    when neither is installed or printing fails (the HTML page prints from any browser)."""
    target = page.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="xlflow-print-") as scratch:
        for name in BROWSERS:
            binary = shutil.which(name)
            if binary and _run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                                "--no-first-run", "--no-pdf-header-footer",
                                f"--user-data-dir={Path(scratch) / 'profile'}",
                                f"--print-to-pdf={target}", page.resolve().as_uri()],
                               timeout) and _is_pdf(target):
                return target
        for name in OFFICE:
            binary = shutil.which(name)
            if binary and _run([binary, "--headless", "--norestore",
                                f"-env:UserInstallation={(Path(scratch) / 'lo').as_uri()}",
                                "--convert-to", "pdf:writer_web_pdf_Export", "--outdir",
                                str(page.parent), str(page)], timeout) and _is_pdf(target):
                return target
    return None


def _run(command: list[str], timeout: float) -> bool:
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=True,
                       env={**os.environ, "HOME": os.environ.get("HOME", tempfile.gettempdir())})
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"%PDF-"
    except OSError:
        return False
