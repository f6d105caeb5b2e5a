"""File helpers: atomic output, hashing, safe names, the project lock.

Everything here works the same on Windows and POSIX: the lock is `filelock`'s (an flock on
POSIX, msvcrt.locking on Windows) and no call changes process-wide state such as the umask.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .errors import BusyError, DiskFullError, FileInUseError, StorageError

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\ud800-\udfff]+')
#: Device names Windows reserves whatever the extension ('CON.xlsx' too), any case.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")]
)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one
    rename, so a reader (or a crash) never sees a half-written file. Raises FileInUseError
    when another program (Excel on Windows) keeps `target` open."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _new_temp(target.parent, target.suffix)
    except OSError as exc:  # a read-only folder or a full disk, said as such
        if disk_full(exc):
            raise _full(target) from exc
        raise StorageError.from_os(target.parent, exc) from None
    mode = os.stat(tmp_path).st_mode & 0o777
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        if os.stat(tmp_path).st_mode & 0o777 != mode:  # a writer that recreated the file
            os.chmod(tmp_path, mode)
        _replace(tmp_path, target)
    except Exception as exc:
        if disk_full(exc) and not isinstance(exc, DiskFullError):
            close_abandoned_zips(exc)
            raise _full(target) from exc
        raise
    finally:
        with contextlib.suppress(OSError):  # still open elsewhere on Windows: next run's job
            tmp_path.unlink(missing_ok=True)


def _full(target: Path) -> DiskFullError:
    return DiskFullError(f"磁盘已满或无法写入:{target} 没有写成,原有的文件保持原样;"
                         "请腾出空间后重试 (the disk is full)")


# ENOSPC and EDQUOT (errno names Windows' C runtime maps ERROR_DISK_FULL to as well), and
# Windows' own codes for when a winerror comes through unmapped.
_FULL_ERRNOS = frozenset(n for n in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if n)
_FULL_WINERRORS = frozenset({39, 112})  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
_SQLITE_IOERR, _SQLITE_FULL = 10, 13


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it wraps, says the disk is full or refuses writes: an
    OSError with ENOSPC/EDQUOT, SQLite's SQLITE_FULL or SQLITE_IOERR (what opening a WAL
    ledger on a full disk gives), XlsxWriter's FileCreateError around such an OSError, or
    an XlflowError raised from one."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFullError):
            return True
        if isinstance(exc, OSError) and (exc.errno in _FULL_ERRNOS
                                         or getattr(exc, "winerror", None) in _FULL_WINERRORS):
            return True
        if isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code in (_SQLITE_IOERR, _SQLITE_FULL) or "disk is full" in str(exc):
                return True
        wrapped = next((a for a in exc.args if isinstance(a, BaseException)), None)
        exc = wrapped or exc.__cause__ or exc.__context__
    return False


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def replace_file(source: Path, target: Path, *, in_use: Path | None = None) -> None:
    """Rename `source` over `target` in one step (same folder); FileInUseError naming
    `in_use` (default `target`) when a program keeps it open (Excel on Windows) after a
    few short retries."""
    _replace(source, target, in_use)


def close_abandoned_zips(exc: BaseException) -> None:
    """XlsxWriter leaves its zip open when writing fails (a full disk); the garbage
    collector would close it later, fail to flush again and print a traceback for the
    user to see. Close such zips now, quietly: the file is discarded anyway."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    fp, value.fp = value.fp, None
                    with contextlib.suppress(OSError, ValueError):
                        fp.close()
            tb = tb.tb_next
        error = error.__cause__ or error.__context__


def keep_copy(source: Path, copy: Path) -> None:
    """`copy` becomes a second name for `source`: a hard link (no space, no time, and the
    source stays where it is), or where the file system has none (FAT, some shares) a copy,
    written under a temp name first."""
    copy.unlink(missing_ok=True)
    try:
        os.link(source, copy)
    except OSError:
        try:
            with atomic_path(copy) as tmp:
                shutil.copyfile(source, tmp)
        except PermissionError:
            raise _in_use(source) from None


