"""Nothing is overwritten, leaked, sent twice or reported as an internal error: the case
library keeps every version, archive never follows a link out of the project, send
records what went out and a rerun sends only the rest, and a busy ledger, a read-only
folder or a full disk each get a clear message saying which."""

from __future__ import annotations

import contextlib
import dataclasses
import email
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ProjectError, StorageError
from xlflow.ledger import LEDGER_FILE, Ledger
from xlflow.phases.archive import LIBRARY_DB, verify_archive
from xlflow.phases.mail import compose
from xlflow.weeks import week_days

from .conftest import AS_OF, WEEK

RECIPIENTS = ["mkt@example.com", "ops@example.com", "prd@example.com", "tec@example.com"]


# -- real read-only folders and a real full disk -----------------------------------------

def _run(*cmd: str) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0


def _unmount(path: Path) -> None:
    """Unmount; a file xlflow left open keeps the mount busy, which fails the test (after
    the mount is detached, so that it never outlives the test)."""
    done = subprocess.run(["umount", str(path)], capture_output=True, text=True)
    if done.returncode:
        subprocess.run(["umount", "-l", str(path)], check=True)
        pytest.fail(f"{path} still in use after the test: {done.stderr.strip()}")


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` read-only for real: a read-only bind mount as root (chmod does not bind
    root), otherwise chmod."""
    if os.name == "nt":
        pytest.skip("POSIX permissions")
    if os.geteuid() != 0:
        mode = path.stat().st_mode & 0o777
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if not _run("mount", "--bind", str(path), str(path)):
        pytest.skip("cannot bind-mount here (no CAP_SYS_ADMIN)")
    try:
        if not _run("mount", "-o", "remount,ro,bind", str(path)):
            pytest.skip("cannot remount read-only here")
        assert not os.access(path, os.W_OK)  # the test cannot pass on a writable folder
        yield
    finally:
        _unmount(path)


@contextlib.contextmanager
def tiny_disk(path: Path, size: str) -> Iterator[Path]:
    """A file system of `size` at `path` (tmpfs), to fill up for real."""
    path.mkdir()
    if os.name == "nt" or os.geteuid() != 0 or not _run(
            "mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)):
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield path
    finally:
        _unmount(path)


def _fails_clearly(result, *expected: str) -> str:
    """Exit 2 with one clear line: never an internal error, a traceback or a broken ledger."""
    out = result.output
    assert result.exit_code == 2, out
    assert "internal error" not in out and "Traceback" not in out
    for text in expected:
        assert text in out, out
    return out


# -- archive: versions, never an overwrite -------------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_archiving_again_adds_a_version_and_keeps_the_first(built, tmp_path: Path,
                                                            runner: CliRunner) -> None:
    root, library = built.project.root, tmp_path / "cases"
    first = api.archive(root, to=library)
    kept = _sha(first.zip)
    second = api.archive(root, to=library)
    assert (first.case_id, first.version, second.case_id, second.version) == (
        "UG-2024Q3-v1", 1, "UG-2024Q3-v2", 2)
    assert second.zip != first.zip and _sha(first.zip) == kept == first.sha256
    assert second.zip.name == "UG-2024Q3_2024年Q3用户增长活动_v2.zip"
    assert verify_archive(first.zip) and verify_archive(second.zip)
    assert [(c["case_id"], c["version"], c["zip"]) for c in api.cases(library)] == [
        ("UG-2024Q3-v2", 2, second.zip.name), ("UG-2024Q3-v1", 1, first.zip.name)]
    listed = runner.invoke(cli, ["cases", str(library)])
    assert "UG-2024Q3-v1" in listed.output and "UG-2024Q3-v2" in listed.output
    assert "共 2 个案例" in listed.output


def _same_id(root: Path, tmp_path: Path, name: str | None) -> Path:
    """Another project folder with the same project id (and `name`, if given)."""
    other = tmp_path / "other"
    api.init_project(other, example=True)
    if name:
        text = (other / "project.yaml").read_text(encoding="utf-8")
        (other / "project.yaml").write_text(text.replace("2024年Q3用户增长活动", name, 1),
                                            encoding="utf-8")
    return other


@pytest.mark.parametrize("name", [None, "会员体系升级"])
def test_another_project_with_the_same_id_never_replaces_a_case(built, tmp_path: Path,
                                                                name: str | None) -> None:
    library = tmp_path / "cases"
    first = api.archive(built.project.root, to=library)
    kept = _sha(first.zip)
    second = api.archive(_same_id(built.project.root, tmp_path, name), to=library)
    assert second.zip != first.zip and _sha(first.zip) == kept
    found = {c["case_id"]: c for c in api.cases(library)}
    assert sorted(found) == ["UG-2024Q3-v1", "UG-2024Q3-v2"]
    assert found["UG-2024Q3-v1"]["zip_sha256"] == kept
    assert found["UG-2024Q3-v2"]["name"] == (name or "2024年Q3用户增长活动")


def test_a_zip_already_in_the_library_is_never_overwritten(built, tmp_path: Path) -> None:
    library = tmp_path / "cases"
    library.mkdir()
    orphan = library / "UG-2024Q3_2024年Q3用户增长活动.zip"  # e.g. its cases.sqlite was lost
    orphan.write_bytes(b"an earlier case")
    result = api.archive(built.project.root, to=library)
    assert orphan.read_bytes() == b"an earlier case"
    assert result.zip.name == "UG-2024Q3_2024年Q3用户增长活动_v2.zip" and result.version == 2


def test_a_library_from_an_earlier_xlflow_is_migrated(built, tmp_path: Path) -> None:
    library = tmp_path / "cases"
    library.mkdir()
    db = sqlite3.connect(library / LIBRARY_DB)
    db.execute("""CREATE TABLE cases (
        project_id TEXT PRIMARY KEY, name TEXT NOT NULL, initiating_department TEXT,
        departments TEXT, start TEXT, "end" TEXT, priority TEXT, archived_at TEXT NOT NULL,
        zip TEXT NOT NULL, zip_sha256 TEXT NOT NULL, files INTEGER NOT NULL,
        on_time_rate REAL, worst_slip INTEGER, risks INTEGER, summary TEXT, text TEXT NOT NULL)""")
    db.execute("INSERT INTO cases VALUES ('UG-2024Q3', '旧案例', '产品部', '产品部', '2024-01-01', "
               "'2024-03-31', '高', '2024-04-01T09:00:00+08:00', 'old.zip', 'ab', 5, 0.5, 3, 1, "
               "'', '旧案例 会员')")
    db.commit()
    db.close()
    assert [c["case_id"] for c in api.cases(library)] == ["UG-2024Q3-v1"]  # read as it is
    api.archive(built.project.root, to=library)
    assert [(c["case_id"], c["name"]) for c in api.cases(library)] == [
        ("UG-2024Q3-v2", "2024年Q3用户增长活动"), ("UG-2024Q3-v1", "旧案例")]
    assert [c["case_id"] for c in api.cases(library, search="会员")] == ["UG-2024Q3-v1"]


def test_archive_removes_what_a_killed_archive_left(built, tmp_path: Path) -> None:
    library = tmp_path / "cases"
    library.mkdir()
    (library / ".xlflow-1a2b3c4d.zip.tmp").write_bytes(b"half a zip")
    (library / ".xlflow-dead.tmp").mkdir()
    (library / ".xlflow-dead.tmp" / "xlflow-ledger.sqlite").write_bytes(b"half a copy")
    api.archive(built.project.root, to=library)
    assert sorted(p.name for p in library.iterdir()) == [
        ".xlflow-cases.lock", "UG-2024Q3_2024年Q3用户增长活动.zip", LIBRARY_DB]


# -- archive: links out of the project ---------------------------------------------------

def test_archive_never_follows_a_link_out_of_the_project(built, tmp_path: Path,
                                                         runner: CliRunner) -> None:
    root = built.project.root
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secret = secrets / "id_rsa"
    secret.write_bytes(b"-----BEGIN PRIVATE KEY----- TOP SECRET")
    secret.chmod(0o600)
    unzipped = root / "inbox" / "技术部"  # a department's zip, unpacked
    unzipped.mkdir()
    (unzipped / "回传.xlsx").write_bytes(built.departments["技术部"].read_bytes())
    (unzipped / "key.xlsx").symlink_to(secret)
    (unzipped / "more").symlink_to(secrets, target_is_directory=True)
    (unzipped / "gone.xlsx").symlink_to(root / "inbox" / "deleted.xlsx")
    library = tmp_path / "cases"
    result = runner.invoke(cli, ["archive", str(root), "--to", str(library)])
    assert result.exit_code == 0, result.output
    (zip_path,) = library.glob("*.zip")
    with zipfile.ZipFile(zip_path) as z:
        assert "部门回传/技术部/回传.xlsx" in z.namelist()
        assert not [n for n in z.namelist() if "key" in n or "more" in n or "gone" in n]
        assert all(b"TOP SECRET" not in z.read(n) for n in z.namelist())
    assert "not-archived" not in result.output  # the codes are not shown, their text is
    assert f"{unzipped / 'key.xlsx'}: 符号链接,指向项目文件夹之外的 {secret}" in result.output
    assert "3 个文件未归档" in result.output
    again = api.archive(root, to=library)
    assert sorted((Path(s.path).name, s.reason[:6]) for s in again.skipped) == [
        ("gone.xlsx", "不是普通文件"), ("key.xlsx", "符号链接,指"), ("more", "指向文件夹 ")]
    assert [i.code for i in again.issues] == ["not-archived"] * 3
    assert again.to_dict()["skipped"][0].keys() == {"path", "reason"}


# -- archive: a damaged, read-only or full library ---------------------------------------

def test_a_damaged_case_library_is_a_clear_message(built, tmp_path: Path,
                                                   runner: CliRunner) -> None:
    library = tmp_path / "cases"
    library.mkdir()
    (library / LIBRARY_DB).write_bytes(os.urandom(4096))
    for args in (["archive", str(built.project.root), "--to", str(library)],
                 ["cases", str(library)]):
        _fails_clearly(runner.invoke(cli, args), f"案例库 {library / LIBRARY_DB}", "已损坏")
    assert not list(library.glob("*.zip")) and not list(library.glob(".*.tmp"))


def test_a_read_only_library_is_a_clear_message(built, tmp_path: Path,
                                                runner: CliRunner) -> None:
    library = tmp_path / "cases"
    api.archive(built.project.root, to=library)
    before = sorted(p.name for p in library.iterdir())
    with read_only(library):
        out = _fails_clearly(runner.invoke(cli, ["archive", str(built.project.root), "--to",
                                                 str(library)]), f"案例库 {library}", "只读")
        assert "已损坏" not in out
        assert [c["case_id"] for c in api.cases(library)] == ["UG-2024Q3-v1"]  # still readable
    assert sorted(p.name for p in library.iterdir()) == before


@pytest.mark.parametrize("fixture", ["built", "with_samples"])
def test_a_full_library_disk_is_said_as_such(fixture: str, request, tmp_path: Path,
                                             runner: CliRunner) -> None:
    """A built project fills the disk while the zip is written; a merged one already
    while its ledger is copied."""
    root = request.getfixturevalue(fixture)
    root = root.project.root if fixture == "built" else root
    if fixture == "with_samples":
        api.merge(root, week=WEEK, as_of=AS_OF)
    with tiny_disk(tmp_path / "cases", "64k") as library:
        out = _fails_clearly(runner.invoke(cli, ["archive", str(root), "--to", str(library)]),
                             str(library), "磁盘已满")
        assert "已损坏" not in out and "台账" not in out
        assert not list(library.glob("*.zip")) and not list(library.glob(".*.tmp"))
        assert api.cases(library) == []


# -- send: the lock, the record, reruns ----------------------------------------------------

class Server:
    """A real SMTP server (aiosmtpd) on loopback: refuses some recipients, or closes the
    connection after some messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.close_after: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.close_after is not None and len(self.messages) >= self.close_after:
            return "421 4.3.2 closing the connection"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(str(m["To"].addresses[0].addr_spec) for m in self.messages)


@pytest.fixture
def server() -> Iterator[tuple[Server, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"127.0.0.1:{port}"
    finally:
        controller.stop()


def _send(runner: CliRunner, root: Path, address: str, *more: str):
    return runner.invoke(cli, ["send", str(root), "--week", WEEK, "--smtp", address, *more])


def _recorded(root: Path) -> list:
    if not (root / LEDGER_FILE).exists():
        return []
    with Ledger(root / LEDGER_FILE) as ledger:
        return ledger.sent_messages(WEEK)


def test_send_takes_the_lock_before_the_first_message(built, server, runner: CliRunner) -> None:
    handler, address = server
    root = built.project.root
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, pathlib\nfrom xlflow._files import project_lock\n"
         "with project_lock(pathlib.Path(sys.argv[1])):\n"
         "    print('held', flush=True)\n    sys.stdin.read()", str(root)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        _fails_clearly(_send(runner, root, address), "另一个 xlflow 正在写入此项目")
    finally:
        holder.communicate()  # closes its stdin: it lets go of the lock and ends
    assert handler.messages == [] and _recorded(root) == []
    assert _send(runner, root, address).exit_code == 0  # once the other run is done
    assert handler.recipients() == RECIPIENTS


def test_each_message_is_recorded_and_a_rerun_sends_only_the_rest(built, server,
                                                                  runner: CliRunner) -> None:
    handler, address = server
    root = built.project.root
    first = _send(runner, root, address, "--department", "技术部")
    assert first.exit_code == 0, first.output
    assert handler.recipients() == ["tec@example.com"]
    rest = _send(runner, root, address)
    assert rest.exit_code == 0, rest.output
    assert handler.recipients() == RECIPIENTS  # 技术部 once
    assert "技术部 <tec@example.com>:已于" in rest.output and "跳过" in rest.output
    assert "2024-W28:3 封邮件\n1 封此前已发出,未重复发送" in rest.output
    records = _recorded(root)
    assert sorted(r.to for r in records) == RECIPIENTS
    assert {r.message_id for r in records} == {str(m["Message-ID"]) for m in handler.messages}
    tec = next(r for r in records if r.department == "技术部")
    assert (tec.week, tec.how, tec.via, tec.attachment) == (
        WEEK, "smtp", address, built.departments["技术部"].name)
    assert tec.attachment_sha256 == _sha(built.departments["技术部"]) and tec.sent_at
    # everything went out: nothing more, unless asked
    again = _send(runner, root, address)
    assert again.exit_code == 0 and len(handler.messages) == 4
    assert "2024-W28:0 封邮件\n4 封此前已发出,未重复发送" in again.output
    resent = _send(runner, root, address, "--resend", "--department", "运营部")
    assert resent.exit_code == 0 and handler.recipients().count("ops@example.com") == 2
    assert len(_recorded(root)) == 5


def test_a_refused_message_is_not_recorded_and_goes_on_the_next_run(built, server) -> None:
    handler, address = server
    root = built.project.root
    handler.refuse = {"mkt@example.com"}
    settings = api.SmtpSettings.parse(address)
    result = api.send(root, week=WEEK, smtp=settings)
    assert [(m.department, m.sent) for m in result.messages] == [
        ("产品部", True), ("市场部", False), ("技术部", True), ("运营部", True)]
    assert [i.code for i in result.issues] == ["not-sent"] and result.exit_status == 1
    assert "mkt@example.com" not in {r.to for r in _recorded(root)}
    handler.refuse = set()
    rerun = api.send(root, week=WEEK, smtp=settings)
    assert [m.department for m in rerun.messages] == ["市场部"] and len(rerun.skipped) == 3
    assert handler.recipients() == RECIPIENTS


def test_a_connection_lost_half_way_keeps_what_was_sent(built, server) -> None:
    handler, address = server
    root = built.project.root
    handler.close_after = 2
    settings = api.SmtpSettings.parse(address)
    result = api.send(root, week=WEEK, smtp=settings)
    assert [m.sent for m in result.messages] == [True, True, False, False]
    assert len(_recorded(root)) == 2
    handler.close_after = None
    rerun = api.send(root, week=WEEK, smtp=settings)
    assert [m.department for m in rerun.messages] == ["技术部", "运营部"]
    assert handler.recipients() == RECIPIENTS


def test_eml_files_are_recorded_but_do_not_count_as_sent_over_smtp(built, server) -> None:
    handler, address = server
    root = built.project.root
    written = api.send(root, week=WEEK)
    assert len(written.messages) == 4
    assert {r.how for r in _recorded(root)} == {"eml"}
    assert {r.via for r in _recorded(root)} == {m.eml for m in written.messages}
    rewritten = api.send(root, week=WEEK)  # the .eml files are there: nothing to do
    assert rewritten.messages == [] and len(rewritten.skipped) == 4
    sent = api.send(root, week=WEEK, smtp=api.SmtpSettings.parse(address))
    assert [m.sent for m in sent.messages] == [True] * 4  # an .eml may never have been sent
    assert api.send(root, week=WEEK).messages == []  # and over SMTP it has


# -- send: header injection, no password ----------------------------------------------------

@pytest.mark.parametrize("escape", ["\\r\\nBcc: evil@example.com", "\\nBcc: evil@example.com",
                                    "\\LBcc: evil@example.com", "\\NBcc: evil@example.com",
                                    "\\PBcc: evil@example.com"])
def test_a_line_break_in_a_name_can_never_reach_a_mail_header(built, server, runner: CliRunner,
                                                              escape: str) -> None:
    handler, address = server
    root = built.project.root
    text = (root / "project.yaml").read_text(encoding="utf-8")
    (root / "project.yaml").write_text(text.replace("head: 刘强", f'head: "刘强{escape}"', 1),
                                       encoding="utf-8")
    _fails_clearly(_send(runner, root, address), "project.yaml:", "departments[2].head")
    assert handler.messages == [] and _recorded(root) == []


def test_a_line_break_in_the_sender_is_refused(built, server, runner: CliRunner) -> None:
    handler, address = server
    root = built.project.root
    for sender in ("pmo@example.com\r\nBcc: evil@example.com", "pmo@example.com\u2028x",
                   "not an address"):
        _fails_clearly(_send(runner, root, address, "--from", sender), "--from")
    assert handler.messages == [] and _recorded(root) == []


def test_compose_refuses_a_header_that_would_split(built) -> None:
    """The last guard, for projects made in code rather than loaded from project.yaml."""
    project = built.project
    dept = dataclasses.replace(project.departments[2], name="技术部\u2028Bcc: evil@example.com")
    with pytest.raises(ProjectError, match="换行符"):
        compose(project, dept, WEEK, built.departments["技术部"], week_days(WEEK)[0],
                "pmo@example.com")


def test_an_internationalised_domain_is_sent_as_idna(built, runner: CliRunner) -> None:
    root = built.project.root
    text = (root / "project.yaml").read_text(encoding="utf-8")
    (root / "project.yaml").write_text(text.replace("tec@example.com", "tec@例子.中国", 1),
                                       encoding="utf-8")
    result = api.send(root, week=WEEK, departments=["技术部"])
    msg = email.message_from_bytes(Path(result.messages[0].eml).read_bytes(),
                                   policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "tec@xn--fsqu00a.xn--fiqs8s"


def test_send_with_a_login_and_no_terminal_asks_for_the_password_variable(
        built, server, runner: CliRunner, monkeypatch) -> None:
    handler, address = server
    monkeypatch.delenv("XLFLOW_SMTP_PASSWORD", raising=False)
    _fails_clearly(_send(runner, built.project.root, address, "--user", "pmo"),
                   "需要 SMTP 密码: 设置环境变量 XLFLOW_SMTP_PASSWORD 或在终端中运行")
    assert handler.messages == [] and _recorded(built.project.root) == []


@pytest.mark.parametrize("args", [["--smtp", "127.0.0.1:99999"], ["--smtp", "127.0.0.1:25",
                                  "--timeout", "0"], ["--department", "法务部"]])
def test_send_options_out_of_range_are_usage_errors(built, runner: CliRunner,
                                                    args: list[str]) -> None:
    result = runner.invoke(cli, ["send", str(built.project.root), "--week", WEEK, *args])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert not (built.project.root / "outbox" / "mail").exists()


# -- the ledger busy, folders read-only ----------------------------------------------------

@pytest.fixture
def merged(with_samples: Path) -> Path:
    api.merge(with_samples, week=WEEK, as_of=AS_OF)
    return with_samples


def _merge_args(root: Path) -> list[str]:
    return ["merge", str(root), "--week", WEEK, "--as-of", AS_OF.isoformat()]


def test_a_ledger_held_by_another_program_is_named(merged: Path, runner: CliRunner,
                                                   monkeypatch) -> None:
    monkeypatch.setattr("xlflow.ledger.BUSY_TIMEOUT", 0.2)
    ledger = merged / LEDGER_FILE
    report = merged / "reports" / f"{WEEK}-consolidated.xlsx"
    kept = report.read_bytes()
    other = sqlite3.connect(ledger, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        busy = f"台账 {ledger}: 正被另一个程序使用"
        for args in (_merge_args(merged),
                     ["change", str(merged), "--task", "T03", "--due", "2024-07-25",
                      "--reason", "延期", "--by", "PMO"],
                     ["send", str(merged), "--week", WEEK],
                     ["history", str(merged), "--drop", WEEK]):
            out = _fails_clearly(runner.invoke(cli, args), busy)
            assert "已损坏" not in out
        # reading goes on beside the writer (the ledger is in WAL mode)
        status = runner.invoke(cli, ["status", str(merged), "--as-of", AS_OF.isoformat()])
        assert status.exit_code == 0 and f"最近汇总:{WEEK}" in status.output
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert report.read_bytes() == kept
    assert not (merged / "outbox" / "mail").exists()
    assert runner.invoke(cli, _merge_args(merged)).exit_code == 0


def test_a_read_only_project_folder_is_not_a_broken_ledger(merged: Path,
                                                           runner: CliRunner) -> None:
    with read_only(merged):
        for args in (_merge_args(merged),
                     ["opinion", str(merged), "--department", "运营部", "--by", "运营总监",
                      "--text", "同意"],
                     ["send", str(merged), "--week", WEEK],
                     ["status", str(merged)]):
            out = _fails_clearly(runner.invoke(cli, args), str(merged), "只读")
            assert "已损坏" not in out and "移走" not in out
        with pytest.raises(StorageError, match="只读"):  # the library says it, not only the CLI
            api.merge(merged, week=WEEK, as_of=AS_OF)
    assert runner.invoke(cli, ["status", str(merged)]).exit_code == 0


def test_a_read_only_reports_folder_leaves_the_ledger_as_it_was(merged: Path,
                                                                runner: CliRunner) -> None:
    with Ledger(merged / LEDGER_FILE) as ledger:
        before = ledger.merges()
    with read_only(merged / "reports"):
        out = _fails_clearly(runner.invoke(cli, _merge_args(merged)),
                             f"{merged / 'reports'}: ", "只读")
        assert "已损坏" not in out and "移走" not in out
        with pytest.raises(StorageError, match="只读"):
            api.merge(merged, week=WEEK, as_of=AS_OF)
    with Ledger(merged / LEDGER_FILE) as ledger:
        assert ledger.merges() == before
