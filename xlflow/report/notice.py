"""The weekly notice to the leaders (`xlflow notify`): key figures, late tasks, open 高
risks and two charts, as an e-mail-safe HTML page (inline styles, tables, images by
Content-ID) and a plain-text alternative. Built from one recorded merge's typed records.

Charts are PNGs drawn with matplotlib (Agg, no display) in a Chinese font when the
machine has one (Noto Sans CJK, Microsoft YaHei, SimHei, PingFang…); without one the
labels fall back to department codes and English status names, with a warning.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue, warning
from ..model.records import RiskRecord, Rollup, TaskStatus, rollup
from ..model.vocab import TaskState, flag_label, percent_text
from ..project import Project
from ..styles import BAD_FILL, WARN_FILL

#: The status colours of the consolidated report, as chart colours.
STATUS_COLOURS = {TaskState.DONE: "#70AD47", TaskState.DONE_LATE: "#F4B183",
                  TaskState.ON_TRACK: "#9DC3E6", TaskState.WARNING: "#FFC000",
                  TaskState.LATE: "#E06666"}
_STATUS_EN = {TaskState.DONE: "done", TaskState.DONE_LATE: "done late",
              TaskState.ON_TRACK: "on track", TaskState.WARNING: "warning",
              TaskState.LATE: "late"}
CJK_FONTS = ("Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC", "Source Han Sans SC",
             "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Hiragino Sans GB",
             "Heiti SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "SimSun", "Noto Serif CJK SC")
MAX_BARS = 15  # the deviation chart shows the tasks that slipped most
HEADER = "#305496"
#: Table cells whose text is a status get the consolidated report's fill.
_STATUS_FILLS = {str(TaskState.LATE): BAD_FILL, str(TaskState.WARNING): WARN_FILL,
                 "未交回": BAD_FILL}
_FONT_STACK = "'Microsoft YaHei','PingFang SC','Noto Sans CJK SC','Hiragino Sans GB',sans-serif"


@dataclass
class WeeklyNotice:
    """What the leaders read about one merged week."""

    project_id: str
    project_name: str
    week: str
    as_of: dt.date
    tasks: list[TaskStatus]
    risks: list[RiskRecord]
    departments: list[Rollup]
    deliverables: Mapping[str, str]  # task id -> deliverable
    codes: Mapping[str, str]  # department -> code, for charts without a Chinese font
    attachment: str = ""
    raise_within_hours: int = 24

    @property
    def late(self) -> list[TaskStatus]:
        return sorted((t for t in self.tasks if t.status.behind),
                      key=lambda t: (-t.deviation_days, t.task_id))

    @property
    def high_risks(self) -> list[RiskRecord]:
        return [r for r in self.risks if r.is_open and r.is_high]

    @property
    def returned(self) -> int:
        return sum(bool(d.returned) for d in self.departments)

    @property
    def figures(self) -> list[tuple[str, str]]:
        """The key figures, in the order shown: (label, value)."""
        total = rollup("", self.tasks)
        return [("任务", f"{total.tasks} 项"), ("已完成", f"{total.done} 项"),
                ("按期率", percent_text(total.on_time_rate)),
                ("延误/预警", f"{len(self.late)} 项"), ("开放高风险", f"{len(self.high_risks)} 项"),
                ("交回部门", f"{self.returned}/{len(self.departments)}")]

    @property
    def subject(self) -> str:
        f = dict(self.figures)
        return (f"【{self.project_name}】{self.week} 周进度通报:按期率 {f['按期率']},"
                f"延误/预警 {f['延误/预警']},开放高风险 {f['开放高风险']}")

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "as_of": self.as_of.isoformat(),
                "figures": dict(self.figures), "late_tasks": [t.task_id for t in self.late],
                "open_high_risks": [r.risk_id for r in self.high_risks],
                "departments": [d.to_dict() for d in self.departments]}


def weekly_notice(project: Project, week: str, as_of: dt.date, tasks: Sequence[TaskStatus],
                  risks: Sequence[RiskRecord], returned: set[str], attachment: str = "") -> WeeklyNotice:
    by_dept: dict[str, list[TaskStatus]] = {}
    for t in tasks:
        by_dept.setdefault(t.department, []).append(t)
    departments = [rollup(d.name, by_dept.get(d.name, []), returned=d.name in returned)
                   for d in project.departments]
    return WeeklyNotice(project.id, project.name, week, as_of, list(tasks), list(risks),
                        departments, {t.id: t.deliverable for t in project.tasks},
                        {d.name: d.code for d in project.departments}, attachment,
                        project.settings.raise_within_hours)


# -- charts ----------------------------------------------------------------------------------


@dataclass
class Chart:
    title: str
    filename: str
    png: bytes


@dataclass
class Charts:
    charts: list[Chart] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def cjk_font() -> str | None:
    """The first Chinese font matplotlib can use on this machine."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in available), None)


