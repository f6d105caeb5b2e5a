"""What the hostile follow-up left open: a 高 risk lowered one week and closed the next
without 分管领导意见, names typed on the 成果验收确认单 that the next `accept` dropped,
督办事项 ids sorted as text, a risk form's identity message naming the wrong sheet and a
department deleting its own 督办事项 rows. Real workbooks filled with openpyxl, dropped
into inbox/ and merged, as in test_hostile_followup."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlflow import api
from xlflow.simulate import fill_workbook, header_columns

from .conftest import AS_OF29, BUILT_AT, W29, empty_inbox, w29_built

W30, AS_OF30 = "2024-W30", dt.date(2024, 7, 26)
TEC_RISK = "TEC-24W28-01"


@pytest.fixture(scope="module")
def week29(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with the W28 samples merged (TEC-24W28-01 高), its 周例会 written and
    W29 built, the inbox emptied."""
    return w29_built(tmp_path_factory.mktemp("followup2") / "ug")


@pytest.fixture
def root(week29: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(week29, tmp_path / "ug"))


def built(root: Path, week: str, name: str) -> Path:
    return root / "outbox" / week / f"UG-2024Q3-{week}-{name}.xlsx"


def merged(root: Path, week: str, as_of: dt.date) -> api.MergeReport:
    before = {p: p.read_bytes() for p in (root / "inbox").rglob("*") if p.is_file()}
    report = api.merge(root, week=week, as_of=as_of)
    assert {p: p.read_bytes() for p in before} == before  # inputs are never modified
    return report


def coded(report: Any, *codes: str) -> list[tuple[str, str, str, str]]:
    return [(i.file, i.sheet, i.cell, i.code) for i in report.issues if i.code in codes]


def risk(risks: Any, rid: str) -> Any:
    return next(r for r in risks if r.risk_id == rid)


def respond(root: Path, week: str, rows: dict[int, dict[str, Any]]) -> Path:
    """The PMO fills the master's 风险应对 sheet by row and header, into inbox/."""
    wb = openpyxl.load_workbook(built(root, week, "PMO总表"))
    ws = wb["风险应对"]
    cols = header_columns(ws)
    for row, values in rows.items():
        for header, value in values.items():
            ws.cell(row, cols[header]).value = value
    target = root / "inbox" / "PMO总表.xlsx"
    wb.save(target)
    return target


