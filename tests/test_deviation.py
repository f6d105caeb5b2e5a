"""The schedule-deviation rule, status thresholds and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from xlflow import api
from xlflow.merge.context import Context
from xlflow.merge.tasks import deviation
from xlflow.model.vocab import TaskState
from xlflow.project import load_project
from xlflow.weeks import WorkCalendar

P = dt.date(2024, 7, 12)


@pytest.fixture
def ctx(project_dir) -> Context:
    return Context.from_project(load_project(project_dir), "2024-W28", dt.date(2024, 7, 12))


@pytest.mark.parametrize("as_of, percent, actual, forecast, expected", [
    # done: actual - P
    (P, 100, dt.date(2024, 7, 10), None, (True, -2)),
    (P, 50, dt.date(2024, 7, 15), None, (True, 3)),   # an actual date means done
    (P, 100, None, None, (True, 0)),                   # done, no date: as-of counts
    # not done: max(F, A) - P, F = forecast or P
    (dt.date(2024, 7, 10), 50, None, None, (False, 0)),
    (dt.date(2024, 7, 10), 50, None, dt.date(2024, 7, 11), (False, -1)),  # early forecast
    (dt.date(2024, 7, 10), 50, None, dt.date(2024, 7, 14), (False, 2)),
    (dt.date(2024, 7, 16), 50, None, dt.date(2024, 7, 14), (False, 4)),
    (dt.date(2024, 7, 16), None, None, None, (False, 4)),
])
def test_deviation_rule(ctx: Context, as_of, percent, actual, forecast, expected) -> None:
    done, _, days = deviation(P, as_of, percent=percent, actual=actual, forecast=forecast,
                              ctx=ctx)
    assert (done, days) == expected


@pytest.mark.parametrize("done, days, status", [
    (True, -3, "已完成"), (True, 0, "已完成"), (True, 1, "延期完成"), (False, 0, "正常"),
    (False, -5, "正常"), (False, 1, "预警"), (False, 3, "预警"), (False, 4, "延误"),
])
def test_status_thresholds(done: bool, days: int, status: str) -> None:
    assert TaskState.of(done, days, threshold=3) == status


def test_threshold_comes_from_the_project(with_samples) -> None:
    """T03 is 4 days late on 2024-07-12: 延误 with the default threshold of 3 days,
    预警 once project.yaml raises the threshold to 5."""
    def t03() -> str:
        report = api.merge(with_samples, as_of=P, week="2024-W28", write=False)
        return next(str(t.status) for t in report.tasks if t.task_id == "T03")

    assert t03() == "延误"
    yaml_file = with_samples / "project.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text(text.replace("delay_threshold_days: 3", "delay_threshold_days: 5"),
                         encoding="utf-8")
    assert Context.from_project(load_project(with_samples), "2024-W28", P).threshold == 5
    assert t03() == "预警"


def test_workdays_follow_the_china_holiday_calendar() -> None:
    cal = WorkCalendar()
    # National Day 2024: Oct 1-7 off; Sep 29 (Sunday) and Oct 12 (Saturday) are workdays
    assert cal.days_between(dt.date(2024, 9, 30), dt.date(2024, 10, 8)) == 1
    assert cal.days_between(dt.date(2024, 9, 27), dt.date(2024, 9, 30)) == 2  # Sun 29 works
    assert cal.days_between(dt.date(2024, 10, 8), dt.date(2024, 9, 30)) == -1
    assert cal.days_between(dt.date(2024, 7, 12), dt.date(2024, 7, 16)) == 2  # over a weekend


def test_project_calendar_overrides_and_uncovered_years() -> None:
    cal = WorkCalendar(holidays=[dt.date(2024, 7, 15)], workdays=[dt.date(2024, 7, 13)])
    assert cal.days_between(dt.date(2024, 7, 12), dt.date(2024, 7, 16)) == 2  # +Sat -Mon
    assert WorkCalendar().days_between(dt.date(2099, 1, 2), dt.date(2099, 1, 9)) == 5
    assert WorkCalendar.uncovered_between(dt.date(2098, 12, 1), dt.date(2099, 3, 1)) == [2098, 2099]
    assert WorkCalendar.uncovered_between(dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == []


def test_workday_deviation_in_a_context(ctx: Context) -> None:
    wctx = replace(ctx, calendar=WorkCalendar())
    _, _, days = deviation(P, P, percent=50, actual=None, forecast=dt.date(2024, 7, 16), ctx=wctx)
    assert days == 2
    _, _, days = deviation(P, P, percent=50, actual=None, forecast=dt.date(2024, 7, 16), ctx=ctx)
    assert days == 4
