from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow.cli import cli

from .conftest import WEEK


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("lang, example", [("zh", "示例:xlflow "), ("en", "Example: xlflow ")])
@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_and_an_example(runner: CliRunner, name: str, lang: str,
                                               example: str) -> None:
    result = runner.invoke(cli, ["--lang", lang, name, "--help"])
    assert result.exit_code == 0
    assert f"\n  {example}{name} " in result.output  # tests/test_help.py: the same example


def test_cli_is_thin() -> None:
    tree = ast.parse(Path(__file__).parents[1].joinpath("xlflow/cli.py").read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom)}
    assert not imported & {"openpyxl", "pandas", "xlsxwriter", "python_calamine", "sqlite3"}


def test_init_and_build(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path / "p"), "--example"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["build", str(tmp_path / "p"), "--week", WEEK])
    assert result.exit_code == 2 and "方案尚未 PMO 备案,build 未执行" in result.output
    result = runner.invoke(cli, ["build", str(tmp_path / "p"), "--week", WEEK, "--draft"])
    assert result.exit_code == 0, result.output
    assert "4 个部门工作簿" in result.output
    assert (tmp_path / "p" / "outbox" / WEEK / f"UG-2024Q3-{WEEK}-技术部.xlsx").is_file()


@pytest.mark.parametrize("args, message", [
    (["build", "{d}"], "这里没有项目文件"),
    (["build", "{d}/p", "--week", "2024-W99"], "2024 年没有第 99 周"),
    (["init", "{d}/p", "--example"], "已存在"),
])
def test_usage_errors_exit_2_with_one_clear_line(runner: CliRunner, tmp_path: Path,
                                                 args: list[str], message: str) -> None:
    runner.invoke(cli, ["init", str(tmp_path / "p"), "--example"])
    result = runner.invoke(cli, [a.format(d=tmp_path) for a in args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    quiet = runner.invoke(cli, ["build", str(tmp_path)])
    loud = runner.invoke(cli, ["--debug", "build", str(tmp_path)])
    assert quiet.exit_code == loud.exit_code == 2
    assert "Traceback" not in quiet.output
    assert "Traceback" in loud.output and "ProjectError" in loud.output


def test_progress_bar_with_many_files_and_status_json(runner: CliRunner, tmp_path: Path) -> None:
    import json
    import shutil

    from xlflow import api

    root = tmp_path / "p"
    api.init_project(root, example=True)
    built = api.build(root, week=WEEK, draft=True)
    for n in range(12):  # the same return twelve times: the newest counts, all listed
        shutil.copy(built.departments["技术部"], root / "inbox" / f"技术部-{n:02d}.xlsx")
    result = runner.invoke(cli, ["merge", str(root), "--week", WEEK, "--as-of", "2024-07-12",
                                 "--draft"])
    assert result.exit_code == 0, result.output
    assert "读取中" in result.stderr and "读取文件:12 个(采用 1 个)" in result.stdout
    status = json.loads(runner.invoke(cli, ["status", str(root), "--json"]).output)
    assert status["phase"] == "需求发起" and status["last_merge"] == WEEK
    assert status["phases"][0] == "需求发起" and status["missing"] == ["运营部负责人意见(opinions)"]
