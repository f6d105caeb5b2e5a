"""The weekly message to each department: Chinese subject and body, its workbook
attached. Written as .eml files (open in any mail client) or sent over SMTP."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path

from .._files import atomic_path
from ..errors import ProjectError
from ..project import PROJECT_FILE, Department, Project
from ..weeks import week_days

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_EMAIL = re.compile(r"[^@\s/;,，；]+@[^@\s/;,，；]+\.[A-Za-z]{2,}")


def sender_address(project: Project) -> str:
    """The initiator's address from 联系方式, if it holds one."""
    m = _EMAIL.search(project.contact)
    return m.group(0) if m else ""


_ADDRESS = re.compile(r"[^@\s/;,，；<>()\[\]\"\\]+@[^@\s/;,，；<>()\[\]\"\\]+\.[A-Za-z]{2,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def address_problem(address: str) -> str | None:
    """Why `address` cannot be a sender or recipient (a line break would let the text
    after it become a header of its own), or None."""
    if _CONTROL.search(address) or len(address.splitlines()) > 1:
        return "含有换行或控制字符(应为写在一行上的一个邮箱地址)"
    if not _ADDRESS.fullmatch(address):
        return "不是一个邮箱地址(应为一个地址,如 pmo@example.com)"
    return None


def recipient_addresses(given: Sequence[str]) -> list[tuple[str, str]]:
    """(display name, address) of each recipient given as "addr" or "名字 <addr>"; a text
    that holds two addresses or a line break is refused, naming it, not split or dropped."""
    out = []
    for text in given:
        parsed = getaddresses([text])
        problem = (address_problem(text) if len(parsed) != 1 or _CONTROL.search(text)
                   else address_problem(parsed[0][1]))
        if problem:
            raise ProjectError(f"收件人 {text!r}: {problem}{_one_each(parsed)}")
        out.append(parsed[0])
    return out


def _one_each(parsed: Sequence[tuple[str, str]]) -> str:
    """How to give several recipients, when a text held several good addresses."""
    found = [addr for _, addr in parsed if addr]
    if len(found) < 2 or any(address_problem(a) for a in found):
        return ""
    return (f";其中有 {len(found)} 个地址,每项只写一个收件人,多个收件人分开给出(命令行:"
            + " ".join(f"--to {a}" for a in found) + ")")


def sender_of(project: Project, given: str = "", *, option: str = "--from") -> str:
    """Who a message is from: `given` (the `option`), else the address in 联系方式.
    Refused when there is none, or when it is not one address on one line."""
    sender = given or sender_address(project)
    if not sender:
        raise ProjectError(f"没有发件人地址:请用 {option} 指定,或在 {PROJECT_FILE} 的 "
                           "project.contact 中写上邮箱地址")
    problem = address_problem(sender)
    if problem:
        raise ProjectError(f"{option} {sender!r}: {problem}" if given else
                           f"{PROJECT_FILE} 中的 project.contact {sender!r}: {problem}")
    return sender


def write_eml(msg: EmailMessage, target: Path) -> str:
    """The message as an .eml file (complete, or not there at all); its path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(msg.as_bytes())
    return str(target)


def ascii_address(address: str) -> str:
    """The address as a mail header carries it: an internationalised domain in IDNA
    (例子.中国 -> xn--fsqu00a.xn--fiqs8s); the local part is ASCII already."""
    local, _, domain = address.rpartition("@")
    try:
        local.encode("ascii")
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        raise ProjectError(f"{address!r}: 邮箱地址只能在 @ 之后使用中文等非 ASCII 字符 "
                           "(the part before @ must be ASCII)") from None


def _set_header(msg: EmailMessage, name: str, value: str) -> None:
    """A header from project.yaml's text; a value that would split into two lines is
    refused with the text named, never written (and never an internal error)."""
    try:
        msg[name] = value
    except ValueError:
        raise ProjectError(f"{PROJECT_FILE}: 邮件的 {name} 行会含有换行符 {value!r};请从名称中删去"
                           "换行、分隔符等控制字符后重试 (a name holds a line break)") from None


def compose(project: Project, department: Department, week: str, workbook: Path,
            deadline, sender: str, risk_form: Path | None = None) -> EmailMessage:
    """The weekly message; `risk_form`, the department's standalone 风险应对申请表, is
    attached beside the workbook when given."""
    monday, sunday = week_days(week)
    msg = EmailMessage()
    sender = ascii_address(sender)
    _set_header(msg, "Subject", f"【{project.name}】{week} 周进度填写 · {department.name}"
                                f"(请于 {deadline.month}月{deadline.day}日前交回)")
    _set_header(msg, "From", formataddr((f"{project.initiator}", sender)))
    _set_header(msg, "To", formataddr((f"{department.name} {department.head}".strip(),
                                       ascii_address(department.email))))
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "xlflow.local")
    head = f"{department.head}{department.head_title and '(' + department.head_title + ')'}"
    tasks = project.tasks_of(department.name)
    lines = [
        f"{head or department.name}:您好!",
        "",
        f"附件是「{project.name}」{week}({monday.month}月{monday.day}日—{sunday.month}月"
        f"{sunday.day}日)的周进度填写文件,请{department.name}填写:",
        "  1. 周进度跟踪表:每项任务的实际完成情况、完成百分比、实际或预计完成日期;"
        "有偏差请写明原因和解决措施;",
        f"  2. 风险应对申请表:发现风险后 {project.settings.raise_within_hours} 小时内填写"
        "(风险编号已预留)" + ("。另附单独的风险应对申请表,发现风险时填好随即发回,不必等到周报;"
                         if risk_form else ";"),
        "  3. 成果验收确认单:验收阶段填写实际值并确认。",
        "",
        "本周涉及贵部门的任务:" + ("、".join(f"{t.id} {t.deliverable}({t.due.month}月"
                                       f"{t.due.day}日)" for t in tasks) or "无"),
        "",
        f"请于 {deadline.isoformat()} 前将填好的文件(.xlsx,文件名可改)回复本邮件。"
        "Excel、WPS、LibreOffice 均可填写;灰色单元格已预填,无需修改。",
        "",
        f"{project.initiating_department} {project.initiator}",
        f"{project.contact}",
    ]
    msg.set_content("\n".join(lines))
    for path in (workbook, risk_form):
        if path is not None:
            msg.add_attachment(path.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=path.name)
    return msg


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    starttls: bool = False
    user: str = ""
    password: str = ""
    cafile: str = ""  # a private CA, e.g. a company mail server's
    timeout: float = 30

    @classmethod
    def parse(cls, address: str, **kwargs) -> SmtpSettings:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"「{address}」应为 主机:端口,例如 smtp.example.com:587")
        return cls(host=host, port=int(port), **kwargs)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def send_all(messages: list[EmailMessage], settings: SmtpSettings,
             on_result: Callable[[int, str], None] | None = None) -> list[str]:
    """Send over one connection; return an error text per message ('' when sent).
    `on_result(i, error)` is called as each message is handed over, so what was sent is
    known even if the connection drops half-way."""
    results: list[str] = []
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.ehlo()
        if settings.starttls:
            context = ssl.create_default_context(cafile=settings.cafile or None)
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password)
        for msg in messages:
            try:
                refused = smtp.send_message(msg)
                results.append("; ".join(f"{k}: {v}" for k, v in refused.items()))
            except smtplib.SMTPException as exc:
                results.append(str(exc))
            if on_result is not None:
                on_result(len(results) - 1, results[-1])
    return results


def smtp_failure(settings: SmtpSettings | None, exc: BaseException) -> str:
    """What went wrong with the SMTP server, in Chinese: `SMTP host:port: <why>; <what to do>`
    (the system's own words, often English, kept in brackets)."""
    where = f"SMTP {settings.address}" if settings else "SMTP"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        why = (f"登录失败(用户 {settings.user if settings else ''}):{exc.smtp_code};"
               "请检查 --user 和密码")
    elif isinstance(exc, ssl.SSLCertVerificationError):
        why = (f"服务器证书校验失败({exc.verify_message});公司自建 CA 的服务器请用 --cafile "
               "指定 CA 证书")
    elif isinstance(exc, ssl.SSLError):
        why = f"TLS 握手失败({exc.reason or exc});该端口是否应使用 --starttls?"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        why = f"服务器不支持该操作({exc});去掉 --starttls 或 --user 再试"
    elif isinstance(exc, ConnectionRefusedError):
        why = f"连接被拒绝({exc}):该主机的这个端口上没有邮件服务器,请检查 --smtp 的主机和端口"
    elif isinstance(exc, socket.gaierror):
        why = f"找不到服务器({exc}):请检查 --smtp 的主机名和网络"
    elif isinstance(exc, TimeoutError | socket.timeout):
        why = (f"服务器在 {settings.timeout if settings else ''} 秒内没有应答:请检查主机、端口"
               "和网络,或用 --timeout 加长等待")
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        why = f"服务器断开了连接({exc})"
    else:
        why = f"连接失败({exc or type(exc).__name__})"
    return f"{where}: {why}"


# -- shared by `remind` and `notify` -------------------------------------------------------

Address = tuple[str, str]  # (display name, address)


def new_message(project: Project, sender: str, subject: str, to: Sequence[Address],
                cc: Sequence[Address] = ()) -> EmailMessage:
    """A message from the initiator with its headers; the caller adds the content."""
    msg = EmailMessage()
    msg["Subject"] = foldable(subject)
    msg["From"] = formataddr((f"{project.initiator}", sender))
    msg["To"] = ", ".join(formataddr(a) for a in to)
    if cc:
        msg["Cc"] = ", ".join(formataddr(a) for a in cc)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "xlflow.local")
    return msg


def foldable(text: str) -> str:
    """Header text whose spaces survive folding: CPython folds a long Chinese subject at a
    space between two encoded words, and decoders drop such a space (RFC 2047), so
    '催办 · 技术部' arrived as '催办 ·技术部'. No-break spaces look the same and are kept."""
    return text.replace(" ", "\u00a0")


def attach_workbook(msg: EmailMessage, workbook: Path) -> None:
    msg.add_attachment(workbook.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=workbook.name)


def recipients(msg: EmailMessage) -> list[str]:
    """Every address the message goes to (To and Cc), as the ledger records them."""
    return [addr for _, addr in getaddresses([str(v) for h in ("To", "Cc")
                                              for v in msg.get_all(h, [])])]
