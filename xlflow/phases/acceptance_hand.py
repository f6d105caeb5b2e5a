"""What people type on the 成果验收确认单 outside its 验收结论 block: a result's 确认人,
确认日期 and 意见, a department's 部门确认人, 确认日期 and 意见 (signed at the
acceptance meeting), and the 分管领导's name. `accept` rewrites the form on every run;
these cells are read back first and kept, so nothing a person typed is dropped.

A cell counts as typed when it no longer shows what the last `accept` wrote there
(recorded with its decision as `shown`); a typed value is kept (`hand`) from run to run
until the cell is cleared. A kept value stands in for what the department returned
(or project.yaml's 分管领导); where both say something different, a warning names the
cell and both values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ..issues import Issue, cell_name, error, warning
from ..model.conclusion import FIELDS, SHEET
from ..values import clean_text, is_blank, parse_datetime

#: The typed cells of one result row (成果编号 in column A): key, column, label.
RESULT_CELLS = (("confirmer", 6, "确认人"), ("confirm_date", 7, "确认日期"), ("opinion", 8, "意见"))
#: … and of one department's confirmation row (部门 in column A).
DEPARTMENT_CELLS = (("confirmer", 1, "部门确认人"), ("date", 2, "确认日期"), ("opinion", 3, "意见"))
UNCONFIRMED = "未确认"  # what the form shows for a department that has not confirmed
LEADER = "leader"


def as_text(value: Any) -> str:
    """A cell's value as the form shows it: dates as YYYY-MM-DD, 未确认 as nothing."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else \
            value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if is_blank(value):
        return ""
    text = clean_text(value)
    return "" if text == UNCONFIRMED else text


def read_cells(path: Path) -> dict[str, tuple[str, str]]:
    """Every typed cell of the form `path`: key ('result/R1/confirmer',
    'department/市场部/date', 'leader') -> (text, cell); nothing when there is no form."""
    if not path.is_file():
        return {}
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(
            skip_empty_area=False)
    except (CalamineError, OSError, ValueError, KeyError):
        return {}
    out: dict[str, tuple[str, str]] = {}
    section = ""
    for r, row in enumerate(rows):
        first = clean_text(row[0]) if row and not is_blank(row[0]) else ""
        second = clean_text(row[1]) if len(row) > 1 and not is_blank(row[1]) else ""
        if not first:
            section = ""
            continue
        if first == "成果编号":
            section = "result"
        elif first == "部门" and second == "部门确认人":
            section = "department"
        elif first == FIELDS[LEADER][0]:
            out[LEADER] = (as_text(row[1]) if len(row) > 1 else "", cell_name(r, 1))
        elif section:
            cells = RESULT_CELLS if section == "result" else DEPARTMENT_CELLS
            for key, col, _ in cells:
                if col < len(row):
                    out.setdefault(f"{section}/{first}/{key}", (as_text(row[col]),
                                                                cell_name(r, col)))
    return out


@dataclass
class HandEntries:
    """The form's typed values against the last `accept`'s record, applied to this
    run's rows."""

    form: Path
    year: int  # for a date typed without one
    cells: dict[str, tuple[str, str]]  # as read now
    shown_before: dict[str, str] | None  # what the last accept wrote (None: not known)
    kept: dict[str, str] = field(default_factory=dict)  # typed values still standing
    shown: dict[str, str] = field(default_factory=dict)  # what this run writes
    issues: list[Issue] = field(default_factory=list)

    @classmethod
    def read(cls, form: Path, last: Mapping[str, Any] | None, year: int) -> HandEntries:
        last = last or {}
        shown = last.get("shown")
        return cls(form, year, read_cells(form), dict(shown) if isinstance(shown, dict) else None,
                   dict(last.get("hand") or {}))

    def value(self, key: str, returned: str, label: str, owner: str, *,
              is_date: bool = False) -> str:
        """The value to show and count for `key`: a typed one, kept, else `returned`
        (what the department sent, or project.yaml's). `owner` names where `returned`
        comes from, for the warning when both differ."""
        if key in self.cells:
            text, cell = self.cells[key]
            before = (self.shown_before.get(key, "") if self.shown_before is not None
                      else returned)
            if text != before:
                if not text:
                    self.kept.pop(key, None)
                elif is_date and not _is_date(text, self.year):
                    self.issues.append(error(
                        "bad-date", f"成果验收确认单 {cell} 的{label}「{text}」不是日期,未采用",
                        value=text, expected="日期 YYYY-MM-DD,如 2024-07-31", file=self.form.name,
                        sheet=SHEET, cell=cell))
                else:
                    self.kept[key] = _date_text(text, self.year) if is_date else text
        out = self.kept.get(key, returned)
        if key in self.kept and returned and returned != out:
            cell = self.cells.get(key, ("", ""))[1]
            self.issues.append(warning(
                "hand-entry-differs", f"成果验收确认单 {cell} 填写的{label}「{out}」与{owner}"
                f"「{returned}」不同;按确认单所填记录,如有误请在该单元格改正或清空", value=out,
                expected=returned, file=self.form.name, sheet=SHEET, cell=cell))
        self.shown[key] = out
        return out

    def fill_result(self, row: dict[str, Any]) -> None:
        """A result row (`accept`'s dict) with the typed 确认人, 确认日期, 意见."""
        for key, _, label in RESULT_CELLS:
            row[key] = self.value(f"result/{row['id']}/{key}", as_text(row.get(key)),
                                  f"{row['id']} 的{label}", f"{row['department'] or '责任部门'}交回的",
                                  is_date=key == "confirm_date")

    def fill_department(self, line: dict[str, Any]) -> None:
        """A department's confirmation line with the typed 部门确认人, 确认日期, 意见."""
        for key, _, label in DEPARTMENT_CELLS:
            line[key] = self.value(f"department/{line['department']}/{key}",
                                   as_text(line.get(key)), f"{line['department']}的{label}",
                                   f"{line['department']}交回的", is_date=key == "date")

    def leader(self, approver: str) -> str:
        return self.value(LEADER, approver, "分管领导", "project.yaml 中的审批人(approver)")

    def record(self) -> dict[str, Any]:
        """What the decision record keeps for the next run."""
        return {"hand": dict(self.kept), "shown": dict(self.shown)}


def _is_date(text: str, year: int) -> bool:
    try:
        parse_datetime(text, year=year)
    except (ValueError, TypeError):
        return False
    return True


def _date_text(text: str, year: int) -> str:
    return parse_datetime(text, year=year).date().isoformat()
