"""合作方案: the plan the approver reads and signs, as one printable A4 sheet of the PMO
master — 项目概况, 阶段性目标, 资源清单, 时间节点, 职责分工, 预期成果 and a signature line
for each department head and the approver."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .._sheetxml import held_rows, merge_cells
from ..model.vocab import ResourceKind
from ..project import Project, Resource
from ..styles import Styles, page_setup, row_height, set_row_height
from ..units import money_text
from ._sheet import PROTECT_OPTIONS

PLAN_SHEET = "合作方案"
#: seven columns that fit A4 portrait at about 90% (职责分工 needs them all)
WIDTHS = (11, 10, 12, 29, 22, 12, 10)
LAST_COL = len(WIDTHS) - 1


def write_plan_sheet(wb: Any, fmt: Styles, project: Project) -> None:
    ws = wb.add_worksheet(PLAN_SHEET)
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    ws.merge_range(0, 0, 0, LAST_COL, f"跨部门合作方案 · {project.name}", fmt.title)
    ws.set_row(0, 26)
    sheet = _Sheet(ws, fmt)
    sheet.section("一、项目概况")
    for label, text in (
            ("项目编号", project.id), ("项目名称", project.name),
            ("发起部门", f"{project.initiating_department}(发起人:{project.initiator};"
                         f"联系方式:{project.contact})"),
            ("参与部门", project.departments_text or "(无)"),
            ("合作周期", project.period_text), ("优先级", project.priority),
            ("合作背景", project.background), ("合作目标", project.goals)):
        sheet.pair(label, text)
    sheet.section("二、阶段性目标")
    sheet.table(["里程碑", "名称", "日期", "关联任务", "责任部门"],
                [[m.id, m.name, m.date, "、".join(t.id for t in project.tasks
                                                 if t.milestone == m.id),
                  "、".join(dict.fromkeys(t.department for t in project.tasks
                                          if t.milestone == m.id))]
                 for m in project.milestones], spans={3: 1, 4: 2})
    sheet.section("三、资源清单")
    sheet.table(["类别", "部门", "资源", "数量", "期间", "说明"],
                [[str(r.kind), r.department, r.item, _quantity(r), _period(r, project), r.note]
                 for r in _by_kind(project.resources)], spans={5: 1})
    sheet.section("四、时间节点")
    events = [(m.date, 0, "里程碑", m.id, m.name, "", "") for m in project.milestones]
    events += [(t.due, 1, "任务", t.id, t.deliverable, t.department, t.owner)
               for t in project.tasks]
    sheet.table(["日期", "类型", "编号", "内容", "部门", "负责人"],
                [[d, kind, ident, text, dept, owner]
                 for d, _, kind, ident, text, dept, owner in sorted(events, key=lambda e: e[:2])],
                spans={5: 1})
    sheet.section("五、职责分工")
    sheet.table(["任务编号", "部门", "角色", "职责", "交付物", "完成时间", "负责人"],
                [[t.id, t.department, t.role, t.duty, t.deliverable, t.due, t.owner]
                 for t in project.tasks])
    sheet.section("六、预期成果")
    sheet.table(["编号", "成果", "目标值", "责任部门"],
                [[r.id, r.name, r.target_text, r.department] for r in project.results],
                spans={1: 2, 3: 2})
    ws.set_h_pagebreaks([sheet.row + 1])  # the signatures on a page of their own
    sheet.section("七、签字确认")
    sheet.table(["部门", "职务", "负责人", "签字", "日期"],
                [[d.name, d.head_title or "负责人", d.head, "", ""]
                 for d in project.departments]
                + [["审批", "分管领导", project.approver, "", ""]],
                spans={3: 1, 4: 1}, tall=True)
    page_setup(ws, title=f"{PLAN_SHEET} · {project.name}", landscape=False, repeat_rows=0)
    ws.print_area(0, 0, sheet.row - 1, LAST_COL)
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)


def _by_kind(resources: tuple[Resource, ...]) -> list[Resource]:
    order = {k: i for i, k in enumerate(ResourceKind)}
    return sorted(resources, key=lambda r: order[r.kind] if r.kind else 0)


def _quantity(r: Resource) -> str:
    if r.is_budget:
        return money_text(r.amount)
    qty = int(r.quantity) if float(r.quantity).is_integer() else r.quantity
    return f"{qty} {r.unit}".strip()


def _period(r: Resource, project: Project) -> str:
    start, end = r.start or project.start, r.end or project.end
    return f"{start.isoformat()} 至 {end.isoformat()}"


class _Sheet:
    """Writes sections top to bottom; `row` is the next free row."""

    def __init__(self, ws: Any, fmt: Styles) -> None:
        self.ws, self.fmt, self.row = ws, fmt, 1

    def section(self, title: str) -> None:
        self.row += 1
        self.ws.write_string(self.row, 0, title, self.fmt.section)
        self.row += 1

    def pair(self, label: str, text: str) -> None:
        self.ws.merge_range(self.row, 0, self.row, 1, label, self.fmt.label)
        self.ws.merge_range(self.row, 2, self.row, LAST_COL, text, self.fmt.text)
        set_row_height(self.ws, self.row, [(label, sum(WIDTHS[:2])),
                                           (text, sum(WIDTHS[2:]))])
        self.row += 1

    def table(self, heads: list[str], rows: list[list[Any]], *,
              spans: dict[int, int] | None = None, tall: bool = False) -> None:
        """One table; `spans` widens a column over extra sheet columns (its index in
        `heads` -> how many more), so every table fills the page width."""
        spans = spans or {}
        cols, c = [], 0
        for i in range(len(heads)):
            last = min(c + spans.get(i, 0), LAST_COL)
            cols.append((c, last))
            c = last + 1
        cols[-1] = (cols[-1][0], LAST_COL)
        self._row([*heads], cols, self.fmt.header)
        if not rows:
            self._row(["(无)"] + [""] * (len(heads) - 1), cols, self.fmt.text)
        for values in rows:
            self._row(values, cols, self.fmt.text, min_lines=2 if tall else 1)

    def _row(self, values: list[Any], cols: list[tuple[int, int]], style: Any, *,
             min_lines: int = 1) -> None:
        texts = []
        ws, row = self.ws, self.row
        held = held_rows(ws)  # 职责分工 has a row per task: held as XML, not cell by cell
        cells: list[tuple[str, Any, Any]] = []
        for value, (first, last) in zip(values, cols, strict=True):
            text = value if value.__class__ is str else value.isoformat() \
                if isinstance(value, dt.date) else "" if value is None else str(value)
            if held is not None:
                if last > first:  # merge_range: a blank for an empty text
                    merge_cells(ws, row, first, last)
                    cells.append(("s", text, style) if text else ("b", None, style))
                    cells.extend(("b", None, style) for _ in range(first, last))
                else:
                    cells.append(("s", text, style))
            elif last > first:
                ws.merge_range(row, first, row, last, text, style)
            else:
                ws.write_string(row, first, text, style)
            texts.append((text, _SPAN_WIDTHS[first, last]))
        if held is not None:
            held.row(row, cells, row_height(texts, min_lines=min_lines))
        else:
            set_row_height(ws, row, texts, min_lines=min_lines)
        self.row += 1


# the width of each span of sheet columns a table's column can take
_SPAN_WIDTHS = {(first, last): sum(WIDTHS[first:last + 1])
                for first in range(len(WIDTHS)) for last in range(first, len(WIDTHS))}
