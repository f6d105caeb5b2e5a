"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: envelope
sender, recipients (To and Cc) and the message bytes. Plain SMTP, no login: the
STARTTLS and login path is tests/test_send.py's."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from xlflow import api


class Received:
    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=policy.default)
                for _, _, raw in self.envelopes]

    def rcpts(self) -> list[list[str]]:
        return [sorted(r) for _, r, _ in self.envelopes]

    def clear(self) -> None:
        self.envelopes.clear()


class MailServer:
    def __init__(self, controller: Controller, received: Received) -> None:
        self.controller, self.received = controller, received

    @property
    def settings(self) -> api.SmtpSettings:
        return api.SmtpSettings("127.0.0.1", self.controller.port, timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield MailServer(controller, received)
    finally:
        controller.stop()
