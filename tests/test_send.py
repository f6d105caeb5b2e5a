"""`xlflow send`: .eml files by default; real SMTP (a local aiosmtpd server, STARTTLS,
login) checked for what arrived, attachment bytes included."""

from __future__ import annotations

import email
import socket
import ssl
from email import policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli

from .conftest import WEEK


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"pmo", b"s3cret")
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path: Path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            require_starttls=True, authenticator=_authenticator,
                            auth_required=True)
    controller.start()
    try:
        yield controller, inbox, cafile
    finally:
        controller.stop()


def test_eml_files_by_default(built: api.BuildResult) -> None:
    result = api.send(built.project.root, week=WEEK)
    assert [m.department for m in result.messages] == ["产品部", "市场部", "技术部", "运营部"]
    eml = Path(result.messages[2].eml)
    assert eml == built.project.root / "outbox" / "mail" / WEEK / "技术部.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"] == "技术部 刘强 <tec@example.com>"
    assert msg["From"] == "\"张伟(产品经理)\" <zhangwei@example.com>"
    assert msg["Subject"] == "【2024年Q3用户增长活动】2024-W28 周进度填写 · 技术部(请于 7月12日前交回)"
    body = msg.get_body(("plain",)).get_content()
    assert "刘强(技术部总监):您好!" in body and "请于 2024-07-12 前" in body
    assert "T03 可上线功能模块(7月12日)" in body
    att, form = list(msg.iter_attachments())
    assert att.get_filename() == f"UG-2024Q3-{WEEK}-技术部.xlsx"
    assert att.get_content() == built.departments["技术部"].read_bytes()
    assert form.get_filename() == f"UG-2024Q3-{WEEK}-技术部-风险应对申请表.xlsx"
    assert api.status(built.project.root).completed[-1].kind == "send"


def test_real_smtp_with_starttls_and_login(built: api.BuildResult, smtp_server) -> None:
    controller, inbox, cafile = smtp_server
    settings = api.SmtpSettings("127.0.0.1", controller.port, starttls=True, user="pmo",
                                password="s3cret", cafile=str(cafile))
    result = api.send(built.project.root, week=WEEK, smtp=settings)
    assert [m.sent for m in result.messages] == [True] * 4
    assert sorted(rcpt for _, rcpts, _ in inbox.messages for rcpt in rcpts) == [
        "mkt@example.com", "ops@example.com", "prd@example.com", "tec@example.com"]
    by_rcpt = {rcpts[0]: email.message_from_bytes(raw, policy=policy.default)
               for _, rcpts, raw in inbox.messages}
    tec = by_rcpt["tec@example.com"]
    assert "技术部" in tec["Subject"] and inbox.messages[0][0] == "zhangwei@example.com"
    att, form = list(tec.iter_attachments())
    assert att.get_content() == built.departments["技术部"].read_bytes()
    assert form.get_content() == built.risk_forms["技术部"].read_bytes()
    assert not (built.project.root / "outbox" / "mail").exists()


def test_wrong_password_is_a_clear_error(runner: CliRunner, built: api.BuildResult,
                                         smtp_server, monkeypatch) -> None:
    controller, inbox, cafile = smtp_server
    monkeypatch.setenv("XLFLOW_SMTP_PASSWORD", "wrong")
    result = runner.invoke(cli, ["send", str(built.project.root), "--week", WEEK, "--smtp",
                                 f"127.0.0.1:{controller.port}", "--starttls", "--user", "pmo",
                                 "--cafile", str(cafile), "--timeout", "2"])
    assert result.exit_code == 2
    assert "SMTP 127.0.0.1" in result.output and "Traceback" not in result.output
    assert inbox.messages == []


def test_no_server_is_a_clear_chinese_error(runner: CliRunner, built: api.BuildResult,
                                            monkeypatch) -> None:
    """Nothing listens on the port: the PMO reads what to check, not only `Errno 111`."""
    monkeypatch.setenv("XLFLOW_SMTP_PASSWORD", "x")
    port = _free_port()
    result = runner.invoke(cli, ["send", str(built.project.root), "--week", WEEK, "--smtp",
                                 f"127.0.0.1:{port}", "--user", "pmo", "--timeout", "2"])
    assert result.exit_code == 2
    assert f"SMTP 127.0.0.1:{port}: 连接被拒绝" in result.output
    assert "请检查 --smtp 的主机和端口" in result.output and "Traceback" not in result.output


def test_send_needs_a_build_first(project_dir: Path) -> None:
    from xlflow.errors import ProjectError

    with pytest.raises(ProjectError, match="尚未生成"):
        api.send(project_dir, week=WEEK)
