"""Problems found in department returns, as data.

Modelled on frictionless' errors: a frozen record with a kebab-case code, the place
(file, sheet, cell as Excel shows it) and what was found versus what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from .codes import CODES


class Severity(StrEnum):
    ERROR = "error"  # the value or file is kept out of the figures
    WARNING = "warning"  # accepted, but someone should look


@dataclass(frozen=True)
class Issue:
    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    expected: str = ""

    def __post_init__(self) -> None:
        # every code is catalogued (xlflow/codes.py) with the severities it may have:
        # a misspelt or new, uncatalogued code fails the first test that emits it
        entry = CODES.get(self.code)
        if entry is None or not entry.allows(self.severity):
            raise ValueError(f"issue code {self.code!r} ({self.severity}) is not in "
                             "xlflow/codes.py with that severity")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return " / ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.value:
            text += f" (found {self.value!r}"
            text += f", expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = str(self.severity)
        return d


def count_errors(issues: Iterable[Issue]) -> int:
    return sum(i.is_error for i in issues)


def error(code: str, message: str, **where: str) -> Issue:
    return Issue(code, Severity.ERROR, message, **where)


def warning(code: str, message: str, **where: str) -> Issue:
    return Issue(code, Severity.WARNING, message, **where)


def cell_name(row: int, col: int) -> str:
    """Excel address of a 0-based (row, col): (0, 0) -> 'A1'."""
    return f"{column_letter(col)}{row + 1}"


def column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
