"""Rows streamed as XML (xlflow._sheetxml) are the rows XlsxWriter writes itself, byte
for byte, and what spreadsheet readers read back."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as hs

from xlflow import _sheetxml
from xlflow.report import _common
from xlflow.report._common import put_row, put_rows
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


def _table_workbook(rows: list[list[Any]], *, streamed: bool,
                    monkeypatch: pytest.MonkeyPatch) -> bytes:
    """One put_rows call for the whole table (rows are made in batches), with a
    format per column for some columns, between XlsxWriter's header and note."""
    monkeypatch.setattr(_common, "supported", _sheetxml.supported if streamed else lambda ws: False)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, OPTIONS)
    wb.set_properties({"created": dt.datetime(2024, 7, 12)})
    st = Styles(wb)
    ws = wb.add_worksheet("表")
    widths = [*WIDTHS, 14]
    _common.headers(ws, 0, list(zip("ABCDEF", widths, strict=True)), st)
    end = put_rows(ws, 1, iter(rows), widths, st, {3: st.pct, 4: st.dec})
    ws.write_string(end, 0, "末行", st.note)
    wb.close()
    return buf.getvalue()


def test_a_long_table_streams_as_xlsxwriter_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns whose kind of value changes far down (formats first used in a later batch
    of rows, by several columns in one batch, in an order other than the columns'),
    texts that recur past those kept, texts that never recur, texts to escape or wrap
    among plain ones."""
    import random

    rnd = random.Random(7)
    kinds: list[list[Any]] = [
        ["文本", "a & b", "多行\n文字", " 前导", "很长的一段说明文字," * 5, "", None, True],
        [None, "", dt.date(2024, 7, 1), dt.datetime(2024, 7, 1, 9, 30), 3, 2.5],
        [f"t{i}" for i in range(400)] + ["_x0041_", "控制\x01"],
        [None, 0.25, 1, "", False],
        [None, 7, 1.5, dt.date(2024, 8, 1), "文本"],
    ]
    opened = [2, 700, 1, 1100, 600]  # each column's first two kinds until this row, then any
    rows = []
    for r in range(1300):
        rows.append([rnd.choice(pool if r >= opened[c] else pool[:2])
                     for c, pool in enumerate(kinds)])
        # a column of texts that never recur (past those kept), some to escape, some blank
        rows[-1].append("" if r % 97 == 0 else f"_x{r:04}_" if r % 89 == 0 else
                        f"第 {r} 行" * (r % 5))
    plain = _parts(_table_workbook(rows, streamed=False, monkeypatch=monkeypatch))
    fast = _parts(_table_workbook(rows, streamed=True, monkeypatch=monkeypatch))
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
    put_rows(ws, 4, [["d"], ["e"]], [8], st)
    ws.write_string(5, 3, "x")  # XlsxWriter given a cell of a row written as XML
    with pytest.raises(ValueError, match="row 5 was written here"):
        put_row(ws, 6, ["f"], [8], st)
    wb.close()


def test_streamed_rows_keep_their_order_around_xlsxwriters(tmp_path: Path) -> None:
    """Batched rows, rows XlsxWriter writes between them and a row height set ahead."""
    path = tmp_path / "order.xlsx"
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    st = Styles(wb)
    ws = wb.add_worksheet()
    put_rows(ws, 0, ([f"r{r}", r] for r in range(1500)), [8, 8], st)
    ws.write_string(1500, 0, "xlsxwriter")
    ws.set_row(1700, 30)
    put_rows(ws, 1501, ([f"s{r}", r] for r in range(199)), [8, 8], st)
    with pytest.raises(ValueError, match="row 1700"):
        put_row(ws, 1700, ["t", 0], [8, 8], st)
    put_rows(ws, 1701, [["u", 1]], [8, 8], st)
    wb.close()
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[:1500] == [(f"r{r}", r) for r in range(1500)]
    assert rows[1500] == ("xlsxwriter", None)
    assert rows[1501:1700] == [(f"s{r}", r) for r in range(199)]
    assert rows[1700:] == [(None, None), ("u", 1)]


# --- held rows (ordinary workbooks: the department workbooks) ---------------------------

def _held_workbook(rows: list[list[Any]], *, held: bool) -> bytes:
    """A header and a note below written by XlsxWriter, a comment in the table, formats
    first used in the table, rows with heights, the table's rows held or written cell by
    cell with the same calls the department writer makes."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**OPTIONS, "constant_memory": False, "in_memory": True})
    wb.set_properties({"created": dt.datetime(2024, 7, 12)})
    other = wb.add_worksheet("说明")
    other.write_string(0, 0, "说明", wb.add_format({"bold": True}))
    ws = wb.add_worksheet("表")
    fmts = [wb.add_format({"locked": c % 2 == 0, "num_format": ["@", "0%", "yyyy-mm-dd",
                                                                 "General", "0.00"][c]})
            for c in range(5)]
    ws.write_string(0, 0, "表头", wb.add_format({"bold": True, "bg_color": "#DDEBF7"}))
    keeper = _sheetxml.held_rows(ws) if held else None
    section = wb.add_format({"bold": True, "font_color": "#1F4E79"})
    late = wb.add_format({"italic": True, "num_format": "0.000"})
    for r, values in enumerate(rows, start=1):
        if r % 4 == 0:  # a row XlsxWriter writes between held rows, in a format of its own
            ws.write_string(r, 0, "小节", section)
            continue
        height = 30.0 if r % 3 == 0 else None
        fmts[4] = late if r > 5 else fmts[3]  # a format first used further down
        if keeper is not None:
            cells = []
            for value, fmt in zip(values, fmts, strict=True):
                if value is None or value == "":
                    cells.append(("b", None, fmt))
                elif isinstance(value, bool):
                    cells.append(("bool", value, fmt))
                elif isinstance(value, dt.date):
                    cells.append(("n", ws._convert_date_time(
                        dt.datetime.combine(value, dt.time())), fmt))
                elif isinstance(value, (int, float)):
                    cells.append(("n", value, fmt))
                else:
                    cells.append(("s", value, fmt))
            keeper.row(r, cells, height)
        else:
            if height is not None:
                ws.set_row(r, height)
            for c, (value, fmt) in enumerate(zip(values, fmts, strict=True)):
                if value is None or value == "":
                    ws.write_blank(r, c, None, fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value, fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value, fmt)
                else:
                    ws.write_string(r, c, value, fmt)
    if rows:
        ws.write_comment(1, 1, "批注")
    ws.write_string(len(rows) + 2, 0, "填报人", wb.add_format({"italic": True}))
    ws.set_row(len(rows) + 2, 40)
    wb.close()
    return buf.getvalue()


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.lists(value, min_size=5, max_size=5), max_size=40))
def test_held_rows_are_the_rows_xlsxwriter_writes(rows: list[list[Any]]) -> None:
    assert _parts(_held_workbook(rows, held=True)) == _parts(_held_workbook(rows, held=False))


