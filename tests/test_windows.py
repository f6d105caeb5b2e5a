"""Windows as a first-class platform (PMO analysts run xlflow on Windows PCs with a
code-page-936 console and the reports open in Excel). No Windows machine runs these
tests, so they simulate what can be simulated: a GBK console, a closed pipe, a refused
rename, and Python without its POSIX-only modules (tests/without_posix.py)."""

from __future__ import annotations

import ast
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import _files
from xlflow._files import atomic_path, project_lock, remove_stale_temps
from xlflow.cli import cli
from xlflow.errors import BusyError, ExitStatus, FileInUseError
from xlflow.ledger import LEDGER_FILE

from . import without_posix
from .conftest import AS_OF, SAMPLES, WEEK

ROOT = Path(__file__).parents[1]
GBK = {**os.environ, "PYTHONIOENCODING": "gbk"}
XLFLOW = [sys.executable, "-m", "xlflow"]
XLFLOW_WITHOUT_POSIX = [sys.executable, str(ROOT / "tests" / "without_posix.py")]


# -- the weekly walk on a GBK console, with and without the POSIX-only modules -------------

@pytest.mark.parametrize("command", [XLFLOW, XLFLOW_WITHOUT_POSIX], ids=["gbk", "gbk-without-posix"])
def test_weekly_walk_on_a_gbk_console(tmp_path: Path, command: list[str]) -> None:
    def run(*args: str, status: int = 0) -> str:
        out = subprocess.run([*command, *args], cwd=tmp_path, env=GBK, capture_output=True)
        err = out.stderr.decode("gbk", "replace")
        assert out.returncode == status, (args, err)
        assert "Traceback" not in err and "内部错误" not in err, err
        return out.stdout.decode("gbk")  # strict: the console can show every byte

    assert "已写入 ug" in run("init", "ug", "--example")
    run("opinion", "ug", "--department", "运营部", "--by", "运营总监", "--text", "同意")
    run("approve", "ug", "--by", "分管副总 陈明")
    run("file", "ug", "--by", "PMO 王芳")
    assert "技术部: UG-2024Q3-2024-W28-技术部.xlsx" in run("build", "ug", "--week", WEEK)
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, tmp_path / "ug" / "inbox" / f.name)
    merged = run("merge", "ug", "--week", WEEK, "--as-of", AS_OF.isoformat())
    assert "2024年Q3用户增长活动 · 2024-W28" in merged
    assert "T03 技术部 延误 +4天" in merged
    assert (tmp_path / "ug" / "reports" / f"{WEEK}-consolidated.xlsx").is_file()
    status = run("status", "ug", "--as-of", AS_OF.isoformat())
    assert "需求发起 √ → 需求共识 √" in status and "PMO备案 √ → [执行中]" in status
    assert "部门意见:运营总监" in status
    # ✓ and ✗ are not in GBK: the nearest symbols it has stand in for them
    checked = run("validate", "ug/inbox/技术部-周报-0712.xlsx")
    assert checked.startswith("√ ug/inbox/技术部-周报-0712.xlsx:技术部 · 0 个错误")
    (tmp_path / "坏文件.xlsx").write_text("不是工作簿", encoding="utf-8")
    assert run("validate", "坏文件.xlsx", status=1).startswith("× 坏文件.xlsx")


def test_the_guard_refuses_posix_modules_and_names(tmp_path: Path) -> None:
    """The guard itself works: what Windows lacks cannot be reached through it."""
    probe = ("import without_posix; without_posix.install()\n"
             "import os, signal\n"
             "for name in ('fcntl', 'pwd', 'grp', 'termios', 'resource'):\n"
             "    try:\n        __import__(name)\n    except ModuleNotFoundError:\n        print(name)\n"
             "print(hasattr(os, 'fork'), hasattr(os, 'umask'), hasattr(signal, 'SIGKILL'))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT / "tests", capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["fcntl", "pwd", "grp", "termios", "resource",
                                  "False", "False", "False"]


# -- no POSIX-only call outside a guarded branch ------------------------------------------

