"""A hostile or careless PMO and departments on what comes back besides the weekly
return: the PMO master's 风险应对 sheet, the 周例会's 会议纪要, a department's 督办事项,
the 成果验收确认单, standalone risk forms and workbooks built with --draft. Each attack
ends in correct figures or a Chinese message naming file, sheet and cell; nothing is
taken silently and no input is modified."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlflow import api
from xlflow.simulate import fill_workbook, header_columns

from .conftest import (
    AS_OF,
    AS_OF29,
    BUILT_AT,
    W29,
    WEEK,
    file_example,
    identity_rows,
    w29_built,
)

TEC_RISK, MKT_RISK = "TEC-24W28-01", "MKT-24W28-01"


@pytest.fixture(scope="module")
def week29(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with the W28 samples merged (TEC-24W28-01 高, MKT-24W28-01 中), its
    周例会 written and W29 built: the state the PMO fills things in."""
    # W28's returns done with: each test drops what it attacks with
    return w29_built(tmp_path_factory.mktemp("followup") / "ug")


@pytest.fixture
def root(week29: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(week29, tmp_path / "ug"))


def master(root: Path, week: str = W29) -> Path:
    return root / "outbox" / week / f"UG-2024Q3-{week}-PMO总表.xlsx"


def respond(root: Path, rows: dict[int, dict[str, Any]], name: str = "PMO总表.xlsx",
            edit: Callable[[Any], None] | None = None) -> Path:
    """The PMO fills the 风险应对 sheet by row and header; `edit` then does what a
    careless PMO does to the sheet (protection is no obstacle to openpyxl)."""
    wb = openpyxl.load_workbook(master(root))
    ws = wb["风险应对"]
    cols = header_columns(ws)
    for row, values in rows.items():
        for header, value in values.items():
            ws.cell(row, cols[header]).value = value
    if edit is not None:
        edit(ws)
    target = root / "inbox" / name
    wb.save(target)
    return target


def merge29(root: Path, **kw: Any) -> api.MergeReport:
    before = {p: p.read_bytes() for p in (root / "inbox").rglob("*") if p.is_file()}
    report = api.merge(root, week=W29, as_of=AS_OF29, **kw)
    assert {p: p.read_bytes() for p in before} == before  # inputs are never modified
    return report


def coded(report: Any, *codes: str) -> list[tuple[str, str, str, str]]:
    return [(i.file, i.sheet, i.cell, i.code) for i in report.issues if i.code in codes]


def risk(report: Any, rid: str) -> Any:
    return next(r for r in report.risks if r.risk_id == rid)


# -- the PMO master's 风险应对 sheet ---------------------------------------------------------
# (rows: 2 = TEC-24W28-01 高 技术部, 3 = MKT-24W28-01 中 市场部)

def test_a_risk_id_typed_twice_in_the_master_keeps_the_first_row(root: Path) -> None:
    def twice(ws: Any) -> None:
        ws["A3"] = TEC_RISK  # 市场部's row now claims 技术部's risk
    respond(root, {2: {"应对方案": "扩容", "分管领导意见": "同意关闭"},
                   3: {"应对方案": "备选渠道"}}, edit=twice)
    report = merge29(root)
    assert coded(report, "duplicate-risk", "response-mismatch") == [
        ("PMO总表.xlsx", "风险应对", "A3", "duplicate-risk")]
    tec = risk(report, TEC_RISK)
    assert (tec.response["plan"], tec.response["leader_opinion"]) == ("扩容", "同意关闭")
    assert not risk(report, MKT_RISK).response


def test_a_risk_id_moved_onto_another_departments_row_is_refused(root: Path) -> None:
    """The 分管领导意见 written for 市场部's 中 risk must not become the approval that
    lets 技术部 close its 高 risk."""
    def moved(ws: Any) -> None:
        ws["A3"] = TEC_RISK
    respond(root, {3: {"应对方案": "备选渠道", "分管领导意见": "同意关闭"}}, edit=moved)
    report = merge29(root)
    (issue,) = [i for i in report.issues if i.code == "response-mismatch"]
    assert (issue.sheet, issue.cell, issue.value) == ("风险应对", "A3", TEC_RISK)
    assert "市场部" in issue.message and "技术部" in issue.message
    assert not risk(report, TEC_RISK).response and not risk(report, MKT_RISK).response


