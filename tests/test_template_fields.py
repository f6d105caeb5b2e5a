"""The fields a Chinese PMO expects on 模板3 and 模板5, on the example project with real
workbooks: 下周计划 and 填报人/填报日期 on 周进度跟踪表; each department's confirmation
and the 验收结论 (通过/有条件通过/不通过, 遗留问题, 整改期限, 分管领导意见) of
成果验收确认单."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.cli import cli
from xlflow.model.vocab import Phase
from xlflow.simulate import fill_workbook

from .conftest import SAMPLES, department_file, identity_rows, resign
from .office import soffice_convert

WEEK, AS_OF = "2024-W28", dt.date(2024, 7, 12)
FINAL, FINAL_AS_OF = "2024-W31", dt.date(2024, 7, 31)


def _sheet_rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]


def _row_of(rows: list[tuple], first: str) -> tuple:
    return next(r for r in rows if r and r[0] == first)


def _filled_tec(built: api.BuildResult, tmp_path: Path, **fields: object) -> Path:
    path = department_file(built, "技术部", tmp_path, "技术部-0712.xlsx")
    return fill_workbook(path, weekly={
        "T03": {"实际完成情况": "页面开发完成", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                "偏差原因": "接口文档延迟", "下周计划": "完成支付接口联调并提测"},
        "T04": {"实际完成情况": "用例编写完成", "完成百分比": "40%", "预计完成日期": "2024-07-17",
                "偏差原因": "受 T03 影响"}},
        fields={"周进度跟踪表": {"填报人": "陈杰", **fields}})


def test_weekly_fields_reach_report_ledger_and_json(built: api.BuildResult,
                                                   tmp_path: Path) -> None:
    root = built.project.root
    filled = _filled_tec(built, tmp_path, 填报日期="2024-07-12")
    # LibreOffice opens and saves it, as a department's computer would
    returned = soffice_convert(filled, tmp_path / "lo")
    shutil.copy(returned, root / "inbox" / returned.name)
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    assert [(i.sheet, i.cell, i.code) for i in report.issues
            if i.file == returned.name and i.code != "not-reported"] == []
    rows = _sheet_rows(Path(report.report_path), "周进度跟踪表")
    head = rows[0]
    t03 = _row_of(rows, "T03")
    assert t03[head.index("下周计划")] == "完成支付接口联调并提测"
    overview = _sheet_rows(Path(report.report_path), "总览")
    header = next(r for r in overview if r[0] == "部门" and "填报人" in r)
    tec = next(r for r in overview[overview.index(header):] if r[0] == "技术部")
    assert (tec[header.index("填报人")], tec[header.index("填报日期")]) == (
        "陈杰", dt.datetime(2024, 7, 12))
    block = report.block("技术部", "weekly")
    assert block is not None and block.values == {"reporter": "陈杰",
                                                  "report_date": dt.date(2024, 7, 12)}
    assert block.cells == {"reporter": "B5", "report_date": "B6"}
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert {(b["department"], b["template"]): b["values"] for b in data["form_blocks"]} == {
        ("技术部", "weekly"): {"reporter": "陈杰", "report_date": "2024-07-12"}}
    assert next(t for t in data["tasks"] if t["id"] == "T03")["texts"]["next_plan"] == \
        "完成支付接口联调并提测"
    with sqlite3.connect(root / "xlflow-ledger.sqlite") as db:
        stored = [json.loads(d) for (d,) in db.execute(
            "SELECT data FROM form_blocks WHERE department = '技术部'")]
    assert [(b["template"], b["values"]) for b in stored] == [
        ("weekly", {"reporter": "陈杰", "report_date": "2024-07-12"})]


@pytest.mark.parametrize(("typed", "code"), [("2024-07-05", "out-of-range"),
                                              ("2024-12-31", "out-of-range"),
                                              ("上周五", "bad-date")])
def test_a_bad_report_date_names_its_cell(built: api.BuildResult, tmp_path: Path, typed: str,
                                          code: str) -> None:
    """填报日期 lies between the week's Monday and the return deadline + late window."""
    root = built.project.root
    shutil.copy(_filled_tec(built, tmp_path, 填报日期=typed), root / "inbox")
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    bad = [i for i in report.issues if i.sheet == "周进度跟踪表" and i.cell == "B6"]
    assert [(i.code, i.is_error) for i in bad] == [(code, True)]
    assert "2024-07-08 至 2024-10-10" in bad[0].expected  # Monday .. Friday + 90 days
    assert report.block("技术部", "weekly").values == {"reporter": "陈杰"}  # the date is not kept
    assert next(t for t in report.tasks if t.task_id == "T03").reported  # rows still count


