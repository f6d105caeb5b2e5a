"""`xlflow merge` on real workbooks: filled in with openpyxl (as Excel saves them) and
re-saved by LibreOffice."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.ledger import LEDGER_FILE, SCHEMA_VERSION, Ledger
from xlflow.simulate import fill_workbook

from .conftest import AS_OF, BUILT_AT, WEEK, department_file, identity_rows, resign


def merge(root: Path, files=None, **kw) -> api.MergeReport:
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("week", WEEK)
    return api.merge(root, files, **kw)


def codes(report) -> list[tuple[str, str, str]]:
    return [(i.sheet, i.cell, i.code) for i in report.issues if i.is_error]


# -- the bundled samples -----------------------------------------------------------------

def test_samples_merge_cleanly_with_the_expected_figures(with_samples: Path) -> None:
    report = merge(with_samples)
    assert report.errors == 0 and report.warnings == 0, [str(i) for i in report.issues]
    assert [(f.department, f.accepted) for f in sorted(report.files, key=lambda f: f.name)] == [
        ("产品部", True), ("市场部", True), ("技术部", True), ("运营部", True)]
    assert [(t.task_id, t.status, t.deviation_days, t.percent) for t in report.tasks] == [
        ("T01", "已完成", -1, 100), ("T02", "正常", 0, 30), ("T03", "延误", 4, 80),
        ("T04", "预警", 3, 40), ("T05", "已完成", 0, 100), ("T06", "预警", 1, 80),
        ("T07", "已完成", 0, 100), ("T08", "正常", 0, 10)]
    t03 = report.tasks[2]
    assert t03.forecast == dt.date(2024, 7, 16)  # typed as "7月16日"
    assert t03.texts["deviation_reason"] == "第三方支付接口文档延迟提供"
    assert (t03.source.sheet, t03.source.row) == ("周进度跟踪表", 2)
    assert [(r.risk_id, r.level, r.status, r.flags) for r in report.risks] == [
        ("TEC-24W28-01", "高", "处理中", ["high-open", "late-raise", "no-pmo-response"]),
        ("MKT-24W28-01", "中", "待处理", []),
    ]
    assert report.risks[0].values["found_at"] == dt.datetime(2024, 7, 8, 9, 30)


def test_rollups_per_department_and_milestone(with_samples: Path) -> None:
    report = merge(with_samples)
    tec = next(d for d in report.departments if d.name == "技术部")
    assert (tec.tasks, tec.done, tec.on_time_rate, tec.avg_slip, tec.worst_slip) == (
        2, 0, 0.0, 3.5, 4)
    m2 = next(m for m in report.milestones if m.name == "M2")
    assert (m2.label, m2.planned, m2.forecast, m2.milestone_slip) == (
        "功能开发", dt.date(2024, 7, 12), dt.date(2024, 7, 16), 4)


def test_report_workbook(with_samples: Path) -> None:
    report = merge(with_samples)
    path = Path(report.report_path)
    assert path == with_samples / "reports" / f"{WEEK}-consolidated.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["总览", "周进度跟踪表", "甘特图", "风险登记册", "成果验收", "本周变化",
                             "校验问题", "来源文件"]
    ws = wb["周进度跟踪表"]
    headers = [c.value for c in ws[1]]
    for name in ("任务编号", "部门", "计划完成日期", "实际完成日期", "偏差天数", "状态", "实际完成情况",
                 "偏差原因", "解决措施"):
        assert name in headers
    row = {h: c.value for h, c in zip(headers, ws[4], strict=False)}  # T03
    assert (row["任务编号"], row["偏差天数"], row["状态"]) == ("T03", 4, "延误")
    assert row["计划完成日期"] == dt.datetime(2024, 7, 12)
    rules = {str(r.sqref): [x.formula for x in r.rules] for r in ws.conditional_formatting}
    status_col = openpyxl.utils.get_column_letter(headers.index("状态") + 1)
    assert ['"延误"'] in rules[f"{status_col}2:{status_col}9"], rules
    risks = wb["风险登记册"]
    assert risks["A2"].value == "TEC-24W28-01" and "超过24小时才提出" in risks["E2"].value
    sources = {r[1]: r for r in wb["来源文件"].iter_rows(min_row=2, values_only=True)}
    assert sources["技术部-周报-0712.xlsx"][0] == "技术部"
    assert len(sources["技术部-周报-0712.xlsx"][2]) == 64
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3


def test_inputs_are_never_modified(with_samples: Path) -> None:
    before = {p: p.read_bytes() for p in (with_samples / "inbox").iterdir()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    merge(with_samples)
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes


def test_rerun_is_idempotent_and_ledger_keeps_provenance(with_samples: Path) -> None:
    first = merge(with_samples).to_dict()
    second = merge(with_samples).to_dict()
    assert first == second
    db = sqlite3.connect(with_samples / LEDGER_FILE)
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert db.execute("SELECT COUNT(*) FROM merges").fetchone() == (1,)
    sha, sheet, row = db.execute(
        "SELECT file_sha, sheet, row FROM tasks WHERE task_id='T03'").fetchone()
    src = next(f for f in first["files"] if f["department"] == "技术部")
    assert (sha, sheet, row) == (src["sha256"], "周进度跟踪表", 2)
    assert db.execute("SELECT COUNT(*) FROM risks").fetchone() == (2,)


def test_a_task_record_keeps_its_provenance_once(with_samples: Path) -> None:
    """A stored task names its file; its sha256, sheet and row are the row's columns, not
    repeated in its JSON. It reads back with its source whole, and so does a record
    stored by schema 3, with the whole source in its JSON (its ledger becomes 4)."""
    t03 = next(t for t in merge(with_samples).tasks if t.task_id == "T03")
    assert t03.source is not None
    db = sqlite3.connect(with_samples / LEDGER_FILE)
    (data,) = db.execute("SELECT data FROM tasks WHERE task_id='T03'").fetchone()
    assert json.loads(data)["source"] == {"file": t03.source.file}

    def stored() -> object:
        with Ledger.open(with_samples) as ledger:
            merged = ledger.latest_merge()
            assert merged is not None
            return next(t for t in ledger.tasks(merged.id) if t.task_id == "T03")

    assert stored() == t03
    with db:  # as schema 3 stored it
        db.execute("UPDATE tasks SET data = ? WHERE task_id='T03'",
                   (json.dumps(t03.to_dict(), ensure_ascii=False),))
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    assert stored() == t03
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("4",)


# -- identification ----------------------------------------------------------------------

def test_two_returns_from_one_department_newer_counts(built, tmp_path: Path) -> None:
    old = fill_workbook(department_file(built, "技术部", tmp_path, "old.xlsx"),
                        weekly={"T03": {"实际完成情况": "旧", "完成百分比": "50%"}})
    new = fill_workbook(department_file(built, "技术部", tmp_path, "new.xlsx"),
                        weekly={"T03": {"实际完成情况": "新", "完成百分比": "90%"}})
    import os
    os.utime(old, (1_700_000_000, 1_700_000_000))
    report = merge(built.project.root, [new, old])
    assert [(f.name, f.accepted) for f in report.files] == [("new.xlsx", True), ("old.xlsx", False)]
    assert "new.xlsx" in report.files[1].reason
    assert report.tasks[2].percent == 90
    assert ("superseded", "old.xlsx") in [(i.code, i.file) for i in report.issues]


def test_wrong_project_week_and_old_spec_are_refused(built, tmp_path: Path) -> None:
    other = tmp_path / "other"
    api.init_project(other, example=True)
    text = (other / "project.yaml").read_text(encoding="utf-8")
    (other / "project.yaml").write_text(text.replace("id: UG-2024Q3", "id: OTHER-1"),
                                        encoding="utf-8")
    foreign = api.build(other, week=WEEK, departments=["技术部"],
                        draft=True).departments["技术部"]
    last_week = api.build(built.project.root, week="2024-W27",
                          departments=["市场部"]).departments["市场部"]
    old_spec = department_file(built, "运营部", tmp_path)
    wb = openpyxl.load_workbook(old_spec)
    identity_rows(wb)["spec_version"].value = (
        "request=1;responsibilities=1;weekly=0;risks=1;acceptance=1;retro=1")
    wb.save(old_spec)
    resign(old_spec, built.project.root)  # as the older build signed it
    report = merge(built.project.root, [foreign, last_week, old_spec])
    assert [f.accepted for f in report.files] == [False, False, False]
    assert [i.code for i in report.issues if i.is_error] == ["wrong-project", "wrong-week",
                                                            "old-spec"]
    assert "这是 2024-W27 的文件,本次汇总的是 2024-W28" in report.files[1].reason


def test_master_workbook_is_not_a_return(built) -> None:
    report = merge(built.project.root, [built.master])
    assert [i.code for i in report.issues if i.is_error] == ["not-a-department-file"]


# -- validation on real cells ------------------------------------------------------------

def test_bad_cells_are_named_and_kept_out_of_the_figures(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "'150%", "预计完成日期": "下周"},
        "T04": {"实际完成情况": "测试中", "完成百分比": "40%"},
    }, risks=[{"发现时间": "2024-07-08 09:00", "提出时间": "2024-07-08 10:00",
               "风险描述": "接口不稳定", "风险等级": "很高", "影响范围": "上线", "建议措施": "压测"},
              {"风险描述": "只写了描述"}])
    report = merge(built.project.root, [path])
    assert codes(report) == [
        ("周进度跟踪表", "F2", "out-of-range"), ("周进度跟踪表", "H2", "bad-date"),
        ("风险应对申请表", "G2", "not-in-list"),
        ("风险应对申请表", "D3", "missing-value"), ("风险应对申请表", "E3", "missing-value"),
        ("风险应对申请表", "G3", "missing-value"), ("风险应对申请表", "H3", "missing-value"),
        ("风险应对申请表", "I3", "missing-value")]
    bad = next(i for i in report.issues if i.code == "out-of-range")
    assert (bad.file, bad.value) == (path.name, "150%")
    assert "0%–100%" in bad.expected
    date_issue = next(i for i in report.issues if i.code == "bad-date")
    assert date_issue.value == "下周" and "YYYY-MM-DD" in date_issue.expected
    t03, t04 = report.tasks[2], report.tasks[3]
    assert (t03.reported, t03.percent) == (False, None)  # the row with errors is kept out
    assert (t04.reported, t04.percent) == (True, 40)
    assert report.risks == []
    assert report.files[0].accepted  # the file counts; only its bad rows do not


def test_a_risk_may_name_another_departments_task(built, tmp_path: Path) -> None:
    """The 关联任务 dropdown offers the department's own tasks only (its workbook does
    not carry the whole project's); any task of the project typed in is accepted."""
    risk = {"发现时间": "2024-07-08 09:00", "提出时间": "2024-07-08 10:00", "风险描述": "接口不稳定",
            "风险等级": "高", "影响范围": "上线", "建议措施": "压测"}
    path = fill_workbook(department_file(built, "技术部", tmp_path),
                         risks=[{**risk, "关联任务": "T05"}, {**risk, "关联任务": "T99"}])
    report = merge(built.project.root, [path])
    assert codes(report) == [("风险应对申请表", "C3", "not-in-list")]
    assert [(r.risk_id, r.values["task_id"]) for r in report.risks] == [("TEC-24W28-01", "T05")]


