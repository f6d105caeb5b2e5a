"""The CLI speaks Chinese, or English with --lang en; values are shown as the person
sees them in the cell; a missing file is a usage error; no message sends anyone to a
hidden sheet."""

from __future__ import annotations

import datetime as dt
import json
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api, texts
from xlflow.cli import cli
from xlflow.simulate import fill_workbook

from .conftest import AS_OF, WEEK, department_file


@pytest.mark.parametrize("environ, lang", [
    ({}, "zh"),
    ({"LANG": "C.UTF-8"}, "zh"),
    ({"LANG": "POSIX"}, "zh"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.Big5"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),  # LC_ALL wins
    ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": ""}, "en"),  # set but empty: not a choice
    ({"LANG": "en_US.UTF-8", "XLFLOW_LANG": "zh"}, "zh"),  # XLFLOW_LANG wins
    ({"LANG": "zh_CN.UTF-8", "XLFLOW_LANG": "en"}, "en"),
    ({"XLFLOW_LANG": "zh-CN"}, "zh"),
    ({"XLFLOW_LANG": "EN"}, "en"),
])
def test_default_language(environ: dict[str, str], lang: str) -> None:
    assert texts.default_lang(environ) == lang


def test_lang_option_beats_the_environment(runner: CliRunner, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLFLOW_LANG", "en")
    out = runner.invoke(cli, ["--lang", "zh", "init", str(tmp_path / "p"), "--example"]).output
    assert out.splitlines()[0] == f"已写入 {tmp_path / 'p' / 'project.yaml'}"
    monkeypatch.setenv("XLFLOW_LANG", "zh")
    out = runner.invoke(cli, ["--lang", "en", "status", str(tmp_path / "p")]).output
    assert out.startswith("phase: [需求发起]")
    bad = runner.invoke(cli, ["--lang", "fr", "status", str(tmp_path / "p")])
    assert bad.exit_code == 2


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(texts.TEXTS))
def test_every_line_has_both_languages_with_the_same_fields(key: str) -> None:
    zh, en = texts.TEXTS[key]
    assert zh.strip() and en.strip()
    assert _fields(zh) == _fields(en)


def test_cli_prints_only_through_texts() -> None:
    """Every literal the CLI echoes is a line of xlflow/texts.py, not English in cli.py."""
    import ast

    tree = ast.parse(Path(__file__).parents[1].joinpath("xlflow/cli.py").read_text())
    echoed = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
              and getattr(n.func, "attr", "") in ("echo", "secho") and n.args]
    for call in echoed:
        keys = {id(n.slice) for n in ast.walk(call.args[0]) if isinstance(n, ast.Subscript)}
        words = [c.value for c in ast.walk(call.args[0]) if isinstance(c, ast.Constant)
                 and isinstance(c.value, str) and id(c) not in keys]
        prose = [w for w in words if w not in texts.TEXTS]  # keys name lines of texts.py
        assert not [w for w in prose if any(ch.isalpha() and ch.isascii() for ch in w)], \
            ast.unparse(call)


