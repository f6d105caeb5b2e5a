"""跨部门合作复盘报告 as a workbook and as a printable HTML page (A4)."""

from __future__ import annotations

import html
from pathlib import Path

import xlsxwriter

from .._closing import close_workbook
from ..model.retro import Retrospective
from ..styles import Styles, page_setup
from ._common import OPTIONS, put, put_row, table


def write_retro_workbook(path: Path, retro: Retrospective) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{retro.project_name} · 跨部门合作复盘报告", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("复盘报告")
    widths = (24, 70)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.write_string(0, 0, f"跨部门合作复盘报告 · {retro.project_name}", st.title)
    row = 2
    ws.write_string(row, 0, "一、数据事实", st.section)
    for label, value in retro.facts:
        row += 1
        put_row(ws, row, (label, value), widths, st)
    for kind, title in (("成功经验", "二、成功经验"), ("不足", "三、不足"),
                        ("改进建议", "四、改进建议")):
        row += 2
        ws.write_string(row, 0, title, st.section)
        items = retro.feedback.get(kind) or []
        if not items:
            row += 1
            put(ws, row, 1, "(各部门未填写)", st)
        for f in items:
            row += 1
            put_row(ws, row, (f["department"], f["text"]), widths, st)
    page_setup(ws, title=f"跨部门合作复盘报告 · {retro.project_name}", landscape=False)
    _table(wb.add_worksheet("偏差原因"), st, [("偏差原因", 50), ("次数", 8), ("任务", 20),
                                             ("部门", 20)],
           [[r["reason"], r["count"], "、".join(r["tasks"]), "、".join(r["departments"])]
            for r in retro.reasons])
    _table(wb.add_worksheet("各部门"), st, [("部门", 10), ("任务数", 8), ("按期", 8),
                                           ("延期完成", 9), ("累计偏差(天)", 12), ("风险", 8),
                                           ("超时提出", 9)],
           [[d["department"], d["tasks"], d["on_time"], d["late_done"], d["total_slip"],
             d["risks"], d["late_risks"]] for d in retro.departments])
    _table(wb.add_worksheet("超时提出的风险"), st, [("风险编号", 13), ("部门", 9), ("等级", 7),
                                                  ("发现时间", 18), ("提出时间", 18), ("描述", 50)],
           [[r["id"], r["department"], r["level"], r["found_at"], r["raised_at"],
             r["description"]] for r in retro.late_risks])
    close_workbook(wb)


def _table(ws, st: Styles, columns, rows) -> None:
    table(ws, 0, columns, rows, st)
    page_setup(ws, title=f"跨部门合作复盘报告 · {ws.name}", repeat_rows=0)


def render_retro_html(retro: Retrospective) -> str:
    e = html.escape

    def table(head: list[str], rows: list[list[object]]) -> str:
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                       for row in rows) or f"<tr><td colspan={len(head)}>(无)</td></tr>"
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{e(retro.project_name)} · 跨部门合作复盘报告</title>",
        "<style>@page{size:A4;margin:18mm}body{font-family:'Noto Sans CJK SC','Microsoft YaHei',"
        "sans-serif;font-size:11pt;max-width:180mm;margin:auto}h1{font-size:18pt}"
        "h2{font-size:13pt;color:#305496;border-bottom:1px solid #305496}"
        "table{border-collapse:collapse;width:100%;margin:6pt 0}"
        "th,td{border:1px solid #bfbfbf;padding:3pt 5pt;text-align:left;vertical-align:top}"
        "th{background:#305496;color:#fff}tr{page-break-inside:avoid}</style></head><body>",
        f"<h1>跨部门合作复盘报告 · {e(retro.project_name)}</h1>",
        f"<p>{e(retro.period)} · 项目编号 {e(retro.project_id)}</p>",
        "<h2>一、数据事实</h2>", table(["指标", "结果"], [list(f) for f in retro.facts]),
    ]
    for kind, title in (("成功经验", "二、成功经验"), ("不足", "三、不足"), ("改进建议", "四、改进建议")):
        items = retro.feedback.get(kind) or []
        parts.append(f"<h2>{title}</h2>")
        parts.append(table(["部门", "内容"], [[f["department"], f["text"]] for f in items]))
    parts += [
        "<h2>五、偏差原因(按出现次数)</h2>",
        table(["偏差原因", "次数", "任务"], [[r["reason"], r["count"], "、".join(r["tasks"])]
                                      for r in retro.reasons]),
        "<h2>六、各部门</h2>",
        table(["部门", "任务数", "按期", "延期完成", "累计偏差(天)", "风险", "超时提出"],
              [[d["department"], d["tasks"], d["on_time"], d["late_done"], d["total_slip"],
                d["risks"], d["late_risks"]] for d in retro.departments]),
        "<h2>七、超过 24 小时才提出的风险</h2>",
        table(["风险编号", "部门", "等级", "发现时间", "提出时间", "描述"],
              [[r["id"], r["department"], r["level"], r["found_at"], r["raised_at"],
                r["description"]] for r in retro.late_risks]),
        "</body></html>",
    ]
    return "\n".join(parts)
