"""Validation by column: the fast path a column takes for what a spreadsheet stores
agrees with the per-cell check on every value, and what it leaves alone still gets an
issue naming its cell."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from xlflow.merge.check import _SLOW, column_parser, parse_cell, validate_table
from xlflow.merge.context import Context
from xlflow.merge.read import Table
from xlflow.project import load_project
from xlflow.spec import ColumnType

from .conftest import AS_OF, WEEK

RAW: list[Any] = [
    None, "", "  ", "\u3000", 0, 1, 0.5, 0.85, 1.0, 1.5, -0.1, 3, 3.0, 3.5, 1e300, float("nan"),
    float("inf"), True, False, 45488, 45488.5,
    dt.date(2024, 7, 16), dt.date(2023, 1, 1), dt.date(2030, 1, 1), dt.date(2024, 5, 31),
    dt.datetime(2024, 7, 16, 9, 30), dt.datetime(2024, 7, 16, tzinfo=dt.UTC),
    dt.datetime(2031, 1, 1), dt.time(9, 30),
    "85%", "2024-07-16", "下周", "高", "中", "低", "超高", "ｈｉｇｈ", "处理中", "技术部", "市场部",
    "研发部", "T03", "t03", " T05 ", "Ｔ０３", "T99", "x" * 3000, "a\u00a0b", "\u200bT03",
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    from xlflow import api

    root = tmp_path_factory.mktemp("cols") / "ug"
    api.init_project(root, example=True)
    return Context.from_project(load_project(root), WEEK, AS_OF)


def _columns(ctx: Context) -> list[Any]:
    columns = [c for spec in ctx.specs for c in spec.columns]
    # a column with bounds and a length limit, so those branches are reached too
    base = next(c for c in columns if c.type is ColumnType.INTEGER)
    columns.append(dataclasses.replace(base, key="bounded", min=1, max=4))
    pct = next(c for c in columns if c.type is ColumnType.PERCENT)
    columns.append(dataclasses.replace(pct, key="pct_bounded", min=10, max=90))
    text = next(c for c in columns if c.type is ColumnType.TEXT)
    columns.append(dataclasses.replace(text, key="short", max_length=5))
    return columns


def test_fast_path_never_disagrees_with_the_per_cell_check(ctx: Context) -> None:
    checked = 0
    for column in _columns(ctx):
        fast = column_parser(column, ctx, "技术部")
        for raw in RAW:
            got = fast(raw)
            if got is _SLOW:
                continue
            checked += 1
            # what the fast path accepts, the per-cell path accepts with the same value
            slow = parse_cell(column, raw, ctx, "技术部")
            assert (got, type(got)) == (slow, type(slow)), (column.key, column.type, raw)
            limit = column.max_length
            assert not (limit and isinstance(got, str) and len(got) > limit), (column.key, raw)
    assert checked > 100  # the fast path is taken for most of what Excel stores


def test_fast_path_takes_what_excel_stores(ctx: Context) -> None:
    weekly = ctx.specs["weekly"]
    by_key = {c.key: column_parser(c, ctx, "技术部") for c in weekly.columns}
    assert by_key["percent"](0.85) == 85
    assert by_key["forecast_date"](dt.date(2024, 7, 16)) == dt.date(2024, 7, 16)
    assert by_key["percent"](1.5) is _SLOW  # out of range: the per-cell path says so


def test_cells_the_fast_path_leaves_are_named(ctx: Context) -> None:
    spec = ctx.specs["weekly"]
    keys = [c.key for c in spec.columns]
    columns = {k: i for i, k in enumerate(keys)}
    due = dt.date(2024, 7, 20)
    good = {"task_id": "T03", "department": "技术部", "planned_date": due, "percent": 0.4,
            "actual_status": "测试中"}
    bad = {"task_id": "T04", "department": "技术部", "planned_date": due, "percent": 1.5,
           "forecast_date": "下周", "actual_status": "联调中"}
    rows = [(r, [values.get(k) for k in keys]) for r, values in ((1, good), (2, bad))]
    table = Table(spec.sheet, 0, columns, {}, rows)
    records, issues = validate_table(table, spec, ctx, file="f.xlsx", sha256="", department="技术部")
    letter = {k: chr(ord("A") + i) for k, i in columns.items()}
    assert [(i.cell, i.code) for i in issues] == [
        (f"{letter['percent']}3", "out-of-range"), (f"{letter['forecast_date']}3", "bad-date")]
    assert [(r.ok, r.values["percent"]) for r in records] == [(True, 40), (False, None)]
    assert records[0].cells["percent"] == f"{letter['percent']}2"


def test_a_tasks_own_file_is_not_needed(tmp_path: Path) -> None:
    """column_parser works on a context read from a file's identity too (validate)."""
    from xlflow.spec import load_specs

    specs = load_specs()
    ctx = Context.from_identity({"project_start": "2024-07-01", "project_end": "2024-09-30",
                                 "department": "技术部", "department_code": "TEC"},
                                [("T03", "技术部", "2024-07-20", "")], specs, AS_OF)
    column = next(c for c in specs["weekly"].columns if c.type is ColumnType.PERCENT)
    assert column_parser(column, ctx, "技术部")(0.5) == 50
