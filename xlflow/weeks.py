"""ISO weeks ('2024-W28') and the working-day calendar used for schedule deviation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class NoSuchWeek(ValueError):
    """The form of an ISO week, but a week its year does not have (2024-W53)."""

    def __init__(self, message: str, year: int, week: int):
        super().__init__(message)
        self.year, self.week = year, week


def parse_week(text: str) -> tuple[int, int]:
    """'2024-W28' -> (2024, 28); raises ValueError with the expected form."""
    m = _WEEK.match(text.strip())
    if not m:
        raise ValueError(f"「{text}」不是 ISO 周(应为 YYYY-Www,例如 2024-W28)")
    year, week = int(m[1]), int(m[2])
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise NoSuchWeek(f"「{text}」:{year} 年没有第 {week} 周", year, week) from None
    return year, week


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def normalise_week(text: str) -> str:
    year, week = parse_week(text)
    return f"{year}-W{week:02d}"


def week_days(label: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week."""
    year, week = parse_week(label)
    monday = dt.date.fromisocalendar(year, week, 1)
    return monday, monday + dt.timedelta(days=6)


def week_day(label: str, weekday: int) -> dt.date:
    year, week = parse_week(label)
    return dt.date.fromisocalendar(year, week, weekday)


def return_window(label: str, weekday: int, late_days: int) -> tuple[dt.date, dt.date]:
    """Dates a 填报日期 may carry: the week's Monday to its return deadline (weekday
    1-7 of the week) plus the late window."""
    return week_days(label)[0], week_day(label, weekday) + dt.timedelta(days=late_days)


class WorkCalendar:
    """Mainland China working days: the chinese-calendar package's holidays and adjusted
    working days (调休), with a project's own additions on top. Years the package does not
    cover fall back to Monday-Friday; `uncovered_between` says which those are."""

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        result = _package_is_workday(day)
        return day.weekday() < 5 if result is None else result

    @staticmethod
    def uncovered_between(start: dt.date, end: dt.date) -> list[int]:
        """Years in [start, end] the holiday calendar does not know."""
        return [y for y in range(start.year, end.year + 1)
                if _package_is_workday(dt.date(y, 7, 1)) is None]

    def days_between(self, start: dt.date, end: dt.date) -> int:
        """Signed working days from start to end: working days in (start, end]."""
        if end == start:
            return 0
        sign = 1 if end > start else -1
        lo, hi = (start, end) if sign > 0 else (end, start)
        count = 0
        day = lo + dt.timedelta(days=1)
        while day <= hi:
            count += self.is_workday(day)
            day += dt.timedelta(days=1)
        return sign * count

    def add_days(self, start: dt.date, days: int) -> dt.date:
        """The day `days` working days after start (start itself for 0): the inverse of
        `days_between` for a forward count, landing on a working day."""
        day = start
        while days > 0:
            day += dt.timedelta(days=1)
            days -= self.is_workday(day)
        return day


@lru_cache(maxsize=4096)
def _package_is_workday(day: dt.date) -> bool | None:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def weeks_between(first: str, last: str) -> list[str]:
    """ISO weeks strictly between two week labels: ('2024-W28', '2024-W31') -> W29, W30."""
    start, _ = week_days(first)
    end, _ = week_days(last)
    out = []
    day = start + dt.timedelta(days=7)
    while day < end:
        out.append(week_label(day))
        day += dt.timedelta(days=7)
    return out


def weeks_apart(earlier: str, later: str) -> int:
    """Whole weeks from one ISO week to another: ('2024-W28', '2024-W30') -> 2."""
    return (week_days(later)[0] - week_days(earlier)[0]).days // 7