@pytest.mark.parametrize("lang, line", [
    ("zh", "{mark} {path}:未识别部门 · 1 个错误,0 个提醒"),
    ("en", "{mark} {path}: department not identified · 1 error(s), 0 warning(s)"),
])
def test_validate_names_an_unknown_department(runner: CliRunner, tmp_path: Path, lang: str,
                                              line: str) -> None:
    folder = tmp_path / "技术部.xlsx"
    folder.mkdir()
    result = runner.invoke(cli, ["--lang", lang, "validate", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == line.format(mark="✗", path=folder)
    assert lines[1] == "  ✗ 技术部.xlsx: 是文件夹,不是文件,已跳过"


@pytest.mark.parametrize("args, message", [
    (["validate", "nosuch.xlsx"], "错误:找不到文件 nosuch.xlsx"),
    (["validate", "nosuch.xlsx", "其他.xlsx"], "错误:找不到文件 nosuch.xlsx、其他.xlsx"),
    (["merge", "{root}", "nosuch.xlsx", "--week", WEEK, "--as-of", AS_OF.isoformat()],
     "错误:找不到文件 nosuch.xlsx(当前文件夹和 {root} 中都没有)"),
])
def test_a_missing_file_is_a_usage_error(runner: CliRunner, project_dir: Path, args: list[str],
                                         message: str) -> None:
    result = runner.invoke(cli, [a.format(root=project_dir) for a in args])
    assert result.exit_code == 2
    assert result.output.splitlines() == [message.format(root=project_dir)]
    assert not (project_dir / "reports" / f"{WEEK}-consolidated.xlsx").exists()


def test_values_are_shown_as_the_cell_shows_them(built, tmp_path: Path) -> None:
    """A date serial pasted into a percent cell reads 4548800% in Excel, so the problem
    says 4548800%, not 45488; a serial number in a date column is the date it stands for;
    a time is shown as people write it."""
    path = fill_workbook(
        department_file(built, "技术部", tmp_path),
        weekly={"T03": {"实际完成情况": "x", "完成百分比": 45488,
                        "实际完成日期": dt.datetime(2023, 1, 5)},
                "T04": {"实际完成情况": "y", "完成百分比": 1.5, "预计完成日期": 40000}},
        risks=[{"发现时间": dt.datetime(2020, 7, 12, 9, 30), "提出时间": "2024-07-12 10:00",
                "风险描述": "d", "风险等级": "高", "影响范围": "i", "建议措施": "m"}])
    report = api.validate([path], as_of=AS_OF)
    shown = {(i.cell, i.value) for i in report.files[0].issues if i.code == "out-of-range"}
    assert shown == {("F2", "4548800%"), ("G2", "2023-01-05"), ("H3", "2009-07-06"),
                     ("D2", "2020-07-12 09:30")}
    # the JSON shows the same values: they are the issue's
    data = json.loads(CliRunner().invoke(cli, ["validate", str(path), "--json"]).output)
    assert {(i["cell"], i["value"]) for i in data["files"][0]["issues"]
            if i["code"] == "out-of-range"} == shown
    out = CliRunner().invoke(cli, ["validate", str(path), "--as-of", AS_OF.isoformat()]).output
    assert "「完成百分比」超出允许范围(填写的是「4548800%」,应为 百分比 0%–100%)" in out


def test_no_message_sends_anyone_to_a_hidden_sheet(built, tmp_path: Path) -> None:
    import openpyxl

    no_identity = department_file(built, "技术部", tmp_path, "无标识.xlsx")
    wb = openpyxl.load_workbook(no_identity)
    del wb["_xlflow"]
    wb.save(no_identity)
    merged = api.merge(built.project.root, [no_identity], week=WEEK, as_of=AS_OF, write=False)
    checked = api.validate([no_identity], as_of=AS_OF)
    issues = merged.issues + checked.files[0].issues
    assert {i.code for i in issues} >= {"no-identity"}
    for issue in issues:
        assert "_xlflow" not in str(issue) and "标识页" not in str(issue), issue
    assert any("这不是由 xlflow 生成的工作簿,或标识信息已被删除" in i.message for i in issues)


def test_a_damaged_identity_is_named_without_the_hidden_sheet(built, tmp_path: Path) -> None:
    from . import hostile

    far = hostile.far_value(built.departments["技术部"], "_xlflow", "B150000",
                            tmp_path / "技术部.xlsx")
    (issue,) = api.validate([far], as_of=AS_OF).files[0].issues
    assert (issue.code, issue.sheet, issue.cell) == ("sheet-too-large", "", "")
    assert str(issue) == ("技术部.xlsx: 文件的标识信息已损坏(超过 100,000 行),为防止内存耗尽整个文件"
                          "未读取;请用 PMO 发来的原始文件填写后重新发送")
