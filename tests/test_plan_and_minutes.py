"""The PMO master's 需求共识纪要 (date, attendees, every head's opinion, 目标可行性,
资源需求, 潜在风险, conclusion) and the printable 合作方案 with signature lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli

from .conftest import BUILT_AT, WEEK

CONSENSUS = """
consensus:
  date: 2024-06-26
  attendees: [王晓, 李娜, 刘强, 孙磊, 张伟]
  feasibility: 目标可行：历史同类活动转化率 12%-18%，技术部评估 7 天可完成开发
  risks:
    - 第三方支付接口文档可能延迟提供
    - 推广预算 5 万元偏紧，渠道需按效果排序
  conclusion: 各部门同意按本方案推进，由产品部牵头提交审批
"""


def _fields(ws) -> dict[str, str]:
    return {str(r[0]): r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def test_minutes_have_the_meeting_from_project_yaml(unfiled_project: Path) -> None:
    project_dir = unfiled_project  # 运营部 has given no opinion yet: a draft of the minutes
    path = project_dir / "project.yaml"
    path.write_text(path.read_text(encoding="utf-8") + CONSENSUS, encoding="utf-8")
    built = api.build(project_dir, week=WEEK, built_at=BUILT_AT, draft=True)
    ws = openpyxl.load_workbook(built.master)["需求共识纪要"]
    got = _fields(ws)
    assert got["会议日期"] == "2024-06-26"
    assert got["参会人员"] == "王晓、李娜、刘强、孙磊、张伟"
    assert got["目标可行性"].startswith("目标可行")
    assert got["资源需求"] == ("技术部：开发工程师 3名；市场部：推广预算 50000元；"
                            "运营部：活动执行专员 2名")
    assert got["潜在风险"] == "1. 第三方支付接口文档可能延迟提供\n2. 推广预算 5 万元偏紧，渠道需按效果排序"
    assert got["会议结论"] == "各部门同意按本方案推进，由产品部牵头提交审批"
    assert got["市场部意见"] == "市场部经理:同意，需明确推广渠道优先级"
    assert got["运营部意见"] == "运营总监 孙磊:(待填写)"  # no opinion yet: the gap shows
    assert "产品部意见" not in got  # the initiator gives none
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$1:$1"


def test_minutes_without_a_meeting_show_what_is_missing(built: api.BuildResult) -> None:
    got = _fields(openpyxl.load_workbook(built.master)["需求共识纪要"])
    assert (got["会议日期"], got["目标可行性"], got["潜在风险"], got["会议结论"]) == (
        "(待填写)",) * 4
    assert got["参会人员"].startswith("产品部 产品总监 王晓、市场部 市场部经理 李娜")


def test_opinion_records_attendees_and_date(runner: CliRunner, unfiled_project: Path) -> None:
    root = unfiled_project  # opinions are recorded before PMO备案 (after it: refused)
    result = runner.invoke(cli, ["opinion", str(root), "--department", "运营部", "--by",
                                 "运营总监", "--text", "同意,需提前准备活动物料",
                                 "--attendees", "王晓、李娜,刘强", "--date", "2024-06-27"])
    assert result.exit_code == 0, result.output
    master = next((root / "outbox").rglob("*PMO总表.xlsx"))
    got = _fields(openpyxl.load_workbook(master)["需求共识纪要"])
    assert (got["会议日期"], got["参会人员"]) == ("2024-06-27", "王晓、李娜、刘强")
    assert got["运营部意见"] == "运营总监:同意,需提前准备活动物料"
    # a later opinion without them keeps what was recorded
    api.opinion(root, department="技术部", by="技术部总监", text="同意")
    assert api.status(root) is not None
    project = __import__("xlflow.workspace", fromlist=["Workspace"]).Workspace(root).project()
    assert (project.consensus.date, project.consensus.attendees) == (
        dt.date(2024, 6, 27), ("王晓", "李娜", "刘强"))
    bad = runner.invoke(cli, ["opinion", str(root), "--department", "运营部", "--by", "x",
                              "--text", "y", "--date", "27/06/2024"])
    assert bad.exit_code == 2 and "--date" in bad.output


def test_plan_sheet_is_printable_with_every_part_and_signature_lines(
        built: api.BuildResult) -> None:
    wb = openpyxl.load_workbook(built.master)
    assert "合作方案" in wb.sheetnames
    ws = wb["合作方案"]
    rows = [tuple(c for c in r) for r in ws.iter_rows(values_only=True)]
    first = [r[0] for r in rows]
    sections = [t for t in first if t and t[:2] in ("一、", "二、", "三、", "四、", "五、", "六、",
                                                      "七、")]
    assert sections == ["一、项目概况", "二、阶段性目标", "三、资源清单", "四、时间节点",
                        "五、职责分工", "六、预期成果", "七、签字确认"]

    def table(title: str) -> list[tuple]:
        at = first.index(title) + 1
        out = []
        for r in rows[at + 1:]:
            if not any(r):
                break
            out.append(r)
        return out

    milestones = table("二、阶段性目标")
    assert [(r[0], r[1], r[2]) for r in milestones] == [
        ("M1", "需求确认", "2024-07-05"), ("M2", "功能开发", "2024-07-12"),
        ("M3", "活动上线", "2024-07-15"), ("M4", "数据复盘", "2024-07-30")]
    assert milestones[1][3] == "T03、T05、T06"
    resources = table("三、资源清单")
    assert [(r[0], r[1], r[2], r[3]) for r in resources] == [
        ("人力", "技术部", "开发工程师", "3 名"), ("人力", "运营部", "活动执行专员", "2 名"),
        ("预算", "市场部", "推广预算", "50,000 元")]
    timeline = table("四、时间节点")
    dates = [r[0] for r in timeline]
    assert dates == sorted(dates) and len(timeline) == 4 + 8
    assert ("2024-07-05", "里程碑", "M1") in [(r[0], r[1], r[2]) for r in timeline]
    duties = table("五、职责分工")
    assert duties[0] == ("T01", "产品部", "产品经理", "统筹项目进度，协调资源，输出需求文档",
                         "需求规格说明书、活动方案", "2024-07-05", "张伟")
    assert len(duties) == 8
    assert [r[0] for r in table("六、预期成果")] == ["R1", "R2", "R3", "R4", "R5"]
    signatures = table("七、签字确认")
    head = rows[first.index("七、签字确认") + 1]
    assert head == ("部门", "职务", "负责人", "签字", None, "日期", None)  # 签字, 日期 span two
    assert [(r[0], r[2]) for r in signatures] == [
        ("产品部", "王晓"), ("市场部", "李娜"), ("技术部", "刘强"), ("运营部", "孙磊"),
        ("审批", "分管副总 陈明")]
    assert all(r[3] in (None, "") and r[5] in (None, "") for r in signatures)  # blank to sign
    signed = first.index("七、签字确认") + 3
    assert ws.row_dimensions[signed].height >= 30  # room for a signature
    assert first.index("七、签字确认") > first.index("六、预期成果")
    # A4 portrait, one page wide, title row repeated, print area over the whole plan
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToHeight == 0 and (ws.page_setup.fitToWidth or 1) == 1
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_area == f"'合作方案'!$A$1:$G${len(rows)}"
    assert ws.protection.sheet
