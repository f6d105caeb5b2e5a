"""The house look of every workbook xlflow writes: font, colours, named XlsxWriter
formats, and page set-up. Department workbooks and PMO reports share it so
they look and print alike; change the look here, nowhere else."""

from __future__ import annotations

from typing import Any

from .spec import Column, ColumnType

FONT = "Microsoft YaHei"
FONT_SIZE = 10

# colours
HEADER_FILL = "#305496"
REQUIRED_FILL = "#C65911"
LOCKED_FILL = "#EDEDED"
LABEL_FILL = "#DDEBF7"
BORDER = "#BFBFBF"
NOTE_FONT = "#595959"
GOOD_FILL, GOOD_FONT = "#C6EFCE", "#006100"
BAD_FILL, BAD_FONT = "#FFC7CE", "#9C0006"
WARN_FILL = "#FFEB9C"
LATE_DONE_FILL = "#FCE4D6"
ON_TRACK_FILL = LABEL_FILL

NUM_FORMATS = {
    ColumnType.DATE: "yyyy-mm-dd",
    ColumnType.DATETIME: "yyyy-mm-dd hh:mm",
    ColumnType.PERCENT: "0%",
    ColumnType.INTEGER: "0",
    ColumnType.NUMBER: "General",
}

# Text is never turned into formulas, links or numbers.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}


class Styles:
    """The named formats of one workbook (XlsxWriter formats belong to a workbook).

    Formats a workbook never uses are not written to its file."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        base = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}
        cell = {**base, "border": 1, "border_color": BORDER}
        self._base, self._cell = base, cell
        add = wb.add_format
        self.title = add({**base, "bold": True, "font_size": 14})
        self.note = add({**base, "font_color": NOTE_FONT})
        self.section = add({**base, "bold": True, "font_size": 11, "font_color": HEADER_FILL})
        self.bold = add({**base, "bold": True})
        self.prose = add({**base, "text_wrap": True})  # running text, no grid
        header = {**cell, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
                  "text_wrap": True, "valign": "vcenter", "align": "center", "locked": True}
        self.header = add(header)
        self.header_required = add({**header, "bg_color": REQUIRED_FILL})
        self.label = add({**cell, "bold": True, "bg_color": LABEL_FILL, "text_wrap": True,
                          "valign": "vcenter"})
        # table cells of the report workbooks
        self.text = add({**cell, "text_wrap": True})
        self.plain = add(cell)
        self.date = add({**cell, "num_format": "yyyy-mm-dd", "align": "left"})
        self.datetime = add({**cell, "num_format": "yyyy-mm-dd hh:mm", "align": "left"})
        self.pct = add({**cell, "num_format": "0%"})
        self.int = add({**cell, "num_format": "0"})
        self.dec = add({**cell, "num_format": "0.0"})
        # conditional formats
        self.good = add({"bg_color": GOOD_FILL, "font_color": GOOD_FONT})
        self.bad = add({"bg_color": BAD_FILL, "font_color": BAD_FONT})
        self._fills: dict[str, Any] = {}
        self._cells: dict[tuple[ColumnType, bool], Any] = {}

    def fill(self, colour: str) -> Any:
        """A background-only format, for conditional formatting."""
        if colour not in self._fills:
            self._fills[colour] = self.wb.add_format({"bg_color": colour})
        return self._fills[colour]

    def cell(self, column: Column, locked: bool) -> Any:
        """The format of a spec column's cells: number format by type, grey if locked."""
        key = (column.type, locked)
        if key not in self._cells:
            props: dict[str, Any] = {**self._cell, "locked": locked}
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


# --- page set-up ----------------------------------------------------------------------

A4 = 9  # Excel paper code


def print_setup(ws: Any, *, landscape: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
