"""`xlflow collect` against a real IMAP server (Dovecot, tests/imap_server.py): mail is
delivered over LMTP as a mail server would, then collected over implicit TLS, STARTTLS
or (loopback only) plain IMAP, and what was saved is read back by a merge."""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import sqlite3
import urllib.parse
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import XlflowError
from xlflow.phases.collect import ImapSettings, Outcome, Security

from .conftest import AS_OF, SAMPLES, WEEK
from .imap_server import PASSWORD, Mailbox

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
RETURNS = SAMPLES / "returns"
TEC, MKT, OPS, PRD = (RETURNS / "技术部-周报-0712.xlsx", RETURNS / "市场部 W28 进度.xlsx",
                      RETURNS / "运营部_回传.xlsx", RETURNS / "产品部.xlsx")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in July 2024, as the PMO's clock shows it."""
    return dt.datetime(2024, 7, day, hour, minute)


def mail(sender: str, subject: str, when: dt.datetime, *attachments: Path | tuple[str, bytes],
         body: str = "附件是本周的进度,请查收。") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "pmo@example.com", subject
    msg["Date"] = format_datetime(when.astimezone())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(body)
    for item in attachments:
        name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
        msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return msg


def raw_mail(sender: str, when: dt.datetime, disposition: str, data: bytes) -> bytes:
    """A message with one attachment whose Content-Disposition is written by hand (the
    encodings Chinese mail clients use), the rest as any client writes it."""
    payload = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (f"From: {sender}\r\nTo: pmo@example.com\r\nSubject: =?UTF-8?B?"
            f"{base64.b64encode('周报'.encode()).decode()}?=\r\n"
            f"Date: {format_datetime(when.astimezone())}\r\n"
            f"Message-ID: {make_msgid(domain='example.com')}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n--b1\r\n"
            "Content-Type: application/octet-stream\r\nContent-Disposition: ").encode() + disposition.encode(
        "latin-1") + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + payload + b"--b1--\r\n"


def saved(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root / "inbox").as_posix(): p.read_bytes()
            for p in sorted((root / "inbox").rglob("*")) if p.is_file()}


def test_returns_are_saved_by_department_and_time_and_merge(built: api.BuildResult,
                                                            mailbox: Mailbox) -> None:
    root = built.project.root
    reply = mail("技术部 刘强 <TEC@example.com>", "Re: 【2024年Q3用户增长活动】2024-W28 周进度填写",
                 at(12, 15, 30),
                 body="已填好,请查收。\n\n> 刘强(技术部总监):您好!\n> 附件是「2024年Q3用户增长活动」…")
    reply["In-Reply-To"] = reply["References"] = "<weekly-tec@example.com>"
    reply.add_alternative("<p>已填好</p><blockquote>附件是…</blockquote>", subtype="html")
    reply.add_attachment(TEC.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=TEC.name)
    inner = mail("李娜 <mkt@example.com>", "市场部周报", at(11, 18, 0), MKT)
    forwarded = mail("mkt@example.com", "Fwd: 市场部周报", at(12, 9, 5), body="转发")
    forwarded.add_attachment(inner)  # message/rfc822: the workbook is inside
    for message in (reply, forwarded, mail("prd@example.com", "产品部", at(12, 10), PRD,
                                           ("会议纪要.pdf", b"%PDF-1.4\n%%EOF\n"))):
        mailbox.deliver(message)

    result = api.collect(root, mailbox.settings())

    assert [(m.department, m.outcome, [f.path for f in m.files]) for m in result.messages] == [
        ("技术部", Outcome.SAVED, ["inbox/2024-W28/技术部-20240712-153000.xlsx"]),
        ("市场部", Outcome.SAVED, ["inbox/2024-W28/市场部-20240712-090500.xlsx"]),
        ("产品部", Outcome.SAVED, ["inbox/2024-W28/产品部-20240712-100000.xlsx"])]
    assert saved(root) == {"2024-W28/技术部-20240712-153000.xlsx": TEC.read_bytes(),
                           "2024-W28/市场部-20240712-090500.xlsx": MKT.read_bytes(),
                           "2024-W28/产品部-20240712-100000.xlsx": PRD.read_bytes()}
    tec = root / "inbox/2024-W28/技术部-20240712-153000.xlsx"
    assert dt.datetime.fromtimestamp(tec.stat().st_mtime) == at(12, 15, 30)
    assert result.issues == [] and result.exit_status == 0
    assert result.messages[1].files[0].attachment == "市场部 W28 进度.xlsx"
    assert mailbox.uids() == [1, 2, 3]  # nothing deleted, nothing moved, nothing marked read
    assert [b"\\Seen" in flags for flags in mailbox.flags().values()] == [False] * 3

    report = api.merge(root, week=WEEK, as_of=AS_OF)
    assert sorted((f.department, f.accepted, f.received) for f in report.files) == [
        ("产品部", True, "2024-07-12T10:00:00"), ("市场部", True, "2024-07-12T09:05:00"),
        ("技术部", True, "2024-07-12T15:30:00")]


