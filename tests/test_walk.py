"""The README's walk through the whole process, command line by command line, on the
sample project: init → opinion → approve → file → build → send → merge → review →
accept → retro → archive → cases."""

from __future__ import annotations

import glob
import shlex
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli

ROOT = Path(__file__).parents[1]


def walk_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The whole process, phase by phase", 1)[1]
    block = section.split("```console", 1)[1].split("```", 1)[0]
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def test_the_walk_covers_every_phase_command() -> None:
    used = {shlex.split(c)[1] for c in walk_commands() if c.startswith("xlflow ")}
    assert used >= {"init", "status", "opinion", "approve", "file", "build", "send", "merge",
                    "review", "accept", "retro", "archive", "cases", "remind", "notify", "run"}


def test_readme_walk_runs_from_init_to_archive(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    outputs = {}
    for line in walk_commands():
        args = shlex.split(line)
        if args[0] == "cp":
            for src in glob.glob(str(ROOT / args[1])):
                shutil.copy(src, tmp_path / args[2])
            continue
        result = runner.invoke(cli, args[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs[line] = result.output
    status = api.status("ug2024")
    assert status.phase == "复盘归档" and not status.missing
    assert [e.kind for e in status.completed] == [
        "opinion", "approve", "file", "send", "send", "accept", "retro", "archive"]
    merged = next(o for c, o in outputs.items() if "merge ug2024 --week 2024-W28" in c)
    assert "late tasks: 3: T03 技术部 延误 +4d" in merged
    # closing the loop by e-mail: nobody had returned by Monday; the notice; 技术部's overdue
    # risk; the scheduler's Monday sends W31 and chases what is still open from W28
    assert outputs["xlflow remind ug2024 --as-of 2024-07-15"].endswith(
        "4 reminder(s) for 2024-W28 as of 2024-07-15 00:00\n")
    notice = outputs["xlflow notify ug2024 --week 2024-W28"]
    assert "按期率 63% · 延误/预警 3 项 · 开放高风险 1 项 · 交回部门 4/4" in notice
    assert Path("ug2024/outbox/mail/2024-W28/周报通报.eml").is_file()
    assert "高风险 TEC-24W28-01 已过解决时限 2024-07-15" in outputs[
        "xlflow remind ug2024 --as-of 2024-07-16"]
    assert outputs["xlflow run ug2024 --today 2024-07-29"].splitlines() == [
        "  ✓ send: 2024-W31:4 封(.eml)", "  ✓ remind: 2024-W28:催办 技术部(1 项)、运营部(1 项)",
        "2024-07-29 (2024-W31): 2 step(s) done"]
    # the approval is in the master workbook's request form
    master = next(Path("ug2024/outbox/2024-W31").glob("*PMO总表.xlsx"))
    form = [r for r in openpyxl.load_workbook(master)["合作需求申请表"].iter_rows(values_only=True)]
    assert any(r[1] and "分管副总 陈明" in str(r[1]) and "批准" in str(r[1]) for r in form)
    minutes = " ".join(str(c) for r in openpyxl.load_workbook(master)["需求共识纪要"].iter_rows(
        values_only=True) for c in r if c)
    assert "运营总监:同意,需提前准备活动物料" in minutes
    # acceptance, retrospective and the verified archive
    acc = openpyxl.load_workbook(next(Path("ug2024/reports").glob("*成果验收确认单.xlsx")))
    rows = list(acc.active.iter_rows(min_row=4, max_row=8, values_only=True))
    assert [(r[0], r[5], r[6]) for r in rows] == [
        ("R1", "是", "刘强"), ("R2", "是", "李娜"), ("R3", "是", "王晓"), ("R4", "是", "孙磊"),
        ("R5", "是", "孙磊")]
    html = next(Path("ug2024/reports").glob("*复盘报告.html")).read_text(encoding="utf-8")
    assert "任务按期率" in html and "5/8 = 63%" in html and "跨部门周例会机制高效" in html
    assert "第三方支付接口文档延迟提供" in html
    (zip_path,) = Path("pmo-cases").glob("*.zip")
    from xlflow.phases.archive import verify_archive

    assert verify_archive(zip_path) >= 30
    assert Path("ug2024/project.yaml").is_file()  # never deleted
    assert [c["project_id"] for c in api.cases("pmo-cases", search="支付 接口")] == ["UG-2024Q3"]
    assert api.cases("pmo-cases", search="不存在") == []


def test_acceptance_says_what_is_missing(with_samples: Path) -> None:
    api.merge(with_samples, week="2024-W28", as_of=__import__("datetime").date(2024, 7, 12))
    result = api.accept(with_samples)
    assert not result.passed and not result.recorded
    assert "R4 新增用户:运营部尚未填写实际值" in result.missing
    assert "R4 新增用户:运营部尚未确认(确认人、确认日期)" in result.missing
    assert any(m.startswith("任务 T03(技术部)尚未完成") for m in result.missing)
    runner = CliRunner()
    out = runner.invoke(cli, ["accept", str(with_samples)])
    assert out.exit_code == 1 and "not yet:" in out.output


def test_approval_refuses_when_the_seed_points_fail(project_dir: Path) -> None:
    path = project_dir / "project.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("due: 2024-07-28, owner: 何静", "due: 2024-08-20, owner: 何静")
    text = text.replace("head: 孙磊, ", "")
    path.write_text(text, encoding="utf-8")
    result = api.approve(project_dir, by="分管副总")
    assert not result.recorded
    assert [i.code for i in result.issues if i.is_error] == [
        "no-consensus", "no-head", "due-outside-window"]
    assert api.status(project_dir).phase == "需求发起"


def test_archive_refuses_a_library_inside_the_project(project_dir: Path) -> None:
    from xlflow.errors import ProjectError

    with pytest.raises(ProjectError, match="outside the project folder"):
        api.archive(project_dir, to=project_dir / "cases")