def test_a_locked_level_or_status_changed_in_the_master_is_named(root: Path) -> None:
    def downgrade(ws: Any) -> None:
        cols = header_columns(ws)
        ws.cell(2, cols["风险等级"]).value = "低"
        ws.cell(2, cols["状态"]).value = "已关闭"
    respond(root, {2: {"应对方案": "扩容"}}, edit=downgrade)
    report = merge29(root)
    assert [(i.cell, i.value, i.expected) for i in report.issues if i.code == "locked-changed"] \
        == [("C2", "低", "高"), ("D2", "已关闭", "处理中")]
    tec = risk(report, TEC_RISK)
    assert (tec.level, tec.is_open, tec.response["plan"]) == ("高", True, "扩容")


def test_a_row_added_to_the_master_is_named_as_an_unknown_risk(root: Path) -> None:
    def added(ws: Any) -> None:
        ws["A4"] = "TEC-24W29-05"
        ws["I4"] = "新发现的风险,PMO 直接登记"
    respond(root, {2: {"应对方案": "扩容", "解决时限": "尽快"}}, edit=added)
    report = merge29(root)
    assert coded(report, "unknown-risk", "bad-date") == [
        ("PMO总表.xlsx", "风险应对", "L2", "bad-date"),
        ("PMO总表.xlsx", "风险应对", "A4", "unknown-risk")]


# -- --draft outputs fed back after PMO备案 --------------------------------------------------

@pytest.fixture
def drafted(unfiled_project: Path, tmp_path: Path) -> tuple[Path, api.BuildResult]:
    """W28 built with --draft before 备案 (the drafts kept aside), then the plan filed
    and W28 built for real."""
    root = unfiled_project
    draft = api.build(root, week=WEEK, built_at=BUILT_AT, draft=True)
    kept = tmp_path / "drafts"
    kept.mkdir()
    shutil.copy(draft.departments["技术部"], kept / "技术部-草稿.xlsx")
    shutil.copy(draft.master, kept / "PMO总表-草稿.xlsx")
    file_example(root)
    api.build(root, week=WEEK, built_at=BUILT_AT + dt.timedelta(hours=2))
    return kept, root


TEC_WEEK = {"T03": {"实际完成情况": "联调中", "完成百分比": "60%"},
            "T04": {"实际完成情况": "未开始", "完成百分比": "0%"}}


def test_a_filled_draft_is_refused_by_the_filed_merge(drafted: tuple[Path, Path]) -> None:
    kept, root = drafted
    path = fill_workbook(kept / "技术部-草稿.xlsx", weekly=TEC_WEEK,
                         out=root / "inbox" / "技术部.xlsx")
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    (f,) = report.files
    assert (f.department, f.accepted) == ("技术部", False)
    (issue,) = [i for i in report.issues if i.is_error]
    assert (issue.code, issue.file) == ("draft-file", path.name)
    assert "草稿" in issue.message and "备案" in issue.message
    assert "技术部" not in {t.department for t in report.tasks if t.data_week == WEEK}
    # a draft run may still use it, its report marked 草稿 as every draft output is
    assert api.merge(root, week=WEEK, as_of=AS_OF, draft=True, write=False).files[0].accepted
    # and validate says so before the department sends it
    (checked,) = api.validate([path], project_dir=root, as_of=AS_OF).files
    assert [i.code for i in checked.issues] == ["draft-file"]


def test_the_real_file_of_the_same_week_still_counts(drafted: tuple[Path, Path]) -> None:
    _, root = drafted
    real = root / "outbox" / WEEK / f"UG-2024Q3-{WEEK}-技术部.xlsx"
    fill_workbook(real, weekly=TEC_WEEK, out=root / "inbox" / "技术部.xlsx")
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    assert report.files[0].accepted, [str(i) for i in report.issues]


def test_a_draft_is_accepted_before_filing(unfiled_project: Path) -> None:
    root = unfiled_project
    draft = api.build(root, week=WEEK, built_at=BUILT_AT, draft=True)
    path = fill_workbook(draft.departments["技术部"], weekly=TEC_WEEK,
                         out=root / "inbox" / "技术部.xlsx")
    report = api.merge(root, week=WEEK, as_of=AS_OF, draft=True, write=False)
    assert report.files[0].accepted, [str(i) for i in report.issues]
    (checked,) = api.validate([path], project_dir=root, as_of=AS_OF).files
    assert checked.accepted and not [i for i in checked.issues if i.is_error]


