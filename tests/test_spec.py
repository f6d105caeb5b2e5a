from __future__ import annotations

from pathlib import Path

import pytest

from xlflow.errors import SpecError
from xlflow.spec import ColumnType, builtin_spec_dir, load_specs, load_template

REQUIRED_HEADERS = {
    "responsibilities": ["任务编号", "部门", "岗位", "职责描述", "交付成果", "时间节点", "负责人"],
    "weekly": ["任务编号", "计划完成事项", "计划完成日期", "实际完成情况", "完成百分比",
               "实际完成日期", "预计完成日期", "偏差原因", "解决措施"],
    "risks": ["风险编号", "发现时间", "提出时间", "风险描述", "风险等级", "影响范围", "建议措施",
              "责任人", "解决时限", "状态"],
    "acceptance": ["成果/指标", "目标值", "实际值", "是否达标", "确认人", "确认日期", "意见"],
}


@pytest.mark.parametrize("key", REQUIRED_HEADERS)
def test_builtin_specs_have_the_seed_headers_in_order(key: str) -> None:
    headers = [c.zh for c in load_specs()[key].columns]
    assert [h for h in headers if h in REQUIRED_HEADERS[key]] == REQUIRED_HEADERS[key]


def test_builtin_specs_are_the_five_templates_and_the_retro_feedback() -> None:
    specs = load_specs()
    assert [(s.key, s.template) for s in specs] == [
        ("request", "模板1"), ("responsibilities", "模板2"), ("weekly", "模板3"),
        ("risks", "模板4"), ("acceptance", "模板5"), ("retro", "复盘"), ("pmo_response", "模板4")]
    assert specs["risks"].column("level").values == ("高", "中", "低")
    assert specs["request"].layout == "form"
    assert specs.version == (
        "request=1;responsibilities=1;weekly=1;risks=1;acceptance=1;retro=1;pmo_response=1")


def _spec_with(tmp_path: Path, column_yaml: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "key: t\ntemplate: 模板9\ntitle_zh: 测试\nsheet: 测试\ncolumns:\n"
        "  - {key: a, zh: 甲, type: text}\n" + column_yaml, encoding="utf-8")
    return path


@pytest.mark.parametrize("column_yaml, expected", [
    ("  - {key: b, zh: 乙, type: money}\n", "bad.yaml:7: 列 'b': 未知类型 'money'"),
    ("  - {key: a, zh: 乙, type: text}\n", "bad.yaml:7: 列的 key 'a' 重复"),
    ("  - {key: b, zh: 乙, type: enum}\n", "bad.yaml:7: 列 'b': enum 类型需要 'values'"),
    ("  - {key: b, zh: 乙, type: text, colour: red}\n", "bad.yaml:7: 未知列字段 'colour'"),
    ("  - key: b\n    zh: 乙\n    type: date\n    window: forever\n",
     "bad.yaml:10: 列 'b': window 只能用于日期列"),
    ("  - {key: B, zh: 乙, type: text}\n", "bad.yaml:7: 列 key 'B' 应为 lower_snake_case"),
])
def test_bad_spec_names_file_line_and_field(tmp_path: Path, column_yaml: str, expected: str) -> None:
    with pytest.raises(SpecError) as exc:
        load_template(_spec_with(tmp_path, column_yaml))
    assert expected in str(exc.value)


def test_every_builtin_spec_file_loads_on_its_own() -> None:
    for path in sorted(builtin_spec_dir().glob("*.yaml")):
        assert load_template(path).columns


def test_overrides_change_values_add_and_remove_columns() -> None:
    specs = load_specs({
        "risks": {"columns": {"status": {"values": ["待处理", "已关闭"]}},
                  "add_columns": [{"key": "budget", "zh": "预算影响", "type": "number"}]},
        "weekly": {"remove_columns": ["coordination"]},
    })
    assert specs["risks"].column("status").values == ("待处理", "已关闭")
    assert specs["risks"].column("budget").type is ColumnType.NUMBER
    assert "coordination" not in specs["weekly"].keys
    assert specs.digest != load_specs().digest
    assert load_specs()["risks"].column("status").values[0] == "待处理"


@pytest.mark.parametrize("overrides, expected", [
    ({"nope": {}}, "未知模板 'nope'"),
    ({"risks": {"columns": {"colour": {"zh": "颜色"}}}}, "没有列 'colour'"),
    ({"risks": {"columns": {"level": {"type": "money"}}}}, "未知类型 'money'"),
    ({"weekly": {"remove_columns": ["task_id"]}}, "用于识别行,不能删除"),
    ({"risks": {"add_columns": [{"key": "level", "zh": "级别2", "type": "text"}]}},
     "列的 key 'level' 重复"),
])
def test_bad_overrides_are_refused(overrides: dict, expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        load_specs(overrides)
