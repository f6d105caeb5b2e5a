"""Every sheet xlflow writes prints well: paper and orientation set, header rows repeated,
wrapped text in rows tall enough to show it, empty tables saying 无, count axes in whole
numbers, local time stamps. The PDF tests print with LibreOffice and read the pages back."""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from xlflow import api
from xlflow.styles import A3, A4, HEADER_FILL, stamp, text_lines

from .conftest import AS_OF, BUILT_AT, SAMPLES, WEEK, file_example, office_binary
from .office import soffice_convert

RUN_AT = dt.datetime(2024, 7, 12, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample project from build to archive; every workbook xlflow writes."""
    tmp = tmp_path_factory.mktemp("print")
    root = tmp / "ug"
    api.init_project(root, example=True)
    file_example(root)
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    merged = api.merge(root, week=WEEK, as_of=AS_OF, run_at=RUN_AT)
    out = {"department": built.departments["技术部"], "master": built.master,
           "consolidated": Path(merged.report_path)}
    # keep the W28 report: the W31 merge below writes its own
    shutil.copy(out["consolidated"], tmp / "w28.xlsx")
    out["consolidated"] = tmp / "w28.xlsx"
    out["meeting"] = api.meeting(root, week=WEEK, built_at=BUILT_AT, pdf=False).workbook
    api.build(root, week="2024-W31", built_at=BUILT_AT)
    w31 = api.merge(root, sorted((SAMPLES / "returns-2024-W31").glob("*.xlsx")),
                    week="2024-W31", as_of=dt.date(2024, 7, 31), run_at=RUN_AT)
    out["consolidated-w31"] = Path(w31.report_path)
    out["acceptance"] = api.accept(root).path
    out["retro"] = api.retro(root).workbook
    out["review"] = api.review(root, month="2024-07").path
    out["resources"] = api.resources([root], out=tmp / "资源冲突.xlsx").path
    archived = api.archive(root, to=tmp / "cases")
    with zipfile.ZipFile(archived.zip) as z:
        (tmp / "index.xlsx").write_bytes(z.read("INDEX.xlsx"))
    out["archive-index"] = tmp / "index.xlsx"
    return out


WORKBOOKS = ["department", "master", "consolidated", "consolidated-w31", "acceptance",
             "retro", "review", "resources", "archive-index", "meeting"]


def _width(ws, col: int) -> float:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43


def _cell_width(ws, cell) -> float:
    """A merged cell's text wraps over the width of every column it spans."""
    for merged in ws.merged_cells.ranges:
        if cell.coordinate in merged:
            return sum(_width(ws, c) for c in range(merged.min_col, merged.max_col + 1))
    return _width(ws, cell.column)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_every_sheet_has_page_setup(walk: dict[str, Path], name: str) -> None:
    wb = openpyxl.load_workbook(walk[name])
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) in (A4, A3), (name, ws.title)
        assert ws.page_setup.orientation in ("portrait", "landscape"), (name, ws.title)
        if ws.sheet_state != "visible":
            continue
        assert ws.sheet_properties.pageSetUpPr.fitToPage, (name, ws.title)
        assert ws.page_setup.fitToWidth in (None, 1), (name, ws.title)  # None: Excel's 1
        assert ws.page_margins.left <= 0.5 and ws.oddFooter.center.text, (name, ws.title)
        header_rows = {c.row for row in ws.iter_rows(max_row=4) for c in row
                       if c.fill.fgColor.rgb == "FF" + HEADER_FILL[1:]
                       and ws.title != "趋势"}  # a sheet of several small tables
        if header_rows:
            assert ws.print_title_rows == f"${min(header_rows)}:${min(header_rows)}", \
                (name, ws.title)


@pytest.mark.parametrize("name", WORKBOOKS)
def test_wrapped_text_rows_are_tall_enough(walk: dict[str, Path], name: str) -> None:
    """Measured loosely on purpose (30 % wider columns than xlflow assumes): a row whose
    text cannot fit on one line has an explicit height for the lines it needs."""
    wb = openpyxl.load_workbook(walk[name])
    checked = 0
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows():
            for cell in row:
                if not (isinstance(cell.value, str) and cell.alignment.wrap_text):
                    continue
                width = _cell_width(ws, cell) * 1.3
                lines = sum(max(1, math.ceil(_display_width(p) / width))
                            for p in cell.value.split("\n"))
                if lines < 2:
                    continue
                height = ws.row_dimensions[cell.row].height
                assert height is not None and height >= 13 * lines, (
                    name, ws.title, cell.coordinate, cell.value, height)
                checked += 1
    if name in ("department", "master", "consolidated"):
        assert checked >= 10, checked  # the check saw multi-line text


