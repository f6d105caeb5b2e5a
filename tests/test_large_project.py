"""A 5,000-task project builds, validates and merges: the task list in `_xlflow` (the
department's own tasks) is stored as rows, so nothing is cut (it used to be JSON cut at 30,000 characters, and
`validate` then failed with 内部错误 JSONDecodeError at ~800 tasks)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.contract import IDENTITY_SHEET
from xlflow.merge.read import read_returned
from xlflow.simulate import fill_workbook
from xlflow.spec import load_specs

from .conftest import mark_filed

TASKS = 5000


def _large_project(root: Path) -> None:
    api.init_project(root, example=True)
    path = root / "project.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    departments = [d["name"] for d in data["departments"]]
    start = dt.date.fromisoformat(str(data["project"]["start"]))
    data["tasks"] = [{
        "id": f"T{n:05d}", "department": departments[n % len(departments)],
        "role": "执行", "duty": f"第 {n} 项工作", "deliverable": f"交付物 {n}",
        "due": (start + dt.timedelta(days=n % 28)).isoformat(), "owner": "负责人",
        "milestone": data["milestones"][n % len(data["milestones"])]["id"],
    } for n in range(1, TASKS + 1)]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def test_five_thousand_tasks_build_validate_and_merge(tmp_path: Path) -> None:
    root = tmp_path / "big"
    _large_project(root)
    mark_filed(root)
    built = api.build(root, week="2024-W28", departments=["技术部"])
    workbook = built.departments["技术部"]
    ret = read_returned(workbook, load_specs())
    own = [f"T{n:05d}" for n in range(2, TASKS + 1, 4)]  # 技术部's: every fourth task
    assert [t[0] for t in ret.identity_tasks] == own  # all of its own tasks, none cut,
    assert len(own) == TASKS // 4  # and no other department's
    assert IDENTITY_SHEET not in ret.identity  # the rows are not key/value pairs

    filled = fill_workbook(workbook, out=tmp_path / "技术部.xlsx", weekly={
        "T00002": {"实际完成情况": "完成", "完成百分比": "100%", "实际完成日期": "2024-07-03"}})
    result = CliRunner().invoke(cli, ["validate", str(filled), "--as-of", "2024-07-12"])
    assert result.exit_code == 0, result.output
    assert "内部错误" not in result.output and "internal error" not in result.output

    report = api.merge(root, [filled], week="2024-W28", as_of=dt.date(2024, 7, 12))
    assert len(report.tasks) == TASKS
    t2 = next(t for t in report.tasks if t.task_id == "T00002")
    assert (t2.done, t2.actual, t2.data_week) == (True, dt.date(2024, 7, 3), "2024-W28")
    assert report.errors == 0
