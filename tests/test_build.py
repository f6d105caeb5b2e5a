"""Open the generated workbooks with openpyxl and check what a department will see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.writer._identity import IDENTITY_SHEET

from .conftest import BUILT_AT, WEEK


def _validations(ws) -> dict[str, object]:
    """Validation by the header (first line) of the column it covers."""
    headers = {cell.column_letter: str(cell.value).split("\n")[0].rstrip(" *")
               for cell in ws[1]}
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[headers[rng.coord.split(":")[0].rstrip("0123456789")]] = (dv, str(rng.coord))
    return out


@pytest.fixture
def tec(built: api.BuildResult) -> openpyxl.Workbook:
    return openpyxl.load_workbook(built.departments["技术部"])


def test_build_writes_one_workbook_per_department_and_a_master(built: api.BuildResult) -> None:
    assert sorted(built.departments) == ["产品部", "市场部", "技术部", "运营部"]
    assert built.outbox == built.project.root / "outbox" / WEEK
    assert sorted(p.name for p in built.outbox.iterdir()) == sorted(
        [f"UG-2024Q3-{WEEK}-{d}.xlsx" for d in built.departments] + [f"UG-2024Q3-{WEEK}-PMO总表.xlsx"]
        + [f"UG-2024Q3-{WEEK}-{d}-风险应对申请表.xlsx" for d in built.departments])


def test_department_workbook_sheets_and_hidden_identity(tec: openpyxl.Workbook) -> None:
    assert tec.sheetnames == ["填写说明", "职责分工表", "周进度跟踪表", "风险应对申请表",
                              "成果验收确认单", "复盘反馈", IDENTITY_SHEET]
    ident = tec[IDENTITY_SHEET]
    assert ident.sheet_state == "veryHidden"
    rows = {r[0]: r[1] for r in ident.iter_rows(min_row=2, values_only=True)}
    assert rows["project_id"] == "UG-2024Q3"
    assert rows["department"] == "技术部"
    assert rows["week"] == WEEK
    assert rows["spec_version"] == (
        "request=1;responsibilities=1;weekly=1;risks=1;acceptance=1;retro=1;pmo_response=1")
    assert rows["built_at"] == BUILT_AT.isoformat()
    assert len(rows["file_id"]) == 32
    assert all(tec[name].sheet_state == "visible" for name in tec.sheetnames[:6])


def test_instructions_name_week_and_deadline(tec: openpyxl.Workbook) -> None:
    text = "\n".join(str(c.value) for row in tec["填写说明"].iter_rows() for c in row if c.value)
    assert "2024-W28(2024-07-08 至 2024-07-14)" in text
    assert "请于 2024-07-12(星期五)前填好并交回 PMO" in text
    assert "技术部" in text and "风险编号已预留" in text


def test_weekly_sheet_is_prefilled_with_own_tasks_only(tec: openpyxl.Workbook) -> None:
    ws = tec["周进度跟踪表"]
    assert ws["A1"].value == "任务编号\nTask ID"
    assert ws["E1"].value == "实际完成情况 *\nActual progress"
    rows = list(ws.iter_rows(min_row=2, max_row=3, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("T03", "技术部", dt.datetime(2024, 7, 12)), ("T04", "技术部", dt.datetime(2024, 7, 14))]
    assert rows[0][2] == "可上线功能模块：负责活动页面开发与测试，保障功能稳定性"
    assert all(v is None for v in rows[0][4:])


def test_locked_headers_unlocked_inputs_and_protection(tec: openpyxl.Workbook) -> None:
    ws = tec["周进度跟踪表"]
    assert ws.protection.sheet is True
    assert ws.protection.password is None
    assert ws.protection.autoFilter is False  # False = users *may* filter
    assert ws["A1"].protection.locked and ws["A2"].protection.locked   # header, task id
    assert ws["D2"].protection.locked  # planned date
    assert not ws["E2"].protection.locked and not ws["F2"].protection.locked
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].number_format == "0%"
    assert ws["E1"].fill.fgColor.rgb == "FFC65911"  # required input column stands out
    assert ws["A1"].fill.fgColor.rgb == "FF305496"
    assert ws["A2"].fill.fgColor.rgb == "FFEDEDED"  # pre-filled, locked
    assert tec["职责分工表"]["A2"].protection.locked and tec["职责分工表"]["G2"].protection.locked


def test_layout_freeze_widths_print_and_filter(tec: openpyxl.Workbook) -> None:
    ws = tec["周进度跟踪表"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width == pytest.approx(36.7, abs=1)
    assert ws.page_setup.orientation == "landscape"
    # OOXML defaults: fitToWidth absent means 1, operator absent means "between"
    assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref == "A1:N3"  # the table only, not the 填报人/填报日期 below


def test_weekly_validations(tec: openpyxl.Workbook) -> None:
    v = _validations(tec["周进度跟踪表"])
    assert "任务编号" not in v and "计划完成日期" not in v  # locked columns
    pct, rng = v["完成百分比"]
    assert (pct.type, pct.operator or "between", float(pct.formula1), float(pct.formula2),
            rng) == ("decimal", "between", 0, 1, "F2:F3")
    date, rng = v["实际完成日期"]
    assert (date.type, date.operator or "between", rng) == ("date", "between", "G2:G3")
    lo = dt.date(2024, 6, 1) - dt.date(1899, 12, 30)
    hi = dt.date(2024, 10, 28) - dt.date(1899, 12, 30)
    assert float(date.formula1) == lo.days and int(float(date.formula2)) == hi.days
    assert date.promptTitle == "实际完成日期" and "2024-07-01" in date.prompt
    assert (date.errorStyle or "stop") == "stop" and date.showErrorMessage and "2024-06-01 至 2024-10-28" in date.error
    text, _ = v["实际完成情况"]
    assert (text.type, text.operator, text.formula1) == ("textLength", "lessThanOrEqual", "2000")


def test_risk_sheet_dropdowns_and_reserved_ids(tec: openpyxl.Workbook) -> None:
    ws = tec["风险应对申请表"]
    v = _validations(ws)
    level, rng = v["风险等级"]
    assert (level.type, level.formula1, rng) == ("list", '"高,中,低"', "G2:G31")
    assert v["状态"][0].formula1 == '"待处理,处理中,已解决,已关闭"'
    # the department's own tasks; another department's task id typed in is allowed
    # after a warning (the merge checks it against the whole project)
    task = v["关联任务"][0]
    assert (task.formula1, task.errorStyle) == ('"T03,T04"', "warning")
    assert v["发现时间"][0].type == "date"
    assert [ws.cell(r, 1).value for r in (2, 3, 31)] == ["TEC-24W28-01", "TEC-24W28-02",
                                                       "TEC-24W28-30"]
    assert ws.cell(2, 2).value == "技术部" and ws.cell(2, 12).value == "待处理"
    assert ws.max_row == 31


def test_a_department_workbook_carries_only_its_own_tasks(tec: openpyxl.Workbook) -> None:
    """No dropdown and no sheet but the 职责分工表 (whose 前置任务 names the predecessors of
    the department's tasks) holds another department's task ids: a workbook grows with
    its department's work, not with the project's."""
    seen = {str(v) for ws in tec.worksheets if ws.title != "职责分工表"
            for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    seen |= {part.strip('"') for ws in tec.worksheets
             for dv in ws.data_validations.dataValidation
             for part in str(dv.formula1 or "").split(",")}
    assert {"T03", "T04"} <= seen
    assert not seen & {"T01", "T02", "T05", "T06", "T07", "T08"}


def test_acceptance_sheet_lists_own_results(tec: openpyxl.Workbook) -> None:
    ws = tec["成果验收确认单"]
    assert [c.value.split("\n")[0].rstrip(" *") for c in ws[1]] == [
        "成果编号", "成果/指标", "责任部门", "目标值", "实际值", "是否达标", "确认人", "确认日期", "意见"]
    assert [c.value for c in ws[2]][:4] == ["R1", "活动页面", "技术部", "≥1个"]
    assert _validations(ws)["是否达标"][0].formula1 == '"是,否"'


def test_long_dropdown_lists_go_to_a_hidden_list_sheet(project_dir: Path) -> None:
    path = project_dir / "project.yaml"
    many = ", ".join(f"状态选项{i:02d}" for i in range(40))
    path.write_text(path.read_text(encoding="utf-8")
                    + f"spec_overrides:\n  risks:\n    columns:\n      status: {{values: [{many}]}}\n",
                    encoding="utf-8")
    result = api.build(project_dir, week=WEEK, departments=["技术部"])
    wb = openpyxl.load_workbook(result.departments["技术部"])
    assert wb["_lists"].sheet_state == "veryHidden"
    assert _validations(wb["风险应对申请表"])["状态"][0].formula1 == "'_lists'!$A$1:$A$40"
    assert wb["_lists"]["A40"].value == "状态选项39"


def test_master_workbook_has_request_form_plan_and_minutes(built: api.BuildResult) -> None:
    wb = openpyxl.load_workbook(built.master)
    assert wb.sheetnames[:3] == ["合作需求申请表", "职责分工表", "需求共识纪要"]
    form = {str(r[0]).split("\n")[0]: r[1] for r in
            wb["合作需求申请表"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert form["合作名称"] == "2024年Q3用户增长活动"
    assert form["发起部门"] == "产品部"
    assert form["涉及部门"] == "市场部、技术部、运营部"
    assert "新增用户≥100,000人" in form["预期成果"] and "活动转化率≥15%" in form["预期成果"]
    assert wb["合作需求申请表"].page_setup.orientation == "portrait"
    assert wb["职责分工表"].max_row == 9
    minutes = " ".join(str(c.value) for row in wb["需求共识纪要"].iter_rows() for c in row if c.value)
    assert "技术部承诺" in minutes and "T03 可上线功能模块" in minutes
    assert "同意，需提前介入需求评审" in minutes


def test_build_unknown_department_and_bad_week(project_dir: Path) -> None:
    from xlflow.errors import ProjectError

    with pytest.raises(ProjectError, match="'法务部' 不在 project.yaml 的部门中"):
        api.build(project_dir, departments=["法务部"])
    with pytest.raises(ProjectError, match="不是 ISO 周"):
        api.build(project_dir, week="July")


def test_a_builds_workbooks_are_freed_as_it_goes_not_at_its_end(
        project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build pauses the cycle collector; a workbook or sheet still alive after it was
    written (a sheet holding its workbook, a sheet's hook holding its sheet) stayed in
    memory till the build's end: 657 MB at 1,000 departments."""
    import gc
    import weakref

    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    made: list[weakref.ref[object]] = []
    for cls in (xlsxwriter.Workbook, Worksheet):
        def recorded(self: object, *args: object, _init=cls.__init__, **kwargs: object) -> None:
            _init(self, *args, **kwargs)
            made.append(weakref.ref(self))
        monkeypatch.setattr(cls, "__init__", recorded)
    gc.disable()
    try:
        api.build(project_dir, week=WEEK, built_at=BUILT_AT)
        assert len(made) >= 20
        assert [type(r()).__name__ for r in made if r() is not None] == []
    finally:
        gc.enable()
