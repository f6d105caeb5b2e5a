from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xlflow import api
from xlflow.errors import ProjectError
from xlflow.project import load_project


def test_example_is_the_seed_scenario(project_dir: Path) -> None:
    p = load_project(project_dir)
    assert p.initiating_department == "产品部"
    assert [d.name for d in p.departments] == ["产品部", "市场部", "技术部", "运营部"]
    assert (p.end - p.start).days + 1 == 30
    targets = {r.name: (r.target.op, r.target.value, r.target.percent) for r in p.results}
    assert targets["新增用户"] == (">=", 100000, False)
    assert targets["活动转化率"] == (">=", 15, True)
    assert p.results[4].target.met_by(0.16) and not p.results[4].target.met_by(0.149)
    assert [t.id for t in p.tasks_of("技术部")] == ["T03", "T04"]
    assert p.tasks[2].due == dt.date(2024, 7, 12)
    assert "需求确认（7月5日）" in p.milestones_text


def test_blank_init_validates_and_builds(tmp_path: Path) -> None:
    api.init_project(tmp_path / "new", today=dt.date(2026, 11, 25))
    project = load_project(tmp_path / "new")
    assert project.start == dt.date(2026, 11, 25)
    result = api.build(tmp_path / "new", week="2026-W48", draft=True)
    assert result.master.is_file() and len(result.departments) == 2


def test_init_refuses_to_overwrite(project_dir: Path) -> None:
    with pytest.raises(ProjectError, match="已存在"):
        api.init_project(project_dir, example=True)


@pytest.mark.parametrize("old, new, expected", [
    ("due: 2024-07-12, owner: 陈杰", "due: 2024-13-12, owner: 陈杰",
     r"project.yaml:\d+: tasks\[2\].due: '2024-13-12' 不是日期"),
    ("{id: T04, department: 技术部", "{id: T04, department: 法务部",
     r"tasks\[3\].department: '法务部' 不在 departments 中"),
    ("{id: T04,", "{id: T03,", r"tasks\[3\].id: 任务编号 'T03' 重复"),
    ('target: ">= 15%"', 'target: "lots"', r"expected_results\[4\].target: 'lots' 不是目标值"),
    ("priority: 高", "priority: 最高", "project.priority: '最高' 不是 高/中/低 之一"),
    ("  delay_threshold_days: 3", "  delay_threshold_days: soon", "settings.delay_threshold_days"),
    ("  headers: bilingual", "  colour: blue", "settings.colour: 未知字段"),
])
def test_project_errors_name_line_and_field(project_dir: Path, old: str, new: str,
                                            expected: str) -> None:
    path = project_dir / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProjectError, match=expected):
        load_project(project_dir)


def test_project_spec_overrides_are_checked_on_load(project_dir: Path) -> None:
    path = project_dir / "project.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "spec_overrides:\n  risks:\n    columns:\n      colour: {zh: 颜色}\n",
                    encoding="utf-8")
    with pytest.raises(Exception, match=r"project.yaml:\d+: .*没有列 'colour'"):
        load_project(project_dir)


def test_missing_project_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="xlflow init"):
        load_project(tmp_path)
