"""`--json` prints exactly what the library returns (`result.to_dict()`), for every
command that has the option: the CLI renders, it never computes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli

from .conftest import AS_OF, SAMPLES, WEEK


def _canonical(data: Any) -> Any:
    """What JSON keeps of a value (tuples become lists, keys text)."""
    return json.loads(json.dumps(data, ensure_ascii=False))


def _json_of(runner: CliRunner, args: list[str]) -> Any:
    result = runner.invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture
def walked(with_samples: Path, tmp_path: Path) -> Path:
    """The example after approval, a W28 merge and the W31 returns merged."""
    root = with_samples
    api.approve(root, by="分管副总 陈明")  # (filed already: an opinion now is refused)
    api.file_project(root, by="PMO 王芳")
    api.merge(root, week=WEEK, as_of=AS_OF)
    api.build(root, week="2024-W31")
    (root / "inbox" / "2024-W31").mkdir()
    for f in (SAMPLES / "returns-2024-W31").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / "2024-W31" / f.name)
    api.merge(root, week="2024-W31", as_of=dt.date(2024, 7, 31))
    return root


def test_every_json_command_is_covered() -> None:
    """A new command with --json must be added to the parity cases below."""
    with_json = sorted(name for name, cmd in cli.commands.items()
                       if any(p.name == "as_json" for p in cmd.params))
    assert with_json == sorted(CASES)


CASES = ("accept", "cases", "history", "merge", "notify", "remind", "resources", "review", "send",
         "status", "validate", "collect", "risks", "portfolio", "meeting", "change")


@pytest.mark.parametrize("name", CASES)
def test_json_is_the_library_result(name: str, walked: Path, runner: CliRunner,
                                    tmp_path: Path, request: pytest.FixtureRequest,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(walked)
    library = tmp_path / "library"
    if name == "collect":
        _collect_parity(walked, runner, tmp_path, request.getfixturevalue("mailbox"),
                        monkeypatch)
        return
    if name == "merge":
        args = ["merge", root, "--week", "2024-W31", "--as-of", "2024-07-31", "--json"]
        expected: Any = api.merge(walked, week="2024-W31", as_of=dt.date(2024, 7, 31),
                                  write=False).to_dict()
        got = _json_of(runner, args)
        # the run's own time stamp and where the report went differ between two runs
        for data in (expected, got):
            data.pop("report"), data.pop("run_at", None)
        assert got == _canonical(expected)
        return
    if name == "change":
        # recording a change is the side effect: the CLI's JSON is the change recorded
        got = _json_of(runner, ["change", root, "--task", "T03", "--due", "2024-07-25",
                                "--reason", "延期", "--by", "PMO 王芳", "--json"])
        recorded = api.changes(walked)[-1]
        assert got == _canonical(api.ChangeResult(recorded).to_dict())
        assert got["change"]["state"] == "待审批" and got["change"]["items"][0]["new"] == "2024-07-25"
        # a task cancelled (新增/取消任务): the same result, with its scope
        got = _json_of(runner, ["change", root, "--remove-task", "T02", "--reason", "并入日报",
                                "--by", "PMO 王芳", "--json"])
        assert got == _canonical(api.ChangeResult(api.changes(walked)[-1]).to_dict())
        assert got["change"]["scope"] == {"task": "T02", "action": "remove"}
        return
    if name == "validate":
        path = str(next((walked / "inbox").glob("技术部*.xlsx")))
        args = ["validate", path, "--as-of", AS_OF.isoformat(), "--json"]
        expected = api.validate([path], as_of=AS_OF).to_dict()
    elif name == "status":
        args = ["status", root, "--as-of", "2024-07-31", "--json"]
        expected = api.status(walked, today=dt.date(2024, 7, 31)).to_dict()
    elif name == "history":
        args = ["history", root, "--json"]
        expected = api.history(walked).to_dict()
    elif name == "review":
        args = ["review", root, "--month", "2024-07", "--json"]
        expected = api.review(walked, month="2024-07").to_dict()
    elif name == "accept":
        args = ["accept", root, "--json"]
        expected = api.accept(walked).to_dict()
        # accept records 成果验收 once: the second call sees it as recorded already
        got = _json_of(runner, args)
        assert got == _canonical(api.accept(walked).to_dict())
        assert got["results"] == _canonical(expected["results"])
        return
    elif name == "remind":
        # W32's workbooks are out and nobody returned them; a reminder goes out once a day:
        # the CLI's run is the day's second, like the library's third
        api.build(walked, week="2024-W32")
        args = ["remind", root, "--as-of", "2024-08-10", "--json"]
        first = api.remind(walked, as_of=dt.date(2024, 8, 10)).to_dict()
        got = _json_of(runner, args)
        assert got == _canonical(api.remind(walked, as_of=dt.date(2024, 8, 10)).to_dict())
        assert [r["new"] for r in first["reminders"]] == [True] * 4
        assert [r["new"] for r in got["reminders"]] == [False] * 4
        assert [r["items"] for r in got["reminders"]] == _canonical(
            [r["items"] for r in first["reminders"]])
        return
    elif name == "notify":
        args = ["notify", root, "--week", "2024-W31", "--json"]
        expected = api.notify(walked, week="2024-W31").to_dict()
    elif name == "send":
        # a rerun skips what went out already: the CLI's run sends nothing new
        api.send(walked, week="2024-W31")
        args = ["send", root, "--week", "2024-W31", "--json"]
        expected = api.send(walked, week="2024-W31").to_dict()
        assert expected["messages"] == [] and len(expected["skipped"]) == 4
    elif name == "risks":
        form = next((walked / "outbox" / "2024-W31").glob("*技术部-风险应对申请表.xlsx"))
        wb = openpyxl.load_workbook(form)
        ws = wb["风险应对申请表"]
        for col, value in zip("DEFGHI", ["2024-07-29 10:00", "2024-07-29 11:00", "上线延期",
                                         "高", "全部", "加班"], strict=True):
            ws[f"{col}2"] = value
        wb.save(walked / "inbox" / "技术部风险.xlsx")
        first = api.risks(walked, as_of=dt.date(2024, 7, 31))  # alerts are raised once
        assert [r.risk_id for r in first.alerts] == ["TEC-24W31-R01"]
        args = ["risks", root, "--as-of", "2024-07-31", "--json"]
        expected = api.risks(walked, as_of=dt.date(2024, 7, 31)).to_dict()
    elif name == "meeting":
        args = ["meeting", root, "--week", "2024-W31", "--no-pdf", "--json"]
        expected = api.meeting(walked, week="2024-W31", pdf=False).to_dict()
    elif name == "portfolio":
        out = tmp_path / "组合.xlsx"
        args = ["portfolio", root, str(tmp_path / "not-a-project"), "--out", str(out),
                "--as-of", "2024-07-31", "--json"]
        expected = api.portfolio([walked, tmp_path / "not-a-project"], out=out,
                                 as_of=dt.date(2024, 7, 31)).to_dict()
        assert [s["code"] for s in expected["skipped"]] == ["not-a-project"]
    elif name == "resources":
        out = tmp_path / "资源.xlsx"
        args = ["resources", root, "--out", str(out), "--json"]
        expected = api.resources([walked], out=out).to_dict()
    else:
        api.archive(walked, to=library)
        args = ["cases", str(library), "--json"]
        expected = api.cases(library)
    assert _json_of(runner, args) == _canonical(expected)


def _collect_parity(walked: Path, runner: CliRunner, tmp_path: Path, mailbox: Any,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The same mailbox collected into two copies of the project: by the CLI into one,
    by the library into the other."""
    from email.message import EmailMessage

    from .imap_server import PASSWORD

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tec@example.com", "pmo@example.com", "周报"
    msg["Date"], msg["Message-ID"] = "Fri, 12 Jul 2024 15:30:00 +0800", "<parity@example.com>"
    msg.set_content("附件")
    msg.add_attachment((SAMPLES / "returns" / "技术部-周报-0712.xlsx").read_bytes(),
                       maintype="application", subtype="octet-stream", filename="技术部.xlsx")
    mailbox.deliver(msg)
    twin = tmp_path / "twin"
    shutil.copytree(walked, twin)
    monkeypatch.setenv("XLFLOW_IMAP_PASSWORD", PASSWORD)
    args = ["collect", str(walked), "--imap", f"127.0.0.1:{mailbox.server.imaps_port}",
            "--user", mailbox.user, "--cafile", str(mailbox.server.cafile), "--json"]
    got = _json_of(runner, args)
    expected = api.collect(twin, mailbox.settings(timeout=30)).to_dict()
    assert got["saved"] and got == _canonical(expected)