def render_charts(notice: WeeklyNotice, *, font: str | None | bool = True) -> Charts:
    """图1 各部门任务状态 (stacked bars) and 图2 偏差最大的任务 (when any task slipped).
    `font=True` looks for a Chinese font; a name uses it; None draws without one."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    chosen = cjk_font() if font is True else (font or None)
    out = Charts()
    if chosen is None:
        out.issues.append(warning("no-cjk-font", "找不到中文字体,图表中的部门以代码、状态以英文显示"))

    def label(dept: str) -> str:
        return dept if chosen else notice.codes.get(dept, dept)

    def status(s: TaskState) -> str:
        return str(s) if chosen else _STATUS_EN[s]

    rc: Any = {"font.family": [chosen, "DejaVu Sans"] if chosen else ["DejaVu Sans"],
          "axes.unicode_minus": False, "font.size": 10}
    with matplotlib.rc_context(rc):
        depts = list(reversed(notice.departments))
        fig = Figure(figsize=(6.4, 0.5 * len(depts) + 1.3), dpi=120)
        ax = fig.add_subplot()
        names = [label(d.name) for d in depts]
        left = [0] * len(depts)
        for state in TaskState:
            counts = [sum(t.status is state for t in notice.tasks if t.department == d.name)
                      for d in depts]
            if not any(counts):
                continue
            ax.barh(names, counts, left=left, color=STATUS_COLOURS[state], label=status(state),
                    height=0.6)
            for y, (x0, n) in enumerate(zip(left, counts, strict=True)):
                if n:
                    ax.text(x0 + n / 2, y, str(n), ha="center", va="center", fontsize=9)
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set_xlabel("任务数" if chosen else "tasks")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28 if len(depts) < 4 else -0.18),
                  ncol=5, frameon=False, fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out.charts.append(Chart("图1 各部门任务状态", "chart-status.png", _png(fig)))

        slipped = sorted((t for t in notice.tasks if t.deviation_days > 0),
                         key=lambda t: (-t.deviation_days, t.task_id))[:MAX_BARS]
        if slipped:
            rows = list(reversed(slipped))
            fig = Figure(figsize=(6.4, 0.42 * len(rows) + 1.1), dpi=120)
            ax = fig.add_subplot()
            ax.barh([f"{t.task_id} {label(t.department)}" for t in rows],
                    [t.deviation_days for t in rows],
                    color=[STATUS_COLOURS[t.status] for t in rows], height=0.6)
            for y, t in enumerate(rows):
                ax.text(t.deviation_days, y, f" +{t.deviation_days}", va="center", fontsize=9)
            ax.set_xlabel("偏差(天)" if chosen else "days late")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(0, max(t.deviation_days for t in rows) * 1.15 + 0.5)
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            out.charts.append(Chart("图2 偏差最大的任务", "chart-slip.png", _png(fig)))
    return out


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


# -- HTML and text ----------------------------------------------------------------------------


def _risk_cells(r: RiskRecord) -> list[str]:
    v = r.values
    deadline = v.get("deadline")
    return [r.risk_id, r.department, str(v.get("description") or ""), str(v.get("owner") or "—"),
            deadline.isoformat() if isinstance(deadline, dt.date) else "—", r.status]


def _task_cells(notice: WeeklyNotice, t: TaskStatus) -> list[str]:
    expected = t.forecast or t.expected
    return [t.task_id, t.department, notice.deliverables.get(t.task_id, ""), t.planned.isoformat(),
            expected.isoformat() if expected else "—", f"+{t.deviation_days}", str(t.status),
            t.texts.get("deviation_reason") or "—"]


def render_html(notice: WeeklyNotice, images: Mapping[str, str]) -> str:
    """The message's HTML; `images` maps each chart's title to its src (cid:… in the
    message, a file name in a preview)."""
    e = html.escape
    cell = "border:1px solid #d0d7e5;padding:5px 7px;text-align:left;vertical-align:top"

    def td(i: int, value: str, wide: set[int]) -> str:
        style = cell if i in wide else f"{cell};white-space:nowrap"
        if value in _STATUS_FILLS:
            style += f";background:{_STATUS_FILLS[value]}"
        return f"<td style='{style}'>{e(value)}</td>"

    def table(head: list[str], rows: list[list[str]], wide: set[int]) -> str:
        """`wide`: the columns of running text; the others never wrap."""
        th = "".join(f"<th style='{cell};background:{HEADER};color:#fff;font-weight:bold;"
                     f"white-space:nowrap'>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(td(i, v, wide) for i, v in enumerate(row)) + "</tr>"
                       for row in rows) or f"<tr><td style='{cell}' colspan='{len(head)}'>无</td></tr>"
        return (f"<table role='table' cellspacing='0' cellpadding='0' style='border-collapse:collapse;"
                f"width:100%;font-size:13px;margin:4px 0 12px'><thead><tr>{th}</tr></thead>"
                f"<tbody>{body}</tbody></table>")

    def h2(text: str) -> str:
        return (f"<h2 style='font-size:16px;color:{HEADER};border-bottom:2px solid {HEADER};"
                f"padding-bottom:3px;margin:18px 0 8px'>{e(text)}</h2>")

    tiles = "".join(
        f"<td style='width:16%;padding:10px 4px;text-align:center;border:1px solid #d0d7e5;"
        f"background:#f5f8fc'><div style='font-size:22px;font-weight:bold;color:{HEADER}'>"
        f"{e(value)}</div><div style='font-size:12px;color:#555'>{e(label)}</div></td>"
        for label, value in notice.figures)
    charts = "".join(f"{h2(title)}<img src='{e(src)}' width='600' alt='{e(title)}' "
                     f"style='display:block;max-width:100%;height:auto'>"
                     for title, src in images.items())
    depts = [[d.name, str(d.tasks), str(d.done), percent_text(d.on_time_rate), str(d.worst_slip),
              "已交回" if d.returned else "未交回"] for d in notice.departments]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>",
        f"<title>{e(notice.subject)}</title></head>",
        f"<body style='margin:0;padding:0;background:#eef1f6;font-family:{_FONT_STACK}'>",
        "<table role='presentation' width='100%' cellspacing='0' cellpadding='0' "
        "style='background:#eef1f6'><tr><td align='center' style='padding:16px 8px'>",
        "<table role='presentation' width='680' cellspacing='0' cellpadding='0' "
        f"style='max-width:680px;background:#fff;color:#222;font-size:14px;font-family:{_FONT_STACK}'>",
        f"<tr><td style='background:{HEADER};color:#fff;padding:16px 20px'>"
        f"<div style='font-size:20px;font-weight:bold'>{e(notice.week)} 周进度通报</div>"
        f"<div style='font-size:13px;margin-top:4px'>{e(notice.project_name)} · 统计日 "
        f"{notice.as_of.isoformat()}</div></td></tr>",
        "<tr><td style='padding:14px 20px 4px'>",
        f"<p style='margin:0 0 10px'>各位领导:本周「{e(notice.project_name)}」的跨部门合作进度如下"
        + (f";合并后的周进度汇总表见附件 {e(notice.attachment)}" if notice.attachment else "")
        + "。</p>",
        h2("关键数字"),
        "<table role='presentation' width='100%' cellspacing='0' cellpadding='0' "
        f"style='border-collapse:collapse'><tr>{tiles}</tr></table>",
        charts,
        h2("延误/预警任务"),
        table(["编号", "部门", "交付物", "计划", "预计", "偏差(天)", "状态", "偏差原因"],
              [_task_cells(notice, t) for t in notice.late], {2, 7}),
        h2("开放的高风险"),
        table(["编号", "部门", "描述", "责任人", "解决时限", "状态"],
              [_risk_cells(r) for r in notice.high_risks], {2}),
        h2("各部门"),
        table(["部门", "任务", "已完成", "按期率", "最大偏差(天)", "本周"], depts, set()),
        "</td></tr>",
        "<tr><td style='padding:10px 20px 16px;font-size:12px;color:#777'>此邮件由 xlflow 根据 "
        f"{e(notice.week)} 的周汇总生成;各部门的原始填报见附件。</td></tr>",
        "</table></td></tr></table></body></html>",
    ]
    return "\n".join(parts)


def render_text(notice: WeeklyNotice) -> str:
    """The plain-text alternative: the same facts, for clients that show no HTML."""
    lines = [f"【{notice.project_name}】{notice.week} 周进度通报(统计日 {notice.as_of.isoformat()})",
             "", "各位领导:本周跨部门合作进度如下。", "", "关键数字:",
             "  " + " · ".join(f"{label} {value}" for label, value in notice.figures), "",
             "延误/预警任务:"]
    for t in notice.late:
        c = _task_cells(notice, t)
        lines.append(f"  {c[0]} {c[1]} {c[2]}:计划 {c[3]},预计 {c[4]},{c[6]} {c[5]} 天"
                     + (f"(偏差原因:{c[7]})" if c[7] != "—" else ""))
    if not notice.late:
        lines.append("  无")
    lines += ["", "开放的高风险:"]
    for r in notice.high_risks:
        c = _risk_cells(r)
        flags = "、".join(flag_label(f, notice.raise_within_hours) for f in r.flags)
        lines.append(f"  {c[0]} {c[1]}:{c[2]};责任人 {c[3]},解决时限 {c[4]},{c[5]}"
                     + (f"({flags})" if flags else ""))
    if not notice.high_risks:
        lines.append("  无")
    lines += ["", "各部门:"]
    lines += [f"  {d.name}:任务 {d.tasks},已完成 {d.done},按期率 {percent_text(d.on_time_rate)},"
              f"最大偏差 {d.worst_slip} 天,{'本周已交回' if d.returned else '本周未交回'}"
              for d in notice.departments]
    if notice.attachment:
        lines += ["", f"附件:{notice.attachment}(合并后的周进度汇总表)"]
    return "\n".join(lines) + "\n"
