"""One value far away must not make the reader allocate the grid up to it: each sheet's
extent is known from the package before calamine loads it (issue #10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow._package import Extent, Package
from xlflow.simulate import fill_workbook

from . import hostile
from .conftest import AS_OF, WEEK, department_file
from .test_hostile import GOOD_FIELDS, GOOD_WEEKLY

MEMORY_CAP = 1536 << 20  # a regression aborts the child instead of eating the machine


def _with_added_sheet(path: Path, ref: str, name: str = "备注") -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet(name)
    ws["A1"], ws[ref] = "补充说明", "远处的值"
    wb.save(path)
    return path


@pytest.fixture
def inbox(built, tmp_path: Path) -> Path:
    """A good return, one whose 周进度跟踪表 reaches XFD50000 (its <dimension> still says
    A1:N6) and one with an added sheet reaching XFD1048576."""
    root = built.project.root
    fill_workbook(department_file(built, "技术部", root / "inbox", "技术部.xlsx"),
                  weekly=GOOD_WEEKLY)
    hostile.far_value(built.departments["运营部"], "周进度跟踪表", "XFD50000",
                      root / "inbox" / "运营部-远.xlsx")
    _with_added_sheet(department_file(built, "市场部", root / "inbox", "市场部-备注.xlsx"),
                      "XFD1048576")
    return root


def _capped(*args: str) -> subprocess.CompletedProcess[str]:
    if os.name != "posix":
        pytest.skip("the memory cap needs POSIX setrlimit")
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "xlflow", *args], preexec_fn=cap, env=env,
                          capture_output=True, text=True, timeout=300)


def test_merge_refuses_the_far_sheet_by_name_and_merges_the_others(inbox: Path) -> None:
    result = _capped("merge", str(inbox), "--week", WEEK, "--as-of", AS_OF.isoformat())
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "读取文件:3 个(采用 2 个)" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.strip().startswith("✗ 运营部-远.xlsx / 周进度跟踪表 / XFD50000: "
                                       "工作表「周进度跟踪表」的数据延伸到 XFD50000") for line in lines)
    assert any(line.strip().startswith("! 市场部-备注.xlsx / 备注 / XFD1048576: "
                                       "工作表「备注」的数据延伸到 XFD1048576") for line in lines)
    report = api.merge(inbox, as_of=AS_OF, week=WEEK, write=False)
    assert [(f.name, f.accepted) for f in report.files] == [
        ("市场部-备注.xlsx", True), ("技术部.xlsx", True), ("运营部-远.xlsx", False)]
    assert report.tasks[2].percent == 80


def test_validate_refuses_the_far_sheet_under_a_memory_cap(inbox: Path) -> None:
    files = sorted(str(p) for p in (inbox / "inbox").iterdir())
    result = _capped("validate", *files, "--as-of", AS_OF.isoformat())
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "运营部-远.xlsx / 周进度跟踪表 / XFD50000" in result.stdout
    assert "市场部-备注.xlsx / 备注 / XFD1048576" in result.stdout


@pytest.mark.parametrize("ref, read", [("XFD1", True), ("EU20000", False), ("A100001", False)])
def test_an_added_sheet_is_read_only_within_the_cell_budget(built, tmp_path: Path, ref: str,
                                                            read: bool) -> None:
    path = _with_added_sheet(fill_workbook(department_file(built, "技术部", tmp_path),
                                           weekly=GOOD_WEEKLY), ref)
    report = api.merge(built.project.root, [path], as_of=AS_OF, week=WEEK, write=False)
    found = [(i.code, i.severity.value, i.cell) for i in report.issues if i.sheet == "备注"]
    assert found == ([("extra-sheet", "warning", "")] if read else
                     [("sheet-too-large", "warning", ref)])
    assert report.files[0].accepted and report.tasks[2].percent == 80


def test_a_template_sheet_wider_than_200_columns_refuses_the_file(built, tmp_path: Path) -> None:
    path = hostile.far_value(built.departments["技术部"], "风险应对申请表", "GS5",
                             tmp_path / "wide.xlsx")
    report = api.merge(built.project.root, [path], as_of=AS_OF, week=WEEK, write=False)
    assert [(i.code, i.sheet, i.cell) for i in report.issues if i.is_error] == [
        ("sheet-too-large", "风险应对申请表", "GS31")]  # the far corner, as Ctrl+End finds it
    assert "超过 200 列" in report.files[0].reason and not report.files[0].accepted


def test_a_renamed_template_is_found_without_loading_a_huge_added_sheet(good_renamed) -> None:
    root, path = good_renamed
    report = api.merge(root, [path], as_of=AS_OF, week=WEEK, write=False)
    assert report.errors == 0
    assert [(i.code, i.sheet) for i in report.issues if i.file == path.name] == [
        ("sheet-too-large", "巨表"), ("renamed-sheet", "进度")]
    assert report.tasks[2].percent == 80


@pytest.fixture
def good_renamed(built, tmp_path: Path) -> tuple[Path, Path]:
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly=GOOD_WEEKLY,
                         fields=GOOD_FIELDS)
    hostile.rewrite_sheet(path, "周进度跟踪表", lambda rows: rows, name="进度")
    _with_added_sheet(path, "XFD1048576", name="巨表")
    return built.project.root, path


# -- the extent itself: from the cells, whatever <dimension> says ---------------------------

def _extent(built, tmp_path: Path, edit) -> Extent:
    src = built.departments["技术部"]
    member = hostile.sheet_member(src, "周进度跟踪表")
    import zipfile

    with zipfile.ZipFile(src) as z:
        xml = z.read(member).decode()
    out = hostile.replace_member(src, member, edit(xml).encode(), tmp_path / "x.xlsx")
    with Package(out) as package:
        return package.extent("周进度跟踪表")


def _far(cell: str, row: int) -> str:
    return f'<row r="{row}">{cell}</row></sheetData>'


EXTENTS = {
    "as built": (lambda x: x, Extent(6, 14, "A1:N6")),
    "dimension lies": (lambda x: x.replace("</sheetData>", _far(
        '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>', 1048576)), Extent(1048576, 16384, "A1:N6")),
    "no dimension": (lambda x: x.replace('<dimension ref="A1:N6"/>', "").replace(
        "</sheetData>", _far('<c r="Z9"><v>1</v></c>', 9)), Extent(9, 26, "")),
    "formatted empty cell far away": (lambda x: x.replace("</sheetData>", _far(
        '<c r="XFD1048576" s="3"/>', 1048576)), Extent(6, 14, "A1:N6")),
    "dimension claims the whole sheet": (lambda x: x.replace('ref="A1:N6"', 'ref="A1:XFD1048576"'),
                                         Extent(6, 14, "A1:XFD1048576")),
    "cells without references": (lambda x: x.replace("</sheetData>", _far(
        "<c><v>1</v></c>" * 30, 7)), Extent(7, 30, "A1:N6")),
    # what the dimension's proof (every cell `<c r="A1"`, none beyond) must not let by
    "a cell tag broken over a line": (lambda x: x.replace("</sheetData>", _far(
        '<c\nr="XFD1048576"><v>1</v></c>', 1048576)), Extent(1048576, 16384, "A1:N6")),
    "the reference not the first attribute": (lambda x: x.replace("</sheetData>", _far(
        '<c s="1" r="Z9"><v>1</v></c>', 9)), Extent(9, 26, "A1:N6")),
}


@pytest.mark.parametrize("case", EXTENTS)
def test_extent_comes_from_the_cells(built, tmp_path: Path, case: str) -> None:
    edit, expected = EXTENTS[case]
    assert _extent(built, tmp_path, edit) == expected


# -- .ods and .xls: calamine loads every sheet when it opens them ---------------------------

@pytest.mark.office
def test_far_values_in_ods_and_xls_refuse_the_file_before_calamine_opens_it(
        built, tmp_path: Path) -> None:
    from .office import soffice_convert

    far = department_file(built, "技术部", tmp_path, "远.xlsx")
    wb = openpyxl.load_workbook(far)
    wb["复盘反馈"]["XFD1048576"] = 1  # LibreOffice keeps it: ~1000 bytes of repeated cells
    wb.save(far)
    far_ods = soffice_convert(far, tmp_path / "ods", "ods")
    wide = department_file(built, "运营部", tmp_path)
    wb = openpyxl.load_workbook(wide)
    wb.create_sheet("备注")["IV65536"] = "远处的值"  # the last cell an .xls has
    wb.save(wide)
    far_xls = soffice_convert(wide, tmp_path / "xls", "xls")
    result = _capped("validate", str(far_ods), str(far_xls), "--as-of", AS_OF.isoformat())
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "远.ods / 复盘反馈 / XFD1048576: 工作表「复盘反馈」的数据延伸到 XFD1048576" in result.stdout
    # an added sheet cannot be skipped: calamine would load it with the others
    assert "运营部.xls / 备注 / IV65536: 工作表「备注」的数据延伸到 IV65536" in result.stdout
