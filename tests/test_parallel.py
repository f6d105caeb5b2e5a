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

from .conftest import AS_OF, SAMPLES, WEEK

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


# -- when the workers are used: the cost model ------------------------------------------


def _break_even(k: int) -> float:
    """The model, solved for one process's time: k workers start in START_S, then do
    1/k of the work each and pickle their answers (WORKER_SHARE more), while this process
    unpickles them (ANSWER_SHARE of the work); they are worth it from the serial time at
    which that is WIN of the serial time."""
    saved_share = parallel.WIN - (1 + parallel.WORKER_SHARE) / k - parallel.ANSWER_SHARE
    return parallel.START_S / saved_share if saved_share > 0 else float("inf")


@pytest.mark.parametrize("cores", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("files", [1, 2, 3, 8, 200])
def test_workers_are_planned_as_the_model_says(cores: int, files: int) -> None:
    k = min(parallel.MAX_WORKERS, cores, files)
    for tenths in range(0, 200):
        serial_s = tenths / 10
        expected = k if k > 1 and serial_s >= _break_even(k) else 1
        assert parallel.plan_workers(serial_s, files, cores) == expected, (serial_s, files, cores)


@pytest.mark.parametrize(("serial_s", "files", "cores", "workers"), [
    (0.63, 200, 2, 1),  # S: 200 small returns, ~5 MB: the workers' start would cost more
    (0.54, 50, 2, 1),   # M: 50 returns of 200 tasks
    (4.7, 200, 2, 2),   # L: 200 returns of 500 tasks, on two idle cores
    (4.7, 200, 8, 4),   # at most MAX_WORKERS
    (4.7, 200, 1, 1),   # one idle core (the other busy): nothing to share out
    (4.7, 1, 2, 1),     # one file
    (1.5, 200, 2, 1),   # 1.5 s of work: not worth two workers' start ...
    (1.5, 200, 4, 4),   # ... but worth four
])
def test_the_benchmark_sizes_are_planned_to_win_on_wall_time(serial_s: float, files: int,
                                                              cores: int, workers: int) -> None:
    assert parallel.plan_workers(serial_s, files, cores) == workers


def _sheets_mb(path: Path) -> float:
    with zipfile.ZipFile(path) as zf:
        return sum(i.file_size for i in zf.infolist()
                   if i.filename.startswith("xl/worksheets/")) / 1e6


def test_the_work_is_estimated_from_the_sheets_xml(tmp_path: Path) -> None:
    samples = sorted((SAMPLES / "returns").glob("*.xlsx"))
    expected = sum(parallel.FILE_S + parallel.SHEET_MB_S * _sheets_mb(p) for p in samples)
    assert parallel.estimate_serial_s(samples) == pytest.approx(expected)
    # a file without sheets to count (not a workbook, or one whose size cannot be read)
    odd = tmp_path / "不是表格.xlsx"
    odd.write_bytes(b"%PDF-1.4 " * 1000)
    assert parallel.estimate_serial_s([odd, tmp_path / "没有.xlsx"]) == pytest.approx(
        2 * parallel.FILE_S + parallel.SHEET_MB_S * 9000 * parallel.UNKNOWN_RATIO / 1e6)


def test_many_files_are_estimated_from_a_sample(tmp_path: Path) -> None:
    small, large = sorted((SAMPLES / "returns").glob("*.xlsx"), key=lambda p: p.stat().st_size)[
        ::3]
    copies = []
    for n in range(5 * parallel.SAMPLE):
        copies.append(tmp_path / f"{n:03d}.xlsx")
        shutil.copy(large if n % 2 else small, copies[-1])
    counted: list[Path] = []
    real = parallel._sheet_bytes

    def counting(path: Path, size: int) -> int:
        counted.append(path)
        return real(path, size)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "_sheet_bytes", counting)
        estimate = parallel.estimate_serial_s(copies)
    assert len(counted) <= parallel.SAMPLE
    exact = sum(parallel.FILE_S + parallel.SHEET_MB_S * _sheets_mb(p) for p in copies)
    assert estimate == pytest.approx(exact, rel=0.1)


def test_xlflow_workers_overrides_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((SAMPLES / "returns").glob("*.xlsx"))
    monkeypatch.delenv("XLFLOW_WORKERS", raising=False)
    assert parallel.workers_for(paths) == 1  # four small returns: not worth a worker
    monkeypatch.setattr(parallel, "estimate_serial_s", lambda paths: 10.0)
    monkeypatch.setattr(parallel, "idle_cores", lambda: 2)
    assert parallel.workers_for(paths) == 2
    monkeypatch.setattr(parallel, "idle_cores", lambda: 1)  # the other core is busy
    assert parallel.workers_for(paths) == 1
    monkeypatch.setenv("XLFLOW_WORKERS", "1")
    assert parallel.workers_for(paths) == 1
    monkeypatch.setenv("XLFLOW_WORKERS", "3")
    assert parallel.workers_for(paths) == 3


def test_idle_cores_are_the_cores_the_load_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 4)
    for load, idle in [(0.2, 4), (1.4, 3), (2.6, 1), (9.0, 1)]:
        monkeypatch.setattr(parallel.os, "getloadavg", lambda load=load: (load, 0.0, 0.0),
                            raising=False)
        assert parallel.idle_cores() == idle, load
    monkeypatch.delattr(parallel.os, "getloadavg", raising=False)  # as on Windows
    assert parallel.idle_cores() == 4