def test_a_rerun_saves_nothing_twice(built: api.BuildResult, mailbox: Mailbox) -> None:
    root = built.project.root
    first = mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC)
    mailbox.deliver(first)
    assert len(api.collect(root, mailbox.settings()).saved) == 1
    again = api.collect(root, mailbox.settings())
    assert (again.messages, again.last_uid, again.uidvalidity > 0) == ([], 1, True)
    mailbox.deliver(first)  # the same message (same Message-ID) delivered once more
    mailbox.deliver(mail("ops@example.com", "运营部", at(12, 16), OPS))
    third = api.collect(root, mailbox.settings())
    assert [(m.uid, m.outcome) for m in third.messages] == [(2, Outcome.DUPLICATE),
                                                            (3, Outcome.SAVED)]
    assert sorted(saved(root)) == ["2024-W28/技术部-20240712-153000.xlsx",
                                   "2024-W28/运营部-20240712-160000.xlsx"]
    with sqlite3.connect(root / "xlflow-ledger.sqlite") as db:
        rows = db.execute("SELECT uid, outcome FROM mail_messages ORDER BY uid").fetchall()
        state = db.execute("SELECT folder, last_uid FROM mailboxes").fetchall()
    assert rows == [(1, "saved"), (2, "duplicate"), (3, "saved")]
    assert state == [("INBOX", 3)]


def test_an_interrupted_collect_does_not_save_a_second_copy(built: api.BuildResult,
                                                           mailbox: Mailbox) -> None:
    """Files saved, then the run killed before the ledger recorded the message: the rerun
    finds the same bytes under the same name and keeps the one file."""
    root = built.project.root
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    api.collect(root, mailbox.settings())
    with sqlite3.connect(root / "xlflow-ledger.sqlite") as db:
        db.execute("DELETE FROM mail_messages")
        db.execute("DELETE FROM mailboxes")
    rerun = api.collect(root, mailbox.settings())
    assert [(f.path, f.new) for f in rerun.saved] == [
        ("inbox/2024-W28/技术部-20240712-153000.xlsx", False)]
    assert len(saved(root)) == 1


def test_unknown_sender_goes_to_unverified_and_is_never_merged(built: api.BuildResult,
                                                               mailbox: Mailbox) -> None:
    root = built.project.root
    mailbox.deliver(mail("刘强 <liuqiang@gmail.com>", "技术部周报(用私人邮箱发)", at(12, 15, 30),
                         TEC))
    mailbox.deliver(mail("spam@example.net", "你好", at(12, 16), body="没有附件"))
    result = api.collect(root, mailbox.settings())
    (unverified,) = result.unverified
    assert unverified.path == ("inbox/_unverified/liuqiang@gmail.com-20240712-153000-"
                               "技术部-周报-0712.xlsx")
    assert [(i.code, i.severity, i.file) for i in result.issues] == [
        ("unverified-sender", "error", unverified.path)]
    assert result.exit_status == 1
    assert [m.outcome for m in result.messages] == [Outcome.UNVERIFIED, Outcome.NO_WORKBOOK]
    assert api.list_inbox(root) == []  # inbox/_unverified/ is not read by a merge
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    assert report.files == [] and not report.recorded


def test_gbk_and_utf8_file_names_and_a_zip_and_two_workbooks_in_one_mail(
        built: api.BuildResult, mailbox: Mailbox, tmp_path: Path) -> None:
    root = built.project.root
    name = "运营部周报.xlsx"
    gbk = name.encode("gbk")
    data = OPS.read_bytes()
    encoded_word = f'attachment; filename="=?GBK?B?{base64.b64encode(gbk).decode()}?="'
    rfc2231 = f"attachment; filename*=GBK''{urllib.parse.quote(gbk)}"
    for disposition in (encoded_word, rfc2231):
        mailbox.deliver(raw_mail("ops@example.com", at(12, 9), disposition, data))
    raw_8bit = raw_mail("ops@example.com", at(12, 10), "attachment; filename=\"X\"", data)
    mailbox.deliver(raw_8bit.replace(b'filename="X"', b'filename="' + gbk + b'"'))
    packed = tmp_path / "技术部.zip"
    with zipfile.ZipFile(packed, "w") as z:
        z.write(TEC, "技术部-周报.xlsx")
    mailbox.deliver(mail("tec@example.com", "两份文件", at(12, 11), packed, PRD))

    result = api.collect(root, mailbox.settings())

    assert [f.attachment for f in result.saved] == [name, name, name, "技术部.zip", PRD.name]
    assert [f.path for f in result.saved] == [
        "inbox/2024-W28/运营部-20240712-090000.xlsx",
        "inbox/2024-W28/运营部-20240712-090000.xlsx",
        "inbox/2024-W28/运营部-20240712-100000.xlsx",
        "inbox/2024-W28/技术部-20240712-110000.zip",
        "inbox/2024-W28/技术部-20240712-110000.xlsx"]
    # the second GBK mail carries the same bytes at the same time: one file, not two
    assert [f.new for f in result.saved] == [True, False, True, True, True]
    assert result.saved[4].department == "技术部" and result.saved[4].kind == "department"
    assert [i.code for i in result.issues] == ["sender-mismatch"]  # 产品部's file from 技术部
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    accepted = {f.name: f.department for f in report.files if f.accepted}
    assert accepted["技术部-20240712-110000.zip!技术部-周报.xlsx"] == "技术部"
    assert accepted["技术部-20240712-110000.xlsx"] == "产品部"


