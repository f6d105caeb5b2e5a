"""The corpus of bad, hostile and messy inputs: each gets a clear message naming the
file (and sheet, cell), and the run goes on with the other files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.simulate import fill_workbook

from . import hostile
from .conftest import AS_OF, WEEK, department_file

GOOD_WEEKLY = {"T03": {"实际完成情况": "联调中", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                       "偏差原因": "接口延迟"},
               "T04": {"实际完成情况": "测试中", "完成百分比": "40%"}}
GOOD_FIELDS = {"周进度跟踪表": {"填报人": "陈杰", "填报日期": "2024-07-12"}}


def merge(root: Path, files) -> api.MergeReport:
    return api.merge(root, files, as_of=AS_OF, week=WEEK)


@pytest.fixture
def good(built, tmp_path: Path) -> Path:
    return fill_workbook(department_file(built, "技术部", tmp_path, "good.xlsx"),
                         weekly=GOOD_WEEKLY, fields=GOOD_FIELDS)


# -- files that are refused ------------------------------------------------------------

def _not_a_workbook(built, d: Path) -> Path:
    (d / "notes.xlsx").write_text("这不是表格", encoding="utf-8")
    return d / "notes.xlsx"


def _empty(built, d: Path) -> Path:
    (d / "empty.xlsx").touch()
    return d / "empty.xlsx"


def _directory(built, d: Path) -> Path:
    (d / "folder.xlsx").mkdir()
    return d / "folder.xlsx"


def _truncated(built, d: Path) -> Path:
    return hostile.truncated(built.departments["运营部"], d / "truncated.xlsx")


def _corrupt_member(built, d: Path) -> Path:
    return hostile.replace_member(built.departments["运营部"], "xl/workbook.xml", b"<workbook",
                                  d / "corrupt.xlsx")


def _encrypted(built, d: Path) -> Path:
    return hostile.encrypt(built.departments["运营部"], d / "encrypted.xlsx")


def _pdf(built, d: Path) -> Path:
    (d / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    return d / "scan.pdf"


def _zip_bomb(built, d: Path) -> Path:
    return hostile.zip_bomb(d / "bomb.xlsx")


def _billion_laughs(built, d: Path) -> Path:
    return hostile.replace_member(built.departments["运营部"], "xl/sharedStrings.xml",
                                  hostile.BILLION_LAUGHS, d / "laughs.xlsx")


def _external_entity(built, d: Path) -> Path:
    return hostile.replace_member(built.departments["运营部"], "xl/sharedStrings.xml",
                                  hostile.EXTERNAL_ENTITY, d / "xxe.xlsx")


def _master(built, d: Path) -> Path:
    return built.master


def _no_identity_no_department(built, d: Path) -> Path:
    path = department_file(built, "运营部", d, "anonymous.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["_xlflow"]
    for name in ("周进度跟踪表", "风险应对申请表", "成果验收确认单"):
        del wb[name]
    wb.save(path)
    return path


REFUSED = [
    (_not_a_workbook, "not-a-workbook"), (_empty, "empty-file"), (_directory, "not-a-file"),
    (_truncated, "not-a-workbook"), (_corrupt_member, "not-a-workbook"),
    (_encrypted, "encrypted"), (_pdf, "not-a-workbook"), (_zip_bomb, "zip-bomb"),
    (_billion_laughs, "unsafe-xml"), (_external_entity, "unsafe-xml"),
    (_master, "not-a-department-file"), (_no_identity_no_department, "no-identity"),
]


@pytest.mark.parametrize("make, code", REFUSED, ids=[m.__name__.strip("_") for m, _ in REFUSED])
def test_refused_file_is_named_and_the_run_goes_on(built, good: Path, tmp_path: Path,
                                                   make, code: str) -> None:
    bad = make(built, tmp_path)
    report = merge(built.project.root, [bad, good])
    errors = [(i.file, i.code) for i in report.issues if i.is_error]
    assert errors == [(bad.name, code)]
    assert [(f.name, f.accepted) for f in report.files] == [(bad.name, False), ("good.xlsx", True)]
    assert report.files[0].reason  # the 来源文件 sheet says why
    assert report.tasks[2].percent == 80  # the good file still counts


def test_cli_names_every_bad_file_without_a_traceback(runner: CliRunner, built, good: Path,
                                                      tmp_path: Path) -> None:
    inbox = built.project.root / "inbox"
    for make, _ in REFUSED:
        src = make(built, tmp_path)
        if src.is_dir():
            (inbox / src.name).mkdir()
        else:
            (inbox / src.name).write_bytes(src.read_bytes())
    (inbox / "good.xlsx").write_bytes(good.read_bytes())
    (inbox / "~$good.xlsx").write_bytes(b"owner file of an open workbook")
    result = runner.invoke(cli, ["merge", str(built.project.root), "--week", WEEK,
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for name in ("notes.xlsx", "empty.xlsx", "encrypted.xlsx", "bomb.xlsx", "laughs.xlsx"):
        assert name in result.output
    assert "~$good.xlsx" not in result.output  # office lock files are ignored
    # in the inbox a directory is a folder to look into (e.g. one per week), so the
    # empty "folder.xlsx" adds no file; named on the command line it is refused (above)
    assert f"读取文件:{len(REFUSED)} 个(采用 1 个)" in result.output


def test_macros_are_read_never_run(built, good: Path, tmp_path: Path) -> None:
    xlsm = hostile.with_macros(good, tmp_path / "macro.xlsm")
    report = merge(built.project.root, [xlsm])
    assert [(i.code, i.severity.value) for i in report.issues if i.file == "macro.xlsm"] == [
        ("macros", "warning")]
    assert report.tasks[2].percent == 80


def test_still_open_lock_files_are_ignored_when_named(built, good: Path) -> None:
    inbox = built.project.root / "inbox"
    (inbox / "good.xlsx").write_bytes(good.read_bytes())
    (inbox / "~$good.xlsx").write_bytes(b"x")
    (inbox / ".~lock.good.xlsx#").write_text("LibreOffice lock")
    assert api.list_inbox(built.project.root) == [inbox / "good.xlsx"]


# -- workbooks that people changed ---------------------------------------------------------

def _edit(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def test_reordered_deleted_and_added_columns(good: Path, built) -> None:
    def shuffle(rows):
        order = [4, 0, 5, 1, 3, 2, 6, 7, 8, 9]  # 解决措施 and 需协调事项 deleted
        out = [[row[i] for i in order] + [None] for row in rows]
        out[0][-1] = "备注"
        out[1][-1] = "自己加的列"
        return out

    hostile.rewrite_sheet(good, "周进度跟踪表", shuffle)
    report = merge(built.project.root, [good])
    assert report.errors == 0
    assert (report.tasks[2].percent, report.tasks[2].forecast) == (80, dt.date(2024, 7, 16))
    extra = [(i.code, i.cell, i.value) for i in report.issues if i.code == "unknown-column"]
    assert extra == [("unknown-column", "K2", "自己加的列")]


def test_renamed_sheet_and_header_moved_down(good: Path, built) -> None:
    hostile.rewrite_sheet(good, "周进度跟踪表", lambda rows: [["技术部第28周"], [], *rows],
                          name="进度")
    report = merge(built.project.root, [good])
    assert report.errors == 0
    assert {i.code for i in report.issues} >= {"renamed-sheet", "moved-header"}
    assert report.tasks[2].percent == 80 and report.tasks[2].source.row == 4


def test_identity_sheet_removed_is_refused_when_the_week_was_sent_signed(good: Path,
                                                                         built) -> None:
    """Without `_xlflow` the 部门 column is all that says whose file it is, and it can be
    typed over: a week whose files went out signed takes no file without its identity."""
    _edit(good, lambda wb: wb.remove(wb["_xlflow"]))
    report = merge(built.project.root, [good])
    assert [(f.department, f.accepted) for f in report.files] == [("", False)]
    assert [(i.code, i.severity.value) for i in report.issues if i.file == "good.xlsx"] == [
        ("no-identity", "error")]
    assert "带签名标识" in report.files[0].reason


def test_identity_sheet_removed_department_from_the_table_before_signing(good: Path,
                                                                         built) -> None:
    """A week built by an xlflow that did not sign (no built_files): the 部门 column
    identifies the file, with a warning, as before."""
    import sqlite3

    from xlflow.ledger import LEDGER_FILE

    with sqlite3.connect(built.project.root / LEDGER_FILE) as db:
        db.execute("DELETE FROM built_files")
    db.close()
    _edit(good, lambda wb: wb.remove(wb["_xlflow"]))
    report = merge(built.project.root, [good])
    assert [(f.department, f.accepted) for f in report.files] == [("技术部", True)]
    assert ("no-identity", "warning") in [(i.code, i.severity.value) for i in report.issues]
    assert report.tasks[2].percent == 80


def test_error_cells_and_formulas_without_values_are_reported(good: Path, built) -> None:
    def edit(wb):
        ws = wb["周进度跟踪表"]
        ws["F2"].value = "#N/A"
        ws["F2"].data_type = "e"
        ws["H3"].value = "=TODAY()+3"  # openpyxl saves no cached value, like some tools
        ws["E3"].value = "测试中"
    _edit(good, edit)
    report = merge(built.project.root, [good])
    assert [(i.cell, i.code, i.value) for i in report.issues if i.is_error] == [
        ("F2", "cell-error", "#N/A"), ("H3", "formula-no-value", "=TODAY()+3")]


def test_formulas_with_cached_values_are_read(good: Path, built, tmp_path: Path) -> None:
    from .office import soffice_convert

    _edit(good, lambda wb: setattr(wb["周进度跟踪表"]["F3"], "value", "=20%*2"))
    resaved = soffice_convert(good, tmp_path / "lo")  # computes and caches the result
    report = merge(built.project.root, [resaved])
    assert report.errors == 0, [str(i) for i in report.issues]
    assert report.tasks[3].percent == 40


def test_merged_cells_hidden_rows_filters_and_empty_formatted_rows(good: Path, built) -> None:
    def edit(wb):
        ws = wb["周进度跟踪表"]
        ws.protection.sheet = False
        ws.merge_cells("I2:I3")
        ws.row_dimensions[3].hidden = True
        ws.auto_filter.ref = "A1:K3"
        for r in range(4, 3000):
            ws.cell(r, 5).style = "Good"
    _edit(good, edit)
    report = merge(built.project.root, [good])
    assert report.errors == 0
    found = {(i.code, i.message.split(";")[0]) for i in report.issues}
    assert ("merged-cells", "合并单元格 I2:I3") in found
    assert ("hidden-row", "第 3 行是隐藏行,其内容仍已读取") in found
    assert report.tasks[3].percent == 40  # the hidden row still counts


def test_messy_text_values(built, tmp_path: Path) -> None:
    long_text = "很长的说明" * 3000  # 15,000 characters
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "上线 🚀 完成", "完成百分比": "１００％", "实际完成日期": "2024年7月11日"},
        "T04": {"实际完成情况": long_text, "完成百分比": " 45 ", "预计完成日期": "7/15",
                "偏差原因": "等 T03"}})
    report = merge(built.project.root, [path])
    assert report.errors == 0
    t03, t04 = report.tasks[2], report.tasks[3]
    assert (t03.percent, t03.actual, t03.texts["actual_status"]) == (
        100, dt.date(2024, 7, 11), "上线 🚀 完成")
    assert (t04.percent, t04.forecast) == (45, dt.date(2024, 7, 15))
    assert t04.texts["actual_status"] == long_text  # kept whole
    assert [i.code for i in report.issues if i.cell == "E3"] == ["too-long"]
    ws = openpyxl.load_workbook(report.report_path)["周进度跟踪表"]
    assert ws["Q5"].value == long_text


def test_output_names_cannot_escape_the_outbox(project_dir: Path) -> None:
    path = project_dir / "project.yaml"
    text = path.read_text(encoding="utf-8").replace("name: 运营部, code: OPS",
                                                    "name: ../../运营部, code: OPS")
    text = text.replace("department: 运营部", "department: ../../运营部")
    path.write_text(text, encoding="utf-8")
    result = api.build(project_dir, week=WEEK)
    out = result.departments["../../运营部"]
    assert out.parent == project_dir / "outbox" / WEEK
    assert os.path.commonpath([out.resolve(), (project_dir / "outbox").resolve()]) == str(
        (project_dir / "outbox").resolve())


def test_added_sheet_is_reported_not_silently_ignored(good: Path, built) -> None:
    def edit(wb):
        ws = wb.create_sheet("我的备注")
        ws["A1"], ws["B2"] = "补充说明", "T03 下周上线"
    _edit(good, edit)
    report = merge(built.project.root, [good])
    found = [i for i in report.issues if i.file == "good.xlsx"]
    assert [(i.code, i.sheet, i.severity.value) for i in found] == [
        ("extra-sheet", "我的备注", "warning")]
    assert "2 个单元格未读取" in found[0].message


def test_edited_identity_cannot_impersonate_another_department(good: Path, built) -> None:
    def edit(wb):
        for row in wb["_xlflow"].iter_rows(min_row=2):
            if row[0].value == "department":
                row[1].value = "产品部"  # 技术部 pretending to be 产品部
    _edit(good, edit)
    report = merge(built.project.root, [good])
    assert [(i.code, i.sheet) for i in report.issues if i.is_error] == [
        ("identity-forged", "")]
    assert not report.files[0].accepted


def test_identity_and_department_column_disagree(good: Path, built) -> None:
    """The locked 部门 column typed over, `_xlflow` left alone: the file is not taken
    either way."""
    def edit(wb):
        ws = wb["周进度跟踪表"]
        col = next(c.column for c in ws[1] if str(c.value).startswith("部门"))
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col).value:
                ws.cell(r, col).value = "产品部"
    _edit(good, edit)
    report = merge(built.project.root, [good])
    assert [(i.code, i.value, i.expected) for i in report.issues if i.is_error] == [
        ("identity-mismatch", "产品部", "技术部")]
    assert not report.files[0].accepted
