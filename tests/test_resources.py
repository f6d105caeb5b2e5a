"""`xlflow resources`: department capacity and people over-committed across projects,
with the order by project priority."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ProjectError
from xlflow.project import load_project


@pytest.fixture
def two_projects(tmp_path: Path, project_dir: Path) -> list[Path]:
    other = tmp_path / "crm"
    api.init_project(other, example=True)
    path = other / "project.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("id: UG-2024Q3", "id: CRM-2024").replace("priority: 高", "priority: 中")
    text = text.replace("name: 2024年Q3用户增长活动", "name: 2024年会员体系升级")
    text = text.replace("start: 2024-07-01", "start: 2024-07-08").replace("end: 2024-07-30",
                                                                         "end: 2024-08-20")
    text = text.replace("{department: 技术部, item: 开发工程师, quantity: 3, unit: 名}",
                        "{department: 技术部, item: 开发工程师, quantity: 4, unit: 名, "
                        "start: 2024-07-10, end: 2024-08-10}")
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("- {id: T") and "陈杰" not in line:
            due = line.split("due: ")[1][:10]
            later = (dt.date.fromisoformat(due) + dt.timedelta(days=20)).isoformat()
            line = line.replace(f"due: {due}", f"due: {later}")
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [project_dir, other]


def test_conflicts_and_the_order_by_priority(two_projects: list[Path], tmp_path: Path) -> None:
    result = api.resources(two_projects, out=tmp_path / "资源冲突.xlsx")
    dept, person = result.plan.conflicts
    assert (dept.kind, dept.subject, dept.start, dept.end, dept.capacity, dept.demand) == (
        "department", "技术部", dt.date(2024, 7, 10), dt.date(2024, 7, 30), 5, 7)
    assert [(p["project_id"], p["allocated"], p["short"]) for p in dept.projects] == [
        ("UG-2024Q3", 3, 0), ("CRM-2024", 2, 2)]
    assert (person.kind, person.subject) == ("person", "陈杰")
    assert [p["tasks"] for p in person.projects] == [["T03"], ["T03"]]
    assert "建议优先 UG-2024Q3" in person.proposal
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == ["冲突", "时间线", "项目", "预算与设备"]
    assert wb["冲突"]["B2"].value == "技术部" and "缺 2 名" in wb["冲突"]["H2"].value
    timeline = wb["时间线"]
    rows = {(r[0], r[1]): r for r in timeline.iter_rows(min_row=2, values_only=True)}
    headers = [c.value for c in timeline[1]]
    w29 = headers.index("2024-W29")
    assert rows[("技术部", "合计")][w29] == 7 and rows[("技术部", "合计")][2] == 5
    total_row = next(i for i, r in enumerate(timeline.iter_rows(values_only=True), start=1)
                     if r[:2] == ("技术部", "合计"))
    rules = [(str(cf.sqref), rule.operator, rule.formula) for cf in timeline.conditional_formatting
             for rule in cf.rules]
    assert any(ref.startswith(f"D{total_row}:") and op == "greaterThan" and float(f[0]) == 5
               for ref, op, f in rules), rules


def test_no_conflict_between_far_apart_projects(two_projects: list[Path], tmp_path: Path) -> None:
    path = two_projects[1] / "project.yaml"
    text = path.read_text(encoding="utf-8").replace("quantity: 4, unit: 名", "quantity: 2, unit: 名")
    text = text.replace("owner: 陈杰", "owner: 林峰")
    path.write_text(text, encoding="utf-8")
    result = api.resources(two_projects, out=tmp_path / "r.xlsx")
    assert result.plan.conflicts == []
    assert openpyxl.load_workbook(result.path)["冲突"]["A2"].value == "没有发现资源冲突。"


def test_cli(runner: CliRunner, two_projects: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(cli, ["resources", *map(str, two_projects), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "技术部 2024-07-10~2024-07-30: 需 7 名 > 可投入 5 名" in result.output
    assert "2 个项目中有 2 处资源冲突" in result.output and out.is_file()
    again = runner.invoke(cli, ["resources", str(two_projects[0]), str(two_projects[0])])
    assert again.exit_code == 2 and "同一个项目给了两次" in again.output


def _with_budget_and_equipment(two_projects: list[Path]) -> None:
    """市场部 has 60,000 元 a month and 技术部 4 测试服务器: both projects want more in July."""
    for i, path in enumerate(p / "project.yaml" for p in two_projects):
        text = path.read_text(encoding="utf-8")
        text = text.replace("email: mkt@example.com,", "email: mkt@example.com, budget: 60000,")
        text = text.replace("email: tec@example.com,",
                            "email: tec@example.com, equipment: {测试服务器: 4},")
        extra = ("  - {department: 技术部, item: 测试服务器, quantity: 3, unit: 台, "
                 "start: 2024-07-01, end: 2024-07-15}\n" if i == 0 else
                 "  - {department: 技术部, item: 测试服务器, quantity: 2, unit: 台, "
                 "start: 2024-07-10, end: 2024-08-10}\n")
        if i == 1:  # 3 万元 in July only: converted to 30,000 元
            text = text.replace("{department: 市场部, item: 推广预算, quantity: 50000, unit: 元}",
                                "{department: 市场部, item: 推广预算, quantity: 3, unit: 万元, "
                                "start: 2024-07-08, end: 2024-07-31}")
        text = text.replace("\nexpected_results:", extra + "\nexpected_results:", 1)
        path.write_text(text, encoding="utf-8")


def test_budget_and_equipment_over_committed_in_priority_order(
        two_projects: list[Path], tmp_path: Path) -> None:
    _with_budget_and_equipment(two_projects)
    result = api.resources(two_projects, out=tmp_path / "资源冲突.xlsx")
    got = {(c.kind, c.resource, c.subject, c.item): c for c in result.plan.conflicts}
    budget = got[("department", "预算", "市场部", "")]
    assert (budget.start, budget.end, budget.capacity, budget.demand, budget.unit) == (
        dt.date(2024, 7, 1), dt.date(2024, 7, 31), 60000, 80000, "元")
    assert [(p["project_id"], p["need"], p["allocated"], p["short"]) for p in budget.projects] == [
        ("UG-2024Q3", 50000, 50000, 0), ("CRM-2024", 30000, 10000, 20000)]
    servers = got[("department", "设备", "技术部", "测试服务器")]
    assert (servers.start, servers.end, servers.capacity, servers.demand, servers.unit) == (
        dt.date(2024, 7, 10), dt.date(2024, 7, 15), 4, 5, "台")
    assert [(p["project_id"], p["allocated"], p["short"]) for p in servers.projects] == [
        ("UG-2024Q3", 3, 0), ("CRM-2024", 1, 1)]
    wb = openpyxl.load_workbook(result.path)
    rows = [r for r in wb["冲突"].iter_rows(min_row=2, values_only=True)]
    by_resource = {(r[1], r[8]): r for r in rows}
    row = by_resource[("市场部", "预算")]
    assert (row[4], row[5], row[9]) == (60000, 80000, "元")
    assert row[6].index("UG-2024Q3") < row[6].index("CRM-2024")
    assert "CRM-2024(中)10,000 元(缺 20,000 元)" in row[7]
    row = by_resource[("技术部", "设备:测试服务器")]
    assert (row[4], row[5], row[9]) == (4, 5, "台") and "缺 1 台" in row[7]
    listed = [r for r in wb["预算与设备"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2], r[3], r[4], r[8]) for r in listed] == [
        ("设备", "测试服务器", "UG-2024Q3(高)", 3, 4), ("设备", "测试服务器", "CRM-2024(中)", 2, 4),
        ("预算", "推广预算", "UG-2024Q3(高)", 50000, 60000),
        ("预算", "推广预算", "CRM-2024(中)", 30000, 60000)]


def test_company_pool_and_units_that_do_not_match(two_projects: list[Path],
                                                  tmp_path: Path) -> None:
    _with_budget_and_equipment(two_projects)
    path = two_projects[1] / "project.yaml"
    text = path.read_text(encoding="utf-8").replace("quantity: 2, unit: 台", "quantity: 2, unit: 套")
    text += "pools:\n  - {kind: 预算, quantity: 7, unit: 万元}\n"
    path.write_text(text, encoding="utf-8")
    result = api.resources(two_projects, out=tmp_path / "r.xlsx")
    mismatch = [i for i in result.plan.issues if i.code == "unit-mismatch"]
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if "unit: 套" in t)
    assert len(mismatch) == 1 and f"project.yaml:{line}" in mismatch[0].message
    assert "套" in mismatch[0].message and "台" in mismatch[0].message
    kinds = {(c.kind, c.resource, c.item) for c in result.plan.conflicts}
    assert ("department", "设备", "测试服务器") not in kinds  # the 套 line is left out
    company = next(c for c in result.plan.conflicts if c.kind == "company")
    assert (company.resource, company.capacity, company.demand) == ("预算", 70000, 80000)
    assert [p["short"] for p in company.projects] == [0, 10000]


def test_kind_that_its_unit_cannot_measure_is_refused(project_dir: Path) -> None:
    path = project_dir / "project.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "quantity: 50000, unit: 元}", "quantity: 50000, unit: 台, kind: 预算}")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if "kind: 预算" in t)
    with pytest.raises(ProjectError, match=rf"project.yaml:{line}: resources\[1\].unit: '台' "
                                           "不是金额单位"):
        load_project(project_dir)


def test_cli_budget_lines(runner: CliRunner, two_projects: list[Path], tmp_path: Path) -> None:
    _with_budget_and_equipment(two_projects)
    result = runner.invoke(cli, ["resources", *map(str, two_projects), "--out",
                                 str(tmp_path / "x.xlsx")])
    assert result.exit_code == 0, result.output
    assert "市场部 预算 2024-07-01~2024-07-31: 需 80,000 元 > 可投入 60,000 元" in result.output
    assert "技术部 设备:测试服务器 2024-07-10~2024-07-15: 需 5 台 > 可投入 4 台" in result.output


def test_the_timeline_shows_budget_and_equipment_against_their_pools(
        two_projects: list[Path], tmp_path: Path) -> None:
    """时间线: below the people, 测试服务器 per week against 技术部's 4 台 and the company's
    5 台, and 推广预算 per month against 市场部's 60,000 元 and the company's 70,000 元 a
    month; totals over a pool are red."""
    _with_budget_and_equipment(two_projects)
    path = two_projects[1] / "project.yaml"
    text = path.read_text(encoding="utf-8")
    text += ("pools:\n  - {kind: 预算, quantity: 7, unit: 万元}\n"
             "  - {kind: 设备, item: 测试服务器, quantity: 5, unit: 台}\n")
    path.write_text(text, encoding="utf-8")
    result = api.resources(two_projects, out=tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(result.path)["时间线"]
    rows = list(ws.iter_rows(values_only=True))
    weeks = list(rows[0])
    w28, w30 = weeks.index("2024-W28"), weeks.index("2024-W30")

    servers = rows.index(next(r for r in rows if r[0] == "设备:测试服务器(台,按周)"))
    block = {(r[0], r[1]): r for r in rows[servers + 1: servers + 5]}
    assert block[("技术部", "UG-2024Q3(高)")][w28] == 3 and block[("技术部", "UG-2024Q3(高)")][w30] is None
    assert block[("技术部", "CRM-2024(中)")][w28] == 2
    assert block[("技术部", "合计")][2] == 4 and block[("技术部", "合计")][w28] == 5
    assert block[("公司", "合计(公司资源池:测试服务器)")][2] == 5
    assert block[("公司", "合计(公司资源池:测试服务器)")][w30] == 2

    budget = rows.index(next(r for r in rows if str(r[0]).startswith("预算(元/月")))
    head = rows[budget + 1]
    assert head[:4] == ("部门", "项目", "每月预算", "2024-07") and head[4] is None
    money = {(r[0], r[1]): r[2:4] for r in rows[budget + 2:] if r[0]}
    assert money == {("市场部", "UG-2024Q3(高)"): (None, 50000), ("市场部", "CRM-2024(中)"): (None, 30000),
                     ("市场部", "合计"): (60000, 80000), ("公司", "合计(公司资源池)"): (70000, 80000)}

    red = {(str(cf.sqref).split(":")[0], float(rule.formula[0]))
           for cf in ws.conditional_formatting for rule in cf.rules if rule.operator == "greaterThan"}
    excel_row: dict[tuple, int] = {}
    for n, r in enumerate(rows, start=1):
        excel_row.setdefault((r[0], r[1]), n)  # the first: 技术部's people before its servers
    assert (f"D{excel_row[('技术部', '合计')]}", 5.0) in red  # people: capacity 5
    assert (f"D{servers + 4}", 4.0) in red and (f"D{servers + 5}", 5.0) in red
    assert (f"D{excel_row[('市场部', '合计')]}", 60000.0) in red
    assert (f"D{excel_row[('公司', '合计(公司资源池)')]}", 70000.0) in red