def test_a_blank_block_is_a_warning_and_an_old_return_reads_without_one(
        built: api.BuildResult, tmp_path: Path) -> None:
    root = built.project.root
    blank = department_file(built, "市场部", tmp_path)
    fill_workbook(blank, weekly={"T05": {"实际完成情况": "已完成", "完成百分比": "100%",
                                         "实际完成日期": "2024-07-10"}})
    old = department_file(built, "技术部", tmp_path)
    fill_workbook(old, weekly={"T03": {"实际完成情况": "开发中", "完成百分比": "50%"}})
    wb = openpyxl.load_workbook(old)  # as built before the block and 下周计划 existed
    ws = wb["周进度跟踪表"]
    ws.unmerge_cells("B5:C5")
    ws.unmerge_cells("B6:C6")
    ws.delete_rows(4, 3)
    ws.delete_cols(ws.max_column)
    identity_rows(wb)["spec_digest"].value = "0" * 16  # an older template's digest
    wb.save(old)
    resign(old, root)
    for f in (blank, old):
        shutil.copy(f, root / "inbox")
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    assert [(i.file, i.cell, i.code) for i in report.issues if i.code in
            ("missing-form-field", "missing-column", "unknown-column")] == [
        ("市场部.xlsx", "B5", "missing-form-field"), ("市场部.xlsx", "B6", "missing-form-field")]
    assert report.errors == 0
    assert report.block("技术部", "weekly") is None
    assert next(t for t in report.tasks if t.task_id == "T03").percent == 50


def test_next_weeks_workbook_shows_last_weeks_plan(with_samples: Path) -> None:
    """下周计划 of W28 is a note on the task's 实际完成情况 in W29's workbook; the new
    下周计划 cell starts empty and 填报人 is pre-filled (the date is the week's own)."""
    api.merge(with_samples, week=WEEK, as_of=AS_OF)
    built = api.build(with_samples, week="2024-W29")
    wb = openpyxl.load_workbook(built.departments["技术部"])
    ws = wb["周进度跟踪表"]
    heads = [str(c.value).split("\n")[0].rstrip(" *") for c in ws[1]]
    t03 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "T03")
    note = t03[heads.index("实际完成情况")].comment
    assert note is not None and "完成支付接口联调并提交测试" in note.text and "2024-W28" in note.text
    assert t03[heads.index("下周计划")].value is None
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, ws.max_row + 1)}
    assert labels["填报人 *"] == "陈杰" and labels["填报日期 *"] is None
    t04 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "T04")
    assert t04[heads.index("实际完成情况")].comment is None


def _final(root: Path, *, skip: str = "") -> None:
    """The sample's W28 and W31 merged; `skip`: a department whose W31 confirmation of
    the acceptance is left empty."""
    assert api.approve(root, by="分管副总 陈明").recorded
    assert api.file_project(root, by="PMO 王芳").recorded
    api.merge(root, week=WEEK, as_of=AS_OF)
    for f in root.glob("inbox/*.xlsx"):
        f.unlink()
    api.build(root, week=FINAL)
    for f in (SAMPLES / f"returns-{FINAL}").glob("*.xlsx"):
        target = shutil.copy(f, root / "inbox" / f.name)
        if skip and f.name.startswith(skip):
            wb = openpyxl.load_workbook(target)
            ws = wb["成果验收确认单"]
            for r in range(2, ws.max_row + 1):
                if str(ws.cell(r, 1).value).startswith("部门"):
                    ws.cell(r, 2).value = None
            wb.save(target)
    api.merge(root, week=FINAL, as_of=FINAL_AS_OF)


def _form_cells(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)["成果验收确认单"]
    return {ws.cell(r, 1).value: f"B{r}" for r in range(1, ws.max_row + 1)
            if isinstance(ws.cell(r, 1).value, str)}


def _fill_form(path: Path, **values: object) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["成果验收确认单"]
    cells = _form_cells(path)
    for label, value in values.items():
        ws[cells[label]] = value
    wb.save(path)


