"""`xlflow collect`: the returns, fetched from the PMO's mailbox over IMAP.

Every workbook attached to a new message (also inside a forwarded message or a zip) is
saved into inbox/<week>/ under the sending department's name and the time it was sent;
the message's UID and Message-ID go into the ledger, so a rerun never saves twice. A
sender that is no department's address is not trusted: its files go to
inbox/_unverified/, which no merge reads. Mail is never deleted; `move_to` files the
processed messages in another folder. IMAP is IMAPClient's: no protocol code here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import hashlib
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError

from .._files import atomic_path, safe_name, sha256_file
from .._sniff import Kind, sniff
from ..contract import RISK_FORM_KIND
from ..errors import ExitStatus, XlflowError
from ..issues import Issue, count_errors, error, warning
from ..merge.read import read_returns
from ..project import RISK_FORM_PART, Project
from ..spec import SpecSet
from ..weeks import normalise_week, week_label
from ..workspace import Workspace, now


class Security(StrEnum):
    """How the connection is protected: implicit TLS (993), STARTTLS (143) or, on this
    machine only, none."""

    TLS = "tls"
    STARTTLS = "starttls"
    NONE = "none"


DEFAULT_PORTS = {Security.TLS: 993, Security.STARTTLS: 143, Security.NONE: 143}
WORKBOOK_KINDS = (Kind.XLSX, Kind.ODS, Kind.XLS, Kind.ARCHIVE)
SUFFIXES = {Kind.XLSX: (".xlsx", ".xlsm"), Kind.ODS: (".ods",), Kind.XLS: (".xls",),
            Kind.ARCHIVE: (".zip",)}
FETCH_BATCH = 200  # message headers per FETCH
NESTED_MAIL_DEPTH = 3  # a mail attached as a file to a mail attached to a mail


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts a password may reach unencrypted."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    security: Security = Security.TLS
    user: str = ""
    password: str = ""
    cafile: str = ""  # a private CA, e.g. a company mail server's
    timeout: float = 30
    folder: str = "INBOX"
    move_to: str = ""  # file processed messages here (never deleted)

    def __post_init__(self) -> None:
        if self.security is Security.NONE and not is_loopback(self.host):
            raise XlflowError(f"--no-tls 只能用于本机的邮件服务器(127.0.0.1、::1、localhost);"
                              f"{self.host} 请用 --tls(默认)或 --starttls,以免密码和邮件明文经过网络")

    @classmethod
    def parse(cls, address: str, *, security: Security | str = Security.TLS,
              **kwargs: Any) -> ImapSettings:
        """HOST[:PORT] ([::1]:993 for IPv6); the port defaults by `security`."""
        security = Security(security)
        host, port = address.strip(), ""
        if host.startswith("["):
            host, _, rest = host[1:].partition("]")
            port = rest.removeprefix(":")
        elif host.count(":") == 1:
            host, _, port = host.partition(":")
        if not host or (port and not port.isdigit()):
            raise ValueError(f"「{address}」应为 主机 或 主机:端口,例如 imap.example.com:993")
        return cls(host=host, port=int(port) if port else DEFAULT_PORTS[security],
                   security=security, **kwargs)

    @property
    def account(self) -> str:
        """What the ledger keys a mailbox by: user@host:port."""
        return f"{self.user}@{self.host}:{self.port}"


class Outcome(StrEnum):
    """What became of one message."""

    SAVED = "saved"
    UNVERIFIED = "unverified"  # files saved in inbox/_unverified/
    DUPLICATE = "duplicate"  # its Message-ID was collected before
    NO_WORKBOOK = "no-workbook"
    OTHER_PROJECT = "other-project"  # left where it is, for that project's collect


@dataclass
class SavedFile:
    path: str  # relative to the project folder, '/'-separated
    attachment: str  # the name it had in the mail
    kind: str  # department (weekly workbook), risk (风险应对申请表), or '' when unknown
    week: str
    department: str
    sha256: str
    verified: bool
    new: bool = True  # False: the same bytes were saved under this name before

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Collected:
    uid: int
    message_id: str
    sender: str
    department: str
    subject: str
    received: str
    outcome: Outcome = Outcome.NO_WORKBOOK
    files: list[SavedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # attachment: why it was not saved
    moved: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "message_id": self.message_id, "sender": self.sender,
                "department": self.department, "subject": self.subject,
                "received": self.received, "outcome": str(self.outcome),
                "files": [f.to_dict() for f in self.files], "skipped": list(self.skipped),
                "moved": self.moved}


@dataclass
class CollectResult:
    account: str
    folder: str
    uidvalidity: int = 0
    last_uid: int = 0
    messages: list[Collected] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def saved(self) -> list[SavedFile]:
        return [f for m in self.messages for f in m.files]

    @property
    def risk_forms(self) -> list[SavedFile]:
        """Risk forms saved this run: `xlflow risks` merges them into the register."""
        return [f for f in self.saved if f.kind == RISK_FORM_KIND and f.verified]

    @property
    def unverified(self) -> list[SavedFile]:
        return [f for f in self.saved if not f.verified]

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.INPUT_PROBLEMS if count_errors(self.issues) else ExitStatus.OK

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "folder": self.folder, "uidvalidity": self.uidvalidity,
                "last_uid": self.last_uid, "messages": [m.to_dict() for m in self.messages],
                "saved": [f.path for f in self.saved],
                "risk_forms": [f.path for f in self.risk_forms],
                "unverified": [f.path for f in self.unverified],
                "issues": [i.to_dict() for i in self.issues]}


def collect(ws: Workspace, settings: ImapSettings, *,
            run_at: dt.datetime | None = None) -> CollectResult:
    """Fetch the messages that arrived since the last collect and save their workbooks.
    The project lock is held throughout; each message is recorded as soon as its files
    are saved, so an interrupted run resumes where it stopped."""
    project = ws.project(with_events=False)
    stamp = (run_at or now()).isoformat()
    result = CollectResult(settings.account, settings.folder)
    saver = _Saver(ws, project, project.specs(), result)
    with ws.lock(), _connected(settings) as client, ws.ledger() as ledger:
        try:
            selected = client.select_folder(settings.folder, readonly=not settings.move_to)
        except IMAPClientError as exc:
            raise XlflowError(f"IMAP {_where(settings)}: 打不开邮箱文件夹 {settings.folder!r}"
                              f"({_text(exc)});请检查 --folder") from None
        validity = int(selected[b"UIDVALIDITY"])
        result.uidvalidity = validity
        state = ledger.mailbox(settings.account, settings.folder)
        since = state[1] if state and state[0] == validity else 0
        if state and state[0] != validity:
            result.issues.append(warning(
                "uidvalidity-changed", f"邮箱文件夹 {settings.folder} 已被服务器重建(UIDVALIDITY "
                f"{state[0]} → {validity});重新检查全部邮件,已保存过的按 Message-ID 跳过"))
        uids = sorted(u for u in client.search(["UID", f"{since + 1}:*"]) if u > since)
        ids = _message_ids(client, uids)
        result.last_uid = since
        to_move: list[int] = []
        for uid in uids:
            known = ids.get(uid, "")
            if known and ledger.message_seen(known):
                message = Collected(uid, known, "", "", "", "", Outcome.DUPLICATE)
            else:
                fetched = client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"]).get(uid)
                if not fetched:
                    continue  # expunged since the search
                raw = bytes(fetched[b"BODY[]"])
                message_id = known or f"<sha256-{hashlib.sha256(raw).hexdigest()}@xlflow>"
                if ledger.message_seen(message_id):
                    message = Collected(uid, message_id, "", "", "", "", Outcome.DUPLICATE)
                else:
                    message = saver.message(uid, message_id, raw, fetched.get(b"INTERNALDATE"))
            with ledger.transaction():
                ledger.add_message(
                    account=settings.account, folder=settings.folder, uidvalidity=validity,
                    uid=uid, message_id=message.message_id, received=message.received,
                    sender=message.sender, department=message.department,
                    subject=message.subject, outcome=str(message.outcome), at=stamp,
                    files=[f.to_dict() for f in message.files])
                ledger.set_mailbox(settings.account, settings.folder, validity, uid, stamp)
            result.messages.append(message)
            result.last_uid = uid
            if settings.move_to and message.files:
                to_move.append(uid)
        if not uids:
            ledger.set_mailbox(settings.account, settings.folder, validity, since, stamp)
        if to_move and _file_away(client, to_move, settings.move_to, result):
            ledger.mark_moved(settings.account, settings.folder, validity, to_move)
            for message in result.messages:
                message.moved = message.uid in to_move
    return result


def _where(settings: ImapSettings) -> str:
    return f"{settings.host}:{settings.port}"


def _text(exc: BaseException) -> str:
    """An IMAP error's words: imaplib passes the server's reply as bytes."""
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


@contextlib.contextmanager
def _connected(settings: ImapSettings) -> Iterator[IMAPClient]:
    """A logged-in client; every way of failing becomes one clear XlflowError."""
    where = _where(settings)
    context = ssl.create_default_context(cafile=settings.cafile or None)
    client: IMAPClient | None = None
    try:
        client = IMAPClient(settings.host, settings.port, ssl=settings.security is Security.TLS,
                            ssl_context=context, timeout=settings.timeout)
        if settings.security is Security.STARTTLS:
            client.starttls(context)
        if (settings.user + settings.password).isascii():
            client.login(settings.user, settings.password)
        else:  # LOGIN takes ASCII only; AUTHENTICATE PLAIN carries UTF-8 (e.g. 中文密码)
            client.plain_login(settings.user, settings.password)
    except LoginError as exc:
        _close(client)
        raise XlflowError(f"IMAP {where}: 登录失败(用户 {settings.user}):{_text(exc)};"
                          "请检查 --user 和密码") from None
    except CapabilityError:
        _close(client)
        raise XlflowError(f"IMAP {where}: 服务器不支持 STARTTLS;请改用 --tls(端口 993)") from None
    except ssl.SSLCertVerificationError as exc:
        _close(client)
        raise XlflowError(f"IMAP {where}: 服务器证书校验失败({exc.verify_message});公司自建 CA "
                          "的服务器请用 --cafile 指定 CA 证书") from None
    except ssl.SSLError as exc:
        _close(client)
        raise XlflowError(f"IMAP {where}: TLS 握手失败({exc.reason or exc});该端口是否应使用 "
                          "--starttls 或 --tls?") from None
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise XlflowError(f"IMAP {where}: 连接失败:{_text(exc) or type(exc).__name__}") from None
    try:
        yield client
    finally:
        _close(client, logout=True)


def _close(client: IMAPClient | None, *, logout: bool = False) -> None:
    if client is None:
        return
    with contextlib.suppress(Exception):  # the connection may already be gone
        if logout:
            client.logout()
        else:
            client.shutdown()


def _message_ids(client: IMAPClient, uids: list[int]) -> dict[int, str]:
    """Each message's Message-ID, from its header alone (the body is fetched only for
    messages not collected before)."""
    out: dict[int, str] = {}
    key = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start:start + FETCH_BATCH]
        for uid, data in client.fetch(batch, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).items():
            header = email.message_from_bytes(bytes(data.get(key) or b""), policy=policy.default)
            out[uid] = str(header.get("Message-ID", "") or "").strip()
    return out


def _file_away(client: IMAPClient, uids: list[int], folder: str,
               result: CollectResult) -> bool:
    """Processed messages into `folder`: MOVE where the server has it, else COPY and
    mark them read. Nothing is ever deleted."""
    try:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if client.has_capability("MOVE"):
            client.move(uids, folder)
        else:
            client.copy(uids, folder)
            client.add_flags(uids, [b"\\Seen"])
    except IMAPClientError as exc:
        result.issues.append(warning("not-moved", f"{len(uids)} 封邮件未能移到文件夹 {folder!r}"
                                     f"({_text(exc)});附件已保存,邮件留在原处"))
        return False
    return True


# -- one message ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Attachment:
    name: str
    data: bytes
    kind: Kind


class _Saver:
    """Saves the workbooks of one message after another."""

    def __init__(self, ws: Workspace, project: Project, specs: SpecSet,
                 result: CollectResult) -> None:
        self.ws, self.project, self.specs, self.result = ws, project, specs, result
        self.by_address: dict[str, list[str]] = {}
        for dept in project.departments:
            if dept.email:
                self.by_address.setdefault(dept.email.casefold(), []).append(dept.name)
        self.outgoing = _outbox_digests(ws)

    def message(self, uid: int, message_id: str, raw: bytes, internal: Any) -> Collected:
        msg = email.message_from_bytes(raw, policy=policy.default)
        sender = _sender(msg)
        received = _received(msg, internal)
        candidates = self.by_address.get(sender.casefold(), [])
        out = Collected(uid, message_id, sender, candidates[0] if candidates else "",
                        _header(msg, "Subject"), received.isoformat(sep=" "))
        other_project = False
        for att in _attachments(msg):
            digest = hashlib.sha256(att.data).hexdigest()
            if digest in self.outgoing:
                out.skipped.append(f"{att.name}: PMO 发出的原件,未填写")
                continue
            other_project |= not self._save(out, att, digest, received, candidates)
        if out.files:
            out.outcome = Outcome.SAVED if all(f.verified for f in out.files) else Outcome.UNVERIFIED
        elif other_project:
            out.outcome = Outcome.OTHER_PROJECT
        if not out.files and candidates and out.outcome is Outcome.NO_WORKBOOK:
            why = ";".join(out.skipped) if out.skipped else "没有附带工作簿"
            self.result.issues.append(warning(
                "no-workbook", f"{out.department}({sender}){received:%m-%d %H:%M} 的来信"
                f"「{out.subject}」:{why}"))
        return out

    def _save(self, out: Collected, att: _Attachment, digest: str, received: dt.datetime,
              candidates: list[str]) -> bool:
        """Save one attachment; False when it belongs to another project."""
        suffix = _suffix(att)
        with tempfile.TemporaryDirectory(prefix="xlflow-collect-") as tmp:
            staged = Path(tmp) / f"attachment{suffix}"
            staged.write_bytes(att.data)
            returns = read_returns(staged, self.specs)
        readable = [r for r in returns if r.readable]
        if att.kind is Kind.ARCHIVE and not readable:
            out.skipped.append(f"{att.name}: 压缩包里没有可读的工作簿")
            return True
        known = [r.identity for r in readable if r.identity.get("project_id")]
        mine = [i for i in known if i.get("project_id") == self.project.id]
        if known and not mine:
            other = known[0].get("project_id", "")
            out.skipped.append(f"{att.name}: 属于项目 {other},不是本项目")
            self.result.issues.append(error(
                "wrong-project", f"{out.sender} 的来信「{out.subject}」中的 {att.name} 属于项目 "
                f"{other!r},不是本项目;未保存,邮件留在原处", value=other,
                expected=self.project.id))
            return False
        kind = ""
        if mine:
            kind = RISK_FORM_KIND if all(i.get("kind") == RISK_FORM_KIND for i in mine) \
                else mine[0].get("kind", "department")
        week = _week(mine[0].get("week", "") if mine else "", received)
        named = mine[0].get("department", "") if mine else ""
        verified = bool(candidates)
        department = named if named in candidates else (candidates[0] if verified else named)
        stamp = f"{received:%Y%m%d-%H%M%S}"
        if verified:
            folder = self.ws.inbox / week
            form = f"-{RISK_FORM_PART}" if kind == RISK_FORM_KIND else ""
            stem = f"{safe_name(department)}{form}-{stamp}"
        else:
            folder = self.ws.unverified_inbox
            stem = (f"{safe_name(out.sender or '未知发件人', 60)}-{stamp}-"
                    f"{safe_name(PurePath(att.name).stem or '附件', 60)}")
        target, new = _target(folder, stem, suffix, digest)
        if new:
            with atomic_path(target) as tmp_path:
                tmp_path.write_bytes(att.data)
            moment = received.timestamp()
            os.utime(target, (moment, moment))  # a merge reads the file time as 收到时间
        rel = target.relative_to(self.ws.root).as_posix()
        out.files.append(SavedFile(rel, att.name, kind, week, department, digest, verified, new))
        if not verified:
            self.result.issues.append(error(
                "unverified-sender", f"发件人 {out.sender or '(无)'} 不是任何部门的邮箱"
                f"(departments[].email);附件「{att.name}」存入 {rel},未参与汇总", file=rel))
        elif named and named not in candidates:
            self.result.issues.append(warning(
                "sender-mismatch", f"{department}的邮箱 {out.sender} 发来的「{att.name}」是"
                f"{named}的文件;已保存为 {rel},汇总按文件标识计入{named}", file=rel,
                value=named, expected=department))
        return True


def _outbox_digests(ws: Workspace) -> set[str]:
    """The workbooks xlflow built: the same bytes coming back are not a return."""
    if not ws.outbox.is_dir():
        return set()
    return {sha256_file(p) for p in ws.outbox.rglob("*.xlsx") if p.is_file()}


def _header(msg: Message, name: str) -> str:
    try:
        return " ".join(str(msg.get(name, "") or "").split())
    except (ValueError, TypeError, IndexError):  # a header the parser cannot make sense of
        return ""


def _sender(msg: Message) -> str:
    """The From address (compared with departments' addresses ignoring case)."""
    try:
        header = msg.get("From")
        parsed = [a.addr_spec for a in getattr(header, "addresses", ())]
        found = parsed or [addr for _, addr in getaddresses([str(header or "")])]
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""
    return next((addr.strip() for addr in found if "@" in addr), "")


def _received(msg: Message, internal: Any) -> dt.datetime:
    """When it was sent (Date), else when the server received it, as local time without
    a zone (the time stamps in the workbooks are local too)."""
    try:
        header = msg.get("Date")
        moment = getattr(header, "datetime", None)
    except (ValueError, TypeError, IndexError, AttributeError):
        moment = None
    if not isinstance(moment, dt.datetime):
        moment = internal if isinstance(internal, dt.datetime) else now()
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _week(label: str, received: dt.date) -> str:
    try:
        return normalise_week(label)
    except ValueError:
        return week_label(received)


def _attachments(msg: Message, depth: int = 0) -> Iterator[_Attachment]:
    """Every part that holds a workbook or a zip, wherever it sits: beside the text, in
    a forwarded message (message/rfc822), or in a mail attached as an .eml file."""
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            data = part.get_payload(decode=True)
        except (ValueError, TypeError, AssertionError):
            continue
        if not isinstance(data, bytes) or not data:
            continue
        name = _filename(part)
        if not name and part.get_content_maintype() == "text":
            continue  # the message's own text
        sniffed = sniff(data)
        if sniffed.kind in WORKBOOK_KINDS:
            yield _Attachment(name or f"附件.{sniffed.kind.value}", data, sniffed.kind)
        elif depth < NESTED_MAIL_DEPTH and (name.lower().endswith(".eml")
                                            or sniffed.what.startswith("电子邮件")):
            inner = email.message_from_bytes(data, policy=policy.default)
            yield from _attachments(inner, depth + 1)


def _filename(part: Message) -> str:
    """The attachment's name: RFC 2231 (filename*=GBK''…) and encoded words
    (=?GBK?B?…?=) are decoded by the email package; a name sent as raw 8-bit GBK or UTF-8
    (some Chinese mail clients) is decoded here."""
    try:
        name = part.get_filename() or ""
    except (ValueError, TypeError, IndexError, LookupError):
        name = ""
    if "\ufffd" not in name and name:
        return " ".join(name.split())
    for key, value in part.raw_items():
        if key.lower() not in ("content-disposition", "content-type"):
            continue
        raw = str(value).encode("ascii", "surrogateescape")
        for codec in ("utf-8", "gb18030"):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            probe = EmailMessage()
            probe[key] = " ".join(text.split())
            found = probe.get_filename()
            if found:
                return found
    return name


def _suffix(att: _Attachment) -> str:
    """The attachment's own extension when it fits what the bytes are, else the kind's."""
    own = PurePath(att.name).suffix.lower()
    allowed = SUFFIXES.get(att.kind, (".xlsx",))
    return own if own in allowed else allowed[0]


def _target(folder: Path, stem: str, suffix: str, digest: str) -> tuple[Path, bool]:
    """A name for these bytes: `stem`, `stem-2`, … The same bytes already under one of
    those names (a rerun after an interruption) are not saved again."""
    n = 1
    while True:
        path = folder / f"{stem}{'' if n == 1 else f'-{n}'}{suffix}"
        if not path.exists():
            return path, True
        if path.is_file() and sha256_file(path) == digest:
            return path, False
        n += 1
