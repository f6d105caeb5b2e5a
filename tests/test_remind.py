"""`xlflow remind`: after the deadline each department is chased, in one Chinese message,
for exactly what it owes, its workbook attached again; the head and then the 分管副总
are copied as it grows late; a rerun the same day sends nothing new. Messages go to a
real SMTP server on loopback or to .eml files, and are read back."""

from __future__ import annotations

import datetime as dt
import email
import json
import shutil
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.simulate import fill_workbook

from .conftest import AS_OF, SAMPLES, WEEK, department_file
from .mailserver import MailServer

DEPARTMENTS = ["产品部", "市场部", "技术部", "运营部"]


def _eml(path: str) -> email.message.EmailMessage:
    return email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)


def _sample(root: Path, *names: str) -> None:
    """The bundled W28 returns of these departments into the inbox."""
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        if f.name.startswith(names):
            shutil.copy(f, root / "inbox" / f.name)


def test_nothing_is_owed_before_the_deadline_then_every_missing_return(built: api.BuildResult) -> None:
    root = built.project.root
    before = api.remind(root, as_of=dt.date(2024, 7, 12))  # Friday: due at the end of it
    assert (before.week, before.due, before.reminders) == (WEEK, False, [])
    after = api.remind(root, as_of=dt.date(2024, 7, 13))
    assert after.due and [r.department for r in after.new] == DEPARTMENTS
    tec = after.reminders[2]
    assert (tec.to, tec.cc, tec.hours_late) == ("tec@example.com", [], 0)
    assert [i.text for i in tec.items] == ["2024-W28 周进度文件未交回(截止 2024-07-12,已逾期 0 小时)"]
    assert Path(tec.eml) == root / "outbox" / "mail" / WEEK / "催办-2024-07-13-技术部.eml"
    msg = _eml(tec.eml)
    assert msg["To"] == "技术部 刘强 <tec@example.com>" and msg["Cc"] is None
    assert msg["Subject"] == "【2024年Q3用户增长活动】催办 · 技术部:1 项待补充".replace(" ", "\xa0")
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("刘强(技术部总监):您好!")
    assert "  1. 2024-W28 周进度文件未交回(截止 2024-07-12" in body
    (att,) = msg.iter_attachments()
    assert att.get_filename() == f"UG-2024Q3-{WEEK}-技术部.xlsx"
    assert att.get_content() == built.departments["技术部"].read_bytes()


@pytest.mark.parametrize(("day", "head_after", "cc"), [
    (dt.date(2024, 7, 13), 24, []),  # 0 h late
    (dt.date(2024, 7, 14), 24, ["liuqiang@example.com"]),  # 24 h: the head
    (dt.date(2024, 7, 14), 48, []),  # … unless the project waits longer
    (dt.date(2024, 7, 16), 24, ["liuqiang@example.com", "chenming@example.com"]),  # 72 h
])
def test_the_head_then_the_leader_are_copied(built: api.BuildResult, mail_server: MailServer,
                                             day: dt.date, head_after: int, cc: list[str]) -> None:
    root = built.project.root
    yaml = root / "project.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        "remind_cc_head_after_hours: 24", f"remind_cc_head_after_hours: {head_after}"), encoding="utf-8")
    _sample(root, "产品部", "市场部", "运营部")
    api.merge(root, week=WEEK, as_of=AS_OF)
    result = api.remind(root, as_of=day, smtp=mail_server.settings)
    assert [r.department for r in result.new] == ["技术部"] and result.new[0].sent
    assert mail_server.received.rcpts() == [sorted(["tec@example.com", *cc])]
    (msg,) = mail_server.received.messages
    assert [a.strip() for a in str(msg["Cc"] or "").split(",") if a] == [
        {"liuqiang@example.com": "技术部负责人 刘强 <liuqiang@example.com>",
         "chenming@example.com": "分管副总 陈明 <chenming@example.com>"}[a] for a in cc]
    if cc:
        assert "本邮件已抄送:" in msg.get_body(("plain",)).get_content()


