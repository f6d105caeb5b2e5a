"""Workbooks closed through xlflow._closing: shared strings as XlsxWriter writes them
(byte for byte), except a text that looks like rich-text XML, which stays text; zipped
at level 1; XlsxWriter's own names put back."""

from __future__ import annotations

import datetime as dt
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

from xlflow._closing import _PartZip, close_workbook
from xlflow._xlsxreuse import add_format

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
    assert xlsxwriter.workbook.Packager is xlsxwriter.packager.Packager

    class Broken:
        def close(self) -> None:
            raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        close_workbook(Broken())
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert xlsxwriter.packager.SharedStrings.__module__ == "xlsxwriter.sharedstrings"


def _zip_both(parts: list[tuple[str, bytes]], start: bytes = b"") -> tuple[bytes, bytes]:
    """The same parts zipped by _PartZip and by zipfile at level 1, into files-like
    that already hold `start`."""
    ours, theirs = io.BytesIO(start), io.BytesIO(start)
    ours.seek(len(start))
    theirs.seek(len(start))
    mine = _PartZip(ours, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False)
    reference = zipfile.ZipFile(theirs, "w", compression=zipfile.ZIP_DEFLATED,
                                allowZip64=False, compresslevel=1)
    for n, (name, data) in enumerate(parts):
        for target in (mine, reference):
            info = zipfile.ZipInfo(f"{name}{n}", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED  # as XlsxWriter hands it a part
            if target is mine:
                mine.writestr(info, data)
            else:  # a ZipInfo's level is its own, not the ZipFile's
                reference.writestr(info, data, compresslevel=1)
    mine.close()
    reference.close()
    return ours.getvalue(), theirs.getvalue()


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.tuples(hs.sampled_from(["xl/styles.xml", "xl/表.xml", "a", "[Content_Types].xml"]),
                          hs.binary(max_size=3000) | hs.sampled_from([b"", b"<x/>" * 500])),
                max_size=8),
       hs.binary(max_size=20))
def test_part_zip_writes_zipfiles_bytes(parts: list[tuple[str, bytes]], start: bytes) -> None:
    """Each part twice (under another name): the second time, and in later examples,
    from the deflated parts kept; still the bytes zipfile writes, after other bytes in
    the file too."""
    ours, theirs = _zip_both(parts + parts, start)
    assert ours == theirs


def test_a_workbook_in_memory_is_zipped_by_part_zip_and_reads_back(tmp_path: Path) -> None:
    texts = ["甲", "乙 & 丙", "<r>x</r>"]
    paths = []
    for n in range(2):  # the second workbook's parts come from the first's
        path = tmp_path / f"b{n}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {**OPTIONS, "in_memory": True})
        wb.set_properties({"created": dt.datetime(2024, 7, 8)})
        ws = wb.add_worksheet("表")
        for r, text in enumerate(texts):
            ws.write_string(r, 0, text)
        close_workbook(wb)
        paths.append(path)
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None  # every part's CRC right
            assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        assert [c.value for c in openpyxl.load_workbook(path)["表"]["A"]] == texts
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile


def test_a_workbook_beyond_a_plain_zip_is_refused_not_written_broken(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("xlflow._closing._LIMIT", 100)
    with pytest.raises(zipfile.LargeZipFile):
        _zip_both([("a", bytes(range(256)) * 4)])


STYLE_SETS = [
    [{"bold": True}, {"bg_color": "#FFC7CE", "locked": False}],
    [{"bold": True}, {"bg_color": "#FFC7CE", "locked": True}],  # differs in one property
    [{"bg_color": "#FFC7CE", "locked": False}, {"bold": True}],  # the same, other order
    [{"bold": True}, {"bg_color": "#FFC7CE", "locked": False}],  # the first again
    [{"num_format": "0.0%"}, {"num_format": "yyyy-mm-dd", "italic": True}],
]


def _styled(properties: list[dict[str, object]], *, ours: bool) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**OPTIONS, "in_memory": True})
    ws = wb.add_worksheet("表")
    for r, props in enumerate(properties):
        ws.write_string(r, 0, "x", add_format(wb, props) if ours else wb.add_format(props))
    if ours:
        close_workbook(wb)
    else:
        wb.close()
    return buf.getvalue()


def test_a_style_sheet_written_once_is_each_workbooks_own() -> None:
    """Workbooks alike but for one format property, or the order formats are used in,
    each get the style sheet XlsxWriter writes for them alone."""
    for _ in range(2):  # the second round from the style sheets kept
        for properties in STYLE_SETS:
            assert _part(_styled(properties, ours=True), "xl/styles.xml") == \
                _part(_styled(properties, ours=False), "xl/styles.xml")
