"""模板4's new fields and the PMO's side of a risk, on the example project: departments
fill 提出人 … 关闭确认人 in real workbooks; the PMO fills the 风险应对 sheet of the
master `build` wrote and drops it in inbox/; the merge records the response, flags 高
risks left without one, and refuses to close a 高 risk without 分管领导意见."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.model.vocab import RiskFlag
from xlflow.simulate import fill_workbook, header_columns

from .conftest import AS_OF, BUILT_AT, SAMPLES, WEEK, department_file

W29, AS_OF29 = "2024-W29", dt.date(2024, 7, 19)
TEC_RISK, MKT_RISK = "TEC-24W28-01", "MKT-24W28-01"
RISK = {"发现时间": "2024-07-09 09:00", "提出时间": "2024-07-09 10:00", "风险描述": "支付接口压测不达标",
        "风险等级": "高", "影响范围": "上线", "建议措施": "扩容"}


def merge(root: Path, files: list[Path] | None = None, **kw: Any) -> api.MergeReport:
    kw.setdefault("week", WEEK)
    kw.setdefault("as_of", AS_OF)
    return api.merge(root, files, **kw)


def where(report: Any, *codes: str) -> list[tuple[str, str, str]]:
    return [(i.sheet, i.cell, i.code) for i in report.issues if i.code in codes]


def risk(report: Any, rid: str) -> Any:
    return next(r for r in report.risks if r.risk_id == rid)


def fill_response(master: Path, rows: dict[str, dict[str, Any]], out: Path,
                  extra: dict[str, Any] | None = None) -> Path:
    """Type the PMO's response into the master's 风险应对 sheet, by risk id and header."""
    wb = openpyxl.load_workbook(master)
    ws = wb["风险应对"]
    cols = header_columns(ws)
    ids = {str(ws.cell(r, 1).value): r for r in range(2, ws.max_row + 1)}
    for rid, values in rows.items():
        for header, value in values.items():
            ws.cell(ids[rid], cols[header]).value = value
    for name, value in (extra or {}).items():  # e.g. {"A2": "TEC-24W99-01"}: a locked cell
        ws[name] = value
    wb.save(out)
    return out


@pytest.fixture
def week28(with_samples: Path) -> Path:
    """The example with the W28 sample returns merged (TEC-24W28-01 高, MKT-24W28-01 中)."""
    merge(with_samples)
    return with_samples


@pytest.fixture
def built29(week28: Path) -> api.BuildResult:
    return api.build(week28, week=W29, built_at=BUILT_AT + dt.timedelta(days=7))


# -- 模板4's fields ------------------------------------------------------------------------

def test_new_risk_fields_filled_in_a_workbook_reach_the_report(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path), risks=[{
        **RISK, "提出人": "陈杰", "风险类别": "技术", "发生概率": "中", "影响程度": "高",
        "需协调部门": "运营部，市场部", "所需支持": "运营部准备降级预案"}])
    report = merge(built.project.root, [path])
    assert report.errors == 0, [str(i) for i in report.issues]
    v = risk(report, TEC_RISK).values
    assert (v["raised_by"], v["category"], v["probability"], v["severity"], v["coordination"],
            v["support"]) == ("陈杰", "技术", "中", "高", "运营部、市场部", "运营部准备降级预案")
    ws = openpyxl.load_workbook(report.report_path)["风险登记册"]
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == TEC_RISK)
    shown = dict(zip(heads, row, strict=True))
    assert (shown["提出人"], shown["需协调部门"], shown["风险类别"]) == ("陈杰", "运营部、市场部", "技术")


def test_the_risk_sheet_offers_the_new_dropdowns(built) -> None:
    ws = openpyxl.load_workbook(built.departments["技术部"])["风险应对申请表"]
    cols = header_columns(ws)
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    letter = openpyxl.utils.get_column_letter
    assert lists[f"{letter(cols['风险类别'])}2"].formula1 == '"技术,资源,进度,市场,合规,其他"'
    coordinate = lists[f"{letter(cols['需协调部门'])}2"]
    # several departments are typed with commas: Excel lets them through with a note
    assert (coordinate.formula1, coordinate.errorStyle) == ('"产品部,市场部,技术部,运营部"',
                                                           "information")


def test_a_bad_department_to_involve_names_the_cell_and_the_name(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path),
                         risks=[{**RISK, "需协调部门": "市场部,财务部"}])
    report = merge(built.project.root, [path])
    (issue,) = [i for i in report.issues if i.code == "not-in-list"]
    assert (issue.sheet, issue.cell, issue.value) == ("风险应对申请表", "R2", "财务部")
    assert "需协调部门" in issue.message and "财务部" in issue.message


@pytest.mark.parametrize("fields, expected", [
    ({"发生概率": "低", "影响程度": "低", "风险等级": "高"}, [("风险应对申请表", "G2", "level-mismatch")]),
    ({"发生概率": "高", "影响程度": "低", "风险等级": "高"}, []),  # 中 by the matrix: one step
    ({"发生概率": "高", "影响程度": "高", "风险等级": "低"}, [("风险应对申请表", "G2", "level-mismatch")]),
])
def test_a_level_far_from_probability_times_impact_is_a_warning(
        built, tmp_path: Path, fields: dict[str, str], expected: list[tuple[str, str, str]]) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path), risks=[{**RISK, **fields}])
    report = merge(built.project.root, [path])
    assert where(report, "level-mismatch") == expected
    assert risk(report, TEC_RISK).level == fields["风险等级"]  # a warning: the level stands


@pytest.mark.parametrize("fields, expected", [
    ({"状态": "已关闭", "关闭确认人": "刘强"}, ("T2", "close-incomplete")),
    ({"状态": "已关闭", "关闭日期": "2024-07-11"}, ("U2", "close-incomplete")),
    ({"状态": "已关闭", "关闭日期": "2024-07-05", "关闭确认人": "刘强"}, ("T2", "close-before-raised")),
])
def test_a_close_without_date_and_confirmer_or_before_raising_is_refused(
        built, tmp_path: Path, fields: dict[str, str], expected: tuple[str, str]) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path),
                         risks=[{**RISK, "风险等级": "中", **fields}])
    report = merge(built.project.root, [path])
    assert [(i.cell, i.code) for i in report.issues if i.code.startswith("close-")] == [expected]
    assert risk(report, TEC_RISK).is_open


def test_old_returns_without_the_new_columns_still_merge(built, tmp_path: Path) -> None:
    path = department_file(built, "技术部", tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["风险应对申请表"]
    first = header_columns(ws)["提出人"]
    ws.delete_cols(first, ws.max_column - first + 1)  # as a workbook built before them
    wb.save(path)
    fill_workbook(path, risks=[{**RISK, "风险等级": "中"}])
    report = merge(built.project.root, [path])
    assert report.errors == 0, [str(i) for i in report.issues]
    assert risk(report, TEC_RISK).values["description"] == RISK["风险描述"]


# -- the PMO's response ----------------------------------------------------------------------

def test_master_lists_open_risks_and_its_response_is_merged_and_carried(
        built29: api.BuildResult, tmp_path: Path) -> None:
    root = built29.project.root
    ws = openpyxl.load_workbook(built29.master)["风险应对"]
    cols = header_columns(ws)
    listed = {ws.cell(r, 1).value: ws.cell(r, cols["风险等级"]).value for r in range(2, ws.max_row + 1)}
    assert listed == {TEC_RISK: "高", MKT_RISK: "中"}
    assert ws.protection.sheet and not ws.cell(2, cols["应对方案"]).protection.locked
    assert ws.cell(2, cols["风险编号"]).protection.locked

    fill_response(built29.master, {TEC_RISK: {
        "应对方案": "支付方加派两名工程师;运营部准备降级预案", "需协调部门": "运营部,市场部",
        "责任人": "陈杰", "解决时限": dt.datetime(2024, 7, 18), "PMO意见": "每日同步进展"}},
        root / "inbox" / "PMO总表.xlsx")
    report = merge(root, week=W29, as_of=AS_OF29)
    (pmo,) = [f for f in report.files if f.department == "PMO"]
    assert pmo.accepted, [str(i) for i in report.issues]
    tec = risk(report, TEC_RISK)
    assert tec.response["plan"].startswith("支付方加派") and tec.response["coordination"] == "运营部、市场部"
    assert (tec.owner, tec.deadline) == ("陈杰", dt.date(2024, 7, 18))
    assert RiskFlag.NO_PMO_RESPONSE not in tec.flags
    # 中, raised 07-10 16:00, no response by the end of 07-19: more than a week
    assert RiskFlag.NO_PMO_RESPONSE in risk(report, MKT_RISK).flags
    ws = openpyxl.load_workbook(report.report_path)["风险登记册"]
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == TEC_RISK)
    assert dict(zip(heads, row, strict=True))["PMO应对方案"] == tec.response["plan"]

    # W30: the master has left the inbox; the response is carried, and pre-filled
    (root / "inbox" / "PMO总表.xlsx").unlink()
    later = merge(root, week="2024-W30", as_of=dt.date(2024, 7, 26))
    assert risk(later, TEC_RISK).response["plan"] == tec.response["plan"]
    built30 = api.build(root, week="2024-W31")
    ws = openpyxl.load_workbook(built30.master)["风险应对"]
    cols = header_columns(ws)
    assert ws.cell(2, 1).value == TEC_RISK and ws.cell(2, cols["责任人"]).value == "陈杰"


def test_a_later_master_overrides_an_earlier_response(built29: api.BuildResult,
                                                      tmp_path: Path) -> None:
    root = built29.project.root
    first = fill_response(built29.master, {TEC_RISK: {"应对方案": "方案一", "责任人": "陈杰"}},
                          root / "inbox" / "a.xlsx")
    second = fill_response(built29.master, {TEC_RISK: {"应对方案": "方案二", "责任人": "刘强"}},
                           root / "inbox" / "b.xlsx")
    for n, path in enumerate((first, second)):
        stamp = dt.datetime(2024, 7, 16, 9 + n).timestamp()
        os.utime(path, (stamp, stamp))
    report = merge(root, week=W29, as_of=AS_OF29)
    assert (risk(report, TEC_RISK).response["plan"], risk(report, TEC_RISK).owner) == ("方案二", "刘强")


def test_a_bad_cell_or_an_unknown_risk_in_the_response_is_named(built29: api.BuildResult) -> None:
    root = built29.project.root
    fill_response(built29.master, {TEC_RISK: {"应对方案": "扩容", "需协调部门": "财务部"},
                                    MKT_RISK: {"应对方案": "备选渠道"}},
                  root / "inbox" / "PMO总表.xlsx", extra={"A3": "MKT-24W99-09"})
    report = merge(root, week=W29, as_of=AS_OF29)
    assert where(report, "not-in-list", "unknown-risk") == [
        ("风险应对", "J2", "not-in-list"), ("风险应对", "A3", "unknown-risk")]
    assert not risk(report, TEC_RISK).response and not risk(report, MKT_RISK).response


def test_an_unfilled_master_is_still_not_a_return(built29: api.BuildResult) -> None:
    root = built29.project.root
    report = merge(root, [shutil.copy(built29.master, root / "inbox" / "PMO总表.xlsx")],
                   week=W29, as_of=AS_OF29)
    assert [i.code for i in report.issues if i.is_error] == ["not-a-department-file"]


def test_a_forged_or_foreign_master_is_refused(built29: api.BuildResult, tmp_path: Path) -> None:
    root = built29.project.root
    response = {TEC_RISK: {"应对方案": "扩容", "分管领导意见": "同意关闭"}}
    forged = fill_response(built29.master, response, root / "inbox" / "forged.xlsx")
    wb = openpyxl.load_workbook(forged)
    ident = wb["_xlflow"]
    row = next(r for r in range(1, ident.max_row + 1) if ident.cell(r, 1).value == "week")
    ident.cell(row, 2).value = "2024-W28"  # claim an earlier week than it was built for
    wb.save(forged)
    # a copy of the project (same key) built elsewhere: a master this project never built
    other = Path(shutil.copytree(root, tmp_path / "other"))
    foreign = fill_response(api.build(other, week=W29).master, response,
                            root / "inbox" / "foreign.xlsx")
    report = merge(root, [forged, foreign], week=W29, as_of=AS_OF29)
    refused = {f.name: f.accepted for f in report.files if f.name in (forged.name, foreign.name)}
    assert refused == {forged.name: False, foreign.name: False}
    assert sorted((i.file, i.code) for i in report.issues if i.is_error) == [
        ("foreign.xlsx", "unknown-file-id"), ("forged.xlsx", "identity-forged")]
    assert not risk(report, TEC_RISK).response


# -- levels mean something -----------------------------------------------------------------

def test_high_risk_without_response_after_24_hours_is_flagged(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path),
                         risks=[{**RISK, "提出时间": "2024-07-11 10:00", "发现时间": "2024-07-11 09:00"}])
    on_time = merge(built.project.root, [path], as_of=dt.date(2024, 7, 11), write=False)
    assert RiskFlag.NO_PMO_RESPONSE not in risk(on_time, TEC_RISK).flags  # 14 h at the day's end
    late = merge(built.project.root, [path], as_of=dt.date(2024, 7, 12))
    assert RiskFlag.NO_PMO_RESPONSE in risk(late, TEC_RISK).flags
    ws = openpyxl.load_workbook(late.report_path)["总览"]
    figures = {r[0]: r[1:] for r in ws.iter_rows(min_row=1, max_col=3, values_only=True) if r[0]}
    assert figures["风险总数"] == (1, "其中 PMO 未按时应对 1 项")


def test_xlflow_risks_lists_high_risks_awaiting_the_pmo(week28: Path) -> None:
    result = CliRunner().invoke(cli, ["risks", str(week28), "--as-of", "2024-07-12"])
    assert result.exit_code == 0, result.output
    assert f"待 PMO 应对 {TEC_RISK} 技术部 高:提出于 2024-07-09 15:00" in result.output
    assert MKT_RISK not in result.output  # 中, raised two days before: within the week


def _close(built29: api.BuildResult, tmp_path: Path) -> Path:
    return fill_workbook(department_file(built29, "技术部", tmp_path), risks=[{
        "状态": "已关闭", "关闭日期": "2024-07-17", "关闭确认人": "刘强", "落实情况": "联调通过"}])


def test_high_risk_closed_without_executive_opinion_is_refused(built29: api.BuildResult,
                                                              tmp_path: Path) -> None:
    root = built29.project.root
    fill_response(built29.master, {TEC_RISK: {"应对方案": "扩容", "PMO意见": "同意"}},
                  root / "inbox" / "PMO总表.xlsx")
    report = merge(root, [_close(built29, tmp_path), root / "inbox" / "PMO总表.xlsx"],
                   week=W29, as_of=AS_OF29)
    assert where(report, "close-unapproved") == [("风险应对申请表", "L2", "close-unapproved")]
    tec = risk(report, TEC_RISK)
    assert (tec.status, tec.is_open, tec.values["progress"]) == ("处理中", True, "联调通过")


def test_high_risk_closed_with_executive_opinion_is_accepted(built29: api.BuildResult,
                                                             tmp_path: Path) -> None:
    root = built29.project.root
    master = fill_response(built29.master, {TEC_RISK: {"应对方案": "扩容",
                                                        "分管领导意见": "同意关闭。陈明"}},
                           root / "inbox" / "PMO总表.xlsx")
    report = merge(root, [_close(built29, tmp_path), master], week=W29, as_of=AS_OF29)
    assert where(report, "close-unapproved") == []
    tec = risk(report, TEC_RISK)
    assert (tec.status, tec.values["closed_by"], tec.response["leader_opinion"]) == (
        "已关闭", "刘强", "同意关闭。陈明")


def test_the_samples_final_week_closes_its_medium_risk(week28: Path) -> None:
    api.build(week28, week="2024-W31")
    report = merge(week28, sorted((SAMPLES / "returns-2024-W31").glob("*.xlsx")),
                   week="2024-W31", as_of=dt.date(2024, 7, 31))
    assert report.errors == 0, [str(i) for i in report.issues if i.is_error]
    assert (risk(report, MKT_RISK).status, risk(report, MKT_RISK).values["closed_by"]) == (
        "已关闭", "李娜")


def test_xlflow_risks_shows_the_response_of_a_master_in_the_inbox(built29: api.BuildResult
                                                                  ) -> None:
    root = built29.project.root
    shutil.copy(built29.master, root / "inbox" / "unfilled.xlsx")  # passed over, not an error
    fill_response(built29.master, {TEC_RISK: {"应对方案": "扩容", "责任人": "陈杰"}},
                  root / "inbox" / "PMO总表.xlsx")
    result = api.risks(root, as_of=AS_OF29)
    assert result.issues == [] and result.exit_status == 0
    tec = next(r for r in result.register if r.risk_id == TEC_RISK)
    assert tec.response["plan"] == "扩容" and RiskFlag.NO_PMO_RESPONSE not in tec.flags
    mkt = next(r for r in result.register if r.risk_id == MKT_RISK)
    assert RiskFlag.NO_PMO_RESPONSE in mkt.flags


def test_validate_checks_a_filled_master_before_it_is_dropped(built29: api.BuildResult,
                                                              tmp_path: Path) -> None:
    master = fill_response(built29.master, {TEC_RISK: {"应对方案": "扩容", "解决时限": "下周"}},
                           tmp_path / "PMO总表.xlsx")
    report = api.validate([master], project_dir=built29.project.root, as_of=AS_OF29)
    (checked,) = report.files
    assert (checked.department, checked.accepted, checked.signature) == ("PMO", True, "valid")
    assert [(i.sheet, i.cell, i.code) for i in checked.issues] == [("风险应对", "L2", "bad-date")]
