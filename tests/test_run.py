"""`xlflow run`: one command a day for a scheduler. A week of runs on the sample project
with a real SMTP server on loopback: Monday builds and sends, Friday merges and notifies,
later days remind; every second run the same day sends nothing and writes nothing new."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow._files import project_lock
from xlflow.cli import cli
from xlflow.errors import BusyError

from .conftest import SAMPLES
from .mailserver import MailServer

MON, FRI, TUE = dt.date(2024, 7, 8), dt.date(2024, 7, 12), dt.date(2024, 7, 16)


@pytest.fixture
def filed(project_dir: Path) -> Path:
    api.approve(project_dir, by="分管副总 陈明")
    api.file_project(project_dir, by="PMO 王芳")
    return project_dir


def _steps(result: api.RunResult, intake: bool = False) -> list[tuple[str, bool]]:
    """The steps run; the daily `risks` intake (every run) only when `intake`."""
    return [(s.name, s.done) for s in result.steps if intake or s.name != "risks"]


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".") and "xlflow-ledger" not in p.name}


def test_a_week_of_runs(filed: Path, mail_server: MailServer) -> None:
    smtp, got = mail_server.settings, mail_server.received
    monday = api.run(filed, today=MON, smtp=smtp)
    assert _steps(monday) == [("build", True), ("send", True), ("remind", False)]
    assert sorted(r[0] for r in got.rcpts()) == [
        "mkt@example.com", "ops@example.com", "prd@example.com", "tec@example.com"]
    before = _files(filed)
    again = api.run(filed, today=dt.datetime(2024, 7, 8, 15, 0), smtp=smtp)
    assert _steps(again) == [("remind", False)] and len(got.envelopes) == 4
    assert _files(filed) == before  # nothing rebuilt, nothing rewritten

    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, filed / "inbox" / f.name)
    friday = api.run(filed, today=FRI, smtp=smtp)
    assert _steps(friday) == [("merge", True), ("notify", True), ("remind", False)]
    assert "新交回 产品部、市场部、技术部、运营部" in friday.steps[0].note
    assert [m.as_of for m in api.history(filed).merges] == [FRI]
    assert got.rcpts()[-1] == ["chenming@example.com", "wangxiao@example.com"]
    assert "周进度通报" in str(got.messages[-1]["Subject"])
    before = _files(filed)
    assert _steps(api.run(filed, today=FRI, smtp=smtp)) == [("remind", False)]
    assert len(got.envelopes) == 5 and _files(filed) == before

    tuesday = api.run(filed, today=TUE, smtp=smtp)  # W29 goes out; W28's high risk is overdue
    assert _steps(tuesday) == [("build", True), ("send", True), ("remind", True)]
    assert tuesday.steps[-1].note == "2024-W28:催办 技术部(1 项)"
    assert len(got.envelopes) == 4 + 1 + 4 + 1
    assert _steps(api.run(filed, today=TUE, smtp=smtp)) == [("remind", False)]
    assert len(got.envelopes) == 10


def test_a_late_return_is_merged_into_its_week_and_notified_again(filed: Path) -> None:
    api.run(filed, today=MON)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        if not f.name.startswith("技术部"):
            shutil.copy(f, filed / "inbox" / f.name)
    assert _steps(api.run(filed, today=FRI)) == [("merge", True), ("notify", True), ("remind", False)]
    late = next((SAMPLES / "returns").glob("技术部*.xlsx"))
    shutil.copy(late, filed / "inbox" / late.name)
    monday = api.run(filed, today=dt.date(2024, 7, 15))  # W29: W28's late return still counts
    # merged before the reminders go out, so 技术部 is not chased for it
    assert _steps(monday) == [("build", True), ("send", True), ("merge", True), ("notify", True),
                              ("remind", False)]
    assert monday.steps[2].note.startswith("2024-W28:新交回 技术部")
    merges = api.history(filed).merges
    assert [(m.week, m.as_of, m.accepted) for m in merges] == [("2024-W28", FRI, 4)]


def test_nothing_goes_out_before_the_plan_is_filed(unfiled_project: Path) -> None:
    from xlflow.phases.gate import GateError

    with pytest.raises(GateError, match="方案尚未 PMO 备案,run 未执行") as caught:
        api.run(unfiled_project, today=MON)
    assert [i.code for i in caught.value.issues] == ["not-filed"] * 3
    assert "--draft" not in str(caught.value)  # run has no --draft to offer
    assert not (unfiled_project / "outbox" / "2024-W28").exists()


def test_nothing_after_the_acceptance(filed: Path) -> None:
    from xlflow.model.vocab import EventKind
    from xlflow.workspace import Workspace

    Workspace(filed).record(EventKind.ACCEPT, "张伟", "全部达标", dt.datetime(2024, 7, 31, 9, 0))
    result = api.run(filed, today=MON)
    assert _steps(result) == [("run", False)] and "成果验收已于 2024-07-31 记录" in result.steps[0].note
    assert not (filed / "outbox" / "2024-W28").exists()


def test_a_failing_step_is_reported_and_the_others_run(filed: Path, runner: CliRunner) -> None:
    api.build(filed, week="2024-W28")
    out = runner.invoke(cli, ["run", str(filed), "--today", "2024-07-13",
                              "--smtp", "127.0.0.1:9", "--timeout", "2"])
    assert out.exit_code == 2, out.output
    assert "  ✗ 发送:SMTP 127.0.0.1:9" in out.output
    assert "  ✗ 催办:SMTP 127.0.0.1:9" in out.output  # W28's returns are due: it tried
    assert out.output.endswith("2024-07-13(2024-W28):完成 0 步\n")


def test_collect_and_risks_run_when_this_xlflow_has_them(filed: Path, monkeypatch) -> None:
    calls = []

    def collect(directory, *, today, imap=None):
        calls.append(("collect", Path(directory), today, imap))

    def risks(directory, *, as_of):
        calls.append(("risks", Path(directory), as_of))

    monkeypatch.setattr(api, "collect", collect, raising=False)
    monkeypatch.setattr(api, "risks", risks, raising=False)
    result = api.run(filed, today=MON, imap="IMAP")
    assert _steps(result, intake=True)[2:4] == [("collect", True), ("risks", True)]
    assert calls == [("collect", filed, MON, "IMAP"), ("risks", filed, MON)]


def test_the_run_holds_the_project_lock(filed: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with project_lock(filed):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        held.wait(30)
        with pytest.raises(BusyError):
            api.run(filed, today=MON)
    finally:
        release.set()
        thread.join()
    assert not (filed / "outbox" / "2024-W28").exists()
    with project_lock(filed), pytest.raises(BusyError):  # held, even by this thread
        api.run(filed, today=MON)
    with project_lock(filed, reentrant=True):  # held for it: its steps take it again inside
        assert _steps(api.run(filed, today=MON))[:2] == [("build", True), ("send", True)]


def test_cli_prints_each_step(filed: Path, runner: CliRunner) -> None:
    out = runner.invoke(cli, ["run", str(filed), "--today", "2024-07-08"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("  ✓ 生成:2024-W28:4 个部门文件 → ")
    assert lines[1] == "  ✓ 发送:2024-W28:4 封(eml 文件)"
    assert lines[-1] == "2024-07-08(2024-W28):完成 2 步"
    english = runner.invoke(cli, ["--lang", "en", "run", str(filed), "--today", "2024-07-08"])
    assert english.output.splitlines() == ["  · remind: 2024-W28:无新的催办事项",
                                           "2024-07-08 (2024-W28): 0 step(s) done"]