def test_held_rows_go_once() -> None:
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet()
    fmt = wb.add_format()
    keeper = _sheetxml.held_rows(ws)
    assert keeper is not None and _sheetxml.held_rows(ws) is keeper
    keeper.row(1, [("s", "a", fmt)])
    with pytest.raises(ValueError, match="row 1"):
        keeper.row(1, [("s", "b", fmt)])
    ws.write_string(1, 3, "x")  # XlsxWriter given a cell of a held row: refused on closing
    with pytest.raises(ValueError, match="row 1"):
        wb.close()


def test_built_workbooks_are_the_same_with_rows_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every workbook `build` writes (departments, risk forms, the PMO master with its
    merged 合作方案 rows, identity and list sheets) is the same, part for part, whether
    its rows are held as XML, its formats copied and its validations rendered once
    (xlflow._xlsxreuse), or all of it done cell by cell through XlsxWriter."""
    import shutil
    import uuid

    from xlflow import _xlsxreuse, api
    from xlflow.writer import _identity, _sheet, plan

    from .golden import BUILT_AT, WEEK

    source = tmp_path / "ug"
    api.init_project(source, example=True)
    api.opinion(source, department="运营部", by="运营总监", text="同意")
    api.approve(source, by="分管副总 陈明", note="同意")
    api.file_project(source, by="PMO 王芳")
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))
    built = {}
    for held in (True, False):
        root = tmp_path / f"held-{held}"
        shutil.copytree(source, root)
        with monkeypatch.context() as mp:
            if not held:
                mp.setattr(_xlsxreuse, "supported", lambda obj: False)
                for module in (_identity, _sheet, plan, _common):
                    if hasattr(module, "held_rows"):
                        mp.setattr(module, "held_rows", lambda ws: None)
            result = api.build(root, week=WEEK, built_at=BUILT_AT)
        files = [result.master, *result.departments.values(), *result.risk_forms.values()]
        built[held] = {p.relative_to(root).as_posix(): _parts(p.read_bytes()) for p in files}
    assert built[True].keys() == built[False].keys() and len(built[True]) > 3
    for name, parts in built[True].items():
        other = built[False][name]
        assert parts.keys() == other.keys(), name
        for part in parts:
            if part != "docProps/core.xml":
                assert parts[part] == other[part], f"{name}: {part}"