def test_foreign_and_unknown_tasks_are_conflicts(built, tmp_path: Path) -> None:
    path = department_file(built, "技术部", tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["周进度跟踪表"]
    ws["A2"].value, ws["E2"].value, ws["F2"].value = "T01", "我来改产品部的任务", 1
    ws["A3"].value, ws["E3"].value, ws["F3"].value = "T99", "不存在的任务", 0.5
    wb.save(path)
    report = merge(built.project.root, [path])
    assert codes(report) == [("周进度跟踪表", "A2", "foreign-task"),
                             ("周进度跟踪表", "A3", "unknown-task")]
    assert report.tasks[0].reported is False  # T01 keeps 产品部's (absent) report


def test_department_text_never_becomes_a_formula(built, tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x.invalid","点我")'
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": evil, "完成百分比": "50%", "偏差原因": "+1+1", "解决措施": "@SUM(A1)",
                "需协调事项": "-2+3"}})
    report = merge(built.project.root, [path])
    ws = openpyxl.load_workbook(report.report_path)["周进度跟踪表"]
    headers = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(headers, ws[4], strict=False)}
    for header, text in (("实际完成情况", evil), ("偏差原因", "+1+1"), ("解决措施", "@SUM(A1)"),
                         ("需协调事项", "-2+3")):
        assert (row[header].value, row[header].data_type) == (text, "s")