def test_department_headers_fit(walk: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(walk["department"])["周进度跟踪表"]
    headers = {c.value.split("\n")[1]: c for c in ws[1]}
    assert "Percent complete" in headers and "People this week" in headers
    for cell in (headers["Percent complete"], headers["People this week"]):
        assert ws.row_dimensions[1].height >= 14 * 4, cell.value  # 2 lines each, wrapped


def test_instructions_rows_show_every_line(walk: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(walk["department"])["填写说明"]
    weekly = next(r for r in ws.iter_rows(min_col=1, max_col=2) if r[0].value == "周进度跟踪表")
    assert weekly[1].value.count("\n") == 4 and "请填写白色单元格" in weekly[1].value
    assert ws.row_dimensions[weekly[1].row].height >= 5 * 14


def test_empty_table_says_nothing_and_stamp_is_local(walk: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(walk["consolidated"])
    issues = wb["校验问题"]
    assert [c.value for c in issues[2]][:2] == ["无", None] and issues.max_row == 2
    assert "生成于 2024-07-12 09:30 (UTC+08:00)" in wb["总览"]["A2"].value


def _chart(path: Path, title: str) -> str:
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    return next(c for c in charts if title in c)


@pytest.mark.parametrize(("name", "title"), [("consolidated", "风险(按等级与状态)"),
                                             ("review", "风险提出与关闭")])
def test_count_axes_are_whole_numbers(walk: dict[str, Path], name: str, title: str) -> None:
    xml = _chart(walk[name], title)
    val_ax = re.search(r"<c:valAx>.*?</c:valAx>", xml, re.S)[0]
    assert '<c:majorUnit val="1"/>' in val_ax and '<c:min val="0"/>' in val_ax
    assert 'formatCode="0"' in val_ax
    top = float(re.search(r'<c:max val="([\d.]+)"/>', val_ax)[1])
    assert top == int(top) >= 1


@pytest.mark.parametrize(("moment", "expected"), [
    ("2024-07-12T09:30:00+08:00", "2024-07-12 09:30 (UTC+08:00)"),
    ("2024-07-12T01:30:59+00:00", "2024-07-12 01:30 (UTC+00:00)"),
    (dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30))),
     "2024-01-02 03:04 (UTC-05:30)"),
])
def test_stamp(moment, expected: str) -> None:
    assert stamp(moment) == expected


@pytest.mark.parametrize(("text", "width", "lines"), [
    ("", 10, 1), ("T01", 10, 1), ("一二三四五", 11, 1), ("一二三四五六", 11, 2),
    ("Percent complete", 10, 2), ("完成百分比 *\nPercent complete", 10, 4),
    ("a\n\nb", 50, 3), ("x" * 64, 34, 2),
])
def test_text_lines(text: str, width: float, lines: int) -> None:
    assert text_lines(text, width) == lines


def _greedy_lines(text: str, width: float) -> int:
    """The model: a spreadsheet's greedy wrap, one character or Latin word at a time
    (CJK characters break anywhere; a word wider than the line is broken)."""
    import unicodedata
    usable = max(width - 1, 1.0)
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for word in re.findall(r"[^\s\u2e80-\uffef]+\s*|[\u2e80-\uffef]\s*|\s+", paragraph):
            stripped = word.rstrip()
            w: float = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                           for ch in stripped)
            if used and used + w > usable:
                lines, used = lines + 1, 0.0
            while w > usable:
                w -= usable
                lines += 1
            used += w + len(word) - len(stripped)
        total += lines
    return total


_WRAP_CHARS = "一二三四五六七八九十，。、ｱｲｳ\u3000 abcXYZ019-%\t😀"


@settings(max_examples=400, deadline=None)
@given(hs.text(alphabet=_WRAP_CHARS, max_size=90).map(lambda t: t.replace("\t", "\n")),
       hs.sampled_from([1, 1.5, 2, 2.5, 3, 4, 7.5, 8, 10, 11, 12, 18, 30.5, 40]))