POSIX_MODULES = set(without_posix.MODULES)
POSIX_NAMES = {"os": set(without_posix.OS_NAMES), "signal": set(without_posix.SIGNAL_NAMES)}
GUARD_HANDLERS = {"ImportError", "ModuleNotFoundError", "AttributeError"}


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and any(
                guard in ast.unparse(node.test) for guard in ("sys.platform", "os.name", "hasattr(")):
            return True
        if isinstance(node, ast.Try) and any(
                h.type is not None and GUARD_HANDLERS & {n.id for n in ast.walk(h.type)
                                                         if isinstance(n, ast.Name)}
                for h in node.handlers):
            return True
    return False


def posix_only_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every POSIX-only module import or os/signal name that is not inside
    an `if sys.platform/os.name/hasattr(...)` branch or a try that catches ImportError."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.partition(".")[0] in POSIX_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.partition(".")[0] in POSIX_MODULES:
                names = [node.module]
            names += [f"{node.module}.{a.name}" for a in node.names
                      if a.name in POSIX_NAMES.get(node.module, ())]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.attr in POSIX_NAMES.get(node.value.id, ())):
            names = [f"{node.value.id}.{node.attr}"]
        found += [(node.lineno, n) for n in names if not _guarded(node, parents)]
    return found


@pytest.mark.parametrize(("source", "found"), [
    ("import fcntl", [(1, "fcntl")]),
    ("import os\nos.umask(0)", [(2, "os.umask")]),
    ("import signal\nsig = signal.SIGKILL", [(2, "signal.SIGKILL")]),
    ("from os import fork, path", [(1, "os.fork")]),
    ("from pwd import getpwnam", [(1, "pwd")]),
    ("import sys\nif sys.platform != 'win32':\n    import fcntl", []),
    ("try:\n    import termios\nexcept ImportError:\n    termios = None", []),
    ("import os\nif hasattr(os, 'fork'):\n    os.fork()", []),
    ("import os\nflags = getattr(os, 'O_BINARY', 0)", []),
])
def test_posix_only_uses_are_found(source: str, found: list[tuple[int, str]]) -> None:
    assert posix_only_uses(source) == found


def test_xlflow_uses_nothing_posix_only() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in sorted((ROOT / "xlflow").rglob("*.py"))
             for line, name in posix_only_uses(path.read_text(encoding="utf-8"))]
    assert found == []


# -- a reader that stops early: `xlflow ... | head -1` -------------------------------------

