"""Past `settings.all_departments_up_to` departments (default 50) the 需协调部门 dropdown
offers a department's partners, and they are more than the initiating department when
nothing links the tasks by 前置任务: the departments its tasks' text names (and that name
it), and those sharing a milestone. A 60-department project built, the dropdown's list
read back with openpyxl (inline, or from the `_lists` sheet it points to)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from xlflow import api
from xlflow.errors import ProjectError

from .conftest import WEEK, mark_filed

START = dt.date(2024, 7, 1)
N = 60


def _project(root: Path, *, duties: dict[str, str] | None = None,
             milestones: dict[str, str] | None = None, settings: dict[str, Any] | None = None,
             filed: bool = True) -> Path:
    """N departments of one task each, no 前置任务; `duties` gives a department's task
    its 职责 text, `milestones` puts its task in a milestone."""
    names = [f"部门{i:03d}" for i in range(1, N + 1)]
    duties, milestones = duties or {}, milestones or {}
    tasks = [{"id": f"T{d:03d}", "department": name, "role": "工程师",
              "duty": duties.get(name, "设计与开发"), "deliverable": "交付物",
              "due": START + dt.timedelta(days=10), "owner": f"员工{d}",
              **({"milestone": milestones[name]} if name in milestones else {})}
             for d, name in enumerate(names, start=1)]
    data: dict[str, Any] = {
        "project": {"id": "PARTNER-1", "name": "协调测试", "priority": "中",
                    "initiating_department": names[0], "initiator": "张伟",
                    "contact": "13800000000", "start": START,
                    "end": START + dt.timedelta(days=59), "background": "规模", "goals": "测量"},
        "departments": [{"name": n, "code": f"D{i:03d}", "head": f"负责人{i}",
                         "email": f"d{i}@example.com"} for i, n in enumerate(names, 1)],
        "milestones": [{"id": m, "name": f"里程碑{m}", "date": START + dt.timedelta(days=30)}
                       for m in ("M1", "M2")],
        "tasks": tasks}
    if settings:
        data["settings"] = settings
    root.mkdir(parents=True)
    for sub in ("inbox", "outbox", "reports"):
        (root / sub).mkdir()
    (root / "project.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return mark_filed(root) if filed else root


def offered(path: Path) -> list[str]:
    """The 需协调部门 dropdown's list on the 风险应对申请表 sheet, as Excel shows it."""
    wb = openpyxl.load_workbook(path)
    ws = wb["风险应对申请表"]
    column = next(c.column_letter for c in ws[1] if str(c.value).startswith("需协调部门"))
    dv = next(dv for dv in ws.data_validations.dataValidation
              if str(dv.sqref).startswith(column))
    assert dv.type == "list"
    formula = dv.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, cells = formula.lstrip("=").split("!")
    first, last = cells.replace("$", "").split(":")
    return [c.value for row in wb[sheet.strip("'")][f"{first}:{last}"] for c in row]


def test_partners_named_in_tasks_and_sharing_a_milestone(tmp_path: Path) -> None:
    root = _project(tmp_path / "p",
                    duties={"部门010": "与部门030确认接口,部门045 提供数据"},
                    milestones={"部门040": "M2", "部门041": "M2", "部门042": "M2"})
    built = api.build(root, week=WEEK, departments=["部门010", "部门030", "部门041", "部门050"])
    expected = {"部门010": ["部门001", "部门030", "部门045"],  # named in its duty
                "部门030": ["部门001", "部门010"],  # 部门010's task names it
                "部门041": ["部门001", "部门040", "部门042"],  # the same milestone
                "部门050": ["部门001"]}  # nothing links it: the initiating department
    for dept, partners in expected.items():
        assert offered(built.departments[dept]) == partners, dept
        assert offered(built.risk_forms[dept]) == partners, dept


def test_the_threshold_is_a_project_setting(tmp_path: Path) -> None:
    """Up to 100: every department is offered (from the `_lists` sheet); at 2, the list
    is cut to the two closest partners (the initiating department, then a named one
    before a milestone's)."""
    wide = _project(tmp_path / "wide", settings={"all_departments_up_to": 100})
    built = api.build(wide, week=WEEK, departments=["部门050"])
    assert offered(built.departments["部门050"]) == [f"部门{i:03d}" for i in range(1, N + 1)]

    narrow = _project(tmp_path / "narrow", settings={"all_departments_up_to": 2},
                      duties={"部门010": "配合部门045"},
                      milestones={"部门010": "M1", "部门011": "M1", "部门012": "M1"})
    built = api.build(narrow, week=WEEK, departments=["部门010"])
    assert offered(built.departments["部门010"]) == ["部门001", "部门045"]


@pytest.mark.parametrize("value", [0, "many", True])
def test_a_bad_threshold_is_refused_naming_the_setting(tmp_path: Path, value: Any) -> None:
    root = _project(tmp_path / "p", settings={"all_departments_up_to": value}, filed=False)
    with pytest.raises(ProjectError, match=r"settings\.all_departments_up_to.*1 到 100000 的整数"):
        api.build(root, week=WEEK)
