"""File helpers: atomic output, hashing, safe names, the project lock.

Everything here works the same on Windows and POSIX: the lock is `filelock`'s (an flock on
POSIX, msvcrt.locking on Windows) and no call changes process-wide state such as the umask.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import BusyError, FileInUseError, StorageError

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
        raise StorageError.from_os(target.parent, exc) from None
    mode = os.stat(tmp_path).st_mode & 0o777
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        if os.stat(tmp_path).st_mode & 0o777 != mode:  # a writer that recreated the file
            os.chmod(tmp_path, mode)
        _replace(tmp_path, target)
    finally:
        with contextlib.suppress(OSError):  # still open elsewhere on Windows: next run's job
            tmp_path.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def replace_file(source: Path, target: Path, *, in_use: Path | None = None) -> None:
    """Rename `source` over `target` in one step (same folder); FileInUseError naming
    `in_use` (default `target`) when a program keeps it open (Excel on Windows) after a
    few short retries."""
    _replace(source, target, in_use)


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
    raise FileExistsError(f"{folder}: no free temporary file name")


def _replace(tmp: Path, target: Path, in_use: Path | None = None) -> None:
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            if attempt + 1 == REPLACE_ATTEMPTS:
                busy = in_use or target
                kind = "报表" if busy.suffix.lower() in (".xlsx", ".xlsm", ".html") else "文件"
                raise FileInUseError(f"{kind} {busy} 正在被其他程序(如 Excel)打开,请关闭后重试"
                                     f" (the file is open in another program)") from None
            time.sleep(REPLACE_PAUSE)


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
