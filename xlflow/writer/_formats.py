"""The house look of every workbook, as XlsxWriter formats made once per workbook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..spec import Column, ColumnType

FONT = "Microsoft YaHei"
HEADER_FILL = "#305496"
REQUIRED_FILL = "#C65911"
LOCKED_FILL = "#EDEDED"
BORDER = "#BFBFBF"

NUM_FORMATS = {
    ColumnType.DATE: "yyyy-mm-dd",
    ColumnType.DATETIME: "yyyy-mm-dd hh:mm",
    ColumnType.PERCENT: "0%",
    ColumnType.INTEGER: "0",
    ColumnType.NUMBER: "General",
}


@dataclass
class Formats:
    """Formats keyed by role; cell formats by (column type, locked)."""

    wb: Any

    def __post_init__(self) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        self._base = base
        self.title = self.wb.add_format({**base, "bold": True, "font_size": 14})
        self.subtitle = self.wb.add_format({**base, "font_color": "#595959"})
        header = {**base, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
                  "text_wrap": True, "valign": "vcenter", "align": "center", "border": 1,
                  "border_color": BORDER, "locked": True}
        self.header = self.wb.add_format(header)
        self.header_required = self.wb.add_format({**header, "bg_color": REQUIRED_FILL})
        self.label = self.wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7",
                                         "border": 1, "border_color": BORDER, "text_wrap": True,
                                         "valign": "vcenter"})
        self.text = self.wb.add_format({**base, "text_wrap": True})
        self.bold = self.wb.add_format({**base, "bold": True})
        self.key = self.wb.add_format({**base, "locked": True})
        self._cells: dict[tuple[ColumnType, bool], Any] = {}

    def cell(self, column: Column, locked: bool) -> Any:
        key = (column.type, locked)
        if key not in self._cells:
            props: dict[str, Any] = {**self._base, "border": 1, "border_color": BORDER,
                                     "locked": locked}
            if column.type in NUM_FORMATS:
                props["num_format"] = NUM_FORMATS[column.type]
                props["align"] = "left" if column.type in (ColumnType.DATE,
                                                           ColumnType.DATETIME) else "right"
            else:
                props["text_wrap"] = True
                props["num_format"] = "@"  # typed digits stay text (phone numbers, ids)
            if locked:
                props["bg_color"] = LOCKED_FILL
            self._cells[key] = self.wb.add_format(props)
        return self._cells[key]
