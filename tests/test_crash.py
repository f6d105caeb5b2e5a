"""A merge killed at any moment, a full disk, the temp files of killed runs: the week's
report and the ledger are both the old ones or both the new ones, never a mix, and the
next xlflow run (any command) puts right whatever a killed run left.

Every run here is a real `xlflow` process. XLFLOW_CRASH_AT=<point> ends it at that point
with os._exit(137), as a kill would; the SIGKILL test kills it at random moments."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from xlflow._files import project_lock
from xlflow.ledger import LEDGER_FILE

from .conftest import SAMPLES, WEEK, file_example

XLFLOW = [sys.executable, "-m", "xlflow"]
OLD, NEW = "2024-07-12", "2024-07-13"
REPORT = f"{WEEK}-consolidated.xlsx"
DISK_MESSAGE = "磁盘已满或无法写入"

posix_only = pytest.mark.skipif(os.name == "nt", reason="kills and mounts the POSIX way")


def xlflow(*args: str, crash: str | None = None, status: int | None = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k != "XLFLOW_CRASH_AT"}
    if crash:
        env["XLFLOW_CRASH_AT"] = crash
    out = subprocess.run([*XLFLOW, *map(str, args)], env=env, capture_output=True, text=True,
                         timeout=300)
    if status is not None:
        assert out.returncode == status, (args, crash, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr
    return out.stdout + out.stderr


def merge(root: Path, as_of: str, **kw: object) -> str:
    return xlflow("merge", root, "--week", WEEK, "--as-of", as_of, **kw)  # type: ignore[arg-type]


def report_as_of(root: Path) -> str | None:
    """The 统计日 in the report's 总览 statistics line, as a reader opening the file sees it."""
    path = root / "reports" / REPORT
    if not path.exists():
        return None
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        line = next(v for row in wb["总览"].iter_rows(max_row=5, values_only=True) for v in row
                    if isinstance(v, str) and "统计日" in v)
    finally:
        wb.close()
    found = re.search(r"统计日 (\d{4}-\d\d-\d\d)", line)
    assert found, line
    return found.group(1)


def ledger_as_of(root: Path) -> str | None:
    """The week's merges.as_of, as a reader opening the ledger with sqlite3 sees it."""
    if not (root / LEDGER_FILE).exists():
        return None
    db = sqlite3.connect(root / LEDGER_FILE)
    try:
        rows = db.execute("SELECT as_of FROM merges WHERE week = ?", (WEEK,)).fetchall()
    finally:
        db.close()
    return rows[0][0] if rows else None


def seen(root: Path) -> tuple[str | None, str | None]:
    return report_as_of(root), ledger_as_of(root)


def leftovers(root: Path) -> list[str]:
    """Dot files a run leaves beside its outputs (pending report, journal, previous
    report, temp files); none once a run has finished or repaired."""
    return sorted(str(p.relative_to(root)) for folder in ("reports", "outbox")
                  if (root / folder).is_dir()
                  for p in (root / folder).rglob(".*"))


def ledger_dump(root: Path) -> list[str]:
    db = sqlite3.connect(root / LEDGER_FILE)
    try:
        return list(db.iterdump())
    finally:
        db.close()