def test_risk_flags_overdue_and_order(built, tmp_path: Path) -> None:
    risk = {"发现时间": "2024-07-01 09:00", "提出时间": "2024-07-01 12:00", "影响范围": "上线",
            "建议措施": "处理", "责任人": "陈杰"}
    path = fill_workbook(department_file(built, "技术部", tmp_path), risks=[
        {**risk, "风险描述": "低风险", "风险等级": "低", "解决时限": "2024-07-20", "状态": "处理中"},
        {**risk, "风险描述": "已解决的高风险", "风险等级": "高", "解决时限": "2024-07-05",
         "状态": "已解决"},
        {**risk, "风险描述": "逾期的中风险", "风险等级": "中", "解决时限": "2024-07-10"},
        {**risk, "风险描述": "高风险", "风险等级": "高", "解决时限": "2024-07-30", "状态": "待处理"},
    ])
    report = merge(built.project.root, [path])
    assert [(r.values["description"], r.flags) for r in report.risks] == [
        ("高风险", ["high-open", "no-pmo-response"]), ("逾期的中风险", ["overdue", "no-pmo-response"]),
        ("低风险", []), ("已解决的高风险", [])]
    assert report.risks[1].status == "待处理"  # the pre-filled default


def test_changes_since_previous_week_and_carried_risks(with_samples: Path, tmp_path: Path) -> None:
    merge(with_samples)
    built29 = api.build(with_samples, week="2024-W29", built_at=BUILT_AT)
    tec = fill_workbook(department_file(built29, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "已上线", "完成百分比": "100%", "实际完成日期": "2024-07-17"},
        "T04": {"实际完成情况": "回归测试中", "完成百分比": "60%", "预计完成日期": "2024-07-22",
                "偏差原因": "等待 T03"}},
        risks=[])
    report = merge(with_samples, [tec], week="2024-W29", as_of=dt.date(2024, 7, 19))
    kinds = {(c.kind, c.subject) for c in report.changes}
    # T04 was already 预警 in W28, so its slip grew; 市场部 sent nothing, so T06's
    # carried forecast slips further as the as-of date moves on
    assert kinds == {("completed", "T03"), ("slip-grown", "T04"), ("slip-grown", "T06")}
    mkt = next(r for r in report.risks if r.risk_id == "MKT-24W28-01")
    assert "not-updated" in mkt.flags and "overdue" in mkt.flags  # 市场部 sent nothing
    assert report.has_previous


