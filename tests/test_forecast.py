"""开始日期 and 前置任务 (issue #13): links checked at load, a late predecessor pushes
what waits for it (finish-to-start) in a real merge of filled-in workbooks, the forecast
end and the critical path, and the 甘特图 sheet of the report and the PMO master."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.errors import ProjectError
from xlflow.project import load_project
from xlflow.simulate import fill_workbook
from xlflow.styles import A3

from .conftest import AS_OF, BUILT_AT, SAMPLES, WEEK, file_example, office_binary
from .office import soffice_convert

T03 = "due: 2024-07-12, owner: 陈杰, milestone: M2"
T04 = "due: 2024-07-14, owner: 赵敏, milestone: M3"


def _edit(root: Path, old: str, new: str) -> int:
    """Replace text in project.yaml; the line it is on (1-based)."""
    path = root / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


# -- links checked at load -------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "message"), [
    (f"{T03}, after: T01", f"{T03}, after: [T01, T04]", "循环:T03 → T04 → T03"),
    (f"{T03}, after: T01", f"{T03}, after: T09", "'T09' 不是任务编号(是否想写"),
    (f"{T03}, after: T01", f"{T03}, after: 'T01, t03'", "任务 T03 不能以自己为前置任务"),
    ("start: 2024-07-13, " + T04, "start: 2024-07-15, " + T04,
     "tasks[3].start: 2024-07-15 晚于任务的截止日期 2024-07-14"),
    (f"{T03}, after: T01", f"{T03}, after: {{T01: 1}}", "应为任务编号"),
])
def test_bad_links_are_refused_with_the_line(project_dir: Path, old: str, new: str,
                                            message: str) -> None:
    line = _edit(project_dir, old, new)
    if "循环" in message:  # named from the link that closes it: T04 after T03
        line += 1
    with pytest.raises(ProjectError) as err:
        load_project(project_dir)
    assert f"project.yaml:{line}: " in str(err.value) and message in str(err.value), err.value


def test_a_longer_cycle_is_named_in_order(project_dir: Path) -> None:
    line = _edit(project_dir, f"{T03}, after: T01", f"{T03}, after: T02")  # T08 → T02 → T03 → T04
    _edit(project_dir, "owner: 何静, milestone: M4, after: T07",
          "owner: 何静, milestone: M4, after: [T07, T04]")
    with pytest.raises(ProjectError) as err:
        load_project(project_dir)
    assert f"project.yaml:{line}: tasks[2].after" in str(err.value)
    assert "T02 → T03 → T04 → T08 → T02" in str(err.value)


def test_links_and_starts_are_loaded(project_dir: Path) -> None:
    _edit(project_dir, f"{T03}, after: T01", f"{T03}, after: 't05、t01，T05'")
    tasks = load_project(project_dir).task_map
    assert tasks["T03"].after == ("T05", "T01")  # folded, in order, once each
    assert (tasks["T04"].start, tasks["T04"].after) == (dt.date(2024, 7, 13), ("T03",))
    assert tasks["T01"].after == ()


def test_a_long_chain_loads(tmp_path: Path) -> None:
    """5,000 tasks each after the one before: no recursion, each task visited once."""
    root = tmp_path / "chain"
    api.init_project(root, example=True)
    path = root / "project.yaml"
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("tasks:")]
    rows = [f"  - {{id: T{n:05d}, department: 技术部, role: 开发, duty: 第{n}项, deliverable: 交付{n}, "
            f"start: 2024-07-01, due: 2024-07-{1 + n % 28:02d}, owner: 陈杰"
            + (f", after: T{n - 1:05d}}}" if n > 1 else "}") for n in range(1, 5001)]
    path.write_text(head + "tasks:\n" + "\n".join(rows) + "\n", encoding="utf-8")
    project = load_project(root)
    assert project.task_map["T05000"].after == ("T04999",)
    # close the chain into a ring: the cycle is named from the link that closes it
    path.write_text(head + "tasks:\n" + "\n".join(rows).replace(
        "owner: 陈杰}", "owner: 陈杰, after: T05000}", 1) + "\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"循环:T00001 → T00002 → .* → T05000 → T00001"):
        load_project(root)


# -- a late predecessor in a real merge ----------------------------------------------------------

#: A week on schedule (as of 07-12): T01, T05 and T07 done, the others on their way.
ON_TIME = {
    "产品部": {"T01": {"完成百分比": "100%", "实际完成日期": "2024-07-04"}, "T02": {"完成百分比": "30%"}},
    "技术部": {"T03": {"完成百分比": "80%"}, "T04": {"完成百分比": "10%"}},
    "市场部": {"T05": {"完成百分比": "100%", "实际完成日期": "2024-07-10"},
            "T06": {"完成百分比": "90%"}},
    "运营部": {"T07": {"完成百分比": "100%", "实际完成日期": "2024-07-11"},
            "T08": {"完成百分比": "10%"}},
}


def _merge(root: Path, changes: dict[str, dict[str, dict]], *, workdays: bool = False
           ) -> api.MergeReport:
    """Every department returns the on-schedule week, with `changes` typed over it."""
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    files = []
    for dept, rows in ON_TIME.items():
        weekly = {tid: {"实际完成情况": f"{tid} 进展", **cells, **changes.get(dept, {}).get(tid, {})}
                  for tid, cells in rows.items()}
        files.append(fill_workbook(built.departments[dept], weekly=weekly,
                                   out=root / "inbox" / f"{dept}.xlsx"))
    return api.merge(root, files, week=WEEK, as_of=AS_OF, workdays=workdays)


def test_a_late_predecessor_pushes_its_successor(project_dir: Path) -> None:
    """T03 now expects 07-20 (8 days late); T04 (07-13 → 07-14, one day of work after
    T03) cannot finish before 07-21, whatever 技术部 reported for it (on time)."""
    report = _merge(project_dir, {"技术部": {
        "T03": {"完成百分比": "60%", "预计完成日期": "2024-07-20", "偏差原因": "接口延期"}}})
    assert report.errors == 0, report.issues
    tasks = {t.task_id: t for t in report.tasks}
    t03, t04 = tasks["T03"], tasks["T04"]
    assert (t03.expected, t03.deviation_days, str(t03.status)) == (dt.date(2024, 7, 20), 8, "延误")
    assert (t04.forecast, t04.expected, t04.deviation_days, str(t04.status), t04.pushed_by) == (
        None, dt.date(2024, 7, 21), 7, "延误", "T03")
    # tasks without a late predecessor keep their own figures
    assert (tasks["T08"].expected, tasks["T08"].pushed_by) == (dt.date(2024, 7, 28), "")
    # milestone M3 (T04, T07) and the end follow; the chain to the end is T08 → T02
    m3 = next(m for m in report.milestones if m.name == "M3")
    assert (m3.forecast, m3.milestone_slip) == (dt.date(2024, 7, 21), 6)
    assert report.forecast_end == dt.date(2024, 7, 30)
    assert [t.task_id for t in report.tasks if t.critical] == ["T02", "T08"]
    assert report.to_dict()["critical_path"] == ["T02", "T08"]
    # the report shows the pushed date, the status and the critical path
    ws = openpyxl.load_workbook(report.report_path)["周进度跟踪表"]
    head = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert (rows["T04"]["预计/实际完成"], rows["T04"]["状态"]) == (dt.datetime(2024, 7, 21), "延误")
    assert {t: r["关键路径"] for t, r in rows.items() if r["关键路径"]} == {"T02": "✓", "T08": "✓"}
    overview = openpyxl.load_workbook(report.report_path)["总览"]
    end_row = next(r for r in overview.iter_rows(values_only=True) if r[0] == "完工")
    assert end_row[1:5] == ("项目完工", dt.datetime(2024, 7, 30), dt.datetime(2024, 7, 30), 0)


def test_a_late_chain_moves_the_end_and_the_critical_path(project_dir: Path) -> None:
    """T08 expects 08-02: T02 (two days after T08) is pushed to 08-04, past the end."""
    report = _merge(project_dir, {"运营部": {
        "T08": {"完成百分比": "20%", "预计完成日期": "2024-08-02", "偏差原因": "渠道延期"}}})
    t02 = next(t for t in report.tasks if t.task_id == "T02")
    assert (t02.expected, t02.deviation_days, str(t02.status), t02.pushed_by) == (
        dt.date(2024, 8, 4), 5, "延误", "T08")
    assert report.forecast_end == dt.date(2024, 8, 4)
    assert [t.task_id for t in report.tasks if t.critical] == ["T02", "T08"]


def test_pushes_count_working_days_with_workdays(project_dir: Path) -> None:
    """T04 runs 07-13 → 07-14, a weekend: no working day of its own; T03 expected on
    Friday 07-19 pushes T04 to 07-19, 5 working days after its due date."""
    report = _merge(project_dir, {"技术部": {
        "T03": {"完成百分比": "60%", "预计完成日期": "2024-07-19", "偏差原因": "接口延期"}}},
        workdays=True)
    t04 = next(t for t in report.tasks if t.task_id == "T04")
    assert (t04.expected, t04.deviation_days, t04.pushed_by) == (dt.date(2024, 7, 19), 5, "T03")


def test_a_predecessor_done_by_the_start_leaves_an_early_forecast_alone(
        project_dir: Path) -> None:
    """T07 was done on 07-11, before T08's planned start (07-15): 运营部's forecast of
    07-20 for T08 (eight days early) stands; T07's finish plus T08's 13 planned days
    (07-24) is no floor for it."""
    report = _merge(project_dir, {"运营部": {
        "T08": {"完成百分比": "60%", "预计完成日期": "2024-07-20"}}})
    t08 = next(t for t in report.tasks if t.task_id == "T08")
    assert (t08.expected, t08.deviation_days, str(t08.status), t08.pushed_by) == (
        dt.date(2024, 7, 20), -8, "正常", "")


def test_done_successors_are_not_pushed(project_dir: Path) -> None:
    report = _merge(project_dir, {"技术部": {
        "T03": {"完成百分比": "60%", "预计完成日期": "2024-07-20", "偏差原因": "接口延期"},
        "T04": {"完成百分比": "100%", "实际完成日期": "2024-07-12"}}})
    t04 = next(t for t in report.tasks if t.task_id == "T04")
    assert (t04.expected, str(t04.status), t04.pushed_by) == (dt.date(2024, 7, 12), "已完成", "")


# -- the 甘特图 sheet ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gantt") / "ug"
    api.init_project(root, example=True)
    file_example(root)
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    return Path(report.report_path), built.master


def _rules(ws) -> dict[str, list[tuple[str, object]]]:
    out: dict[str, list[tuple[str, object]]] = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill else None
            out.setdefault(str(cf.sqref), []).append((rule.formula[0], fill))
    return out


def test_gantt_sheet_of_the_report(sample_report: tuple[Path, Path]) -> None:
    wb = openpyxl.load_workbook(sample_report[0])
    ws = wb["甘特图"]
    head = [c.value for c in ws[2]]
    assert head[:10] == ["任务编号", "部门", "任务", "负责人", "开始日期", "计划完成", "预计/实际完成",
                         "基线完成", "状态", "关键路径"]
    # one column a day from the project's start to its end (30 days)
    assert head[10] == dt.datetime(2024, 7, 1) and head[-1] == dt.datetime(2024, 7, 30)
    assert len(head) == 10 + 30 and ws["G1"].value == dt.datetime(2024, 7, 12)  # as-of
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, max_col=10, values_only=True)}
    assert rows["T04"][4:10] == (dt.datetime(2024, 7, 13), dt.datetime(2024, 7, 14),
                                 dt.datetime(2024, 7, 17), dt.datetime(2024, 7, 14), "预警", None)
    assert rows["T08"][9] == "✓" and rows["M2"][1:3] == ("里程碑", "◆ 功能开发")
    assert ws.freeze_panes == "K3"
    # bars: conditional formats over the task rows, formulas on the row's date cells
    rules = _rules(ws)
    bars = rules["K3:AN10"]
    assert bars[0] == ('AND(OR($I3="已完成",$I3="延期完成"),$G3<>"",$E3<=K$2,$G3>=K$2)', "FF70AD47")
    assert bars[1] == ('AND($G3<>"",$G3>$F3,$F3+1<=K$2,$G3>=K$2)', "FFE06666")  # late: red
    assert bars[2] == ('AND($G3<>"",$E3<=K$2,$G3>=K$2)', "FF5B9BD5")  # expected
    assert bars[3] == ("AND($E3<=K$2,$F3>=K$2)", "FFBDD7EE")  # planned
    assert bars[4][0] == 'AND($H3<>"",$E3<=K$2,$H3>=K$2)'  # baseline line
    assert rules["K2:AN2"] == [("$G$1=K$2", "FFFF0000")]  # today, in the header
    assert rules["K3:AN14"][0][0] == "$G$1=K$2"  # … and down the chart
    # milestones: ◆ on the planned date, ◇ on a later forecast, as live formulas
    m2 = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "M2")
    col = {c.value: i for i, c in enumerate(ws[2])}
    planned = m2[col[dt.datetime(2024, 7, 12)]]
    assert planned.value == '=IF($F12=V$2,"◆",IF(AND($G12>$F12,$G12=V$2),"◇",""))'
    assert planned.coordinate == "V12" and ws["A12"].value == "M2"
    # printing: A3 landscape, one page wide, the header row on every page
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (A3, "landscape")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.print_title_rows == "$2:$2"


def test_gantt_cached_marks_and_master(sample_report: tuple[Path, Path]) -> None:
    """The cached values of the milestone cells are right without a recalculation, and
    the master (built before any merge) draws the plan with the build date as today."""
    ws = openpyxl.load_workbook(sample_report[0], data_only=True)["甘特图"]
    col = {c.value: i for i, c in enumerate(ws[2])}
    marks = {r[0].value: {ws.cell(2, i + 1).value.day: c.value for i, c in enumerate(r)
                          if i >= 10 and c.value} for r in ws.iter_rows(min_row=3)
             if str(r[0].value).startswith("M")}
    assert marks == {"M1": {5: "◆"}, "M2": {12: "◆", 16: "◇"}, "M3": {15: "◆", 17: "◇"},
                     "M4": {30: "◆"}}
    assert col[dt.datetime(2024, 7, 1)] == 10
    master = openpyxl.load_workbook(sample_report[1])
    ws = master["甘特图"]
    # 模板1, 模板2, 纪要, 合作方案, 风险应对 (the PMO fills it), then the A3 甘特图 last
    assert master.sheetnames.index("甘特图") == 5 and ws["G1"].value == dt.datetime(2024, 7, 8)
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, max_col=10, values_only=True)}
    assert rows["T03"][4:9] == (dt.datetime(2024, 7, 5), dt.datetime(2024, 7, 12), None,
                                dt.datetime(2024, 7, 12), None)
    assert "K3:AN10" in _rules(ws) and ws.page_setup.paperSize == A3


def test_gantt_takes_a_baseline_and_weeks_for_long_plans(tmp_path: Path) -> None:
    import xlsxwriter

    from xlflow.report.gantt import GanttMilestone, GanttTask, write_gantt
    from xlflow.styles import Styles

    path = tmp_path / "g.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    tasks = [GanttTask("A", "技术部", "开发", "陈杰", dt.date(2024, 1, 3), dt.date(2024, 5, 31),
                       dt.date(2024, 6, 20), "延误", True)]
    write_gantt(wb, Styles(wb), title="t", tasks=tasks, as_of=dt.date(2024, 6, 5),
                milestones=[GanttMilestone("M1", "上线", dt.date(2024, 6, 1))],
                start=dt.date(2024, 1, 3), end=dt.date(2024, 6, 30),
                baseline={"A": dt.date(2024, 5, 20)})
    wb.close()
    ws = openpyxl.load_workbook(path)["甘特图"]
    head = [c.value for c in ws[2]][10:]
    assert head[0] == dt.datetime(2024, 1, 1) and head[1] == dt.datetime(2024, 1, 8)  # Mondays
    assert ws["H3"].value == dt.datetime(2024, 5, 20) and ws["H1"].value == "按周"
    rules = _rules(ws)
    last = openpyxl.utils.get_column_letter(10 + len(head))
    assert rules[f"K3:{last}3"][2][0] == 'AND($G3<>"",$E3<=(K$2+6),$G3>=K$2)'
    assert rules[f"K2:{last}2"][0][0] == "AND($G$1>=K$2,$G$1<=K$2+6)"
    week_of_june_1 = next(i for i, d in enumerate(head) if d <= dt.datetime(2024, 6, 1) < d
                          + dt.timedelta(days=7))
    assert ws.cell(4, 11 + week_of_june_1).value.startswith("=IF(AND($F4>=")


@pytest.mark.office
def test_the_report_with_its_gantt_converts_to_pdf(sample_report: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    office_binary("soffice")
    pdf = soffice_convert(sample_report[0], tmp_path, "pdf")
    assert pdf.stat().st_size > 10_000
    assert re.search(rb"/Count (\d+)", pdf.read_bytes())
