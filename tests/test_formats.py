"""Returns come back as .xlsx, .xlsm, .ods or .xls, under any name, or zipped: a file is
read for what its bytes say it is; anything else is named (issue #11)."""

from __future__ import annotations

import shutil
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from xlflow import api
from xlflow.simulate import fill_workbook

from . import hostile
from .conftest import AS_OF, WEEK, department_file
from .test_office_suites import RISKS, WEEKLY, _figures


@pytest.fixture
def filled(built, tmp_path: Path) -> Path:
    (tmp_path / "xlsx").mkdir()
    return fill_workbook(department_file(built, "技术部", tmp_path / "xlsx"), weekly=WEEKLY,
                         risks=RISKS)


@pytest.mark.office
def test_ods_and_xls_merge_to_the_same_figures_as_xlsx(built, filled: Path, tmp_path: Path) -> None:
    from .office import soffice_convert

    root = built.project.root
    expected = _figures(root, filled)
    for fmt in ("ods", "xls"):
        converted = soffice_convert(filled, tmp_path / fmt, fmt)
        report = api.merge(root, [converted], as_of=AS_OF, week=WEEK, write=False)
        assert report.errors == 0, [str(i) for i in report.issues]
        assert report.files[0].accepted and report.files[0].department == "技术部"
        assert _figures(root, converted) == expected, fmt
        assert [(t.task_id, t.status, t.deviation_days) for t in report.tasks[2:4]] == [
            ("T03", "延误", 7), ("T04", "延误", 6)]  # T01 unreported: not done by 07-12, it
        # pushes T03 (7 days of work) to 07-19, and T04 (one day more) to 07-20
        assert [(r.level, r.status) for r in report.risks] == [("高", "处理中")]


@pytest.mark.office
def test_ods_and_xls_error_cells_and_identity(built, filled: Path, tmp_path: Path) -> None:
    """The package checks apply to .ods and .xls too: an error cell is reported, not read
    as empty; the hidden `_xlflow` sheet (only hidden, not very hidden, after LibreOffice)
    still identifies the file."""
    import openpyxl

    from .office import soffice_convert

    wb = openpyxl.load_workbook(filled)
    wb["周进度跟踪表"]["F3"] = "=NA()"
    wb.save(filled)
    for fmt in ("ods", "xls"):
        converted = soffice_convert(filled, tmp_path / fmt, fmt)  # computes #N/A and caches it
        report = api.merge(built.project.root, [converted], as_of=AS_OF, week=WEEK, write=False)
        assert [(i.cell, i.code, i.value) for i in report.issues if i.is_error] == [
            ("F3", "cell-error", "#N/A")], fmt
        assert report.files[0].department == "技术部"


@pytest.mark.parametrize("name", ["技术部.xls", "技术部", "技术部.ods", "技术部.dat"])
def test_a_renamed_xlsx_is_read_for_what_it_is(built, filled: Path, tmp_path: Path,
                                               name: str) -> None:
    renamed = tmp_path / name
    shutil.copy(filled, renamed)
    root = built.project.root
    report = api.merge(root, [renamed], as_of=AS_OF, week=WEEK, write=False)
    assert report.errors == 0, [str(i) for i in report.issues]
    assert [(f.name, f.accepted) for f in report.files] == [(name, True)]
    assert _figures(root, renamed) == _figures(root, filled)


def _email(filled: Path) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tec@example.com", "pmo@example.com", "周报"
    msg.set_content("附件是本周进度")
    msg.add_attachment(filled.read_bytes(), maintype="application", subtype="octet-stream",
                       filename="技术部.xlsx")
    return msg.as_bytes()


