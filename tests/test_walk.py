"""The README's walk through the whole process, command line by command line, on the
sample project: init → opinion → approve → file → build → send → merge → review →
accept → retro → archive → cases."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli

ROOT = Path(__file__).parents[1]


def walk() -> list[tuple[str, list[str]]]:
    """The README's console block: each `$ ` command with the lines it printed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The whole process, phase by phase", 1)[1]
    block = section.split("```console", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def walk_commands() -> list[str]:
    return [command for command, _ in walk()]


# what differs from run to run: when a step was recorded, the filing number (it holds the
# date), the archive's checksum (its members hold times)
VOLATILE = [(re.compile(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b"), "<time>"),
            (re.compile(r"PMO-UG-2024Q3-\d{8}"), "PMO-UG-2024Q3-<date>"),
            (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
            (re.compile(r"(归档|archived) 20\d\d-\d\d-\d\d"), r"\1 <date>")]


def masked(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern, stand_in in VOLATILE:
            line = pattern.sub(stand_in, line)
        out.append(line)
    return out


def test_the_walk_covers_every_phase_command() -> None:
    used = {shlex.split(c)[1] for c in walk_commands() if c.startswith("xlflow ")}
    assert used >= {"init", "status", "opinion", "approve", "file", "build", "send", "merge",
                    "review", "accept", "retro", "archive", "cases", "remind", "notify", "run"}


def run_walk(tmp_path: Path) -> dict[str, str]:
    """Run the console block's commands in tmp_path: command -> what it printed."""
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
    return outputs


def test_readme_walk_runs_from_init_to_archive(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = run_walk(tmp_path)
    # every line printed is the README's, but for times, the filing number and a checksum
    for command, shown in walk():
        if command in outputs:
            assert masked(outputs[command].splitlines()) == masked(shown), command
    status = api.status("ug2024")
    assert status.phase == "复盘归档" and not status.missing
    assert [e.kind for e in status.completed] == [
        "opinion", "approve", "file", "send", "send", "accept", "retro", "archive"]
    merged = next(o for c, o in outputs.items() if "merge ug2024 --week 2024-W28" in c)
    assert "滞后任务:3 项:T03 技术部 延误 +4天" in merged
    # closing the loop by e-mail: nobody had returned by Monday; the notice; 技术部's overdue
    # risk; the scheduler's Monday sends W31 and chases what is still open from W28
    assert outputs["xlflow remind ug2024 --as-of 2024-07-15"].splitlines()[-1] == (
        "2024-W28:催办 4 个部门(截至 2024-07-15 00:00)")
    notice = outputs["xlflow notify ug2024 --week 2024-W28"]
    assert "按期率 63% · 延误/预警 3 项 · 开放高风险 1 项 · 交回部门 4/4" in notice
    assert Path("ug2024/outbox/mail/2024-W28/周报通报.eml").is_file()
    assert "高风险 TEC-24W28-01 已过解决时限 2024-07-15" in outputs[
        "xlflow remind ug2024 --as-of 2024-07-16"]
    assert outputs["xlflow run ug2024 --today 2024-07-29"].splitlines() == [
        "  ✓ 发送:2024-W31:4 封(eml 文件)", "  ✓ 催办:2024-W28:催办 技术部(1 项)、运营部(1 项)",
        "2024-07-29(2024-W31):完成 2 步"]
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
    assert out.exit_code == 1 and "尚未通过:还缺" in out.output


def test_approval_refuses_when_the_seed_points_fail(unfiled_project: Path) -> None:
    project_dir = unfiled_project
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

    with pytest.raises(ProjectError, match="案例库应放在项目文件夹之外"):
        api.archive(project_dir, to=project_dir / "cases")


# English words the Chinese output may hold: names of things, not scaffolding
NOT_SCAFFOLDING = re.compile(r"`[^`]*`|xlflow \w+ (DIR|[\w./-]+)|\S*/\S*|[\w.-]+\.(xlsx|html|zip|eml|yaml)|[\w.]+@example\.com|"
                             r"xlflow|PMO|SHA|DIR|opinions|eml|UG-2024Q3|[A-Z]{3}-\d+W\d+-\d+|"
                             r"\bW\d+\b|\b[TRM]\d+\b|\b[0-9a-f]{64}\b")


def test_the_walk_in_chinese_has_no_english_scaffolding(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command, output in run_walk(tmp_path).items():
        for line in output.splitlines():
            left = NOT_SCAFFOLDING.sub("", line)
            assert not re.search(r"[A-Za-z]{2,}", left), (command, line)


def test_the_walk_in_english(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XLFLOW_LANG", "en")
    outputs = run_walk(tmp_path)
    lines = {c.split()[1] + " " + c.split()[2]: o.splitlines() for c, o in outputs.items()}
    assert lines["init ug2024"] == ["wrote ug2024/project.yaml",
                                    "wrote ug2024/.xlflow-key (the public example key: for demos "
                                    "only)",
                                    "next: edit it; after 需求共识 `xlflow opinion`, 方案审批 "
                                    "`xlflow approve` and PMO备案 `xlflow file`, run "
                                    "`xlflow build ug2024 --week 2024-W27`"]
    assert masked(lines["opinion ug2024"]) == [
        "recorded by 运营总监 at <time> · 同意,需提前准备活动物料",
        "  wrote ug2024/outbox/2024-W27/UG-2024Q3-2024-W27-PMO总表.xlsx"]
    merged = next(o for c, o in outputs.items() if "--week 2024-W31 --as-of" in c)
    assert merged.splitlines()[:4] == [
        "2024年Q3用户增长活动 · 2024-W31 (as of 2024-07-31)",
        "  files read: 8 (4 accepted) · rows merged: 21",
        "  problems: 0 error(s), 5 warning(s)",
        "  ! 产品部.xlsx: 这是 2024-W28 的文件,本次汇总的是 2024-W31;本周已有新文件,此文件不计入 "
        "(found '2024-W28', expected 2024-W31)"]
    assert "  missing weeks: 2024-W29、2024-W30 (compared with 2024-W28)" in merged.splitlines()
    assert lines["accept ug2024"][-2:] == [
        "acceptance passed: recorded 成果验收", "wrote ug2024/reports/UG-2024Q3-成果验收确认单.xlsx"]
    assert lines["cases pmo-cases"][-1] == "1 case(s)"
    assert masked(lines["status ug2024"])[1:3] == [
        "  opinion: <time> by 运营总监 · 同意,需提前准备活动物料",
        "  approve: <time> by 分管副总 陈明 · 同意,按期推进"]
