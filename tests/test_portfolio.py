"""`xlflow portfolio`: one workbook over several projects, read-only. Three projects made
from the example — UG-2024Q3 (高, the sample returns merged), XS-2024 (高, its own
运营部 return filled in: a late forecast and an overdue 高 risk), the bundled crm2024
(中, no merge) — beside a folder that is no project and one whose project.yaml is broken."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ExitStatus
from xlflow.simulate import fill_workbook
from xlflow.workspace import Workspace

from .conftest import AS_OF, BUILT_AT, SAMPLES, WEEK

ROOT = Path(__file__).parents[1]


def _example(root: Path, replace: dict[str, str]) -> Path:
    api.init_project(root, example=True)
    path = root / "project.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return root


CST = dt.timezone(dt.timedelta(hours=8))


def _at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=CST)


def _merged_w28(root: Path) -> Path:
    """The example, agreed (06-27), approved (06-28) and filed (07-05 16:00), with the
    sample returns merged for W28."""
    ug = _example(root, {})
    api.opinion(ug, department="运营部", by="运营总监", text="同意", at=_at(6, 27))
    api.approve(ug, by="分管副总 陈明", at=_at(6, 28))
    api.file_project(ug, by="PMO 王芳", at=_at(7, 5, 16))
    api.build(ug, week=WEEK, built_at=BUILT_AT)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, ug / "inbox" / f.name)
    assert api.merge(ug, week=WEEK, as_of=AS_OF).recorded
    return ug


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    ug = _merged_w28(tmp_path / "ug")

    acq = _example(tmp_path / "acq", {"id: UG-2024Q3": "id: XS-2024",
                                      "name: 2024年Q3用户增长活动": "name: 2024年Q3拉新渠道拓展"})
    built = api.build(acq, week=WEEK, built_at=BUILT_AT, draft=True)  # not filed: drafts
    fill_workbook(built.departments["运营部"], out=acq / "inbox" / "运营部.xlsx", weekly={
        "T07": {"实际完成情况": "已完成", "完成百分比": "100%", "实际完成日期": "2024-07-11"},
        "T08": {"实际完成情况": "物料未到", "完成百分比": "10%", "预计完成日期": "2024-08-09",
                "偏差原因": "供应商延期"}},
        risks=[{"发现时间": "2024-07-08 09:30", "提出时间": "2024-07-08 15:00",
                "风险描述": "活动物料供应商延期交付", "风险等级": "高", "影响范围": "活动执行",
                "建议措施": "更换供应商", "责任人": "何静", "解决时限": "2024-07-10",
                "状态": "处理中"},
               {"发现时间": "2024-07-09 09:30", "提出时间": "2024-07-09 10:00",
                "风险描述": "执行人手紧张", "风险等级": "中", "影响范围": "日报",
                "建议措施": "借调", "状态": "待处理"}])
    assert api.merge(acq, week=WEEK, as_of=AS_OF, draft=True).recorded

    crm = tmp_path / "crm"
    shutil.copytree(ROOT / "samples" / "crm2024", crm)
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "project.yaml").write_text("project:\n  id: [\n", encoding="utf-8")
    return {"ug": ug, "acq": acq, "crm": crm, "empty": empty, "broken": broken}


def _args(folders: dict[str, Path]) -> list[Path]:
    return [folders[k] for k in ("crm", "empty", "ug", "broken", "acq")]


def _snapshot(roots: list[Path]) -> dict[str, tuple[int, str]]:
    return {str(p): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


def test_rows_order_and_figures(folders: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "组合.xlsx"
    result = api.portfolio(_args(folders), out=out, as_of=AS_OF)
    # independently: the merge's own expected dates, without the ledger or the portfolio
    ug_tasks = api.merge(folders["ug"], week=WEEK, as_of=AS_OF, write=False).tasks
    acq_tasks = api.merge(folders["acq"], week=WEEK, as_of=AS_OF, write=False).tasks
    ug_end = max(t.expected for t in ug_tasks if t.expected)
    # T02 comes two days after T08 (前置任务): its forecast 08-09 pushes the end to 08-11
    assert max(t.expected for t in acq_tasks if t.expected) == dt.date(2024, 8, 11)

    # 高 before 中; within 高 the larger forecast slip (XS: 08-11 against 07-30) first
    assert [p.project_id for p in result.projects] == ["XS-2024", "UG-2024Q3", "CRM-2024Q3"]
    assert [(s.folder, s.code) for s in result.skipped] == [
        (str(folders["empty"]), "not-a-project"), (str(folders["broken"]), "project-unreadable")]
    assert result.exit_status is ExitStatus.INPUT_PROBLEMS
    assert sorted(i.code for i in result.issues) == [
        "no-merge-yet", "not-a-project", "project-unreadable"]

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["项目总览", "高风险", "部门负荷", "未纳入"]
    ws = wb["项目总览"]
    head = [str(c.value).split("\n")[0] for c in ws[1]]
    rows = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["项目编号"] for r in rows] == ["XS-2024", "UG-2024Q3", "CRM-2024Q3"]
    acq, ug, crm = rows
    # UG: the sample week: T03 +4, T04 +3, T06 +1 of 8 tasks; 5 on time; all four returned
    assert (ug["优先级"], ug["阶段"], ug["最近汇总"], ug["统计日"].date()) == (
        "高", "执行中", "2024-W28", AS_OF)
    assert (ug["任务数"], ug["按期率"], ug["最大偏差(天)"], ug["平均偏差(天)"]) == (
        8, 5 / 8, 4, (4 + 3 + 1) / 8)
    assert ug["预计完成"].date() == ug_end
    assert ug["预计延期(天)"] == (ug_end - dt.date(2024, 7, 30)).days
    assert (ug["滞后任务"], ug["开放高风险"], ug["未交回部门"]) == (3, 1, None)
    # XS: only 运营部 returned; T08 forecast 08-09 pushes T02 (two days after it) to 08-11,
    # 12 days past the end; T07 done
    assert (acq["阶段"], acq["预计延期(天)"], acq["进度判断"]) == ("需求发起", 12, "预计延期 12 天")
    assert acq["预计完成"].date() == dt.date(2024, 8, 11)
    assert acq["未交回部门"] == "产品部、市场部、技术部"
    assert acq["开放高风险"] == 1
    assert acq["最大偏差(天)"] == (dt.date(2024, 8, 9) - dt.date(2024, 7, 28)).days  # T08's due
    # CRM: its plan only
    assert (crm["优先级"], crm["阶段"], crm["最近汇总"], crm["进度判断"], crm["任务数"]) == (
        "中", "需求共识", None, "尚无周汇总", None)

    risks = [r for r in wb["高风险"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[3], r[7].date(), r[9]) for r in risks] == [
        ("XS-2024", "OPS-24W28-01", dt.date(2024, 7, 10), "是"),
        ("UG-2024Q3", "TEC-24W28-01", dt.date(2024, 7, 15), None)]

    skipped = list(wb["未纳入"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in skipped] == [(str(folders["empty"]), "not-a-project"),
                                               (str(folders["broken"]), "project-unreadable")]
    assert "project.yaml" in skipped[1][2]


def test_department_load_against_capacity(folders: dict[str, Path], tmp_path: Path) -> None:
    """技术部's engineers: 3 for UG and 3 for XS over 07-01..07-30 (their period), 4 for
    CRM over 07-10..08-10 (its resources line); capacity 5."""
    out = tmp_path / "组合.xlsx"
    result = api.portfolio(_args(folders), out=out, as_of=AS_OF)
    wanted = [("UG-2024Q3", 3, dt.date(2024, 7, 1), dt.date(2024, 7, 30)),
              ("XS-2024", 3, dt.date(2024, 7, 1), dt.date(2024, 7, 30)),
              ("CRM-2024Q3", 4, dt.date(2024, 7, 10), dt.date(2024, 8, 10))]
    monday, expected = dt.date(2024, 7, 1), {}
    while monday <= dt.date(2024, 8, 20):
        week = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
        expected[week] = sum(n for _, n, a, b in wanted
                             if a <= monday + dt.timedelta(days=6) and b >= monday)
        monday += dt.timedelta(days=7)
    tec = {w.week: w for w in result.load if w.department == "技术部"}
    assert {k: w.total for k, w in tec.items()} == {k: v for k, v in expected.items() if k in tec}
    assert [w.week for w in result.overloaded if w.department == "技术部"] == [
        k for k, v in expected.items() if v > 5 and k in tec]

    ws = openpyxl.load_workbook(out)["部门负荷"]
    head = [c.value for c in ws[1]]
    cells = {(r[0], str(r[1]).split("\n")[0].split(" ")[0]): r
             for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    total = cells[("技术部", "合计")]
    for week, people in expected.items():
        if week in head:
            assert (total[head.index(week)] or 0) == people, week
    assert set(cells[("技术部", "可投入")][2:]) == {5}
    assert cells[("技术部", "UG-2024Q3(高)")][head.index("2024-W28")] == 3
    total_row = 2 + next(i for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True))
                         if r[:2] == total[:2])
    rules = [(str(cf.sqref), rule.operator, rule.formula) for cf in ws.conditional_formatting
             for rule in cf.rules]
    assert any(ref.startswith(f"C{total_row}:") and op == "greaterThan" and float(f[0]) == 5
               for ref, op, f in rules), rules


def test_charts_and_print_setup(folders: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "组合.xlsx"
    api.portfolio(_args(folders), out=out, as_of=AS_OF, headers="zh")
    wb = openpyxl.load_workbook(out)
    overview, load = wb["项目总览"], wb["部门负荷"]
    assert [c.tagname for c in overview._charts] == ["barChart"]
    assert overview["A1"].value == "项目编号"  # --headers zh: no English line
    # one stacked column chart per department with people demanded, each with its
    # capacity line (技术部, 运营部)
    assert len(load._charts) == 2
    for chart in load._charts:
        assert chart.tagname == "barChart" and chart.grouping == "stacked"
        assert [c.tagname for c in chart._charts] == ["barChart", "lineChart"]
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, ws.title  # None: 1
        assert ws.print_title_rows == "$1:$1", ws.title


def test_bilingual_headers_follow_the_first_project(folders: dict[str, Path],
                                                    tmp_path: Path) -> None:
    out = tmp_path / "组合.xlsx"
    api.portfolio([folders["ug"]], out=out, as_of=AS_OF)
    assert openpyxl.load_workbook(out)["项目总览"]["A1"].value == "项目编号\nProject ID"


def test_reads_only(folders: dict[str, Path], tmp_path: Path) -> None:
    """No project file changes, not even what a killed merge left (that is the project's
    own next run's to put right), and a project held by another run is still read."""
    roots = [folders[k] for k in ("ug", "acq", "crm")]
    left = folders["ug"] / "reports" / ".2024-W28-consolidated.xlsx.pending"
    left.write_bytes(b"half a report")
    before = _snapshot(roots)
    with Workspace(folders["acq"]).lock():
        result = api.portfolio(roots, out=tmp_path / "组合.xlsx", as_of=AS_OF)
    assert [p.project_id for p in result.projects] == ["XS-2024", "UG-2024Q3", "CRM-2024Q3"]
    assert _snapshot(roots) == before


def test_cli(folders: dict[str, Path], runner: CliRunner, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["portfolio", *map(str, _args(folders)), "--as-of", "2024-07-12"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output  # two folders left out
    lines = result.output.splitlines()
    assert "  ✗ empty: 没有 project.yaml,不是 xlflow 项目文件夹".replace(
        "empty", str(folders["empty"])) in lines
    assert any(line.startswith("  XS-2024 2024年Q3拉新渠道拓展(高)· 需求发起 · 最近汇总 2024-W28")
               and "预计延期 12 天" in line and "未交回:产品部、市场部、技术部" in line
               for line in lines), lines
    assert "  CRM-2024Q3 2024年会员体系升级(中)· 需求共识 · 尚无周汇总" in lines
    assert (tmp_path / "项目组合-2024-07-12.xlsx").is_file()  # the default --out
    clean = runner.invoke(cli, ["portfolio", str(folders["ug"]), str(folders["acq"]),
                                "--as-of", "2024-07-12", "--out", "x.xlsx"])
    assert clean.exit_code == 0, clean.output
    assert (tmp_path / "x.xlsx").is_file()


def test_a_damaged_ledger_and_a_repeated_project_are_listed(folders: dict[str, Path],
                                                             tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(folders["crm"], damaged)
    (damaged / "xlflow-ledger.sqlite").write_bytes(b"not a database" * 100)
    result = api.portfolio([folders["ug"], damaged, folders["ug"]], out=tmp_path / "p.xlsx",
                           as_of=AS_OF)
    assert [p.project_id for p in result.projects] == ["UG-2024Q3"]
    assert [(s.folder, s.code) for s in result.skipped] == [
        (str(damaged), "project-unreadable"), (str(folders["ug"]), "duplicate-project")]
    assert "台账" in result.skipped[0].reason
    assert result.exit_status is ExitStatus.INPUT_PROBLEMS


def test_as_of_takes_the_latest_merge_not_after_the_date(tmp_path: Path) -> None:
    """Two merged weeks (W28, then W29 with the 周例会's minutes and the W29 returns):
    --as-of in W28 shows W28's figures, in W29 W29's, before W28 no figures at all; the
    open 高 risk's deadline (07-15) is judged at each date."""
    ug = _merged_w28(tmp_path / "ug")
    api.meeting(ug, week=WEEK, built_at=BUILT_AT, pdf=False)
    for f in [*(SAMPLES / "minutes").glob("*.xlsx"), *(SAMPLES / "returns").glob("*.xlsx")]:
        shutil.copy(f, ug / "inbox" / f.name)
    api.build(ug, week="2024-W29", built_at=BUILT_AT)
    for f in (SAMPLES / "returns-2024-W29").glob("*.xlsx"):
        shutil.copy(f, ug / "inbox" / f.name)
    assert api.merge(ug, week="2024-W29", as_of=dt.date(2024, 7, 19)).recorded

    def seen(day: dt.date) -> tuple:
        result = api.portfolio([ug], as_of=day, write=False)
        (s,) = result.projects
        return (s.last_week, s.last_as_of, s.late_tasks,
                [(r.risk_id, r.overdue) for r in s.open_high_risks],
                [i.message for i in result.issues if i.code == "no-merge-yet"])

    assert seen(dt.date(2024, 7, 12)) == ("2024-W28", AS_OF, ["T03", "T04", "T06"],
                                          [("TEC-24W28-01", False)], [])
    assert seen(dt.date(2024, 7, 14)) == seen(dt.date(2024, 7, 12))  # Sunday: still W28
    assert seen(dt.date(2024, 7, 17)) == ("2024-W29", dt.date(2024, 7, 19), [],
                                          [("TEC-24W28-01", True)], [])
    assert seen(dt.date(2024, 7, 5)) == (None, None, [], [], [
        "UG-2024Q3 2024年Q3用户增长活动:2024-07-05 之前还没有周汇总(最早汇总的是 2024-W28,"
        "在 2024-07-05 之后)"])
    out = tmp_path / "p.xlsx"
    api.portfolio([ug], as_of=dt.date(2024, 7, 12), out=out)
    assert "2024-W28" in [c for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(
        values_only=True) for c in r]


def test_the_phase_is_the_one_of_the_as_of_date(tmp_path: Path, runner: CliRunner) -> None:
    """The steps count from the day they were recorded on: opinion 06-27, approval 06-28,
    filing 07-05 16:00 (+08:00, its own day wherever the portfolio runs), W28 merged."""
    ug = _merged_w28(tmp_path / "ug")

    def phase(day: dt.date) -> str:
        (s,) = api.portfolio([ug], as_of=day, write=False).projects
        return str(s.phase)

    assert [phase(dt.date(2024, m, d)) for m, d in ((6, 26), (6, 27), (6, 28), (7, 4), (7, 5),
                                                    (7, 12))] == [
        "需求发起", "需求共识", "方案审批", "方案审批", "PMO备案", "执行中"]
    result = runner.invoke(cli, ["portfolio", str(ug), "--as-of", "2024-07-04", "--json",
                                 "--out", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 0, result.output  # no merge by then: a warning
    assert [p["phase"] for p in json.loads(result.output)["projects"]] == ["方案审批"]