def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, project_dir: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before xlflow writes a byte
    try:
        out = subprocess.run([*XLFLOW, "status", str(project_dir)], stdout=write,
                             stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert (out.returncode, out.stderr) == (ExitStatus.BROKEN_PIPE, "")


def test_head_reading_the_first_bytes_of_a_merge(with_samples: Path) -> None:
    """The JSON (~13 kB) is larger than the pipe (4 kB), so xlflow is still writing when
    the reader stops after its first bytes, as `head -c 100` does. (Buffered output, as
    usual: an unbuffered stdout drops the rest of a partial write without an error.)"""
    fcntl = pytest.importorskip("fcntl")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    read, write = os.pipe()
    fcntl.fcntl(write, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    proc = subprocess.Popen([*XLFLOW, "merge", str(with_samples), "--week", WEEK,
                             "--as-of", AS_OF.isoformat(), "--json"],
                            stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    first = os.read(read, 100)
    os.close(read)
    _, err = proc.communicate()
    assert first.startswith(b"{")
    assert (proc.returncode, err) == (ExitStatus.BROKEN_PIPE, "")
    # the work itself was done before the output was cut off
    assert (with_samples / "reports" / f"{WEEK}-consolidated.xlsx").is_file()


# -- a report open in Excel: Windows refuses to replace it ---------------------------------

def _refuse(monkeypatch: pytest.MonkeyPatch, times: int | None, name: str = "") -> list[float]:
    """os.replace raises PermissionError (as on Windows when Excel has the file open: it
    can be neither replaced nor renamed away) `times` times, or always; returns the
    list the retry pauses are recorded in."""
    real, pauses, left = os.replace, [], [times]

    def replace(src: object, dst: object) -> None:
        if (str(dst).endswith(name) or str(src).endswith(name)) and (
                left[0] is None or left[0] > 0):
            if left[0] is not None:
                left[0] -= 1
            raise PermissionError(13, "The process cannot access the file", str(dst))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(_files.time, "sleep", pauses.append)
    return pauses


def test_a_target_kept_open_is_refused_clearly_and_left_alone(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "2024-W28-consolidated.xlsx"
    target.write_bytes(b"last week's report")
    pauses = _refuse(monkeypatch, None)
    with pytest.raises(FileInUseError) as refused, atomic_path(target) as tmp:
        tmp.write_bytes(b"this week's report")
    assert str(refused.value).startswith(
        f"报表 {target} 正在被其他程序(如 Excel)打开,请关闭后重试")
    assert refused.value.exit_status == ExitStatus.USAGE == 2
    assert pauses == [_files.REPLACE_PAUSE] * (_files.REPLACE_ATTEMPTS - 1)
    assert target.read_bytes() == b"last week's report"
    assert os.listdir(tmp_path) == [target.name]  # the temp file is gone


def test_a_brief_refusal_is_retried(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")
    pauses = _refuse(monkeypatch, 2)
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and len(pauses) == 2
    assert os.listdir(tmp_path) == [target.name]


def test_merge_into_a_report_open_in_excel(with_samples: Path, monkeypatch) -> None:
    """Last week's report is open in Excel while the week is merged again: refused with
    a clear message, and report and ledger both stay as they were."""
    report = with_samples / "reports" / f"{WEEK}-consolidated.xlsx"
    args = ["merge", str(with_samples), "--week", WEEK, "--as-of", AS_OF.isoformat()]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = report.read_bytes()
    _refuse(monkeypatch, None, name=report.name)
    later = ["merge", str(with_samples), "--week", WEEK, "--as-of", "2024-07-13"]
    result = CliRunner().invoke(cli, later)
    assert result.exit_code == 2
    assert f"报表 {report} 正在被其他程序(如 Excel)打开,请关闭后重试" in result.output
    assert "内部错误" not in result.output
    # report and ledger land together or not at all
    assert report.read_bytes() == before
    db = sqlite3.connect(with_samples / LEDGER_FILE)
    assert db.execute("SELECT as_of FROM merges").fetchall() == [(AS_OF.isoformat(),)]
    db.close()
    assert sorted(p.name for p in report.parent.iterdir()) == [report.name]
    monkeypatch.undo()  # Excel closed: the same command goes through
    assert CliRunner().invoke(cli, later).exit_code == 0
    db = sqlite3.connect(with_samples / LEDGER_FILE)
    assert db.execute("SELECT as_of FROM merges").fetchall() == [("2024-07-13",)]
    db.close()


# -- temp files: short names, the usual permissions, no umask flip -------------------------

def test_temp_names_are_short_whatever_the_target(tmp_path: Path, monkeypatch) -> None:
    def no_umask(mask: int) -> int:
        raise AssertionError("os.umask changes the whole process; atomic_path must not call it")

    monkeypatch.setattr(os, "umask", no_umask)
    target = tmp_path / ("很长的部门名称" * 10 + ".xlsx")
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert len(tmp.name) <= 30 < len(target.name)
        assert tmp.name.startswith(".") and tmp.name.endswith(".tmp")  # remove_stale_temps'
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_outputs_get_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    usual = tmp_path / "usual"
    usual.write_bytes(b"")
    for recreate in (False, True):
        target = tmp_path / f"out{recreate}.xlsx"
        with atomic_path(target) as tmp:
            if recreate:  # a writer that replaces the file with a private one
                tmp.unlink()
                os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o600))
        assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(usual.stat().st_mode)


def test_stale_temps_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".xlflow-0a1b2c3d.xlsx.tmp").write_bytes(b"killed run")
    (tmp_path / "keep.xlsx").write_bytes(b"")
    remove_stale_temps(tmp_path)
    assert os.listdir(tmp_path) == ["keep.xlsx"]


# -- the project lock ---------------------------------------------------------------------

def test_a_second_writer_is_told_to_wait(project_dir: Path) -> None:
    with project_lock(project_dir), pytest.raises(BusyError) as busy, project_lock(project_dir):
        pass
    assert "另一个 xlflow 正在写入此项目,请等它结束后重试" in str(busy.value)
    with project_lock(project_dir):  # released: the next run goes through
        pass


def test_wait_takes_the_lock_when_the_holder_lets_go(project_dir: Path) -> None:
    held, order = threading.Event(), []

    def holder() -> None:
        with project_lock(project_dir):
            held.set()
            time.sleep(0.3)
            order.append("released")

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    with project_lock(project_dir, wait=True):
        order.append("acquired")
    thread.join()
    assert order == ["released", "acquired"]
