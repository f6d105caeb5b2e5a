"""Workbooks closed through xlflow._closing: shared strings as XlsxWriter writes them
(byte for byte), except a text that looks like rich-text XML, which stays text; zipped
at level 1; XlsxWriter's own names put back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlsxwriter.packager
import xlsxwriter.workbook
from hypothesis import given, settings
from hypothesis import strategies as hs
from python_calamine import CalamineWorkbook

from xlflow._closing import close_workbook

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def _book(texts: list[str], *, ours: bool) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, OPTIONS)
    ws = wb.add_worksheet("表")
    for r, text in enumerate(texts):
        ws.write_string(r, 0, text)
        ws.write_string(r, 1, text)  # each text twice: one shared string
    if ours:
        close_workbook(wb)
    else:
        wb.close()
    return buf.getvalue()


def _part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


ODD = ["", "文本", "a & b < c > d \"q\"", " leading", "trailing ", "控制\x01字符\x1f",
       "\x1cstarts", "_x0041_ literal", "line\nbreak", "x" * 40000, "😀" * 20000,
       "\ufffe\uffff", "\t tab", "\n", "<r>", "</r>", "<r/>"]


def _not_rich(text: str) -> bool:
    return not (text.startswith("<r>") and text.endswith("</r>"))


@settings(max_examples=150, deadline=None)
@given(hs.lists(hs.text(max_size=60).filter(_not_rich), max_size=12))
def test_shared_strings_are_xlsxwriters_own_bytes(texts: list[str]) -> None:
    texts = [*ODD, *texts]
    ours, theirs = _book(texts, ours=True), _book(texts, ours=False)
    assert _part(ours, "xl/sharedStrings.xml") == _part(theirs, "xl/sharedStrings.xml")
    assert _part(ours, "xl/worksheets/sheet1.xml") == _part(theirs, "xl/worksheets/sheet1.xml")


def test_a_text_that_looks_like_rich_text_xml_stays_text(tmp_path: Path) -> None:
    """XlsxWriter alone writes it raw, a file Excel must repair: kept as typed."""
    texts = ["<r>x</r>", "<r><t>加粗</t></r>", "<r>未闭合"]
    assert b"<si><r>x</r></si>" in _part(_book(texts, ours=False), "xl/sharedStrings.xml")
    path = tmp_path / "rich.xlsx"
    path.write_bytes(_book(texts, ours=True))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in sheet] == texts
    assert [c.value for c in openpyxl.load_workbook(path)["表"]["B"]] == texts


def test_zipped_at_level_1_and_xlsxwriter_is_put_back() -> None:
    texts = [f"任务 {r} 进行中" + "说明" * (r % 7) for r in range(2000)]
    ours, theirs = _book(texts, ours=True), _book(texts, ours=False)
    assert len(ours) > len(theirs)  # level 1 packs less than XlsxWriter's level 6
    with zipfile.ZipFile(io.BytesIO(ours)) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
    assert _part(ours, "xl/worksheets/sheet1.xml") == _part(theirs, "xl/worksheets/sheet1.xml")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert xlsxwriter.packager.SharedStrings.__module__ == "xlsxwriter.sharedstrings"

    class Broken:
        def close(self) -> None:
            raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        close_workbook(Broken())
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert xlsxwriter.packager.SharedStrings.__module__ == "xlsxwriter.sharedstrings"
