"""Exceptions and exit codes.

The library raises only `XlflowError` subclasses for problems that stop a whole run;
problems with one file, row or cell are data (`xlflow.issues.Issue`), not exceptions.
"""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    INPUT_PROBLEMS = 1
    USAGE = 2
    BROKEN_PIPE = 141  # the reader of our output went away (`xlflow ... | head`), as 128 + SIGPIPE


class XlflowError(Exception):
    """A problem that stops the run; its message is shown to the user as is."""

    exit_status = ExitStatus.USAGE


class SpecError(XlflowError):
    """A workbook spec (or a project's spec override) is invalid."""


class ProjectError(XlflowError):
    """project.yaml is missing or invalid."""


class BusyError(XlflowError):
    """Another xlflow run holds the project's lock."""


class LedgerError(XlflowError):
    """The ledger cannot be opened or written; the message says why and what to do."""

    WHAT = "台账"

    @classmethod
    def from_sqlite(cls, path: object, exc: Exception) -> LedgerError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            why = "正被另一个程序使用(另一个 xlflow 或数据库工具);请关闭它后重试"
        elif "disk is full" in text or "disk I/O" in text:
            why = "磁盘已满或无法写入;请腾出空间后重试,台账未被修改"
        elif "readonly" in text or "unable to open" in text:
            why = "无法写入(文件夹或文件只读?);请检查权限后重试"
        elif "请升级 xlflow" in text:
            why = text
        else:
            why = f"已损坏或不是 xlflow {cls.WHAT}({text});请从备份恢复,或移走它以重新开始"
        return cls(f"{cls.WHAT} {path}: {why}")


class DiskFullError(XlflowError):
    """The disk is full (or refuses writes): what was being written did not land and the
    files it would have replaced are as they were; exit status 2."""


class FileInUseError(XlflowError):
    """An output file is open in another program (Excel on Windows), so it cannot be
    replaced; exit status 2."""


class CaseLibraryError(LedgerError):
    """The case library (LIBRARY/cases.sqlite) cannot be opened or written."""

    WHAT = "案例库"


class StorageError(XlflowError):
    """A file or folder cannot be written (or read): no permission, a read-only file
    system, or a full disk. Says which, so it is never taken for a broken file."""

    @classmethod
    def from_os(cls, path: object, exc: BaseException, *, what: str = "") -> StorageError:
        """`exc` is an OSError, or an exception wrapping one (XlsxWriter's FileCreateError)."""
        if not isinstance(exc, OSError):
            inner = exc.args[0] if exc.args else None
            exc = inner if isinstance(inner, OSError) else OSError(None, str(exc))
        where = f"{what} {path}" if what else str(path)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            why = "磁盘已满(或超出配额);请腾出空间后重试"
        elif exc.errno == errno.EROFS:
            why = "所在的文件系统是只读的;请换一个可写的位置,或让管理员开放写入"
        elif isinstance(exc, PermissionError):
            why = "没有读写权限(文件夹或文件只读?);请检查权限后重试"
        else:
            why = f"无法读写({exc.strerror or exc})"
        name = getattr(exc, "filename", None)
        if name and str(name) != str(path):
            why += f" [{name}]"
        return cls(f"{where}: {why}")


class MissingFileError(XlflowError):
    """A file named on the command line does not exist: nothing is read; exit status 2."""

    @classmethod
    def naming(cls, names: list[str], where: str = "") -> MissingFileError:
        return cls(f"找不到文件 {'、'.join(names)}" + (f"({where})" if where else ""))