# -- the CLI -----------------------------------------------------------------------------

def test_cli_json_is_the_library_report(runner: CliRunner, with_samples: Path) -> None:
    result = runner.invoke(cli, ["merge", str(with_samples), "--week", WEEK, "--as-of",
                                 AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    lib = merge(with_samples, write=False).to_dict()
    data.pop("report"), lib.pop("report")
    assert data == lib
    assert {"files", "tasks", "risks", "issues"} <= set(data)
    assert set(data["tasks"][0]) >= {"id", "department", "planned", "actual", "deviation_days",
                                     "status"}
    assert set(data["risks"][0]) >= {"id", "department", "level", "status", "flags"}


SUMMARY = {
    "zh": ["2024年Q3用户增长活动 · 2024-W28(统计日 2024-07-12)",
           "  读取文件:4 个(采用 4 个)· 汇总行数:10",
           "  问题:0 个错误,0 个提醒",
           "  滞后任务:3 项:T03 技术部 延误 +4天,T04 技术部 预警 +3天,T06 市场部 预警 +1天",
           "  未关闭的高风险:1 项:TEC-24W28-01 技术部",
           "报表:{report}"],
    "en": ["2024年Q3用户增长活动 · 2024-W28 (as of 2024-07-12)",
           "  files read: 4 (4 accepted) · rows merged: 10",
           "  problems: 0 error(s), 0 warning(s)",
           "  late tasks: 3: T03 技术部 延误 +4d, T04 技术部 预警 +3d, T06 市场部 预警 +1d",
           "  open high risks: 1: TEC-24W28-01 技术部",
           "report: {report}"],
}
BAD_CELL = {
    "zh": "  ✗ bad.xlsx / 周进度跟踪表 / F2: 「完成百分比」格式无法识别(填写的是「lots」,应为 百分比 0%–100%)",
    "en": "  ✗ bad.xlsx / 周进度跟踪表 / F2: 「完成百分比」格式无法识别 (found 'lots', expected 百分比 0%–100%)",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_summary_and_exit_codes(runner: CliRunner, with_samples: Path, built,
                                    tmp_path: Path, monkeypatch, lang: str) -> None:
    monkeypatch.setenv("XLFLOW_LANG", lang)
    args = ["merge", str(with_samples), "--week", WEEK, "--as-of", AS_OF.isoformat()]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0
    report = with_samples / "reports" / f"{WEEK}-consolidated.xlsx"
    assert result.output.splitlines() == [line.format(report=report) for line in SUMMARY[lang]]
    fill_workbook(department_file(built, "运营部", tmp_path, "bad.xlsx"),
                  weekly={"T07": {"实际完成情况": "x", "完成百分比": "lots"}},
                  out=with_samples / "inbox" / "bad.xlsx")
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert BAD_CELL[lang] in result.output.splitlines()
    assert "    → 部门:填写 0–100 的百分比,如 80% 或 80,后重新发送" in result.output.splitlines()
    assert report.is_file()
    result = runner.invoke(cli, ["merge", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "这里没有项目文件" in result.output
    assert result.output.startswith({"zh": "错误:", "en": "Error: "}[lang])


def test_validate_without_project(runner: CliRunner, built, tmp_path: Path) -> None:
    good = fill_workbook(department_file(built, "技术部", tmp_path, "good.xlsx"),
                         weekly={"T03": {"实际完成情况": "进行中", "完成百分比": "50%"},
                                 "T04": {"实际完成情况": "未开始", "完成百分比": 0}},
                         fields={"周进度跟踪表": {"填报人": "陈杰", "填报日期": "2024-07-10"}})
    bad = fill_workbook(department_file(built, "技术部", tmp_path, "bad.xlsx"),
                        weekly={"T03": {"实际完成情况": "进行中", "完成百分比": "五成"}})
    result = runner.invoke(cli, ["validate", str(good), "--as-of", "2024-07-10"])
    assert result.exit_code == 0, result.output
    assert "✓" in result.output and "技术部 · 0 个错误,0 个提醒" in result.output
    result = runner.invoke(cli, ["validate", str(bad), "--as-of", "2024-07-10", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [(i["sheet"], i["cell"], i["code"]) for i in data["files"][0]["issues"]
            if i["severity"] == "error"] == [("周进度跟踪表", "F2", "bad-percent")]


def test_libreoffice_resaved_return_merges_to_the_same_figures(built, tmp_path: Path) -> None:
    from .office import soffice_convert

    filled = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                "偏差原因": "接口延迟"},
        "T04": {"实际完成情况": "测试中", "完成百分比": 0.4, "预计完成日期": dt.datetime(2024, 7, 17),
                "偏差原因": "等待"}},
        risks=[{"发现时间": "2024-07-08 09:30", "提出时间": "2024-07-09 15:00", "风险描述": "接口",
                "风险等级": "高", "影响范围": "上线", "建议措施": "支援", "状态": "处理中"}])
    resaved = soffice_convert(filled, tmp_path / "lo")
    direct = merge(built.project.root, [filled], write=False).to_dict()
    via_lo = merge(built.project.root, [resaved], write=False).to_dict()
    for report in (direct, via_lo):
        for section in ("tasks", "risks"):
            for item in report[section]:
                item.pop("source")
        report.pop("files"), report.pop("issues")
    assert via_lo == direct
    assert direct["risks"][0]["flags"] == ["high-open", "late-raise", "no-plan", "no-pmo-response"]


def test_next_week_is_prefilled_from_the_ledger(with_samples: Path) -> None:
    merge(with_samples)
    built29 = api.build(with_samples, week="2024-W29", built_at=BUILT_AT)
    wb = openpyxl.load_workbook(built29.departments["技术部"])
    ws = wb["周进度跟踪表"]
    headers = [c.value.split("\n")[0].rstrip(" *") for c in ws[1]]
    t03 = {h: c.value for h, c in zip(headers, ws[2], strict=True)}
    assert (t03["任务编号"], t03["完成百分比"], t03["预计完成日期"]) == (
        "T03", 0.8, dt.datetime(2024, 7, 16))
    assert t03["偏差原因"] == "第三方支付接口文档延迟提供"
    assert not ws["F2"].protection.locked  # still theirs to update
    risks = wb["风险应对申请表"]
    assert [risks.cell(r, 1).value for r in (2, 3)] == ["TEC-24W28-01", "TEC-24W29-01"]
    assert risks.cell(2, 7).value == "高" and risks.cell(2, 12).value == "处理中"
    assert risks.cell(3, 12).value == "待处理"


def test_values_outside_the_template_are_reported_not_dropped(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "进行中", "完成百分比": "50%"}})
    wb = openpyxl.load_workbook(path)
    ws = wb["周进度跟踪表"]
    ws.protection.sheet = False
    ws["M1"].value, ws["M2"].value = "备注", "周五前完成"
    ws["O3"].value = "没有表头的说明"
    wb.save(path)
    report = merge(built.project.root, [path])
    found = [(i.cell, i.code, i.value) for i in report.issues if i.code == "unknown-column"]
    assert found == [("M2", "unknown-column", "周五前完成"), ("O3", "unknown-column", "没有表头的说明")]