# -- standalone risk forms (xlflow risks) ----------------------------------------------------

FORM_RISK = {"发现时间": "2024-07-16 09:00", "提出时间": "2024-07-16 10:00",
             "风险描述": "支付回调偶发超时", "风险等级": "高", "影响范围": "上线",
             "建议措施": "加监控", "状态": "处理中"}


def risk_form(root: Path, name: str, row: dict[str, Any], *, received: dt.datetime,
              edit: Callable[[Any, Any], None] | None = None) -> Path:
    """技术部's standalone 风险应对申请表 of W29, first row filled, saved into inbox/."""
    import os

    src = root / "outbox" / W29 / f"UG-2024Q3-{W29}-技术部-风险应对申请表.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["风险应对申请表"]
    cols = header_columns(ws)
    for header, value in row.items():
        ws.cell(2, cols[header]).value = value
    if edit is not None:
        edit(wb, ws)
    target = root / "inbox" / name
    wb.save(target)
    os.utime(target, (received.timestamp(), received.timestamp()))
    return target


def test_a_forged_risk_form_is_refused_by_xlflow_risks(root: Path) -> None:
    """技术部 re-labels its form as 市场部's, 部门 column and ids included: the signature
    no longer verifies, as the weekly merge and validate already said."""
    def as_market(wb: Any, ws: Any) -> None:
        identity_rows(wb)["department"].value = "市场部"
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value:
                ws.cell(r, 1).value = str(ws.cell(r, 1).value).replace("TEC", "MKT")
                ws.cell(r, 2).value = "市场部"
    risk_form(root, "市场部风险.xlsx", FORM_RISK, received=dt.datetime(2024, 7, 16, 11),
              edit=as_market)
    result = api.risks(root, as_of=dt.date(2024, 7, 16))
    assert [(i.code, i.file) for i in result.issues] == [("identity-forged", "市场部风险.xlsx")]
    assert [f.accepted for f in result.files] == [False] and result.risks == []


