"""周例会 over two weeks of the example (issue 15's acceptance test): merge W28, write the
meeting's agenda and 会议纪要, fill it as the PMO would (openpyxl writing real cells, then
a LibreOffice round trip), drop it into inbox/, build W29: the action item is in 技术部's
workbook; 技术部 marks it 已完成 and the W29 merge closes it; an item past due is flagged
on 总览, in 本周变化 and in the reminder mail."""

from __future__ import annotations

import datetime as dt
import email
import shutil
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow._package import Package
from xlflow.cli import cli
from xlflow.contract import IDENTITY_SHEET
from xlflow.ledger import Ledger
from xlflow.merge import read as merge_read

from .conftest import BUILT_AT, SAMPLES, WEEK, after_w28_meeting
from .office import soffice_convert

W29 = "2024-W29"
W29_AS_OF = dt.date(2024, 7, 19)


@pytest.fixture(scope="module")
def merged_w28(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with the four sample returns merged for W28, and its 周例会 written."""
    root = tmp_path_factory.mktemp("meeting") / "ug"
    after_w28_meeting(root)
    return root


@pytest.fixture
def project(merged_w28: Path, tmp_path: Path) -> Path:
    """A copy of the W28 project for one test to change."""
    root = tmp_path / "ug"
    shutil.copytree(merged_w28, root)
    return root


def minutes_of(root: Path) -> Path:
    return root / "reports" / f"{WEEK}-周例会.xlsx"


def fill_minutes(src: Path, dst: Path, *, market_department: str = "市场部") -> Path:
    """What the PMO writes after the meeting: two decisions, one for 技术部 due in W29,
    one for 市场部 due before the W29 merge."""
    wb = openpyxl.load_workbook(src)
    ws = wb["会议纪要"]
    ws["B2"] = dt.datetime(2024, 7, 15)
    ws["B4"] = "产品部 张伟、技术部 刘强、市场部 李娜、运营部 孙磊"
    for col, value in zip("BCDEFG", ["支付接口联调延误", "技术部增派 2 人,7 月 19 日前完成联调",
                                     "技术部", "刘强", dt.datetime(2024, 7, 19), "未开始"],
                          strict=True):
        ws[f"{col}7"] = value
    for col, value in zip("BCDFG", ["活动页文案未定稿", "市场部 7 月 17 日前定稿", market_department,
                                    dt.datetime(2024, 7, 17), "进行中"], strict=True):
        ws[f"{col}8"] = value
    wb.save(dst)
    return dst


def test_the_agenda_comes_from_the_weeks_merge(merged_w28: Path) -> None:
    wb = openpyxl.load_workbook(minutes_of(merged_w28))
    assert wb.sheetnames[:2] == ["周例会议程", "会议纪要"]
    agenda = [[c for c in row if c is not None] for row in wb["周例会议程"].iter_rows(values_only=True)]
    flat = [c for row in agenda for c in row]
    assert "一、延误与预警任务(偏差原因与解决措施)" in flat
    late = next(row for row in agenda if row[:2] == ["T03", "技术部"])
    assert late[2] == "延误" and late[3] == 4 and len(late) == 6  # with reason and measure
    assert any(row[:3] == ["TEC-24W28-01", "技术部", "高"] for row in agenda)
    assert ["技术部", "T03", WEEK, "市场部", "需要市场部确认活动页文案终稿"] in agenda  # 需协调事项
    assert "五、未完成的督办事项(逾期在前)" in flat
    sheet = wb["会议纪要"]
    assert sheet["A3"].value.startswith("主持人") and sheet["B3"].value == "产品部"
    assert [c.value.split("\n")[0] for c in sheet[6]] == [
        "编号", "事项 *", "决定 *", "责任部门 *", "责任人", "完成期限 *", "状态 *"]
    assert sheet["A7"].value == "DB-24W28-01" and sheet["A7"].protection.locked
    assert not sheet["D7"].protection.locked and sheet.protection.sheet
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert rules["D7:D26"].formula1 == '"产品部,市场部,技术部,运营部"'
    assert rules["G7:G26"].formula1 == '"未开始,进行中,已完成,已取消"'
    assert rules["F7:F26"].type == "date" and rules["B2"].type == "date"
    ident = {r[0]: r[1] for r in wb[IDENTITY_SHEET].iter_rows(values_only=True)}
    assert ident["kind"] == "meeting" and ident["week"] == WEEK and ident["signature"]
    with Ledger.open(merged_w28) as ledger:
        assert [(b.kind, b.department, b.week) for b in ledger.built_files()
                if b.file_id == ident["file_id"]] == [("meeting", "产品部", WEEK)]
    page = minutes_of(merged_w28).with_suffix(".html").read_text(encoding="utf-8")
    assert "TEC-24W28-01" in page and "@page{size:A4" in page


def test_an_action_item_over_two_weeks(project: Path, tmp_path: Path) -> None:
    filled = fill_minutes(minutes_of(project), tmp_path / "纪要.xlsx")
    resaved = soffice_convert(filled, tmp_path / "lo")  # the PMO saves it in LibreOffice
    shutil.copy(resaved, project / "inbox" / "周例会纪要-0715.xlsx")

    built = api.build(project, week=W29, built_at=BUILT_AT)
    tec = openpyxl.load_workbook(built.departments["技术部"])
    sheet = tec["督办事项"]
    assert [c.value for c in sheet[2]][:5] == [
        "DB-24W28-01", "支付接口联调延误", "技术部增派 2 人,7 月 19 日前完成联调",
        dt.datetime(2024, 7, 19), "未开始"]
    assert sheet["A2"].protection.locked and sheet["D2"].protection.locked
    assert not sheet["E2"].protection.locked and not sheet["F2"].protection.locked
    assert {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}["E2"] == \
        '"未开始,进行中,已完成,已取消"'
    assert sheet.max_row == 2  # 市场部's item is not 技术部's
    told = {r[0]: r[1] for r in tec["填写说明"].iter_rows(min_col=1, max_col=2, values_only=True)}
    assert "标为已完成后,汇总时关闭该事项" in told["督办事项"]
    market = openpyxl.load_workbook(built.departments["市场部"])["督办事项"]
    assert market["A2"].value == "DB-24W28-02"
    assert "督办事项" not in openpyxl.load_workbook(built.departments["运营部"]).sheetnames

    tec["督办事项"]["E2"] = "已完成"
    tec["督办事项"]["F2"] = "7 月 18 日联调通过"
    tec["周进度跟踪表"]["B6"] = dt.datetime(2024, 7, 19)  # 填报日期; 填报人 is pre-filled
    tec.save(project / "inbox" / "技术部-W29.xlsx")
    report = api.merge(project, week=W29, as_of=W29_AS_OF)
    items = {a.item_id: a for a in report.actions}
    assert (str(items["DB-24W28-01"].status), items["DB-24W28-01"].progress) == \
        ("已完成", "7 月 18 日联调通过")
    assert items["DB-24W28-02"].overdue(W29_AS_OF)
    assert [(c.kind, c.subject) for c in report.changes if "action" in c.kind] == [
        ("new-action", "DB-24W28-01"), ("closed-action", "DB-24W28-01"),
        ("new-action", "DB-24W28-02"), ("overdue-action", "DB-24W28-02")]
    assert [i for i in report.issues if i.file in ("周例会纪要-0715.xlsx", "技术部-W29.xlsx")] == []

    wb = openpyxl.load_workbook(report.report_path)
    rows = list(wb["督办事项"].iter_rows(values_only=True))
    assert [r[:3] + r[7:9] for r in rows[1:]] == [
        ("DB-24W28-02", WEEK, "市场部", "进行中", "已逾期"),
        ("DB-24W28-01", WEEK, "技术部", "已完成", None)]
    overview = [r[:4] for r in wb["总览"].iter_rows(values_only=True)]
    block = overview.index(("责任部门", "未完成", "已逾期", "已关闭"))
    assert overview[block + 1: block + 5] == [("产品部", 0, 0, 0), ("市场部", 1, 1, 0),
                                              ("技术部", 0, 0, 1), ("运营部", 0, 0, 0)]
    changes = [r[:3] for r in wb["本周变化"].iter_rows(values_only=True)]
    assert ("督办事项逾期", "DB-24W28-02", "市场部") in changes
    assert ("督办事项关闭", "DB-24W28-01", "技术部") in changes

    reminded = api.remind(project, week=W29, as_of=dt.date(2024, 7, 22))
    market_mail = next(r for r in reminded.reminders if r.department == "市场部")
    assert [i.subject for i in market_mail.items if i.kind == "督办事项逾期"] == ["DB-24W28-02"]
    body = email.message_from_bytes(Path(market_mail.eml).read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    assert "督办事项 DB-24W28-02 活动页文案未定稿" in text and "已逾期 4 天" in text
    assert all("DB-24W28-01" not in i.subject for r in reminded.reminders for i in r.items)

    # the next week: the closed item is in no workbook; the open one is still 市场部's
    w30 = api.build(project, week="2024-W30", built_at=BUILT_AT)
    assert "督办事项" not in openpyxl.load_workbook(w30.departments["技术部"]).sheetnames
    assert openpyxl.load_workbook(w30.departments["市场部"])["督办事项"]["A2"].value == "DB-24W28-02"

    archived = api.archive(project, to=tmp_path / "cases")
    import zipfile
    names = zipfile.ZipFile(archived.zip).namelist()
    assert any(n.endswith("周例会/会议纪要/周例会纪要-0715.xlsx") for n in names)
    assert any(n.endswith(f"周例会/{WEEK}-周例会.xlsx") for n in names)


def test_forged_minutes_are_refused(project: Path, tmp_path: Path) -> None:
    filled = fill_minutes(minutes_of(project), tmp_path / "纪要.xlsx")
    wb = openpyxl.load_workbook(filled)
    ident = wb[IDENTITY_SHEET]
    for row in ident.iter_rows():
        if row[0].value == "department":
            row[1].value = "技术部"  # claims another host
    wb.save(project / "inbox" / "纪要.xlsx")
    report = api.merge(project, week=W29, as_of=W29_AS_OF, write=False)
    assert [(i.code, i.file) for i in report.issues if i.file == "纪要.xlsx"] == [
        ("identity-forged", "纪要.xlsx")]
    assert report.actions == []
    assert next(f for f in report.files if f.name == "纪要.xlsx").accepted is False


def test_a_minutes_row_naming_an_unknown_department_names_the_cell(project: Path,
                                                                   tmp_path: Path) -> None:
    fill_minutes(minutes_of(project), project / "inbox" / "纪要.xlsx", market_department="财务部")
    report = api.merge(project, week=W29, as_of=W29_AS_OF, write=False)
    assert [(i.code, i.sheet, i.cell, i.value) for i in report.issues if i.file == "纪要.xlsx"] == [
        ("not-in-list", "会议纪要", "D8", "财务部")]
    # the same check on its own, with or without the project folder
    for project_dir in (project, None):
        checked = api.validate([project / "inbox" / "纪要.xlsx"], project_dir=project_dir)
        assert [(i.code, i.cell) for i in checked.issues] == [("not-in-list", "D8")]
    assert [a.item_id for a in report.actions] == ["DB-24W28-01"]  # the good row counts
    assert report.exit_status == 1


def test_a_department_updates_only_its_own_items(project: Path, tmp_path: Path) -> None:
    fill_minutes(minutes_of(project), project / "inbox" / "纪要.xlsx")
    built = api.build(project, week=W29, built_at=BUILT_AT)
    wb = openpyxl.load_workbook(built.departments["市场部"])
    wb["督办事项"]["A2"] = "DB-24W28-01"  # 技术部's item, typed over the locked id
    wb["督办事项"]["E2"] = "已完成"
    wb.save(project / "inbox" / "市场部-W29.xlsx")
    report = api.merge(project, week=W29, as_of=W29_AS_OF, write=False)
    assert [(i.code, i.sheet, i.cell) for i in report.issues if i.file == "市场部-W29.xlsx"
            and i.is_error] == [("foreign-action", "督办事项", "A2")]
    assert {a.item_id: str(a.status) for a in report.actions} == {
        "DB-24W28-01": "未开始", "DB-24W28-02": "进行中"}


def test_meeting_needs_the_weeks_merge(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["meeting", str(project), "--week", W29, "--no-pdf"])
    assert result.exit_code == 2
    assert "2024-W29 还没有汇总" in result.output and "xlflow merge --week 2024-W29" in result.output
    assert "或为最近汇总的周开会:xlflow meeting … --week 2024-W28" in result.output


def test_build_reads_only_the_minutes_of_a_full_inbox(project: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Build looks for the minutes by each file's `_xlflow` sheet alone: the week's
    returns (loose, zipped, or broken past their identity) are not read in full."""
    fill_minutes(minutes_of(project), project / "inbox" / "纪要-0715.xlsx")
    copies = project / "inbox" / "2024-W29"
    copies.mkdir()
    returns = sorted((SAMPLES / "returns").glob("*.xlsx"))
    for n in range(5):
        for f in returns:
            shutil.copy(f, copies / f"{n}-{f.name}")
    with zipfile.ZipFile(copies / "打包.zip", "w") as zf:
        for f in returns:
            zf.write(f, f.name)
    broken = copies / "坏表.xlsx"  # its identity intact, its 周进度跟踪表 not XML at all
    with Package(returns[0]) as package:
        weekly = package.members["周进度跟踪表"]
    with zipfile.ZipFile(returns[0]) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, b"not xml" if info.filename == weekly else src.read(info))
    assert not api.validate([broken], project_dir=project).files[0].accepted  # read, it fails

    read: list[str] = []
    real = merge_read.read_returns
    monkeypatch.setattr(merge_read, "read_returns",
                        lambda path, specs: read.append(path.name) or real(path, specs))
    built = api.build(project, week=W29, built_at=BUILT_AT)
    assert read == ["纪要-0715.xlsx"]
    market = openpyxl.load_workbook(built.departments["市场部"])["督办事项"]
    assert market["A2"].value == "DB-24W28-02"



