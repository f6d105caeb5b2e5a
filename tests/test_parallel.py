"""Checking files in worker processes gives the same merge as checking them here: the
report's cells and the ledger's rows, with bad files and a zip among the returns."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlflow import api
from xlflow.ledger import LEDGER_FILE
from xlflow.merge import parallel

from .conftest import AS_OF, WEEK

RUN_AT = dt.datetime(2024, 7, 12, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _inbox(root: Path) -> None:
    """The four samples, one of them also inside a zip, and files that are refused."""
    inbox = root / "inbox"
    samples = sorted(inbox.glob("*.xlsx"))
    with zipfile.ZipFile(inbox / "打包.zip", "w") as zf:
        zf.write(samples[0], samples[0].name)
        zf.writestr("说明.txt", "见附件")
    (inbox / "空文件.xlsx").write_bytes(b"")
    (inbox / "不是表格.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    shutil.copy(samples[1], inbox / "重复.xlsx")


def _ledger(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(root / LEDGER_FILE)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: db.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        db.close()


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _merge(template: Path, root: Path, workers: str,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(template, root)  # the same path both times: locations compare equal
    monkeypatch.setenv("XLFLOW_WORKERS", workers)
    report = api.merge(root, as_of=AS_OF, week=WEEK, run_at=RUN_AT)
    path = Path(report.report_path)
    return report.to_dict(), _cells(path), _ledger(root), path.read_bytes()


def test_workers_give_the_same_report_and_ledger(with_samples: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _inbox(with_samples)
    started: list[int] = []
    real_start = parallel._Workers._start

    def counted(self: parallel._Workers) -> Any:
        started.append(1)
        return real_start(self)

    monkeypatch.setattr(parallel._Workers, "_start", counted)
    root = tmp_path / "run"
    serial = _merge(with_samples, root, "1", monkeypatch)
    assert started == []
    pooled = _merge(with_samples, root, "2", monkeypatch)
    assert started == [1, 1]  # two worker processes did the checking
    assert pooled[0] == serial[0]
    assert pooled[1] == serial[1]
    assert pooled[2] == serial[2]
    assert pooled[3] == serial[3]  # the report, byte for byte
    # the run had something to compare: refused files, a zip's members, accepted returns
    codes = {i["code"] for i in serial[0]["issues"]}
    assert {"empty-file", "not-a-workbook", "superseded"} <= codes
    assert sum(f["accepted"] for f in serial[0]["files"]) == 4


def test_a_script_without_a_main_guard_can_merge_in_workers(with_samples: Path,
                                                             tmp_path: Path) -> None:
    """Workers are fresh interpreters that never re-run the caller's script (what
    multiprocessing's spawn does, and fails on, without `if __name__ == "__main__"`)."""
    script = tmp_path / "merge_it.py"
    script.write_text(
        "import datetime as dt, sys\n"
        "from xlflow import api\n"
        f"r = api.merge(sys.argv[1], as_of=dt.date(2024, 7, 12), week={WEEK!r}, write=False)\n"
        "print('merged', len(r.tasks))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(with_samples)], capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**_env(), "XLFLOW_WORKERS": "2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["merged 8"]


def test_a_worker_that_dies_leaves_its_file_to_the_merge(with_samples: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    serial = api.merge(with_samples, as_of=AS_OF, week=WEEK, write=False)
    # a "worker" that exits at once: every file is checked in this process instead
    monkeypatch.setattr(parallel.sys, "executable", _exits_at_once(tmp_path))
    monkeypatch.setenv("XLFLOW_WORKERS", "2")
    pooled = api.merge(with_samples, as_of=AS_OF, week=WEEK, write=False)
    assert pooled.to_dict() == serial.to_dict()


def _exits_at_once(tmp_path: Path) -> str:
    if sys.platform == "win32":
        pytest.skip("needs an executable script")  # pragma: no cover
    fake = tmp_path / "python-that-exits"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    return str(fake)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