def fsync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable before the next step relies on them. POSIX
    only: Windows opens no folder for this, and NTFS journals its renames anyway."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; nothing more to do
        pass
    finally:
        os.close(fd)


def crash_point(name: str) -> None:
    """Fault injection for the crash tests: XLFLOW_CRASH_AT=name ends the process here at
    once, as a kill would (no clean-up, no finally, exit status 137)."""
    if os.environ.get("XLFLOW_CRASH_AT") == name:
        os._exit(137)


def remove_stale_temps(folder: Path) -> None:
    """Temp files left by a run that was killed (call while holding the project lock)."""
    if folder.is_dir():
        for stale in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):  # open in another program on Windows
                stale.unlink(missing_ok=True)


# A temp name is short whatever the target's name (Windows paths stop at 260 characters
# unless long paths are enabled) and matches `remove_stale_temps`' pattern.
_TEMP_PREFIX = ".xlflow-"
# Excel (and virus scanners, briefly) keep a file open so that Windows refuses to replace
# it; a short retry rides out the brief cases before telling the user to close the file.
REPLACE_ATTEMPTS = 5
REPLACE_PAUSE = 0.2


def _new_temp(folder: Path, suffix: str) -> Path:
    """Create an empty temp file in `folder`, mode 0o666 less the umask (the OS applies it,
    as for any new file), without reading or changing the process umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f"{_TEMP_PREFIX}{secrets.token_hex(4)}{suffix[:12]}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"{folder}: 找不到可用的临时文件名")


def _replace(tmp: Path, target: Path, in_use: Path | None = None) -> None:
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            if attempt + 1 == REPLACE_ATTEMPTS:
                raise _in_use(in_use or target) from None
            time.sleep(REPLACE_PAUSE)


def _in_use(busy: Path) -> FileInUseError:
    kind = "报表" if busy.suffix.lower() in (".xlsx", ".xlsm", ".html") else "文件"
    return FileInUseError(f"{kind} {busy} 正在被其他程序(如 Excel)打开,请关闭后重试"
                          f" (the file is open in another program)")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def safe_name(text: str, limit: int = 80) -> str:
    """A file-name part from user text that every file system takes (NTFS included):
    no separators, control characters or '..', no leading or trailing dots and spaces
    (Windows drops trailing ones), no reserved device name, at most `limit` characters."""
    name = _UNSAFE.sub("_", text).strip(" .")[:limit].rstrip(" .")
    head, dot, rest = name.partition(".")
    if head.rstrip(" ").upper() in _RESERVED:
        name = f"{head}_{dot}{rest}"[:max(limit, len(head) + 1)].rstrip(" .")
    return name or "_"


@contextlib.contextmanager
def project_lock(root: Path, *, wait: bool = False, reentrant: bool = False) -> Iterator[None]:
    """One writing run per project at a time (a lock on DIR/.xlflow.lock, released when
    the process ends however it ends). Taken with `reentrant=True` (`xlflow run`, which
    holds it for the whole day's work), build, send and merge take it again inside, in
    the same thread; otherwise a second taker is told to wait, even in the same thread."""
    key = os.path.abspath(root)
    if _held_locks.get(key) == threading.get_ident():
        yield  # the outer holder releases it
        return
    from filelock import FileLock, Timeout  # here: a merge worker, which reads, never locks

    lock = FileLock(root / ".xlflow.lock", timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(f"{root}: 另一个 xlflow 正在写入此项目,请等它结束后重试 "
                        "(another xlflow run is writing this project; wait for it to finish "
                        "and run again)") from None
    except OSError as exc:  # the lock file cannot be made: read-only folder, full disk
        raise StorageError.from_os(root, exc) from None
    if reentrant:
        _held_locks[key] = threading.get_ident()
    try:
        yield
    finally:
        if reentrant:
            del _held_locks[key]
        lock.release()


_held_locks: dict[str, int] = {}  # project folder -> the thread holding it re-entrantly