def test_the_bundled_minutes_and_w29_returns_close_the_loop(merged_w28: Path,
                                                           tmp_path: Path) -> None:
    """The README's weekly walk on the samples: the filled minutes of the W28 meeting into
    inbox/, W29 built (each owner department gets its items), the W29 returns merged:
    two items closed, one overdue, on 督办事项, 总览 and 本周变化."""
    root = tmp_path / "ug"
    shutil.copytree(merged_w28, root)
    (minutes,) = (SAMPLES / "minutes").glob("*.xlsx")
    shutil.copy(minutes, root / "inbox" / minutes.name)
    built = api.build(root, week=W29, built_at=BUILT_AT)
    owned = {d: [r[0] for r in openpyxl.load_workbook(p)["督办事项"].iter_rows(
        min_row=2, values_only=True)] for d, p in built.departments.items()
        if "督办事项" in openpyxl.load_workbook(p, read_only=True).sheetnames}
    assert owned == {"技术部": ["DB-24W28-01"], "市场部": ["DB-24W28-02"],
                     "运营部": ["DB-24W28-03"]}
    for f in (SAMPLES / "returns-2024-W29").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    report = api.merge(root, week=W29, as_of=W29_AS_OF)
    assert report.exit_status == 0 and [i for i in report.issues if i.is_error] == []
    wb = openpyxl.load_workbook(report.report_path)
    assert [r[:3] + r[7:9] for r in wb["督办事项"].iter_rows(min_row=2, values_only=True)] == [
        ("DB-24W28-03", WEEK, "运营部", "进行中", "已逾期"),
        ("DB-24W28-01", WEEK, "技术部", "已完成", None),
        ("DB-24W28-02", WEEK, "市场部", "已完成", None)]
    overview = [r[:4] for r in wb["总览"].iter_rows(values_only=True)]
    block = overview.index(("责任部门", "未完成", "已逾期", "已关闭"))
    assert overview[block + 1: block + 5] == [("产品部", 0, 0, 0), ("市场部", 0, 0, 1),
                                              ("技术部", 0, 0, 1), ("运营部", 1, 1, 0)]
    changes = [r[:3] for r in wb["本周变化"].iter_rows(values_only=True) if "督办" in str(r[0])]
    assert changes == [("新增督办事项", "DB-24W28-01", "技术部"), ("督办事项关闭", "DB-24W28-01", "技术部"),
                       ("新增督办事项", "DB-24W28-02", "市场部"), ("督办事项关闭", "DB-24W28-02", "市场部"),
                       ("新增督办事项", "DB-24W28-03", "运营部"), ("督办事项逾期", "DB-24W28-03", "运营部")]
    # A closed item's line starts from where the minutes left it (技术部's was 进行中).
    closed = {r[1]: r[3] for r in wb["本周变化"].iter_rows(values_only=True) if r[0] == "督办事项关闭"}
    assert closed["DB-24W28-01"].startswith("进行中 → 已完成"), closed
    assert closed["DB-24W28-02"].startswith("未开始 → 已完成"), closed
