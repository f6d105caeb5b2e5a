"""Rows streamed as XML (xlflow._sheetxml) are the rows XlsxWriter writes itself, byte
for byte, and what spreadsheet readers read back."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as hs

from xlflow import _sheetxml
from xlflow.report import _common
from xlflow.report._common import put_row
from xlflow.styles import Styles

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
           "constant_memory": True}
WIDTHS = [8, 12, 30, 6, 10]


def _workbook(rows: list[list[Any]], *, streamed: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Two sheets; headers, a note and a section written by XlsxWriter between streamed
    rows, a percent format on one column."""
    monkeypatch.setattr(_common, "supported", _sheetxml.supported if streamed else lambda ws: False)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, OPTIONS)
    wb.set_properties({"created": dt.datetime(2024, 7, 12)})
    st = Styles(wb)
    for name in ("一", "二"):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 7, "注", st.note)
        _common.headers(ws, 0, list(zip("ABCDE", WIDTHS, strict=True)), st)
        r = 0
        for values in rows:
            r += 1
            put_row(ws, r, values, WIDTHS, st, {3: st.pct})
        ws.write_string(r + 2, 0, "小节", st.section)
        put_row(ws, r + 3, ["末行", None, 1.5, 0.25, dt.date(2024, 7, 1)], WIDTHS, st)
    wb.close()
    return buf.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


ODD = [
    ["文本", "", None, 0.5, dt.date(2024, 7, 16)],
    ["a & b < c > d \"q\"", " leading", "trailing ", 1, dt.datetime(2024, 7, 16, 9, 30)],
    ["控制\x01字符\x1f", "\x1cstarts", "_x0041_ literal", True, False],
    ["很长的一段说明文字," * 12, "line\nbreak", "x" * 40000, -3, 10**15 + 0.5],
    ["😀" * 20000, "\ufffe\uffff", "\t tab", 0, 1e-7],
    [12345678901234567890, 2.0, "\n", 0.1 + 0.2, dt.date(1900, 3, 1)],
]


def test_streamed_rows_are_xlsxwriters_own_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _parts(_workbook(ODD, streamed=False, monkeypatch=monkeypatch))
    fast = _parts(_workbook(ODD, streamed=True, monkeypatch=monkeypatch))
    assert plain.keys() == fast.keys()
    for name in plain:
        assert fast[name] == plain[name], name


text = hs.text(hs.characters(codec="utf-16", exclude_categories=("Cs",)), max_size=60)
value = hs.one_of(hs.none(), text, hs.integers(-10**12, 10**12),
                  hs.floats(allow_nan=False, allow_infinity=False), hs.booleans(),
                  hs.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)))


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.lists(value, min_size=5, max_size=5), max_size=6))
def test_any_rows_stream_as_xlsxwriter_writes_them(rows: list[list[Any]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        plain = _parts(_workbook(rows, streamed=False, monkeypatch=mp))
        fast = _parts(_workbook(rows, streamed=True, monkeypatch=mp))
    assert fast == plain


def test_readers_read_the_streamed_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook(ODD, streamed=True, monkeypatch=monkeypatch)
    ws = openpyxl.load_workbook(io.BytesIO(data))["一"]
    assert ws["A2"].value == "文本" and ws["B2"].value is None
    assert ws["D2"].value == 0.5 and ws["D2"].number_format == "0%"
    assert ws["E2"].value == dt.datetime(2024, 7, 16)
    assert ws["A3"].value == 'a & b < c > d "q"' and ws["B3"].value == " leading"
    assert ws["A4"].value == "控制_x0001_字符_x001F_"  # Excel's escape; openpyxl keeps it
    assert ws["D4"].value == "是" and ws["E4"].value == "否"
    assert ws["C5"].value.endswith("…(已截断)") and len(ws["C5"].value) <= 32767
    assert ws.row_dimensions[5].height > 15  # the long text made its row taller
    assert ws["A9"].value == "小节" and ws["A10"].value == "末行"


def test_a_text_that_looks_like_rich_string_xml_stays_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """XlsxWriter would write '<r>…</r>' raw into the sheet (a broken file); streamed,
    it is text like any other."""
    data = _workbook([["<r>x</r>", "", "", 0, 0]], streamed=True, monkeypatch=monkeypatch)
    assert openpyxl.load_workbook(io.BytesIO(data))["一"]["A2"].value == "<r>x</r>"


def test_rows_go_in_order_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    wb = xlsxwriter.Workbook(io.BytesIO(), OPTIONS)
    st = Styles(wb)
    ws = wb.add_worksheet()
    put_row(ws, 2, ["a"], [8], st)
    with pytest.raises(ValueError, match="row 1"):
        put_row(ws, 1, ["b"], [8], st)
    with pytest.raises(ValueError, match="row 2"):
        put_row(ws, 2, ["c"], [8], st)
    with pytest.raises(TypeError):
        put_row(ws, 3, [float("nan")], [8], st)
    wb.close()
