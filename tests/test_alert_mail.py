"""The 高风险预警 mail (`high_risk_alert`) takes its sender and recipients through the
checks `send`, `remind` and `notify` share (phases/mail.py): from a real risk form 技术部
filled in, composed and handed to a real SMTP server on loopback; a sender or recipient
that is not one address on one line is refused with its text named, never sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from xlflow import api
from xlflow.errors import ProjectError
from xlflow.phases.mail import send_all

from .mailserver import MailServer
from .test_risk_intake import AS_OF, HIGH, fill_form


@pytest.fixture
def alerts(built: api.BuildResult) -> list:
    root = built.project.root
    fill_form(built, "技术部", [HIGH], root / "inbox" / "r.xlsx",
              received=dt.datetime(2024, 7, 11, 12, 0))
    result = api.risks(root, as_of=AS_OF)
    assert [r.risk_id for r in result.alerts] == ["TEC-24W28-R01"]
    return result.alerts


def test_the_alert_goes_out_over_smtp_from_the_projects_address(
        built: api.BuildResult, alerts: list, mail_server: MailServer) -> None:
    msg = api.high_risk_alert(built.project, alerts,
                              to=["分管副总 陈明 <chenming@example.com>", "pmo@example.com"])
    assert send_all([msg], mail_server.settings) == [""]
    ((mail_from, rcpts, _),) = mail_server.received.envelopes
    assert (mail_from, sorted(rcpts)) == (
        "zhangwei@example.com", ["chenming@example.com", "pmo@example.com"])
    (got,) = mail_server.received.messages
    assert got["Subject"].replace("\xa0", " ") == (
        "【2024年Q3用户增长活动】高风险预警:技术部 TEC-24W28-R01")
    assert got["From"].addresses[0].addr_spec == "zhangwei@example.com"
    assert [a.display_name for a in got["To"].addresses] == ["分管副总 陈明", ""]
    body = got.get_body(("plain",)).get_content()
    assert "支付接口压测不达标,峰值时超时" in body and "请 PMO 在 24 小时内" in body


@pytest.mark.parametrize(("sender", "said"), [
    ("pmo@example.com\nBcc: leak@evil.example", "含有换行或控制字符"),
    ("PMO 办公室", "不是一个邮箱地址"),
])
def test_a_bad_sender_is_refused_naming_it(built: api.BuildResult, alerts: list,
                                           sender: str, said: str) -> None:
    with pytest.raises(ProjectError) as caught:
        api.high_risk_alert(built.project, alerts, sender=sender)
    assert repr(sender) in str(caught.value) and said in str(caught.value)


def test_a_contact_without_an_address_is_refused(built: api.BuildResult, alerts: list) -> None:
    project = replace(built.project, contact="王晓 电话 8001")
    with pytest.raises(ProjectError, match="没有发件人地址"):
        api.high_risk_alert(project, alerts)


@pytest.mark.parametrize("to", ["a@example.com, leak@evil.example",
                                "boss@example.com\r\nBcc: leak@evil.example", "陈明"])
def test_a_bad_recipient_is_refused_naming_it(built: api.BuildResult, alerts: list,
                                              to: str) -> None:
    with pytest.raises(ProjectError) as caught:
        api.high_risk_alert(built.project, alerts, to=[to])
    assert f"收件人 {to!r}" in str(caught.value)