def test_acceptance_waits_for_every_department_then_completes(with_samples: Path) -> None:
    root = with_samples
    _final(root, skip="市场部")
    opts = {"verdict": "通过", "date": "2024-07-31", "leader_opinion": "同意验收"}
    first = api.accept(root, **opts)
    assert not first.recorded and first.missing == [
        "市场部尚未确认成果验收(成果验收确认单下方的部门确认人、部门确认日期)"]
    assert api.status(root, today=FINAL_AS_OF).phase is Phase.EXECUTING
    assert "成果验收:市场部尚未确认成果验收(成果验收确认单下方的部门确认人、部门确认日期)" in \
        api.status(root, today=FINAL_AS_OF).missing
    rows = _sheet_rows(first.path, "成果验收确认单")
    assert _row_of(rows, "市场部")[1] == "未确认"
    assert _row_of(rows, "技术部")[1:4] == ("刘强", dt.datetime(2024, 7, 31), "同意验收")
    # 市场部 sends its confirmation; the next merge and accept complete the phase
    for f in (root / "inbox").glob("市场部*"):
        shutil.copy(SAMPLES / f"returns-{FINAL}" / f.name, f)
    api.merge(root, week=FINAL, as_of=FINAL_AS_OF)
    done = api.accept(root, **opts)
    assert done.recorded and done.missing == []
    assert [c["confirmer"] for c in done.confirmations] == ["王晓", "李娜", "刘强", "孙磊"]
    st = api.status(root, today=FINAL_AS_OF)
    assert st.phase is Phase.ACCEPTED and st.acceptance["verdict"] == "通过"
    rows = _sheet_rows(done.path, "成果验收确认单")
    assert _row_of(rows, "验收结论")[1] == "通过"
    assert _row_of(rows, "分管领导")[1] == "分管副总 陈明"
    assert _row_of(rows, "分管领导意见")[1] == "同意验收"


def test_conditional_pass_needs_its_fix_date_named_by_cell(with_samples: Path,
                                                           runner) -> None:
    root = with_samples
    _final(root)
    first = api.accept(root)  # writes the form; nothing concluded yet
    assert not first.recorded and any("尚无验收结论" in m for m in first.missing)
    cells = _form_cells(first.path)
    # the meeting fills in the form: 有条件通过 with 遗留问题 but without 整改期限
    _fill_form(first.path, 验收日期=dt.datetime(2024, 7, 31), 验收结论="有条件通过",
               遗留问题="转化率看板未接入实时数据", 分管领导意见="同意,限期整改")
    refused = api.accept(root)
    assert not refused.recorded
    assert [(i.sheet, i.cell, i.code) for i in refused.issues] == [
        ("成果验收确认单", cells["整改期限"], "conclusion-incomplete")]
    assert api.status(root, today=FINAL_AS_OF).phase is Phase.EXECUTING
    # the cell kept what was typed: the form is rewritten with the values read
    assert _row_of(_sheet_rows(first.path, "成果验收确认单"), "遗留问题")[1] == \
        "转化率看板未接入实时数据"
    _fill_form(first.path, 整改期限=dt.datetime(2024, 8, 15))
    result = runner.invoke(cli, ["accept", str(root), "--as-of", "2024-08-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["recorded"] and data["conclusion"]["verdict"] == "有条件通过"
    assert data["conclusion"]["fix_by"] == "2024-08-15" and not data["overdue"]
    st = api.status(root, today=dt.date(2024, 8, 20))
    assert st.phase is Phase.ACCEPTED
    assert st.alerts == ["整改逾期:有条件通过的遗留问题「转化率看板未接入实时数据」整改期限 "
                         "2024-08-15 已过"]
    out = runner.invoke(cli, ["status", str(root), "--as-of", "2024-08-20"]).output
    assert "! 整改逾期" in out
    late = api.accept(root, today=dt.date(2024, 8, 20))
    assert late.overdue and [i.code for i in late.issues] == ["rectification-overdue"]
    assert _row_of(_sheet_rows(late.path, "成果验收确认单"), "整改期限")[5] == "已过整改期限"


def test_conditional_pass_by_option_names_the_option(with_samples: Path) -> None:
    root = with_samples
    _final(root)
    r = api.accept(root, verdict="有条件通过", date="2024-07-31", open_items="看板未接入",
                   leader_opinion="同意")
    assert not r.recorded
    assert [(i.code, i.cell) for i in r.issues] == [("conclusion-incomplete", "")]
    assert "--fix-by" in r.issues[0].message


def test_failed_acceptance_keeps_the_phase_open(with_samples: Path) -> None:
    root = with_samples
    _final(root)
    r = api.accept(root, verdict="不通过", date="2024-07-31", leader_opinion="转化率数据存疑")
    assert not r.recorded
    assert r.missing == ["验收结论为不通过:成果验收未完成;整改后重新验收"]
    assert api.status(root, today=FINAL_AS_OF).phase is Phase.EXECUTING