def test_a_workbook_without_identity_is_filed_under_the_week_it_was_sent(
        built: api.BuildResult, mailbox: Mailbox, tmp_path: Path) -> None:
    plain = tmp_path / "进度.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["任务编号", "完成百分比"])
    wb.save(plain)
    mailbox.deliver(mail("tec@example.com", "进度", at(16, 8, 30), plain))
    result = api.collect(built.project.root, mailbox.settings())
    assert [(f.path, f.week, f.kind) for f in result.saved] == [
        ("inbox/2024-W29/技术部-20240716-083000.xlsx", "2024-W29", "")]


def test_the_pmos_own_blank_workbook_and_a_mail_without_one_are_named(
        built: api.BuildResult, mailbox: Mailbox) -> None:
    mailbox.deliver(mail("tec@example.com", "Re: 周进度", at(12, 15), built.departments["技术部"]))
    mailbox.deliver(mail("mkt@example.com", "请假", at(12, 16), body="本周延后交"))
    result = api.collect(built.project.root, mailbox.settings())
    assert result.saved == []
    assert [(i.code, i.severity) for i in result.issues] == [("no-workbook", "warning")] * 2
    assert "PMO 发出的原件" in result.issues[0].message
    assert "没有附带工作簿" in result.issues[1].message and "市场部" in result.issues[1].message


def test_another_projects_workbook_is_left_in_the_mailbox(built: api.BuildResult,
                                                          mailbox: Mailbox,
                                                          tmp_path: Path) -> None:
    other = tmp_path / "other"
    api.init_project(other, example=True)
    text = (other / "project.yaml").read_text(encoding="utf-8")
    (other / "project.yaml").write_text(text.replace("UG-2024Q3", "CRM-2024"), encoding="utf-8")
    theirs = api.build(other, week=WEEK, draft=True).departments["技术部"]
    shutil.copy(theirs, tmp_path / "crm.xlsx")
    mailbox.deliver(mail("tec@example.com", "CRM 周报", at(12, 15), tmp_path / "crm.xlsx"))
    result = api.collect(built.project.root, mailbox.settings(move_to="已收"))
    assert [(i.code, i.value) for i in result.issues] == [("wrong-project", "CRM-2024")]
    assert [(m.outcome, m.moved) for m in result.messages] == [(Outcome.OTHER_PROJECT, False)]
    assert mailbox.uids() == [1] and saved(built.project.root) == {}


def test_move_to_files_processed_mail(built: api.BuildResult, mailbox: Mailbox) -> None:
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    mailbox.deliver(mail("mkt@example.com", "请假", at(12, 16), body="本周延后交"))
    result = api.collect(built.project.root, mailbox.settings(move_to="已收周报"))
    assert [(m.uid, m.moved) for m in result.messages] == [(1, True), (2, False)]
    assert mailbox.uids() == [2]
    assert mailbox.uids("已收周报") == [1]


def test_a_folder_the_server_refuses_leaves_the_mail_where_it_is(built: api.BuildResult,
                                                                 mailbox: Mailbox) -> None:
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    result = api.collect(built.project.root, mailbox.settings(move_to="已收/周报"))
    assert [i.code for i in result.issues] == ["not-moved"]  # Maildir takes no '/' in names
    assert "'已收/周报'" in result.issues[0].message
    assert [(len(m.files), m.moved) for m in result.messages] == [(1, False)]
    assert mailbox.uids() == [1]