def master_rows(path: Path) -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(path)["风险应对"]
    cols = header_columns(ws)
    return {str(ws.cell(r, 1).value): {h: ws.cell(r, c).value for h, c in cols.items()}
            for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


# -- 1. a 高 risk lowered, then closed ---------------------------------------------------

CLOSE = {"状态": "已关闭", "关闭日期": "2024-07-24", "关闭确认人": "刘强"}


def test_a_high_risk_lowered_one_week_and_closed_the_next_stays_open_and_high(
        root: Path) -> None:
    """技术部 lowers TEC-24W28-01 to 中 in W29 (no 分管领导意见): refused, still 高; in W30
    it closes it, again as 中: both refused, the risk open and 高."""
    fill_workbook(built(root, W29, "技术部"), risks=[{"风险等级": "中"}],
                  out=root / "inbox" / "技术部.xlsx")
    w29 = merged(root, W29, AS_OF29)
    assert coded(w29, "downgrade-unapproved") == [
        ("技术部.xlsx", "风险应对申请表", "G2", "downgrade-unapproved")]
    (issue,) = [i for i in w29.issues if i.code == "downgrade-unapproved"]
    assert (issue.value, TEC_RISK in issue.message, "分管领导意见" in issue.message) == (
        "中", True, True)
    assert (risk(w29.risks, TEC_RISK).level, risk(w29.risks, TEC_RISK).is_open) == ("高", True)
    # the next week's workbook and master show it as 高
    empty_inbox(root)
    api.build(root, week=W30, built_at=BUILT_AT + dt.timedelta(days=14))
    ws = openpyxl.load_workbook(built(root, W30, "技术部"))["风险应对申请表"]
    assert (ws["A2"].value, ws["G2"].value) == (TEC_RISK, "高")
    assert master_rows(built(root, W30, "PMO总表"))[TEC_RISK]["风险等级"] == "高"
    fill_workbook(built(root, W30, "技术部"), risks=[{"风险等级": "中", **CLOSE}],
                  out=root / "inbox" / "技术部.xlsx")
    w30 = merged(root, W30, AS_OF30)
    assert coded(w30, "downgrade-unapproved", "close-unapproved") == [
        ("技术部.xlsx", "风险应对申请表", "L2", "close-unapproved"),
        ("技术部.xlsx", "风险应对申请表", "G2", "downgrade-unapproved")]
    tec = risk(w30.risks, TEC_RISK)
    assert (tec.level, tec.status, tec.is_open) == ("高", "处理中", True)


def test_a_high_risk_resolved_then_closed_still_needs_the_leaders_opinion(root: Path) -> None:
    """已解决 is the department's word: allowed for a 高 risk; the close that follows
    is judged like any close of a 高 risk, and a refused one keeps 已解决."""
    tec_form(root, "风险-1.xlsx", {"状态": "已解决"}, dt.datetime(2024, 7, 16, 9))
    tec_form(root, "风险-2.xlsx", {"状态": "已关闭", **CLOSE, "关闭日期": "2024-07-17"},
             dt.datetime(2024, 7, 17, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert [(i.file, i.sheet, i.cell, i.code) for i in result.issues] == [
        ("风险-2.xlsx", "风险应对申请表", "L2", "close-unapproved")]
    tec = risk(result.risks, TEC_RISK)
    assert (tec.level, tec.status) == ("高", "已解决")


def test_a_high_risk_lowered_with_the_leaders_opinion_is_lowered(root: Path) -> None:
    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": "同意降为中风险。陈明"}})
    fill_workbook(built(root, W29, "技术部"), risks=[{"风险等级": "中"}],
                  out=root / "inbox" / "技术部.xlsx")
    report = merged(root, W29, AS_OF29)
    assert coded(report, "downgrade-unapproved", "close-unapproved") == []
    assert risk(report.risks, TEC_RISK).level == "中"


TEC_ROW = {"风险编号": TEC_RISK, "发现时间": dt.datetime(2024, 7, 8, 9, 30),
           "提出时间": dt.datetime(2024, 7, 9, 15), "风险描述": "第三方支付接口联调延期",
           "风险等级": "高", "影响范围": "活动上线", "建议措施": "降级方案", "状态": "处理中"}


def tec_form(root: Path, name: str, row: dict[str, Any], received: dt.datetime) -> Path:
    """技术部's standalone W29 risk form with TEC-24W28-01 in its first row."""
    import os

    wb = openpyxl.load_workbook(built(root, W29, "技术部-风险应对申请表"))
    ws = wb["风险应对申请表"]
    cols = header_columns(ws)
    for header, value in {**TEC_ROW, **row}.items():
        ws.cell(2, cols[header]).value = value
    target = root / "inbox" / name
    wb.save(target)
    os.utime(target, (received.timestamp(), received.timestamp()))
    return target


def test_a_high_risk_lowered_on_a_risk_form_stays_high(root: Path) -> None:
    tec_form(root, "风险.xlsx", {"风险等级": "低"}, dt.datetime(2024, 7, 17, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert [(i.file, i.sheet, i.cell, i.code) for i in result.issues] == [
        ("风险.xlsx", "风险应对申请表", "G2", "downgrade-unapproved")]
    assert risk(result.risks, TEC_RISK).level == "高"
    assert risk(result.register, TEC_RISK).level == "高"
    # the weekly merge carries the form's risk as 高, and so does the next master
    report = merged(root, W29, AS_OF29)
    assert risk(report.risks, TEC_RISK).level == "高"


# -- 2. what people type on the 成果验收确认单 ---------------------------------------------

def _form(path: Path) -> dict[str, tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path, data_only=True)["成果验收确认单"]
    return {str(r[0].value): tuple(c.value for c in r) for r in ws.iter_rows()
            if r[0].value is not None}


def _type(path: Path, cells: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(path)
    for name, value in cells.items():
        wb["成果验收确认单"][name] = value
    wb.save(path)


def test_names_typed_on_the_acceptance_form_are_kept(with_samples: Path) -> None:
    from .test_template_fields import _final

    root = with_samples
    _final(root, skip="市场部")
    opts = {"verdict": "通过", "date": "2024-07-31", "leader_opinion": "同意验收"}
    first = api.accept(root, **opts)
    assert not first.recorded and _form(first.path)["市场部"][1] == "未确认"
    # at the acceptance meeting: 市场部 signs on the form, R2's confirmer is corrected,
    # and the deputy who chaired it writes his name as 分管领导
    ws = openpyxl.load_workbook(first.path)["成果验收确认单"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert (rows["市场部"], rows["R2"], rows["分管领导"]) == (13, 5, 22)
    _type(first.path, {"B13": "李娜", "C13": dt.datetime(2024, 7, 31), "D13": "同意",
                       "G5": "赵敏", "B22": "分管副总 张伟(代)"})
    second = api.accept(root, **opts)
    assert second.recorded and second.missing == []
    assert [(i.cell, i.code, i.value, i.expected) for i in second.issues] == [
        ("G5", "hand-entry-differs", "赵敏", "李娜"),
        ("B22", "hand-entry-differs", "分管副总 张伟(代)", "分管副总 陈明")]
    form = _form(second.path)
    assert form["市场部"][1:4] == ("李娜", dt.datetime(2024, 7, 31), "同意")
    assert (form["R2"][6], form["分管领导"][1]) == ("赵敏", "分管副总 张伟(代)")
    assert second.conclusion["leader"] == "分管副总 张伟(代)"
    # the next run keeps them although nobody typed again; a cleared cell gives the
    # department's value back
    _type(second.path, {"G5": None})
    third = api.accept(root, **opts)
    form = _form(third.path)
    assert (form["市场部"][1], form["R2"][6], form["分管领导"][1]) == (
        "李娜", "李娜", "分管副总 张伟(代)")
    assert third.recorded and [i.cell for i in third.issues] == ["B22"]


def test_a_conclusion_typed_on_the_form_and_replaced_by_an_option_is_named(
        with_samples: Path) -> None:
    from .test_template_fields import _final

    root = with_samples
    _final(root)
    first = api.accept(root, verdict="通过", date="2024-07-31", leader_opinion="同意验收")
    _type(first.path, {"B19": "有条件通过", "B20": "看板未接入"})
    # an option equal to what the last run wrote (验收日期) is no conflict
    second = api.accept(root, verdict="通过", date="2024-07-31")
    assert [(i.file, i.sheet, i.cell, i.code, i.value, i.expected) for i in second.issues] == [
        ("UG-2024Q3-成果验收确认单.xlsx", "成果验收确认单", "B19", "form-overridden", "有条件通过",
         "通过")]
    assert "--conclusion" in second.issues[0].message
    assert (second.conclusion["verdict"], second.conclusion["open_items"]) == ("通过", "看板未接入")


# -- 3. 督办事项 ids in number order ---------------------------------------------------------

def test_action_items_are_listed_by_number_not_as_text(root: Path) -> None:
    from .test_hostile_followup import minutes

    due = dt.datetime(2024, 7, 26)
    minutes(root, {6 + n: [f"DB-24W28-{n:02d}", f"事项 {n}", "决定", "技术部", "", due, "未开始"]
                   for n in range(1, 121)})
    fill_workbook(built(root, W29, "技术部"), weekly={"T03": {"完成百分比": "80%"}},
                  out=root / "inbox" / "技术部.xlsx")  # a return: the merge is recorded
    expected = [f"DB-24W28-{n:02d}" for n in range(1, 121)]  # …-99 before …-100
    report = merged(root, W29, AS_OF29)
    assert [a.item_id for a in report.actions] == expected
    assert report.report_path, [str(i) for i in report.issues]
    ws = openpyxl.load_workbook(report.report_path)["督办事项"]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == expected
    # from the ledger: the next week's workbook lists them in the same order
    empty_inbox(root)
    api.build(root, week=W30, built_at=BUILT_AT + dt.timedelta(days=14))
    ws = openpyxl.load_workbook(built(root, W30, "技术部"))["督办事项"]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == expected


# -- 4. a risk form's identity message names the risk form's sheet --------------------------

def test_a_risk_form_with_another_departments_row_names_its_own_sheet(root: Path) -> None:
    import os

    wb = openpyxl.load_workbook(built(root, W29, "技术部-风险应对申请表"))
    ws = wb["风险应对申请表"]
    cols = header_columns(ws)
    row = {"提出部门": "市场部", "发现时间": dt.datetime(2024, 7, 16, 9),
           "提出时间": dt.datetime(2024, 7, 16, 10), "风险描述": "渠道预算超支", "风险等级": "中",
           "影响范围": "推广", "建议措施": "压缩投放", "状态": "处理中"}
    for header, value in row.items():
        ws.cell(3, cols[header]).value = value
    target = root / "inbox" / "风险.xlsx"
    wb.save(target)
    moment = dt.datetime(2024, 7, 16, 11).timestamp()
    os.utime(target, (moment, moment))
    result = api.risks(root, as_of=dt.date(2024, 7, 16))
    (issue,) = result.issues
    assert (issue.code, issue.file, issue.sheet, issue.cell, issue.value, issue.expected) == (
        "identity-mismatch", "风险.xlsx", "风险应对申请表", "B3", "市场部、技术部", "技术部")
    assert "「风险应对申请表」" in issue.message and "周进度跟踪表" not in issue.message


# -- 5. a department deleting its own 督办事项 rows ------------------------------------------

def test_an_action_row_deleted_by_its_department_is_named_and_stays_open(root: Path) -> None:
    from .test_hostile_followup import DECISION, minutes

    minutes(root, {7: [None, *DECISION], 8: [None, "活动页文案未定稿", "市场部定稿", "市场部", "李娜",
                                             dt.datetime(2024, 7, 19), "进行中"],
                   9: [None, "压测报告", "技术部出报告", "技术部", "陈杰", dt.datetime(2024, 7, 19),
                       "未开始"]})
    result = api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7, hours=1))
    # 技术部 deletes DB-24W28-03's row and updates DB-24W28-01
    wb = openpyxl.load_workbook(result.departments["技术部"])
    ws = wb["督办事项"]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["DB-24W28-01", "DB-24W28-03"]
    ws.protection.sheet = False
    ws["E2"] = "进行中"
    ws.delete_rows(3)
    wb.save(root / "inbox" / "技术部.xlsx")
    # 市场部 deletes the whole sheet; 运营部 carried nothing and returns its file as it is
    wb = openpyxl.load_workbook(result.departments["市场部"])
    del wb["督办事项"]
    wb.save(root / "inbox" / "市场部.xlsx")
    shutil.copy(result.departments["运营部"], root / "inbox" / "运营部.xlsx")
    report = merged(root, W29, AS_OF29)
    assert [(i.file, i.sheet, i.value, i.code) for i in report.issues
            if i.code == "missing-action"] == [
        ("市场部.xlsx", "督办事项", "DB-24W28-02", "missing-action"),
        ("技术部.xlsx", "督办事项", "DB-24W28-03", "missing-action")]
    assert "压测报告" in next(i.message for i in report.issues if i.value == "DB-24W28-03")
    items = {a.item_id: a for a in report.actions}
    assert [(i, items[i].status, items[i].is_open) for i in sorted(items)] == [
        ("DB-24W28-01", "进行中", True), ("DB-24W28-02", "进行中", True),
        ("DB-24W28-03", "未开始", True)]
