"""A department's files grow with its own work, not with the number of other departments:
past ALL_DEPARTMENTS_UP_TO departments the department dropdown (需协调部门) offers the
department's partners, not every department; the merge still checks every name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import yaml
from python_calamine import CalamineWorkbook

from xlflow import api
from xlflow.simulate import header_columns
from xlflow.writer._validation import ALL_DEPARTMENTS_UP_TO

from .conftest import AS_OF, WEEK, mark_filed

START = dt.date(2024, 7, 1)


def _project(root: Path, departments: int) -> Path:
    """`departments` departments of 2 tasks each; 部门002's second task comes after
    部门005's first (a partner); filed, as build needs."""
    names = [f"部门{i:03d}" for i in range(1, departments + 1)]
    tasks = [{"id": f"T{d:03d}{k}", "department": name, "role": "工程师", "duty": "设计与开发",
              "deliverable": "交付物", "due": START + dt.timedelta(days=10 + k),
              "owner": f"员工{d}", **({"after": "T0051"} if (d, k) == (2, 2) and departments >= 5 else {})}
             for d, name in enumerate(names, start=1) for k in (1, 2)]
    data = {"project": {"id": "SCALE-1", "name": "规模测试", "priority": "中",
                        "initiating_department": names[0], "initiator": "张伟",
                        "contact": "13800000000", "start": START,
                        "end": START + dt.timedelta(days=59), "background": "规模",
                        "goals": "测量"},
            "departments": [{"name": n, "code": f"D{i:03d}", "head": f"负责人{i}",
                             "email": f"d{i}@example.com"} for i, n in enumerate(names, 1)],
            "milestones": [{"id": "M1", "name": "里程碑1", "date": START + dt.timedelta(days=30)}],
            "tasks": tasks}
    root.mkdir(parents=True)
    for sub in ("inbox", "outbox", "reports"):
        (root / sub).mkdir()
    (root / "project.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    mark_filed(root)
    return root


def _cells(path: Path) -> dict[str, int]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: sum(len(row) for row in
                      book.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in book.sheet_names}


def test_department_files_do_not_grow_with_other_departments(tmp_path: Path) -> None:
    sizes = {}
    for n in (ALL_DEPARTMENTS_UP_TO + 1, 4 * ALL_DEPARTMENTS_UP_TO):
        built = api.build(_project(tmp_path / str(n), n), week=WEEK, departments=["部门002"])
        sizes[n] = (_cells(built.departments["部门002"]), _cells(built.risk_forms["部门002"]))
    small, large = sizes.values()
    assert small == large
    assert "_lists" not in small[0] and "_lists" not in small[1]


def test_many_departments_dropdown_offers_partners_and_lets_others_through(
        tmp_path: Path) -> None:
    n = ALL_DEPARTMENTS_UP_TO + 1
    built = api.build(_project(tmp_path / "p", n), week=WEEK, departments=["部门002", "部门003"])
    for dept, offered in (("部门002", '"部门001,部门005"'), ("部门003", '"部门001"')):
        for path in (built.departments[dept], built.risk_forms[dept]):
            ws = openpyxl.load_workbook(path)["风险应对申请表"]
            column = next(c.column_letter for c in ws[1] if str(c.value).startswith("需协调部门"))
            dv = next(dv for dv in ws.data_validations.dataValidation
                      if str(dv.sqref).startswith(column))
            assert (dv.type, dv.formula1, dv.errorStyle) == ("list", offered, "information")
            assert f"共 {n} 个部门" in dv.prompt and "全称" in dv.error


def test_merge_checks_a_typed_department_against_the_whole_project(tmp_path: Path) -> None:
    """Not offered in 部门002's dropdown, 部门040 is still a department of the project; a
    name of no department is reported on its cell."""
    built = api.build(_project(tmp_path / "p", ALL_DEPARTMENTS_UP_TO + 1), week=WEEK,
                      departments=["部门002"])
    wb = openpyxl.load_workbook(built.risk_forms["部门002"])
    ws = wb["风险应对申请表"]
    cols = header_columns(ws)
    row = {"发现时间": dt.datetime(2024, 7, 9, 10, 0), "提出时间": dt.datetime(2024, 7, 9, 11, 0),
           "风险描述": "接口延期", "风险等级": "中", "影响范围": "联调", "建议措施": "协调排期"}
    for r, coordination in ((2, "部门040"), (3, "部门040,部门999")):
        for header, value in {**row, "需协调部门": coordination}.items():
            ws.cell(r, cols[header]).value = value
    target = tmp_path / "filled.xlsx"
    wb.save(target)
    (checked,) = api.validate([target], as_of=AS_OF).files
    letter = openpyxl.utils.get_column_letter(cols["需协调部门"])
    assert [(i.cell, i.code) for i in checked.issues] == [(f"{letter}3", "not-in-list")]


def test_few_departments_dropdown_offers_every_department(tmp_path: Path) -> None:
    built = api.build(_project(tmp_path / "p", 3), week=WEEK, departments=["部门003"])
    ws = openpyxl.load_workbook(built.risk_forms["部门003"])["风险应对申请表"]
    assert any(dv.formula1 == '"部门001,部门002,部门003"'
               for dv in ws.data_validations.dataValidation)
