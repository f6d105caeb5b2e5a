"""`xlflow notify`: the leaders' weekly notice, read back from the .eml and from a real
SMTP server, and rendered by a real browser (headless Chromium): HTML with the key
figures, late tasks, open 高 risks and two charts as inline images, a plain-text
alternative, the consolidated workbook attached."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ProjectError
from xlflow.model.vocab import TaskState
from xlflow.phases.notify import notified
from xlflow.report.notice import STATUS_COLOURS
from xlflow.workspace import Workspace

from . import browser
from .conftest import AS_OF, WEEK
from .mailserver import MailServer

LEADERS = ["分管副总 陈明 <chenming@example.com>", "产品部 王晓 <wangxiao@example.com>"]


@pytest.fixture
def merged(with_samples: Path) -> Path:
    api.merge(with_samples, week=WEEK, as_of=AS_OF)
    return with_samples


def _eml(path: str) -> EmailMessage:
    return email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)


def test_the_notice_as_written(merged: Path) -> None:
    result = api.notify(merged, week=WEEK)
    assert result.to == LEADERS and result.exit_status == 0 and result.issues == []
    assert Path(result.eml) == merged / "outbox" / "mail" / WEEK / "周报通报.eml"
    msg = _eml(result.eml)
    assert msg["To"] == ", ".join(LEADERS)
    assert msg["Subject"].replace("\xa0", " ") == (
        "【2024年Q3用户增长活动】2024-W28 周进度通报:按期率 63%,延误/预警 3 项,开放高风险 1 项")
    # mixed[alternative[plain, related[html, png, png]], xlsx]
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
        "text/html", "image/png", "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    html = msg.get_body(("html",)).get_content()
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"}
    assert set(re.findall(r"src='cid:([^']+)'", html)) == cids and len(cids) == 2
    for part in msg.walk():
        if part.get_content_type() == "image/png":
            assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    text = msg.get_body(("plain",)).get_content()
    assert "  任务 8 项 · 已完成 3 项 · 按期率 63% · 延误/预警 3 项 · 开放高风险 1 项 · 交回部门 4/4" in text
    assert ("  T03 技术部 可上线功能模块:计划 2024-07-12,预计 2024-07-16,延误 +4 天"
            "(偏差原因:第三方支付接口文档延迟提供)") in text
    assert "  TEC-24W28-01 技术部:第三方支付接口联调延期,可能影响活动上线;责任人 陈杰" in text
    (att,) = msg.iter_attachments()
    assert att.get_filename() == "2024-W28-consolidated.xlsx"
    assert att.get_content() == (merged / "reports" / "2024-W28-consolidated.xlsx").read_bytes()
    assert notified(Workspace(merged), WEEK)


def test_sent_over_smtp_to_the_leaders_or_to_whom_it_is_told(merged: Path,
                                                               mail_server: MailServer) -> None:
    result = api.notify(merged, smtp=mail_server.settings)  # the latest merge: W28
    assert (result.week, result.sent, result.eml) == (WEEK, True, "")
    assert mail_server.received.rcpts() == [["chenming@example.com", "wangxiao@example.com"]]
    mail_server.received.clear()
    api.notify(merged, to=["vp@example.com", "王总 <ceo@example.com>"], smtp=mail_server.settings)
    assert mail_server.received.rcpts() == [["ceo@example.com", "vp@example.com"]]
    (msg,) = mail_server.received.messages
    assert msg["To"] == "vp@example.com, 王总 <ceo@example.com>"


def test_without_a_chinese_font_the_charts_use_codes(merged: Path) -> None:
    result = api.notify(merged, font=None)
    assert [(i.code, i.severity) for i in result.issues] == [("no-cjk-font", "warning")]
    assert result.exit_status == 0 and len(result.charts) == 2


def test_what_is_missing_is_said(merged: Path, tmp_path: Path) -> None:
    fresh = api.init_project(tmp_path / "fresh", example=True).project_file.parent
    with pytest.raises(ProjectError, match="还没有记入台账的周汇总"):
        api.notify(fresh)
    with pytest.raises(ProjectError, match=r"台账中没有这一周的汇总\(已记录:2024-W28\)"):
        api.notify(merged, week="2024-W29")
    yaml = merged / "project.yaml"
    text = yaml.read_text(encoding="utf-8").replace("  approver_email: chenming@example.com", "")
    yaml.write_text(text.replace("email: prd@example.com, head_email: wangxiao@example.com, ", ""),
                    encoding="utf-8")
    with pytest.raises(ProjectError, match="没有收件人"):
        api.notify(merged)
    (merged / "reports" / "2024-W28-consolidated.xlsx").unlink()
    with pytest.raises(ProjectError, match="找不到 2024-W28 的汇总报表"):
        api.notify(merged, to=["vp@example.com"])


def test_cli(runner: CliRunner, merged: Path) -> None:
    out = runner.invoke(cli, ["notify", str(merged), "--week", WEEK])
    assert out.exit_code == 0, out.output
    assert f"  收件人:{','.join(LEADERS)}" in out.output
    assert "  图表:图1 各部门任务状态、图2 偏差最大的任务 · 附件:2024-W28-consolidated.xlsx" in out.output
    english = runner.invoke(cli, ["--lang", "en", "notify", str(merged), "--week", WEEK])
    assert f"  to: {', '.join(LEADERS)}" in english.output
    bad = runner.invoke(cli, ["notify", str(merged), "--to", "nobody"])
    assert bad.exit_code == 2 and "nobody 不是邮箱地址" in bad.output


def _count(img: Image.Image, colour: str, tolerance: int = 12) -> int:
    want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for n, px in img.getcolors(img.width * img.height)
               if all(abs(a - b) <= tolerance for a, b in zip(px[:3], want, strict=True)))


def test_a_browser_renders_the_notice(merged: Path, tmp_path: Path) -> None:
    result = api.notify(merged, week=WEEK)
    page = browser.save_html(_eml(result.eml), tmp_path / "page")
    shot = browser.screenshot(page, tmp_path / "notice.png", 760, 1900)
    img = Image.open(shot).convert("RGB")
    assert img.size == (760, 1900)
    # the charts are on the page: the 延误 bar (T03) is drawn in the report's red, which
    # only the images use; the header band in the report's blue
    assert _count(img, STATUS_COLOURS[TaskState.LATE]) > 2000
    assert _count(img, STATUS_COLOURS[TaskState.DONE]) > 2000
    assert _count(img, "#305496") > 20000
    dom = browser.dump_dom(page)
    tiles = re.findall(r"<div style=\"font-size:22px[^\"]*\">([^<]+)</div><div[^>]*>([^<]+)</div>", dom)
    assert tiles == [("8 项", "任务"), ("3 项", "已完成"), ("63%", "按期率"), ("3 项", "延误/预警"),
                     ("1 项", "开放高风险"), ("4/4", "交回部门")]
    for text in ("2024-W28 周进度通报", "T03", "第三方支付接口文档延迟提供", "TEC-24W28-01",
                 "图1 各部门任务状态", "图2 偏差最大的任务"):
        assert text in dom
    assert re.findall(r"<img src=\"([^\"]+)\"", dom) == ["chart-status.png", "chart-slip.png"]


@pytest.mark.parametrize("to", ["vp@example.com, ceo@example.com",
                                "vp@example.com; ceo@example.com"])
def test_two_addresses_in_one_to_are_refused_by_name(merged: Path, runner: CliRunner,
                                                     mail_server: MailServer, to: str) -> None:
    """Not split, not cut to the first: said, with how to give several (repeat --to)."""
    with pytest.raises(ProjectError) as caught:
        api.notify(merged, to=[to], smtp=mail_server.settings)
    assert f"收件人 {to!r}" in str(caught.value)
    smtp = f"127.0.0.1:{mail_server.controller.port}"
    out = runner.invoke(cli, ["notify", str(merged), "--to", to, "--smtp", smtp])
    assert out.exit_code == 2, out.output
    assert f"收件人 {to!r}" in out.output
    assert "多个收件人分开给出(命令行:--to vp@example.com --to ceo@example.com)" in out.output
    assert mail_server.received.messages == []
    assert not notified(Workspace(merged), WEEK)
    both = runner.invoke(cli, ["notify", str(merged), "--to", "vp@example.com", "--to",
                               "ceo@example.com", "--smtp", smtp])
    assert both.exit_code == 0, both.output
    assert mail_server.received.rcpts() == [["ceo@example.com", "vp@example.com"]]