def test_a_high_risk_closed_on_a_form_needs_the_leaders_opinion(root: Path) -> None:
    risk_form(root, "风险-1.xlsx", FORM_RISK, received=dt.datetime(2024, 7, 16, 11))
    closed = {**FORM_RISK, "状态": "已关闭", "关闭日期": "2024-07-17", "关闭确认人": "刘强"}
    risk_form(root, "风险-2.xlsx", closed, received=dt.datetime(2024, 7, 17, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert [(i.file, i.sheet, i.cell, i.code) for i in result.issues] == [
        ("风险-2.xlsx", "风险应对申请表", "L2", "close-unapproved")]
    (raised,) = result.risks
    assert (raised.status, raised.is_open) == ("处理中", True)
    # the weekly merge carries the form's risk as the form left it: still open
    assert risk(merge29(root), raised.risk_id).is_open


def test_a_high_risk_closed_on_a_form_with_the_leaders_opinion_closes(root: Path) -> None:
    respond(root, {2: {"应对方案": "扩容", "分管领导意见": "同意关闭。陈明"}})
    closed = {"风险编号": TEC_RISK, **FORM_RISK, "发现时间": "2024-07-09 09:00",
              "提出时间": "2024-07-09 15:00", "状态": "已关闭", "关闭日期": "2024-07-17",
              "关闭确认人": "刘强"}
    risk_form(root, "风险-关闭.xlsx", closed, received=dt.datetime(2024, 7, 17, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert [i.code for i in result.issues] == []
    assert [(r.risk_id, r.status) for r in result.risks] == [(TEC_RISK, "已关闭")]


# -- the 周例会's 会议纪要 and a department's 督办事项 ------------------------------------------

DECISION = ["支付接口联调延误", "技术部增派 2 人", "技术部", "刘强", dt.datetime(2024, 7, 19), "未开始"]


def minutes(root: Path, rows: dict[int, list[Any]], name: str = "纪要.xlsx") -> Path:
    """The PMO's 会议纪要 of the W28 周例会 (meeting 2024-07-15), by row: A… as given
    (None leaves a cell as built, e.g. the reserved 编号)."""
    wb = openpyxl.load_workbook(root / "reports" / f"{WEEK}-周例会.xlsx")
    ws = wb["会议纪要"]
    ws["B2"] = dt.datetime(2024, 7, 15)
    for row, values in rows.items():
        for col, value in zip("ABCDEFG", values, strict=False):
            if value is not None:
                ws[f"{col}{row}"] = value
    target = root / "inbox" / name
    wb.save(target)
    return target


def test_an_edited_action_id_is_refused_even_when_it_looks_like_one(root: Path) -> None:
    minutes(root, {7: [None, *DECISION], 8: ["DB-24W28-1", *DECISION],
                   9: ["DB-24W28-X9", *DECISION], 10: [None, *DECISION]})
    report = merge29(root)
    assert coded(report, "bad-action-id") == [("纪要.xlsx", "会议纪要", "A8", "bad-action-id"),
                                              ("纪要.xlsx", "会议纪要", "A9", "bad-action-id")]
    assert [a.item_id for a in report.actions] == ["DB-24W28-01", "DB-24W28-04"]


def test_rows_added_past_the_reserved_ones_keep_their_numbering(root: Path) -> None:
    due = dt.datetime(2024, 7, 26)
    minutes(root, {6 + n: [f"DB-24W28-{n:02d}", f"事项 {n}", "决定", "运营部", "", due, "未开始"]
                   for n in range(1, 121)})
    report = merge29(root)
    assert report.errors == 0, [str(i) for i in report.issues if i.is_error]
    assert len(report.actions) == 120 and "DB-24W28-120" in {a.item_id for a in report.actions}


def test_a_due_date_before_the_meeting_is_named(root: Path) -> None:
    past = [*DECISION[:4], dt.datetime(2024, 6, 15), "未开始"]
    minutes(root, {7: [None, *past], 8: [None, *DECISION[:4], "6月20日", "已完成"],
                   9: [None, *DECISION[:4], "下周五", "未开始"]})
    report = merge29(root)
    assert sorted(coded(report, "due-before-meeting", "bad-date")) == [
        ("纪要.xlsx", "会议纪要", "F7", "due-before-meeting"),
        ("纪要.xlsx", "会议纪要", "F9", "bad-date")]  # 6月20日 is read; done already: fine
    (issue,) = [i for i in report.issues if i.code == "due-before-meeting"]
    assert (issue.value, issue.expected) == ("2024-06-15", "2024-07-15 或之后")


def test_a_department_editing_its_locked_action_cells(root: Path, tmp_path: Path) -> None:
    """技术部 unprotects its 督办事项 sheet: moves its own deadline, rewrites the decision,
    copies a row to mark the item twice and closes 市场部's item."""
    minutes(root, {7: [None, *DECISION],
                   8: [None, "活动页文案未定稿", "市场部定稿", "市场部", "李娜",
                       dt.datetime(2024, 7, 17), "进行中"]})
    built = api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7, hours=1))
    wb = openpyxl.load_workbook(built.departments["技术部"])
    ws = wb["督办事项"]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["DB-24W28-01"]
    ws.protection.sheet = False
    ws["C2"] = "不用增派"
    ws["D2"] = dt.datetime(2024, 8, 30)
    ws["E2"] = "进行中"
    for col, value in zip("AEF", ["DB-24W28-01", "已完成", "复制的行"], strict=True):
        ws[f"{col}3"] = value
    for col, value in zip("AEF", ["DB-24W28-02", "已完成", "替市场部关闭"], strict=True):
        ws[f"{col}4"] = value
    wb.save(root / "inbox" / "技术部.xlsx")
    report = merge29(root)
    assert coded(report, "locked-changed", "duplicate-action", "foreign-action") == [
        ("技术部.xlsx", "督办事项", "C2", "locked-changed"),
        ("技术部.xlsx", "督办事项", "D2", "locked-changed"),
        ("技术部.xlsx", "督办事项", "A3", "duplicate-action"),
        ("技术部.xlsx", "督办事项", "A4", "foreign-action")]
    items = {a.item_id: a for a in report.actions}
    assert (items["DB-24W28-01"].status, items["DB-24W28-01"].due,
            items["DB-24W28-01"].decision) == ("进行中", dt.date(2024, 7, 19), "技术部增派 2 人")
    assert items["DB-24W28-02"].status == "进行中"
