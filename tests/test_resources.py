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
    assert wb.sheetnames == ["冲突", "时间线", "项目"]
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
    assert again.exit_code == 2 and "given twice" in again.output
