"""File helpers: atomic output, hashing, safe names, the project lock."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import BusyError

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\ud800-\udfff]+')
#: Device names Windows reserves whatever the extension ('CON.xlsx' too), any case.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")]
)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one
    rename, so a reader (or a crash) never sees a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def remove_stale_temps(folder: Path) -> None:
    """Temp files left by a run that was killed (call while holding the project lock)."""
    if folder.is_dir():
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
def project_lock(root: Path, *, wait: bool = False) -> Iterator[None]:
    """One writing run per project at a time (an flock on DIR/.xlflow.lock)."""
    path = root / ".xlflow.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BusyError(f"{root}: another xlflow run is writing this project; "
                            "wait for it to finish and run again") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