def test_text_lines_is_the_greedy_wrap(text: str, width: float) -> None:
    assert text_lines(text, width) == _greedy_lines(text, width)


# -- printed with LibreOffice ----------------------------------------------------------

A4_PT, A3_PT = (595, 842), (842, 1191)


def _pdf(src: Path, outdir: Path) -> list[tuple[tuple[int, int], str]]:
    """(width, height) in points and the text of each page."""
    office_binary("pdftotext")
    pdf = soffice_convert(src, outdir, "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    found = [(round(float(w)), round(float(h)))
             for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)]
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
             for n in range(1, pages + 1)]
    assert len(found) == len(texts) == pages
    return list(zip(found, texts, strict=True))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.office
def test_department_workbook_prints_every_instruction_line(walk: dict[str, Path],
                                                           tmp_path: Path) -> None:
    pages = _pdf(walk["department"], tmp_path)
    assert len(pages) == 6
    assert all(sorted(size) == list(A4_PT) for size, _ in pages)
    first = _squash(pages[0][1])
    ws = openpyxl.load_workbook(walk["department"])["填写说明"]
    lines = [line for row in ws.iter_rows(values_only=True) for value in row if value
             for line in str(value).split("\n")]
    assert len(lines) > 20
    missing = [line for line in lines if _squash(line) not in first]
    assert missing == []


@pytest.mark.office
def test_master_prints_on_a4(walk: dict[str, Path], tmp_path: Path) -> None:
    pages = _pdf(walk["master"], tmp_path)
    assert len(pages) == 7  # 申请表, 职责分工表, 需求共识纪要, 合作方案 (2), 风险应对, 甘特图
    gantt = [size for size, text in pages if text.strip().startswith("甘特图")]
    assert gantt == [(A3_PT[1], A3_PT[0])]  # the 甘特图 on one A3 landscape page
    assert all(sorted(size) == list(A4_PT) for size, text in pages
               if not text.strip().startswith("甘特图"))
    assert pages[0][0] == A4_PT  # the request form, portrait, on one page
    assert "跨部门合作需求申请表" in pages[0][1] and "审批人签字" in pages[0][1]
    plan = [(size, text) for size, text in pages if text.lstrip().startswith("合作方案")]
    assert len(plan) == 2 and all(size == A4_PT for size, _ in plan)  # portrait
    assert "一、项目概况" in plan[0][1] and "七、签字确认" in plan[-1][1]
    assert all(name in plan[-1][1] for name in ("王晓", "李娜", "刘强", "孙磊", "分管副总 陈明"))
    assert "跨部门合作方案" in plan[-1][1]  # the title row repeats on every page


@pytest.mark.office
def test_consolidated_report_prints_in_few_pages(walk: dict[str, Path],
                                                 tmp_path: Path) -> None:
    pages = _pdf(walk["consolidated"], tmp_path)
    assert len(pages) <= 9, [t.strip()[:30] for _, t in pages]
    by_title = {}
    for size, text in pages:
        by_title.setdefault(text.strip().split(" · ")[0], []).append((size, text))
    assert list(by_title) == ["2024年Q3用户增长活动", "周进度跟踪表", "甘特图", "风险登记册", "成果验收",
                              "本周变化", "校验问题", "来源文件"]
    for title, printed in by_title.items():
        wide = title in ("周进度跟踪表", "甘特图", "风险登记册")
        # one page each; the wide tables on A3 landscape, the rest on A4 landscape
        assert [size for size, _ in printed] == [(A3_PT[1], A3_PT[0]) if wide
                                                 else (A4_PT[1], A4_PT[0])], title
    tracker = by_title["周进度跟踪表"][0][1]
    assert "任务编号" in tracker and "来源" in tracker and "T08" in tracker
    assert "无" in by_title["校验问题"][0][1]
    gantt = by_title["甘特图"][0][1]  # every task and milestone row on the one page
    assert all(t in gantt for t in ("T01", "T08", "M4", "◆ 数据复盘", "7-30"))
    assert "生成于 2024-07-12 09:30 (UTC+08:00)" in by_title["2024年Q3用户增长活动"][0][1]

