"""Problems found in department returns, as data.

Modelled on frictionless' errors: a frozen record with a kebab-case code, the place
(file, sheet, cell as Excel shows it) and what was found versus what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .codes import CODES
from .texts import text


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
        return self.describe()

    def describe(self, lang: str = "zh") -> str:
        """Where, the message, and what was found versus expected, e.g.
        `a.xlsx / 周进度跟踪表 / F2: 「完成百分比」超出允许范围(填写的是「120%」,应为 …)`;
        lang="en" gives the tail in English (the message is Chinese either way)."""
        where = self.where()
        line = f"{where}: {self.message}" if where else self.message
        if self.value:
            key = "issue.found-expected" if self.expected else "issue.found"
            line += text(key, lang, value=self.value, expected=self.expected)
        elif self.expected:
            line += text("issue.expected", lang, expected=self.expected)
        return line

    def to_dict(self) -> dict[str, Any]:
        # the fields one by one: dataclasses.asdict deep-copies, a tenth of a second per
        # 3,000 issues, and a large merge has tens of thousands of them
        return {"code": self.code, "severity": str(self.severity), "message": self.message,
                "file": self.file, "sheet": self.sheet, "cell": self.cell,
                "value": self.value, "expected": self.expected}


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
