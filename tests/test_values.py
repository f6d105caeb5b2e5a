from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlflow.values import clean_text, parse_date, parse_datetime, parse_number, parse_percent

D = dt.date(2024, 7, 1)


@pytest.mark.parametrize("raw", [
    D, dt.datetime(2024, 7, 1, 15, 30), 45474, 45474.0, "45474", "2024-07-01", "2024/7/1",
    "2024.7.1", "2024年7月1日", "7月1日", "７月１日", "2024-7-1 ", "\u00a02024/07/01\u00a0",
    "20240701", "2024年07月01号", "2024-07-01 00:00:00", "7/1", "1-Jul-24", "Jul 1, 2024",
    "1 July 2024",
])
def test_dates_people_type(raw: object) -> None:
    assert parse_date(raw, year=2024) == D


@pytest.mark.parametrize("raw", ["2024-02-30", "明天", "7月", "", "2024-13-01", True, 1e12,
                                 float("nan"), "1/2/3/4", "Jul 45", "may be"])
def test_not_dates(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_date(raw, year=2024)


def test_datetime_keeps_time_and_month_day_needs_a_year() -> None:
    assert parse_datetime("2024-07-09 15:00") == dt.datetime(2024, 7, 9, 15, 0)
    assert parse_datetime("2024年7月9日 15时30分") == dt.datetime(2024, 7, 9, 15, 30)
    with pytest.raises(ValueError):
        parse_date("7月1日")  # no year to fill in


def test_excel_serials_1900_and_1904() -> None:
    assert parse_date(1) == dt.date(1900, 1, 1)
    assert parse_date(61) == dt.date(1900, 3, 1)
    assert parse_date(43647, date1904=True) == dt.date(2023, 7, 2)  # 1900 serial 45109


@pytest.mark.parametrize("raw, points", [
    ("85%", 85), (0.85, 85), (85, 85), ("85", 85), ("0.85", 85), ("８５％", 85),
    (" 85 % ", 85), (1, 100), ("100%", 100), (0, 0), ("\u00a010 ", 10), ("1%", 1),
])
def test_percent_forms(raw: object, points: float) -> None:
    assert parse_percent(raw) == pytest.approx(points)


@pytest.mark.parametrize("raw, number", [
    ("1,000", 1000), ("１２３", 123), ("16%", 0.16), (" 3.5 ", 3.5), (7, 7), ("-2", -2),
    ("100,000", 100000),
])
def test_numbers(raw: object, number: float) -> None:
    assert parse_number(raw) == pytest.approx(number)


@pytest.mark.parametrize("raw", ["1,00", "abc", "", "1.2.3", float("inf"), dt.date(2024, 1, 1),
                                 "=1+1"])
def test_not_numbers(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_number(raw)


def test_clean_text() -> None:
    assert clean_text("\u00a0 技术部\u3000\u200b") == "技术部"
    assert clean_text(3.0) == "3"
    assert clean_text("a\r\nb") == "a\nb"


@given(st.text(max_size=40) | st.floats() | st.integers() | st.none())
def test_parsers_raise_only_value_error(raw: object) -> None:
    for parse in (lambda v: parse_date(v, year=2024), parse_number, parse_percent,
                  parse_datetime):
        with contextlib.suppress(ValueError):
            parse(raw)