def test_a_rerun_the_same_day_sends_nothing_new(built: api.BuildResult,
                                               mail_server: MailServer) -> None:
    root = built.project.root
    smtp = mail_server.settings
    first = api.remind(root, as_of=dt.date(2024, 7, 15), smtp=smtp)
    assert [r.department for r in first.new] == DEPARTMENTS and len(mail_server.received.envelopes) == 4
    mail_server.received.clear()
    again = api.remind(root, as_of=dt.datetime(2024, 7, 15, 17, 30), smtp=smtp)
    assert again.new == [] and [r.new for r in again.reminders] == [False] * 4
    assert mail_server.received.envelopes == []
    # something new the same day: only that department hears about it, with everything it owes
    fill_workbook(department_file(built, "技术部", root / "inbox"), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": 0.5}})
    _sample(root, "产品部", "市场部", "运营部")
    api.merge(root, week=WEEK, as_of=AS_OF)
    later = api.remind(root, as_of=dt.datetime(2024, 7, 15, 18, 0), smtp=smtp)
    assert [(r.department, [(i.kind, i.subject) for i in r.items]) for r in later.new] == [
        ("技术部", [("缺预计完成日期", "T03"), ("缺预计完成日期", "T04")])]
    assert mail_server.received.rcpts() == [["liuqiang@example.com", "tec@example.com"]]
    # the next day everyone who still owes something is chased again
    mail_server.received.clear()
    api.remind(root, as_of=dt.date(2024, 7, 16), smtp=smtp)
    assert len(mail_server.received.envelopes) == 1


def test_tasks_and_risks_from_the_latest_merge(built: api.BuildResult, tmp_path: Path) -> None:
    root = built.project.root
    risk = {"发现时间": "2024-07-09 09:00", "提出时间": "2024-07-09 12:00", "影响范围": "上线",
            "建议措施": "处理"}
    tec = fill_workbook(department_file(built, "技术部", root / "inbox"), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": 0.5}}, risks=[
        {**risk, "风险描述": "支付接口联调延期", "风险等级": "高", "责任人": "陈杰",
         "解决时限": "2024-07-14", "状态": "处理中"},
        {**risk, "风险描述": "压测环境不足", "风险等级": "中", "状态": "待处理"},
        {**risk, "风险描述": "已解决的问题", "风险等级": "低", "状态": "已解决"},
    ])
    _sample(root, "产品部", "市场部", "运营部")
    api.merge(root, week=WEEK, as_of=AS_OF)
    assert tec.is_file()
    result = api.remind(root, as_of=dt.date(2024, 7, 16))
    assert [(r.department, [(i.kind, i.subject) for i in r.items], r.hours_late)
            for r in result.new] == [("技术部", [
                ("缺预计完成日期", "T03"), ("缺预计完成日期", "T04"),
                ("风险未定责任人或时限", "TEC-24W28-02"), ("高风险逾期", "TEC-24W28-01")], 156)]
    texts = [i.text for i in result.new[0].items]
    assert texts[0] == ("任务 T03 可上线功能模块(计划 2024-07-12)已过计划日期仍未完成,"
                        "未填写预计完成日期")
    assert texts[2] == "风险 TEC-24W28-02(中)尚未确定责任人、解决时限:压测环境不足"
    assert texts[3] == "高风险 TEC-24W28-01 已过解决时限 2024-07-14,状态仍为处理中:支付接口联调延期"
    # the risk without an owner was raised 2024-07-09 12:00: 156 h, so head and leader are copied
    assert result.new[0].cc == ["liuqiang@example.com", "chenming@example.com"]
    body = _eml(result.new[0].eml).get_body(("plain",)).get_content()
    assert all(t in body for t in texts)


def test_unmerged_returns_count_and_last_weeks_file_is_named(project_dir: Path) -> None:
    root = project_dir
    w27 = api.build(root, week="2024-W27")
    api.build(root, week=WEEK)
    _sample(root, "产品部")  # arrived, not merged yet: 产品部 is not chased
    shutil.copy(w27.departments["技术部"], root / "inbox" / "技术部-本周.xlsx")  # last week's file
    result = api.remind(root, as_of=dt.date(2024, 7, 15))
    assert result.week == WEEK and result.pending == ["产品部"]
    assert [r.department for r in result.new] == ["市场部", "技术部", "运营部"]
    (item,) = result.new[1].items
    assert item.text.startswith("2024-W28 周进度文件未交回(截止 2024-07-12,已逾期 2 天);"
                                "收到的文件「技术部-本周.xlsx」未能采用:这是 2024-W27 的文件")


def test_a_department_without_an_address_or_a_head_address(built: api.BuildResult) -> None:
    root = built.project.root
    yaml = root / "project.yaml"
    text = yaml.read_text(encoding="utf-8").replace("email: ops@example.com, head_email: sunlei@example.com, ", "")
    yaml.write_text(text.replace(" head_email: liuqiang@example.com,", ""), encoding="utf-8")
    result = api.remind(root, as_of=dt.date(2024, 7, 15))
    assert [r.department for r in result.new] == ["产品部", "市场部", "技术部"]
    assert [(i.code, i.severity) for i in result.issues] == [
        ("no-cc-address", "warning"), ("no-email", "error")]
    assert "应抄送部门负责人刘强" in result.issues[0].message
    assert result.exit_status == 1


def test_cli_lists_each_reminder_and_json_is_the_result(runner: CliRunner, built: api.BuildResult) -> None:
    root = str(built.project.root)
    out = runner.invoke(cli, ["remind", root, "--as-of", "2024-07-15"])
    assert out.exit_code == 0, out.output
    assert "  技术部 <tec@example.com> 抄送 liuqiang@example.com:1 项 → " in out.output
    assert out.output.endswith("2024-W28:催办 4 个部门(截至 2024-07-15 00:00)\n")
    english = runner.invoke(cli, ["--lang", "en", "remind", root, "--as-of", "2024-07-15T08:00"])
    assert ("  技术部 <tec@example.com> cc liuqiang@example.com: 1 item(s) → reminded today "
            "already, nothing new") in english.output
    assert english.output.endswith("0 reminder(s) for 2024-W28 as of 2024-07-15 08:00\n")
    again = runner.invoke(cli, ["remind", root, "--as-of", "2024-07-15T08:00", "--json"])
    data = json.loads(again.stdout)
    assert [r["new"] for r in data["reminders"]] == [False] * 4
    bad = runner.invoke(cli, ["remind", root, "--as-of", "15.7.2024"])
    assert bad.exit_code == 2 and "不是日期或时间" in bad.output


def test_nothing_built_is_a_clear_error(project_dir: Path) -> None:
    from xlflow.errors import ProjectError

    with pytest.raises(ProjectError, match="还没有生成周进度文件"):
        api.remind(project_dir, as_of=dt.date(2024, 7, 15))
