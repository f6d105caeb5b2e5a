"""Turn what people type into typed values, in one place.

Cells arrive as real dates, datetimes, Excel serial numbers, floats for integers
(calamine), or text in many forms: '2024/7/1', '2024年7月1日', '７月１日', '85%',
'1,000', with stray and non-breaking spaces. Every parser here raises only ValueError.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPECIAL = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000\r]")
#: Whether `clean_text` does more to a str than strip() (a match) or not (None): for
#: loops over many cells that inline the common case.
needs_cleaning = _SPECIAL.search
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_1904_EPOCH = dt.datetime(1904, 1, 1)
_YMD = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[ T]+(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*分?(?:\s*:?\s*(?P<S>\d{1,2})\s*秒?)?)?$"
)
_MD = re.compile(
    r"^(?P<m>\d{1,2})\s*[月/.-]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[ T]+(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})\s*分?)?$"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_MONTH_NAME = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b",
                         re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class CellProblem:
    """A cell whose value cannot be trusted: an Excel error (#N/A, #REF!) or a formula
    saved without its result. Never blank: it is reported, not silently dropped."""

    code: str  # cell-error | formula-no-value
    text: str

    def __str__(self) -> str:
        return self.text


def is_blank(value: Any) -> bool:
    """Empty, or only spaces (NBSP, ideographic, zero-width included)."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and not clean_text(value)


def clean_text(value: Any) -> str:
    """Text as a person meant it: trimmed, NBSP and ideographic spaces as spaces,
    zero-width characters removed. Interior line breaks are kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    text = str(value)
    if not _SPECIAL.search(text):  # the common case, checked in C
        return text.strip()
    text = text.translate(_INVISIBLE).replace("\u00a0", " ").replace("\u3000", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def clean_texts(cells: Sequence[Any]) -> list[str]:
    """`clean_text` of each cell, the common case (a str with nothing to clean but
    its ends) inlined: for sheets of many cells."""
    return [v.strip() if type(v) is str and needs_cleaning(v) is None else clean_text(v)
            for v in cells]


def first_filled(cells: Sequence[Any]) -> int | None:
    """The index of the first cell that is not blank (`is_blank`), None when all are."""
    for i, value in enumerate(cells):
        if type(value) is str and needs_cleaning(value) is None:
            if value and not value.isspace():  # what strip() leaves: the same set
                return i
        elif not is_blank(value):
            return i
    return None


def _fold(text: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), spaces squeezed."""
    folded = unicodedata.normalize("NFKC", clean_text(text))
    return re.sub(r"\s+", " ", folded)


def excel_serial_to_datetime(serial: float, *, date1904: bool = False) -> dt.datetime:
    if not math.isfinite(serial) or not 0 < serial < 2958466:  # Excel's 9999-12-31
        raise ValueError(f"{serial!r} is not a date serial number")
    epoch = _EXCEL_1904_EPOCH if date1904 else _EXCEL_EPOCH
    if not date1904 and serial < 61:  # Excel's phantom 1900-02-29
        serial += 1
    return epoch + dt.timedelta(days=serial)


def parse_datetime(value: Any, *, year: int | None = None, date1904: bool = False) -> dt.datetime:
    """A datetime from any accepted form; a bare date gets midnight.

    `year` fills in text like '7月1日' that has no year (the project's year)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a date")
    if isinstance(value, (int, float)):
        return excel_serial_to_datetime(float(value), date1904=date1904)
    text = _fold(str(value))
    if not text:
        raise ValueError("empty")
    m = _YMD.match(text) or _COMPACT.match(text)
    if m:
        parts = m.groupdict()
        y = int(parts["y"])
    else:
        m = _MD.match(text)
        if not m or year is None:
            if _NUMBER.match(text):
                return excel_serial_to_datetime(float(text), date1904=date1904)
            if _MONTH_NAME.search(text):
                return _english_date(text, year)
            raise ValueError(f"{text!r} is not a date")
        parts, y = m.groupdict(), year
    try:
        return dt.datetime(
            y, int(parts["m"]), int(parts["d"]),
            int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0),
        )
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def _english_date(text: str, year: int | None) -> dt.datetime:
    """'1-Jul-24', 'Jul 1, 2024': how Excel shows dates in an English locale."""
    from dateutil import parser

    numbers = re.findall(r"\d+", text)
    if not (len(numbers) >= 2 or (numbers and year and int(numbers[0]) <= 31)):
        raise ValueError(f"{text!r} is not a date (needs a day and a year)")
    try:
        return parser.parse(text, default=dt.datetime(year or 1900, 1, 1), dayfirst=False)
    except (ValueError, OverflowError, parser.ParserError):
        raise ValueError(f"{text!r} is not a date") from None


def parse_date(value: Any, *, year: int | None = None, date1904: bool = False) -> dt.date:
    return parse_datetime(value, year=year, date1904=date1904).date()


def parse_number(value: Any) -> float:
    """A finite number; text may use full-width digits, thousands separators, or a
    trailing % (which divides by 100: '16%' -> 0.16)."""
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return float(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise ValueError(f"{value!s} is a date or time, not a number")
    text = _fold(str(value)).replace(" ", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError(f"{clean_text(value)!r} is not a number")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{clean_text(value)!r} is not a finite number")
    return number / 100 if percent else number


def parse_integer(value: Any) -> int:
    number = parse_number(value)
    if not number.is_integer():
        raise ValueError(f"{clean_text(value)!r} is not a whole number")
    return int(number)


def parse_percent(value: Any) -> float:
    """Percent points (0-100) from 85%, 0.85 or 85.

    A number from a cell formatted as percent arrives as a fraction (0.85); a number
    up to 1 is therefore read as a fraction and 1 means 100%. Text with a % sign is
    taken literally; text without one is read like a number."""
    if isinstance(value, str) and _fold(value).rstrip().endswith("%"):
        return parse_number(value) * 100
    number = parse_number(value)
    return number * 100 if 0 <= number <= 1 else number