@pytest.fixture(scope="module")
def built_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, W28 built, the sample returns in its inbox; nothing merged."""
    root = tmp_path_factory.mktemp("crash") / "ug"
    xlflow("init", root, "--example")
    file_example(root)
    xlflow("build", root, "--week", WEEK)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, root / "inbox" / f.name)
    return root


@pytest.fixture(scope="module")
def merged_base(built_base: Path) -> Path:
    """`built_base` after a clean merge of W28 as of 2024-07-12."""
    root = built_base.parent / "merged"
    shutil.copytree(built_base, root)
    merge(root, OLD)
    assert seen(root) == (OLD, OLD) and leftovers(root) == []
    return root


@pytest.fixture
def merged(merged_base: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ug"
    shutil.copytree(merged_base, root)
    return root


# -- killed at every step of a merge ---------------------------------------------------------

# the steps of the write (xlflow/merge/pipeline.py) in order; what a reader opening the
# two files directly sees after a kill there, before any xlflow run; what every run after
# it leaves. The one window where the two disagree is between the report's rename and the
# ledger's commit: the journal beside the report says so, and the next run puts it right.
STEPS = {
    "written": ((OLD, OLD), OLD),      # new report written under a pending name
    "journaled": ((OLD, OLD), OLD),    # its hash in the journal
    "set-aside": ((OLD, OLD), OLD),    # the previous report has a second name
    "renamed": ((NEW, OLD), OLD),      # the new report has the report's name
    "committing": ((NEW, OLD), OLD),   # inside the ledger's transaction, before COMMIT
    "committed": ((NEW, NEW), NEW),    # the ledger committed; clean-up not done
}


@posix_only
@pytest.mark.parametrize("step", list(STEPS))
def test_a_merge_killed_at_each_step(merged: Path, step: str) -> None:
    before, after = STEPS[step]
    merge(merged, NEW, crash=step, status=137)
    assert seen(merged) == before
    if before[0] != before[1]:
        assert f"reports/.{REPORT}.journal" in leftovers(merged)
    xlflow("status", merged)  # a reading command, with no run writing: repairs
    assert seen(merged) == (after, after)
    assert leftovers(merged) == []
    # and the project goes on: the same merge again lands whole
    merge(merged, NEW)
    assert seen(merged) == (NEW, NEW) and leftovers(merged) == []


@posix_only
@pytest.mark.parametrize("command", [
    ["status"], ["history"], ["build", "--week", WEEK], ["review", "--month", "2024-07"],
    ["send", "--week", WEEK],
    ["change", "--task", "T03", "--due", "2024-07-25", "--reason", "延期", "--by", "PMO"],
    ["merge", "--week", WEEK, "--as-of", "2024-07-14"],
], ids=lambda command: command[0])
def test_every_command_repairs_first(merged: Path, command: list[str]) -> None:
    """Killed between the report's rename and the ledger's commit, then any command:
    the previous report is back before the command reads or writes anything."""
    old_report = (merged / "reports" / REPORT).read_bytes()
    merge(merged, NEW, crash="renamed", status=137)
    assert seen(merged) == (NEW, OLD)
    xlflow(command[0], merged, *command[1:])
    if command[0] == "merge":
        assert seen(merged) == ("2024-07-14", "2024-07-14")
    else:
        assert seen(merged) == (OLD, OLD)
        assert (merged / "reports" / REPORT).read_bytes() == old_report
    assert leftovers(merged) == []


@posix_only
def test_a_repair_killed_halfway_is_finished_by_the_next_run(merged: Path) -> None:
    """The repair itself is killed after putting the previous report back but before
    removing the journal: the next run must not take the restored report for the new
    one (and delete it)."""
    merge(merged, NEW, crash="renamed", status=137)
    xlflow("status", merged, crash="restored", status=137)
    assert seen(merged) == (OLD, OLD)
    assert f"reports/.{REPORT}.journal" in leftovers(merged)
    xlflow("history", merged)
    assert seen(merged) == (OLD, OLD) and leftovers(merged) == []


@posix_only
@pytest.mark.parametrize("step", ["journaled", "renamed", "committing", "committed"])
def test_the_first_merge_of_a_week_killed(built_base: Path, tmp_path: Path, step: str) -> None:
    """No report and no ledger yet: killed before the commit, the next run leaves
    neither (not a report the ledger never recorded); after it, both."""
    root = tmp_path / "ug"
    shutil.copytree(built_base, root)
    merge(root, NEW, crash=step, status=137)
    xlflow("history", root)
    after = NEW if step == "committed" else None
    assert seen(root) == (after, after) and leftovers(root) == []


@posix_only
def test_sigkill_at_random_moments(merged: Path, tmp_path: Path) -> None:
    """A real SIGKILL at random moments of a merge: a third anywhere in the run, a third
    once the new report's pending file appears (while it is written), a third once the
    journal appears (the rename and the commit, a few milliseconds here)."""
    rng = random.Random(20240712)
    started = time.monotonic()
    merge(merged, OLD)  # how long a merge takes here: the range the first kills come from
    span = time.monotonic() - started
    env = {k: v for k, v in os.environ.items() if k != "XLFLOW_CRASH_AT"}
    for attempt in range(9):
        root = tmp_path / f"run{attempt}"
        shutil.copytree(merged, root)
        mark = [None, f".{REPORT}.pending", f".{REPORT}.journal"][attempt % 3]
        proc = subprocess.Popen([*XLFLOW, "merge", str(root), "--week", WEEK, "--as-of", NEW],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if mark is None:
            time.sleep(rng.uniform(0, span))
        else:
            deadline = time.monotonic() + 120
            while (not (root / "reports" / mark).exists() and proc.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.03))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        state = seen(root)
        journal = f"reports/.{REPORT}.journal" in leftovers(root)
        assert state in {(OLD, OLD), (NEW, NEW)} or (state == (NEW, OLD) and journal), \
            (attempt, state, leftovers(root))
        xlflow("status", root)
        report, ledger = seen(root)
        assert report == ledger and report in (OLD, NEW), (attempt, report, ledger)
        assert leftovers(root) == []


# -- a full disk -----------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test (root only)."""
    if os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    disk = tmp_path / "disk"
    disk.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                         capture_output=True, text=True)
    if out.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` until `leave` bytes are free."""
    st = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "ab") as fh:
        fh.write(b"\0" * (st.f_bavail * st.f_frsize - leave))
    return filler


# KB left free, and whether another program (a database browser) keeps the ledger open,
# so that its shared-memory file already exists. Measured, the merge runs out of space
# writing the report (8, held), writing the journal (24, held), opening the ledger
# (8 and 40, not held: SQLite's -shm and -wal files), or committing with the new report
# already renamed into place (60, held; 80, not held).
FULL_DISK = [(8, True), (24, True), (8, False), (40, False), (60, True), (80, False)]


@posix_only
@pytest.mark.parametrize(("free_kb", "held"), FULL_DISK,
                         ids=[f"{kb}k-{'held' if held else 'closed'}" for kb, held in FULL_DISK])
def test_a_full_disk_changes_nothing(merged_base: Path, small_disk: Path, free_kb: int,
                                     held: bool) -> None:
    """A merge on a full disk fails wherever the space runs out: a message about the
    disk, exit 2, and report and ledger exactly as they were; with space again the same
    merge goes through."""
    root = small_disk / "ug"
    shutil.copytree(merged_base, root)
    report = root / "reports" / REPORT
    old_report, old_ledger = report.read_bytes(), ledger_dump(root)
    holder = sqlite3.connect(root / LEDGER_FILE) if held else None
    try:
        if holder:
            holder.execute("SELECT count(*) FROM merges").fetchall()
        filler = fill(small_disk, free_kb * 1024)
        out = merge(root, NEW, status=2)
    finally:
        if holder:
            holder.close()
    assert DISK_MESSAGE in out and "报表和台账都保持原样" in out, out
    assert "损坏" not in out and "移走" not in out, out
    assert report.read_bytes() == old_report and leftovers(root) == []
    filler.unlink()  # space again: the ledger reads as it was, the same merge lands
    assert ledger_dump(root) == old_ledger and seen(root) == (OLD, OLD)
    merge(root, NEW)
    assert seen(root) == (NEW, NEW) and leftovers(root) == []


@posix_only
@pytest.mark.parametrize("week", [WEEK, "2024-W29"])
def test_a_build_on_a_full_disk_leaves_no_half_workbook(merged_base: Path, small_disk: Path,
                                                        week: str) -> None:
    """Building a week again, or a new week, on a full disk: exit 2 with a message about
    the disk, every workbook already there unchanged, no workbook half-written, no temp
    file left."""
    root = small_disk / "ug"
    shutil.copytree(merged_base, root)
    folder = root / "outbox" / week
    before = {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}
    fill(small_disk, 60 * 1024)
    out = xlflow("build", root, "--week", week, status=2)
    assert DISK_MESSAGE in out and "没有写成" in out, out
    after = {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}
    assert after == before


# -- temp files of killed runs ---------------------------------------------------------------

@posix_only
def test_a_killed_build_leaves_temps_that_the_next_run_removes(merged: Path) -> None:
    folder = merged / "outbox" / WEEK
    workbooks = sorted(p.name for p in folder.iterdir())
    env = {k: v for k, v in os.environ.items() if k != "XLFLOW_CRASH_AT"}
    for _ in range(20):  # killed while a workbook is being written (bounded tries)
        proc = subprocess.Popen([*XLFLOW, "build", str(merged), "--week", WEEK], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not any(folder.glob(".xlflow-*.tmp")):
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        if any(folder.glob(".xlflow-*.tmp")):
            break
    else:
        pytest.fail("no build was caught while writing a workbook")
    # temps a killed merge and a killed send would leave, too
    for stale in (merged / "reports" / ".xlflow-0a1b2c3d.xlsx.tmp",
                  merged / "outbox" / "mail" / WEEK / ".xlflow-0a1b2c3d.eml.tmp"):
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_bytes(b"killed run")
    xlflow("build", merged, "--week", WEEK)
    assert leftovers(merged) == []
    assert sorted(p.name for p in folder.iterdir()) == workbooks
    for name in workbooks:  # every workbook whole
        openpyxl.load_workbook(folder / name, read_only=True).close()


@posix_only
def test_a_reader_leaves_a_running_merge_alone(merged: Path) -> None:
    """While a run holds the lock, a journal beside the report is that run's business:
    a reading command reads, and repairs nothing, until the lock is free."""
    merge(merged, NEW, crash="renamed", status=137)
    with project_lock(merged):  # as a merge between its rename and its commit holds it
        xlflow("status", merged)
        xlflow("history", merged)
        assert seen(merged) == (NEW, OLD)
        assert f"reports/.{REPORT}.journal" in leftovers(merged)
    xlflow("history", merged)
    assert seen(merged) == (OLD, OLD) and leftovers(merged) == []


def test_temps_are_left_alone_while_a_run_writes(merged: Path) -> None:
    """Only the lock holder removes temp files: a reading command beside a running
    build does not touch the build's temp files."""
    stale = merged / "outbox" / WEEK / ".xlflow-0a1b2c3d.xlsx.tmp"
    stale.write_bytes(b"being written")
    with project_lock(merged):
        xlflow("status", merged)
        assert stale.exists()
    xlflow("status", merged)
    assert stale.exists()  # a reader repairs only what a merge left, and only when idle
    xlflow("history", merged, "--drop", WEEK)  # a writer takes the lock: stale now
    assert not stale.exists()