SPREADSHEET_2003 = (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                    b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>')
NOT_WORKBOOKS = {
    "scan.pdf": (lambda f: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "这是 PDF 文件,不是 Excel 工作簿"),
    "截图.xlsx": (lambda f: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(20), "这是 PNG 图片,不是 Excel 工作簿"),
    "照片.jpg": (lambda f: b"\xff\xd8\xff\xe0\0\x10JFIF\0" + bytes(20), "这是 JPEG 图片,不是 Excel 工作簿"),
    "回复.eml": (_email, "这是电子邮件(.eml),不是 Excel 工作簿"),
    "导出.xls": (lambda f: b"<html><body><table><tr><td>T03</td></tr></table>",
               "这是 HTML 网页"),
    "进度.csv": (lambda f: "任务编号,完成百分比\nT03,80%\n".encode("gbk"), "这是纯文本或 CSV 文件"),
    "2003.xml": (lambda f: SPREADSHEET_2003, "这是 Excel 2003 XML 表格"),
}


@pytest.mark.parametrize("name", NOT_WORKBOOKS)
def test_what_is_not_a_workbook_is_named(built, filled: Path, tmp_path: Path, name: str) -> None:
    make, message = NOT_WORKBOOKS[name]
    path = tmp_path / name
    path.write_bytes(make(filled))
    report = api.merge(built.project.root, [path, filled], as_of=AS_OF, week=WEEK, write=False)
    errors = [(i.file, i.code) for i in report.issues if i.is_error]
    assert errors == [(name, "not-a-workbook")]
    assert next(i.message for i in report.issues if i.is_error).startswith(message)
    assert [f.accepted for f in report.files] == [False, True]


def test_a_zip_of_two_returns_merges_both(built, filled: Path, tmp_path: Path) -> None:
    ops = fill_workbook(department_file(built, "运营部", tmp_path), weekly={
        "T07": {"实际完成情况": "推广中", "完成百分比": "60%"}})
    archive = tmp_path / "回传.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(filled, "技术部/技术部-周报.xlsx")
        z.write(ops, "运营部.xlsx")
        z.writestr("说明.txt", "两个部门的周报")
        z.writestr("__MACOSX/._运营部.xlsx", b"\0\5\26\7")
    report = api.merge(built.project.root, [archive], as_of=AS_OF, week=WEEK, write=False)
    assert [(f.name, f.department, f.accepted) for f in report.files] == [
        ("回传.zip!技术部/技术部-周报.xlsx", "技术部", True), ("回传.zip!运营部.xlsx", "运营部", True),
        ("回传.zip!说明.txt", "", False)]
    assert report.errors == 0  # a note beside the workbooks is skipped with a warning
    assert [(i.file, i.code) for i in report.issues if i.code == "not-a-workbook"] == [
        ("回传.zip!说明.txt", "not-a-workbook")]
    by_id = {t.task_id: t for t in report.tasks}
    assert (by_id["T03"].percent, by_id["T07"].percent) == (80, 60)
    assert by_id["T03"].source.file == "回传.zip!技术部/技术部-周报.xlsx"


def test_a_zip_inside_a_zip_is_not_opened(built, filled: Path, tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.write(filled, "技术部.xlsx")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.write(inner, "inner.zip")
    report = api.merge(built.project.root, [outer], as_of=AS_OF, week=WEEK, write=False)
    assert [(i.file, i.code) for i in report.issues if i.is_error] == [
        ("outer.zip!inner.zip", "nested-archive")]


def test_a_zip_bomb_of_returns_is_refused_before_inflating(built, tmp_path: Path) -> None:
    archive = tmp_path / "returns.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("big.xlsx", "w", force_zip64=True) as fh:
        for _ in range(300):
            fh.write(bytes(1 << 20))
    report = api.merge(built.project.root, [archive], as_of=AS_OF, week=WEEK, write=False)
    assert [(i.file, i.code) for i in report.issues if i.is_error] == [("returns.zip", "zip-bomb")]


def test_an_encrypted_xlsx_is_still_told_apart_from_an_xls(built, filled: Path,
                                                          tmp_path: Path) -> None:
    locked = hostile.encrypt(filled, tmp_path / "locked.xls")
    report = api.merge(built.project.root, [locked], as_of=AS_OF, week=WEEK, write=False)
    assert [(i.code, i.message) for i in report.issues if i.is_error] == [
        ("encrypted", "这是设置了打开密码的工作簿;请取消密码后重新发送")]
