"""A real IMAP server for the tests: Dovecot, started once per session on loopback ports
with a throw-away configuration, and a fresh mailbox (user) per test.

Mail arrives the way a mail server delivers it: over LMTP (dovecot-lmtpd), never by
IMAP APPEND. TLS uses a trustme CA. As root, Dovecot's login processes run as `nobody`
and mail belongs to `nobody` (Dovecot refuses root for both); as another user,
everything runs as that user. scripts/install-system-deps.sh installs Dovecot; without
it the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from imapclient import IMAPClient

from xlflow.phases.collect import ImapSettings, Security

PASSWORD = "s3cret-密码"
USERS = 500  # mailboxes in the passwd-file: one per test
CONFIG = """\
instance_name = xlflow-test-{port}
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


def dovecot_binary() -> str:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("CI"):
        pytest.fail("dovecot is not installed; run scripts/install-system-deps.sh")
    pytest.skip("dovecot not installed (make test installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """A running server: its ports, the CA its certificate comes from, its files."""

    root: Path
    imap_port: int
    imaps_port: int
    lmtp_port: int
    cafile: Path
    process: subprocess.Popen[bytes]
    used: int = 0

    def new_user(self) -> str:
        """A user no test has used: a fresh, empty mailbox. The passwd-file is written
        once, at start (Dovecot may miss a change within the same second)."""
        self.used += 1
        if self.used > USERS:
            pytest.fail(f"more than {USERS} mailboxes in one session: raise USERS")
        return f"pmo{self.used}"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@dataclass
class Mailbox:
    """One test's mailbox on the shared server."""

    server: Dovecot
    user: str

    def deliver(self, message: EmailMessage | bytes) -> None:
        """Hand the message to Dovecot over LMTP, as a mail server would."""
        data = message if isinstance(message, bytes) else message.as_bytes()
        with smtplib.LMTP("127.0.0.1", self.server.lmtp_port, timeout=10) as lmtp:
            refused = lmtp.sendmail("mailer@example.com", [self.user], data)
        assert not refused, refused

    def settings(self, security: Security = Security.TLS, **kwargs: object) -> ImapSettings:
        port = self.server.imaps_port if security is Security.TLS else self.server.imap_port
        options: dict[str, object] = {"user": self.user, "password": PASSWORD,
                                      "cafile": str(self.server.cafile), "timeout": 10}
        options.update(kwargs)
        return ImapSettings("127.0.0.1", port, security, **options)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def client(self) -> Iterator[IMAPClient]:
        context = ssl.create_default_context(cafile=str(self.server.cafile))
        with IMAPClient("127.0.0.1", self.server.imaps_port, ssl_context=context,
                        timeout=10) as client:
            client.plain_login(self.user, PASSWORD)
            yield client

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return {uid: data[b"FLAGS"] for uid, data in
                    client.fetch(client.search("ALL"), ["FLAGS"]).items()}


def _users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) Dovecot accepts for this process."""
    import pwd  # POSIX only, as Dovecot is

    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return "root", "nobody", nobody.pw_uid, nobody.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def start_dovecot() -> Iterator[Dovecot]:
    """Start Dovecot in the foreground (`dovecot -F -c conf`) and wait for its ports."""
    binary = dovecot_binary()
    # a short path: Dovecot's unix sockets live under base_dir (108-byte limit)
    root = Path(tempfile.mkdtemp(prefix="xlflow-dovecot-"))
    internal, login, uid, gid = _users()
    root.chmod(0o711)  # the mail user (nobody, when run as root) reaches mail/ through it
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text("".join(f"pmo{n}:{{PLAIN}}{PASSWORD}::::\n"
                                         for n in range(1, USERS + 1)), encoding="utf-8")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    ports = {"imap": _free_port(), "imaps": _free_port(), "lmtp": _free_port()}
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, internal_user=internal, login_user=login, uid=uid,
                                  gid=gid, port=ports["imaps"], **ports), encoding="utf-8")
    process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    server = Dovecot(root, ports["imap"], ports["imaps"], ports["lmtp"], root / "ca.pem",
                     process)
    try:
        _wait_for_ports(server, list(ports.values()))
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_ports(server: Dovecot, ports: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting:
        if server.process.poll() is not None:
            out = server.process.stdout.read().decode(errors="replace") if server.process.stdout else ""
            pytest.fail(f"dovecot exited ({server.process.returncode}): {out}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", waiting[0]), timeout=1):
                waiting.pop(0)
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"dovecot did not listen on {waiting} within {timeout} s:\n"
                            f"{server.log()}")
            time.sleep(0.05)
