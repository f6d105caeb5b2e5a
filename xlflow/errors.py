"""Exceptions and exit codes.

The library raises only `XlflowError` subclasses for problems that stop a whole run;
problems with one file, row or cell are data (`xlflow.issues.Issue`), not exceptions.
"""

from __future__ import annotations

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


class FileInUseError(XlflowError):
    """An output file is open in another program (Excel on Windows), so it cannot be
    replaced; exit status 2."""