def test_move_to_without_the_move_capability_copies_and_marks_read(
        built: api.BuildResult, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from imapclient import IMAPClient

    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability",
                        lambda self, cap: cap.upper() != "MOVE" and real(self, cap))
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    api.collect(built.project.root, mailbox.settings(move_to="Processed"))
    assert mailbox.uids() == [1] and mailbox.uids("Processed") == [1]
    assert b"\\Seen" in mailbox.flags()[1]


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.NONE])
def test_starttls_and_plain_imap_on_loopback(built: api.BuildResult, mailbox: Mailbox,
                                             security: Security) -> None:
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    result = api.collect(built.project.root, mailbox.settings(security))
    assert [f.department for f in result.saved] == ["技术部"]


def test_no_tls_is_refused_for_a_remote_host() -> None:
    with pytest.raises(XlflowError, match="--no-tls 只能用于本机"):
        ImapSettings.parse("imap.example.com", security="none", user="pmo")
    assert ImapSettings.parse("[::1]", security="none").port == 143
    assert ImapSettings.parse("localhost:1143", security="none").host == "localhost"
    assert ImapSettings.parse("imap.example.com").port == 993


def test_a_folder_rebuilt_by_the_server_is_checked_again_by_message_id(
        built: api.BuildResult, mailbox: Mailbox) -> None:
    root = built.project.root
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    with mailbox.client() as client:  # server-side copies into a folder of its own
        client.create_folder("Returns")
        client.select_folder("INBOX")
        client.copy([1], "Returns")
    api.collect(root, mailbox.settings(folder="Returns"))
    with mailbox.client() as client:
        client.delete_folder("Returns")
        client.create_folder("Returns")  # a new UIDVALIDITY
        client.select_folder("INBOX")
        client.copy([1], "Returns")
    again = api.collect(root, mailbox.settings(folder="Returns"))
    assert [i.code for i in again.issues] == ["uidvalidity-changed"]
    assert [m.outcome for m in again.messages] == [Outcome.DUPLICATE]
    assert len(saved(root)) == 1


# -- the command line ---------------------------------------------------------------------

def _args(root: Path, mailbox: Mailbox, *extra: str) -> list[str]:
    return ["collect", str(root), "--imap", f"127.0.0.1:{mailbox.server.imaps_port}",
            "--user", mailbox.user, "--cafile", str(mailbox.server.cafile), *extra]


def test_cli_collects_with_the_password_from_the_environment(
        built: api.BuildResult, mailbox: Mailbox, runner: CliRunner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLFLOW_IMAP_PASSWORD", PASSWORD)
    mailbox.deliver(mail("tec@example.com", "技术部周报", at(12, 15, 30), TEC))
    mailbox.deliver(mail("liuqiang@gmail.com", "周报", at(12, 16), TEC))
    result = runner.invoke(cli, _args(built.project.root, mailbox))
    assert result.exit_code == 1, result.output
    assert "inbox/2024-W28/技术部-20240712-153000.xlsx" in result.output
    assert "不是任何部门的邮箱" in result.output
    assert "保存 2 个文件,1 个来自未登记的发件人" in result.output


@pytest.mark.parametrize("case, expected", [
    ("no password", "没有 IMAP 密码:请设置环境变量 XLFLOW_IMAP_PASSWORD"),
    ("wrong password", "登录失败"),
    ("no CA", "证书校验失败"),
    ("remote --no-tls", "--no-tls 只能用于本机"),
    ("no such folder", "打不开邮箱文件夹 'Nowhere'"),
])
def test_cli_says_clearly_what_went_wrong(built: api.BuildResult, mailbox: Mailbox,
                                          runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                          case: str, expected: str) -> None:
    monkeypatch.delenv("XLFLOW_IMAP_PASSWORD", raising=False)
    if case != "no password":
        monkeypatch.setenv("XLFLOW_IMAP_PASSWORD", "wrong" if case == "wrong password"
                           else PASSWORD)
    args = _args(built.project.root, mailbox, "--timeout", "5")
    if case == "no CA":
        args = [a for a in args if a not in ("--cafile", str(mailbox.server.cafile))]
    elif case == "remote --no-tls":
        args = ["collect", str(built.project.root), "--imap", "imap.example.com", "--user", "pmo",
                "--no-tls"]
    elif case == "no such folder":
        args += ["--folder", "Nowhere"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert "内部错误" not in result.output


def test_dovecot_fixture_delivers_over_lmtp(mailbox: Mailbox) -> None:
    """The fixture itself: LMTP delivery lands in the user's INBOX, nowhere else."""
    mailbox.deliver(mail("tec@example.com", "x", at(12, 1), body="hi"))
    assert mailbox.uids() == [1]
    maildir = mailbox.server.root / "mail" / mailbox.user / "Maildir"
    assert len(os.listdir(maildir / "new")) + len(os.listdir(maildir / "cur")) == 1
